import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../src/apiserver/errors.js';
import type { RegistryWatchEvent } from '../../src/apiserver/registry.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';
import { newRegistry, pod } from './helpers.js';

async function rejects(
  p: Promise<unknown>,
  code: number,
  reason: string,
  message?: string | RegExp,
): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.reason, reason);
    if (typeof message === 'string') assert.equal(e.message, message);
    else if (message) assert.match(e.message, message);
    return e;
  }
  assert.fail('expected a rejection');
}

function deployment(name: string, image = 'nginx'): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

describe('registry create', () => {
  test('create stamps uid, creationTimestamp, resourceVersion and a Pending status', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0, 500));
    const reg = await newRegistry(clock);
    const created = await reg.create('pods', 'default', pod('web'));
    assert.match(created.metadata.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(created.metadata.creationTimestamp, '2026-01-01T12:00:00Z');
    assert.match(created.metadata.resourceVersion ?? '', /^\d+$/);
    assert.equal(created.metadata.namespace, 'default');
    assert.deepEqual(created.status, { phase: 'Pending', qosClass: 'BestEffort' });
  });

  test('generateName produces a name with a 5-character random suffix', async () => {
    const reg = await newRegistry();
    const body = pod('');
    (body.metadata as Record<string, unknown>) = { generateName: 'web-' };
    const created = await reg.create('pods', 'default', body);
    assert.match(created.metadata.name ?? '', /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  test('creating twice is AlreadyExists', async () => {
    const reg = await newRegistry();
    await reg.create('pods', 'default', pod('web'));
    await rejects(
      reg.create('pods', 'default', pod('web')),
      409,
      'AlreadyExists',
      'pods "web" already exists',
    );
  });

  test('a resourceVersion in a create is a BadRequest', async () => {
    const reg = await newRegistry();
    const body = pod('web');
    (body.metadata as Record<string, unknown>).resourceVersion = '5';
    await rejects(
      reg.create('pods', 'default', body),
      400,
      'BadRequest',
      'resourceVersion should not be set on objects to be created',
    );
  });

  test('a namespace that does not exist is NotFound', async () => {
    const reg = await newRegistry();
    await rejects(reg.create('pods', 'nope', pod('web')), 404, 'NotFound', 'namespaces "nope" not found');
  });

  test('a body namespace different from the URL namespace is a BadRequest', async () => {
    const reg = await newRegistry();
    const body = pod('web');
    (body.metadata as Record<string, unknown>).namespace = 'kube-system';
    await rejects(reg.create('pods', 'default', body), 400, 'BadRequest', /does not match the namespace/);
  });

  test('an invalid pod is 422 Invalid with field causes and the upstream message', async () => {
    const reg = await newRegistry();
    const body = pod('web', { spec: { containers: [{ name: 'app' }] } });
    const e = await rejects(
      reg.create('pods', 'default', body),
      422,
      'Invalid',
      'Pod "web" is invalid: spec.containers[0].image: Required value',
    );
    assert.deepEqual(e.status.details?.causes, [
      { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
    ]);
    assert.equal(e.status.details?.kind, 'Pod');
    assert.equal(e.status.details?.name, 'web');
  });

  test('several validation errors are listed in brackets', async () => {
    const reg = await newRegistry();
    const body = pod('web', { spec: { containers: [{ name: 'app' }, { name: 'app', image: 'x' }] } });
    const e = await rejects(reg.create('pods', 'default', body), 422, 'Invalid');
    assert.match(
      e.message,
      /^Pod "web" is invalid: \[.*spec\.containers\[0\]\.image: Required value.*, .*\]$/,
    );
  });

  test('fieldValidation Strict rejects unknown fields, Warn reports them, Ignore drops them', async () => {
    const reg = await newRegistry();
    const body = pod('a', {
      spec: { containers: [{ name: 'app', image: 'busybox', imagee: 'x' }], bogus: 1 },
    });
    await rejects(
      reg.create('pods', 'default', body, { fieldValidation: 'Strict' }),
      400,
      'BadRequest',
      'Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee", unknown field "spec.bogus"',
    );
    const warnings: string[] = [];
    const warned = await reg.create('pods', 'default', body, { fieldValidation: 'Warn', warnings });
    assert.deepEqual(warnings.sort(), [
      'unknown field "spec.bogus"',
      'unknown field "spec.containers[0].imagee"',
    ]);
    assert.equal((warned.spec as Record<string, unknown>).bogus, undefined);
    const ignored: string[] = [];
    const body2 = { ...body, metadata: { name: 'b' } };
    await reg.create('pods', 'default', body2, { fieldValidation: 'Ignore', warnings: ignored });
    assert.deepEqual(ignored, []);
  });

  test('dryRun runs every check but writes nothing', async () => {
    const reg = await newRegistry();
    const rv = reg.resourceVersion();
    const out = await reg.create('pods', 'default', pod('web'), { dryRun: true });
    assert.equal(out.metadata.name, 'web');
    assert.equal(reg.resourceVersion(), rv);
    assert.equal(await reg.find('pods', 'default', 'web'), undefined);
  });

  test('deployments start at generation 1 and only a spec change moves it', async () => {
    const reg = await newRegistry();
    const d = await reg.create('deployments.apps', 'default', deployment('api'));
    assert.equal(d.metadata.generation, 1);
    const relabeled = structuredClone(d);
    relabeled.metadata = { ...relabeled.metadata, labels: { x: 'y' } };
    const d2 = await reg.update('deployments.apps', 'default', 'api', relabeled);
    assert.equal(d2.metadata.generation, 1);
    const changed = structuredClone(d2) as unknown as { spec: { replicas: number } };
    changed.spec.replicas = 3;
    const d3 = await reg.update('deployments.apps', 'default', 'api', changed);
    assert.equal(d3.metadata.generation, 2);
  });
});

describe('registry update', () => {
  test('an update with a stale resourceVersion is a Conflict with the upstream message', async () => {
    const reg = await newRegistry();
    const v1 = await reg.create('configmaps', 'default', { metadata: { name: 'cfg' }, data: { a: '1' } });
    await reg.update('configmaps', 'default', 'cfg', { ...v1, data: { a: '2' } });
    await rejects(
      reg.update('configmaps', 'default', 'cfg', { ...v1, data: { a: '3' } }),
      409,
      'Conflict',
      'Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  test('an update or patch naming another uid is refused as immutable; one naming none keeps the stored uid', async () => {
    const reg = await newRegistry();
    const v1 = await reg.create('configmaps', 'default', { metadata: { name: 'cfg' }, data: { a: '1' } });
    const other = { ...v1, metadata: { ...v1.metadata, uid: 'other' } };
    await rejects(
      reg.update('configmaps', 'default', 'cfg', other),
      422,
      'Invalid',
      /metadata\.uid: Invalid value: "other": field is immutable/,
    );
    await rejects(
      reg.patch('configmaps', 'default', 'cfg', 'merge', { metadata: { uid: 'other' } }),
      422,
      'Invalid',
      /metadata\.uid: Invalid value: "other": field is immutable/,
    );
    const { uid: _, ...withoutUid } = v1.metadata;
    const v2 = await reg.update('configmaps', 'default', 'cfg', {
      ...v1,
      metadata: withoutUid,
      data: { a: '2' },
    });
    assert.equal(v2.metadata.uid, v1.metadata.uid);
  });

  test('an update that changes nothing keeps the resourceVersion', async () => {
    const reg = await newRegistry();
    const v1 = await reg.create('configmaps', 'default', { metadata: { name: 'cfg' }, data: { a: '1' } });
    const v2 = await reg.update('configmaps', 'default', 'cfg', v1);
    assert.equal(v2.metadata.resourceVersion, v1.metadata.resourceVersion);
  });

  test('the main resource cannot change status, and the status subresource changes only status', async () => {
    const reg = await newRegistry();
    const p = await reg.create('pods', 'default', pod('web'));
    const viaMain = await reg.update('pods', 'default', 'web', { ...p, status: { phase: 'Running' } });
    assert.equal((viaMain.status as { phase: string }).phase, 'Pending');
    const viaStatus = await reg.updateStatus('pods', 'default', 'web', {
      ...viaMain,
      metadata: { ...viaMain.metadata, labels: { changed: 'yes' } },
      status: { phase: 'Running' },
    });
    assert.equal((viaStatus.status as { phase: string }).phase, 'Running');
    // podStatusStrategy takes the request's labels; other kinds keep the stored metadata.
    assert.deepEqual(viaStatus.metadata.labels, { changed: 'yes' });
    assert.deepEqual(viaStatus.spec, p.spec);
    const d = await reg.create('deployments.apps', 'default', deployment('api'));
    const dStatus = await reg.updateStatus('deployments.apps', 'default', 'api', {
      ...d,
      metadata: { ...d.metadata, labels: { changed: 'yes' } },
      status: { replicas: 1 },
    });
    assert.deepEqual(dStatus.status, { replicas: 1 });
    assert.equal(dStatus.metadata.labels, undefined);
  });

  test('the kubelet status write reaches only the pod instance it was made for, as a status update', async () => {
    const reg = await newRegistry();
    const p = await reg.create('pods', 'default', pod('web'));
    const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    const written = await reg.writePodStatus('default', 'web', p.metadata.uid, status);
    const viaStatus = await reg.get('pods', 'default', 'web');
    assert.deepEqual(written, viaStatus);
    // A status without qosClass keeps the stored one (podStatusStrategy).
    const stored = { ...status, qosClass: 'BestEffort' };
    assert.deepEqual(viaStatus.status, stored);
    assert.deepEqual(viaStatus.spec, p.spec);
    assert.notEqual(viaStatus.metadata.resourceVersion, p.metadata.resourceVersion);
    const again = await reg.writePodStatus('default', 'web', p.metadata.uid, status);
    assert.equal(again?.metadata.resourceVersion, viaStatus.metadata.resourceVersion, 'no change, no write');
    assert.equal(await reg.writePodStatus('default', 'web', 'another-uid', { phase: 'Failed' }), undefined);
    assert.equal(await reg.writePodStatus('default', 'gone', p.metadata.uid, { phase: 'Failed' }), undefined);
    assert.deepEqual((await reg.get('pods', 'default', 'web')).status, stored);
    await assert.rejects(
      reg.writePodStatus('default', 'web', p.metadata.uid, { phase: 'Running', startTime: 'yesterday' }),
      /startTime/,
    );
  });

  test('a merge patch and a JSON patch apply to the live object', async () => {
    const reg = await newRegistry();
    await reg.create('configmaps', 'default', { metadata: { name: 'cfg' }, data: { a: '1', b: '2' } });
    const merged = await reg.patch('configmaps', 'default', 'cfg', 'merge', { data: { b: null, c: '3' } });
    assert.deepEqual(merged.object.data, { a: '1', c: '3' });
    const patched = await reg.patch('configmaps', 'default', 'cfg', 'json', [
      { op: 'replace', path: '/data/a', value: 'x' },
    ]);
    assert.deepEqual(patched.object.data, { a: 'x', c: '3' });
  });

  test('a patch that moves the object to another namespace is a BadRequest, and changes nothing', async () => {
    const reg = await newRegistry();
    await reg.create('configmaps', 'default', { metadata: { name: 'cfg' }, data: { a: '1' } });
    await rejects(
      reg.patch('configmaps', 'default', 'cfg', 'json', [
        { op: 'replace', path: '/metadata/namespace', value: 'kube-system' },
        { op: 'replace', path: '/data/a', value: '2' },
      ]),
      400,
      'BadRequest',
      'the namespace of the object (kube-system) does not match the namespace on the request (default)',
    );
    assert.deepEqual((await reg.get('configmaps', 'default', 'cfg')).data, { a: '1' });
  });

  test('a patch of a missing object is NotFound', async () => {
    const reg = await newRegistry();
    await rejects(
      reg.patch('configmaps', 'default', 'nope', 'merge', { data: {} }),
      404,
      'NotFound',
      'configmaps "nope" not found',
    );
  });
});

describe('registry delete', () => {
  test('an unscheduled pod is removed at once', async () => {
    const reg = await newRegistry();
    await reg.create('pods', 'default', pod('web'));
    const res = await reg.delete('pods', 'default', 'web', { propagationPolicy: 'Background' });
    assert.equal(res.removed, true);
    assert.equal(await reg.find('pods', 'default', 'web'), undefined);
  });

  test('a scheduled pod gets a deletionTimestamp and stays until a delete with grace 0', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const reg = await newRegistry(clock);
    await reg.create(
      'pods',
      'default',
      pod('web', { spec: { nodeName: 'local', containers: [{ name: 'app', image: 'busybox' }] } }),
    );
    const res = await reg.delete('pods', 'default', 'web', {});
    assert.equal(res.removed, false);
    assert.equal(res.object.metadata.deletionTimestamp, '2026-01-01T12:00:30Z');
    assert.equal(res.object.metadata.deletionGracePeriodSeconds, 30);
    const again = await reg.delete('pods', 'default', 'web', { gracePeriodSeconds: 10 });
    assert.equal(again.object.metadata.deletionTimestamp, '2026-01-01T12:00:10Z');
    assert.ok(await reg.find('pods', 'default', 'web'));
    const final = await reg.delete('pods', 'default', 'web', {
      gracePeriodSeconds: 0,
      preconditions: { uid: res.object.metadata.uid! },
    });
    assert.equal(final.removed, true);
    assert.equal(await reg.find('pods', 'default', 'web'), undefined);
  });

  test('a terminal pod is removed at once even when scheduled', async () => {
    const reg = await newRegistry();
    await reg.create(
      'pods',
      'default',
      pod('done', { spec: { nodeName: 'local', containers: [{ name: 'app', image: 'busybox' }] } }),
    );
    const live = await reg.get('pods', 'default', 'done');
    await reg.updateStatus('pods', 'default', 'done', { ...live, status: { phase: 'Succeeded' } });
    assert.equal((await reg.delete('pods', 'default', 'done')).removed, true);
  });

  test('a grace period does not delay the deletion of kinds other than pods', async () => {
    const reg = await newRegistry();
    await reg.create('configmaps', 'default', { metadata: { name: 'cfg' } });
    assert.equal(
      (await reg.delete('configmaps', 'default', 'cfg', { gracePeriodSeconds: 30 })).removed,
      true,
    );
  });

  test('a uid precondition that does not match is a Conflict', async () => {
    const reg = await newRegistry();
    await reg.create('pods', 'default', pod('web'));
    await rejects(
      reg.delete('pods', 'default', 'web', { preconditions: { uid: 'other' } }),
      409,
      'Conflict',
      /Precondition failed: UID in precondition: other, UID in object meta: /,
    );
  });

  test('an object with finalizers stays until the last finalizer is removed', async () => {
    const reg = await newRegistry();
    await reg.create('configmaps', 'default', {
      metadata: { name: 'cfg', finalizers: ['example.com/hold'] },
    });
    const res = await reg.delete('configmaps', 'default', 'cfg');
    assert.equal(res.removed, false);
    assert.ok(res.object.metadata.deletionTimestamp);
    const live = await reg.get('configmaps', 'default', 'cfg');
    await reg.update('configmaps', 'default', 'cfg', {
      ...live,
      metadata: { ...live.metadata, finalizers: [] },
    });
    assert.equal(await reg.find('configmaps', 'default', 'cfg'), undefined);
  });

  test('the default and kube-system namespaces may not be deleted', async () => {
    const reg = await newRegistry();
    await rejects(
      reg.delete('namespaces', undefined, 'default'),
      403,
      'Forbidden',
      'namespaces "default" is forbidden: this namespace may not be deleted',
    );
    await rejects(reg.delete('namespaces', undefined, 'kube-system'), 403, 'Forbidden');
  });

  test('deleting a namespace makes it Terminating, deletes its content, then removes it', async () => {
    const reg = await newRegistry();
    await reg.create('namespaces', undefined, { metadata: { name: 'team' } });
    await reg.create('configmaps', 'team', { metadata: { name: 'cfg' } });
    await reg.create(
      'pods',
      'team',
      pod('sched', { spec: { nodeName: 'local', containers: [{ name: 'app', image: 'busybox' }] } }),
    );
    const res = await reg.delete('namespaces', undefined, 'team');
    assert.equal((res.object.status as { phase: string }).phase, 'Terminating');
    await rejects(
      reg.create('configmaps', 'team', { metadata: { name: 'new' } }),
      403,
      'Forbidden',
      /being terminated/,
    );
    await flushMicrotasks();
    await flushMicrotasks();
    assert.equal(await reg.find('configmaps', 'team', 'cfg'), undefined);
    const p = await reg.get('pods', 'team', 'sched');
    assert.ok(p.metadata.deletionTimestamp, 'the scheduled pod waits for its kubelet');
    assert.ok(await reg.find('namespaces', undefined, 'team'));
    // The kubelet finalizes the pod; the namespace then goes.
    await reg.delete('pods', 'team', 'sched', { gracePeriodSeconds: 0 });
    for (let i = 0; i < 20 && (await reg.find('namespaces', undefined, 'team')); i++) await flushMicrotasks();
    assert.equal(await reg.find('namespaces', undefined, 'team'), undefined);
  });

  test('background propagation deletes dependents after their owner', async () => {
    const reg = await newRegistry();
    const owner = await reg.create('deployments.apps', 'default', deployment('api'));
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'api',
      uid: owner.metadata.uid!,
      controller: true,
    };
    await reg.create('configmaps', 'default', { metadata: { name: 'dep', ownerReferences: [ref] } });
    await reg.create('configmaps', 'default', { metadata: { name: 'free' } });
    await reg.delete('deployments.apps', 'default', 'api', { propagationPolicy: 'Background' });
    assert.equal(await reg.find('configmaps', 'default', 'dep'), undefined);
    assert.ok(await reg.find('configmaps', 'default', 'free'));
  });

  test('orphan propagation keeps dependents and removes their owner reference', async () => {
    const reg = await newRegistry();
    const owner = await reg.create('deployments.apps', 'default', deployment('api'));
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: owner.metadata.uid! };
    await reg.create('configmaps', 'default', { metadata: { name: 'dep', ownerReferences: [ref] } });
    await reg.delete('deployments.apps', 'default', 'api', { propagationPolicy: 'Orphan' });
    const dep = await reg.get('configmaps', 'default', 'dep');
    assert.equal(dep.metadata.ownerReferences, undefined);
  });

  test('orphan propagation marks the owner (deletionTimestamp, orphan finalizer) before it releases a dependent', async () => {
    const reg = await newRegistry();
    const owner = await reg.create('deployments.apps', 'default', deployment('api'));
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: owner.metadata.uid! };
    for (const name of ['a', 'b', 'c']) {
      await reg.create('configmaps', 'default', { metadata: { name, ownerReferences: [ref] } });
    }
    const seen: string[] = [];
    const owners = await reg.watch(
      'deployments.apps',
      'default',
      { resourceVersion: owner.metadata.resourceVersion },
      (ev) => {
        const m = ev.object.metadata;
        seen.push(
          `${ev.type} api ${m.deletionTimestamp ? 'marked' : ''} ${(m.finalizers ?? []).join(',')}`.trim(),
        );
      },
    );
    const deps = await reg.watch('configmaps', 'default', {}, (ev) => {
      if (ev.type === 'MODIFIED' && !ev.object.metadata.ownerReferences)
        seen.push(`released ${ev.object.metadata.name}`);
    });
    const result = await reg.delete('deployments.apps', 'default', 'api', { propagationPolicy: 'Orphan' });
    owners.stop();
    deps.stop();
    assert.deepEqual(seen, [
      'MODIFIED api marked orphan',
      'released a',
      'released b',
      'released c',
      'DELETED api marked orphan',
    ]);
    // The store's last version leaves with the DELETED event, as etcd's delete does (upstream's too).
    assert.equal(result.object.metadata.name, 'api');
    assert.equal(await reg.find('deployments.apps', 'default', 'api'), undefined);
  });

  test('foreground propagation keeps the owner until its dependents are gone', async () => {
    const reg = await newRegistry();
    const owner = await reg.create('deployments.apps', 'default', deployment('api'));
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api', uid: owner.metadata.uid! };
    await reg.create(
      'pods',
      'default',
      pod('child', {
        metadata: { name: 'child', ownerReferences: [ref] },
        spec: { nodeName: 'local', containers: [{ name: 'app', image: 'busybox' }] },
      }),
    );
    const res = await reg.delete('deployments.apps', 'default', 'api', { propagationPolicy: 'Foreground' });
    assert.equal(res.removed, false);
    assert.deepEqual(res.object.metadata.finalizers, ['foregroundDeletion']);
    await flushMicrotasks();
    assert.ok((await reg.get('pods', 'default', 'child')).metadata.deletionTimestamp);
    assert.ok(await reg.find('deployments.apps', 'default', 'api'));
    await reg.delete('pods', 'default', 'child', { gracePeriodSeconds: 0 });
    for (let i = 0; i < 20 && (await reg.find('deployments.apps', 'default', 'api')); i++)
      await flushMicrotasks();
    assert.equal(await reg.find('deployments.apps', 'default', 'api'), undefined);
  });
});

