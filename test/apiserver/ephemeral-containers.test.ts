// pods/ephemeralcontainers: what kubectl debug sends (a strategic merge patch adding one container) changes
// only spec.ephemeralContainers; upstream's validation refuses the fields a debug container may not have,
// duplicate names, unknown targets, and any change to or removal of an existing one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from '../../src/api/types.js';
import { updateEphemeralContainers } from '../../src/apiserver/ephemeral-containers.js';
import { ApiError } from '../../src/apiserver/errors.js';
import { newRegistry, pod } from './helpers.js';

const debugPatch = (ec: Record<string, unknown>) => ({
  patch: { spec: { ephemeralContainers: [ec] } },
  type: 'strategic' as const,
});

async function setup() {
  const reg = await newRegistry();
  await reg.create('pods', 'default', pod('web'));
  return reg;
}

function invalid(e: unknown, pattern: RegExp): boolean {
  assert.ok(e instanceof ApiError, String(e));
  assert.equal(e.code, 422);
  assert.match(e.message, pattern);
  return true;
}

describe('pods/ephemeralcontainers', () => {
  test('a strategic merge patch adds a container, defaulted, and leaves the rest of the pod alone', async () => {
    const reg = await setup();
    const patch = debugPatch({ name: 'dbg', image: 'busybox', targetContainerName: 'app', stdin: true });
    (patch.patch as Record<string, unknown>).metadata = { labels: { sneaky: 'yes' } };
    const out = (await updateEphemeralContainers(reg, 'default', 'web', patch)) as unknown as Pod;
    const ec = out.spec?.ephemeralContainers?.[0];
    assert.equal(ec?.name, 'dbg');
    assert.equal(ec?.targetContainerName, 'app');
    assert.equal(ec?.terminationMessagePolicy, 'File');
    assert.equal(ec?.imagePullPolicy, 'Always');
    assert.equal(out.metadata?.labels?.sneaky, undefined);
    const stored = (await reg.get('pods', 'default', 'web')) as unknown as Pod;
    assert.equal(stored.spec?.ephemeralContainers?.length, 1);
    assert.equal(stored.metadata?.resourceVersion, out.metadata?.resourceVersion);
  });

  test('the write is owned by its field manager under the subresource, as kubectl debug sees it upstream', async () => {
    const reg = await setup();
    const patch = debugPatch({ name: 'dbg', image: 'busybox' });
    await updateEphemeralContainers(reg, 'default', 'web', patch, { fieldManager: 'kubectl-debug' });
    const stored = (await reg.get('pods', 'default', 'web')) as unknown as Pod;
    const entry = stored.metadata?.managedFields?.find((m) => m.manager === 'kubectl-debug');
    assert.equal(entry?.operation, 'Update');
    assert.equal(entry?.subresource, 'ephemeralcontainers');
    const owned = entry?.fieldsV1 as Record<string, Record<string, Record<string, unknown>>>;
    assert.deepEqual(Object.keys(owned), ['f:spec'], 'only what the write changed');
    assert.deepEqual(Object.keys(owned['f:spec']!), ['f:ephemeralContainers']);
    assert.ok(owned['f:spec']!['f:ephemeralContainers']!['k:{"name":"dbg"}']);
    // The creator's entry stays as it was.
    assert.ok(stored.metadata?.managedFields?.some((m) => m.operation === 'Update' && !m.subresource));
  });

  test('ports, probes, resources and lifecycle are refused; so are a duplicate name and an unknown target', async () => {
    const reg = await setup();
    await assert.rejects(
      updateEphemeralContainers(
        reg,
        'default',
        'web',
        debugPatch({
          name: 'dbg',
          image: 'busybox',
          ports: [{ containerPort: 80 }],
          readinessProbe: { exec: { command: ['true'] } },
          resources: { limits: { cpu: '1' } },
        }),
      ),
      (e) =>
        invalid(
          e,
          /spec\.ephemeralContainers\[0\]\.ports: Forbidden: cannot be set for an Ephemeral Container.*spec\.ephemeralContainers\[0\]\.resources: Forbidden.*readinessProbe: Forbidden/s,
        ),
    );
    await assert.rejects(
      updateEphemeralContainers(reg, 'default', 'web', debugPatch({ name: 'app', image: 'busybox' })),
      (e) => invalid(e, /spec\.ephemeralContainers\[0\]\.name: Duplicate value: "app"/),
    );
    await assert.rejects(
      updateEphemeralContainers(
        reg,
        'default',
        'web',
        debugPatch({ name: 'dbg', image: 'busybox', targetContainerName: 'nope' }),
      ),
      (e) => invalid(e, /spec\.ephemeralContainers\[0\]\.targetContainerName: Not found: "nope"/),
    );
  });

  test('an existing one may not be changed or removed; another may be added', async () => {
    const reg = await setup();
    await updateEphemeralContainers(reg, 'default', 'web', debugPatch({ name: 'dbg', image: 'busybox' }));
    await assert.rejects(
      updateEphemeralContainers(
        reg,
        'default',
        'web',
        debugPatch({ name: 'dbg', image: 'busybox', command: ['true'] }),
      ),
      (e) => invalid(e, /existing ephemeral containers "dbg" may not be changed/),
    );
    const current = await reg.get('pods', 'default', 'web');
    const removed = structuredClone(current) as unknown as Pod;
    removed.spec!.ephemeralContainers = [];
    await assert.rejects(updateEphemeralContainers(reg, 'default', 'web', { put: removed }), (e) =>
      invalid(e, /existing ephemeral containers "dbg" may not be removed/),
    );
    const added = (await updateEphemeralContainers(
      reg,
      'default',
      'web',
      debugPatch({ name: 'dbg2', image: 'busybox' }),
    )) as unknown as Pod;
    assert.deepEqual(added.spec?.ephemeralContainers?.map((c) => c.name).sort(), ['dbg', 'dbg2']);
  });

  test('an ordinary pod update may not touch ephemeral containers', async () => {
    const reg = await setup();
    const current = (await reg.get('pods', 'default', 'web')) as unknown as Pod;
    current.spec!.ephemeralContainers = [{ name: 'dbg', image: 'busybox' }];
    await assert.rejects(reg.update('pods', 'default', 'web', current), (e) =>
      invalid(e, /pod updates may not change fields/),
    );
  });
});

describe('ephemeral containers on create', () => {
  test('a pod may not be created with them (ValidatePodCreate)', async () => {
    const reg = await newRegistry();
    const body = pod('web');
    (body.spec as Record<string, unknown>).ephemeralContainers = [{ name: 'dbg', image: 'busybox' }];
    await assert.rejects(reg.create('pods', 'default', body), (e) =>
      invalid(e, /spec\.ephemeralContainers: Forbidden: cannot be set on create/),
    );
  });
});