describe('pods/binding', () => {
  test('binding sets spec.nodeName and PodScheduled, and a second binding is a Conflict', async () => {
    const reg = await newRegistry();
    const p = await reg.create('pods', 'default', pod('web'));
    const bound = await reg.bind('default', 'web', p.metadata.uid, 'local');
    assert.equal((bound.spec as { nodeName: string }).nodeName, 'local');
    const cond = (bound.status as { conditions: Array<{ type: string; status: string }> }).conditions;
    assert.deepEqual(
      cond.map((c) => [c.type, c.status]),
      [['PodScheduled', 'True']],
    );
    await rejects(
      reg.bind('default', 'web', undefined, 'other'),
      409,
      'Conflict',
      'Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "local"',
    );
    // Bound, it now waits for its kubelet when deleted.
    assert.equal((await reg.delete('pods', 'default', 'web')).removed, false);
  });

  test('an update may not move a pod to another node', async () => {
    const reg = await newRegistry();
    await reg.create('pods', 'default', pod('web'));
    const bound = await reg.bind('default', 'web', undefined, 'local');
    await rejects(
      reg.update('pods', 'default', 'web', {
        ...bound,
        spec: { ...(bound.spec as object), nodeName: 'other' },
      }),
      422,
      'Invalid',
    );
  });
});

describe('registry watch', () => {
  function collect(): { events: RegistryWatchEvent[]; listener: (e: RegistryWatchEvent) => void } {
    const events: RegistryWatchEvent[] = [];
    return { events, listener: (e) => events.push(e) };
  }

  test('resourceVersion 0 sends a synthetic ADDED for each match, then live changes', async () => {
    const reg = await newRegistry();
    await reg.create('pods', 'default', pod('a'));
    const { events, listener } = collect();
    const w = await reg.watch('pods', 'default', { resourceVersion: '0' }, listener);
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name]),
      [['ADDED', 'a']],
    );
    await reg.create('pods', 'default', pod('b'));
    await flushMicrotasks();
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name]),
      [
        ['ADDED', 'a'],
        ['ADDED', 'b'],
      ],
    );
    assert.equal(events[1]!.object.kind, 'Pod');
    w.stop();
  });

  test('resourceVersion N sends only changes after N', async () => {
    const reg = await newRegistry();
    await reg.create('pods', 'default', pod('a'));
    const rv = reg.resourceVersion();
    await reg.create('pods', 'default', pod('b'));
    const { events, listener } = collect();
    const w = await reg.watch('pods', 'default', { resourceVersion: rv }, listener);
    await flushMicrotasks();
    assert.deepEqual(
      events.map((e) => [e.type, e.object.metadata.name]),
      [['ADDED', 'b']],
    );
    w.stop();
  });

  test('an object leaving the label selector arrives as DELETED, one entering as ADDED', async () => {
    const reg = await newRegistry();
    const a = await reg.create('pods', 'default', pod('a'));
    const { events, listener } = collect();
    const w = await reg.watch('pods', 'default', { resourceVersion: '0', labelSelector: 'app=a' }, listener);
    const moved = await reg.update('pods', 'default', 'a', {
      ...a,
      metadata: { ...a.metadata, labels: { app: 'other' } },
    });
    await flushMicrotasks();
    await reg.update('pods', 'default', 'a', {
      ...moved,
      metadata: { ...moved.metadata, labels: { app: 'a' } },
    });
    await flushMicrotasks();
    assert.deepEqual(
      events.map((e) => e.type),
      ['ADDED', 'DELETED', 'ADDED'],
    );
    w.stop();
  });

  test('a deletion is delivered with a new resourceVersion to a metadata.name field selector watch', async () => {
    const reg = await newRegistry();
    const a = await reg.create('pods', 'default', pod('a'));
    await reg.create('pods', 'default', pod('b'));
    const { events, listener } = collect();
    const w = await reg.watch(
      'pods',
      'default',
      { resourceVersion: reg.resourceVersion(), fieldSelector: 'metadata.name=a' },
      listener,
    );
    await reg.delete('pods', 'default', 'b');
    await reg.delete('pods', 'default', 'a');
    await flushMicrotasks();
    assert.equal(events.length, 1);
    assert.equal(events[0]!.type, 'DELETED');
    assert.ok(Number(events[0]!.object.metadata.resourceVersion) > Number(a.metadata.resourceVersion));
    w.stop();
  });

  test('a resourceVersion older than the history is Expired with the upstream message', async () => {
    const reg = await newRegistry(undefined, 3);
    for (let i = 0; i < 6; i++) await reg.create('configmaps', 'default', { metadata: { name: `c${i}` } });
    await rejects(
      reg.watch('configmaps', 'default', { resourceVersion: '1' }, () => {}),
      410,
      'Expired',
      /^too old resource version: 1 \(\d+\)$/,
    );
  });
});
