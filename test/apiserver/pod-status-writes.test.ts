// pods/status as upstream's podStatusStrategy and ValidatePodStatusUpdate: which metadata a status write may
// change, what it keeps, and the status changes it refuses.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { ApiError } from '../../src/apiserver/errors.js';
import type { Registry } from '../../src/apiserver/registry.js';
import { newRegistry, pod } from './helpers.js';

async function refused(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof ApiError, `expected ApiError, got ${String(e)}`);
    assert.equal(e.code, 422);
    assert.equal(e.reason, 'Invalid');
    assert.match(e.message, message);
    return true;
  });
}

const terminated = (exitCode: number) => ({
  terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed' },
});
const running = { running: { startedAt: '2026-12-07T10:00:00Z' } };

function status(list: 'containerStatuses' | 'initContainerStatuses', name: string, state: object) {
  return {
    phase: 'Pending',
    [list]: [{ name, image: 'busybox', imageID: '', ready: false, restartCount: 0, state }],
  };
}

async function podWith(reg: Registry, name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  const base = pod(name) as { spec: Record<string, unknown> };
  return reg.create('pods', 'default', { ...base, spec: { ...base.spec, ...spec } });
}

async function writeStatus(reg: Registry, name: string, s: object): Promise<KubeObject> {
  const live = await reg.get('pods', 'default', name);
  return reg.updateStatus('pods', 'default', name, { ...live, status: s });
}

describe('pods/status metadata', () => {
  test('a status write naming another uid is refused as immutable, for pods and for other kinds', async () => {
    const reg = await newRegistry();
    const p = await reg.create('pods', 'default', pod('web'));
    await refused(
      reg.updateStatus('pods', 'default', 'web', { ...p, metadata: { ...p.metadata, uid: 'other' } }),
      /metadata\.uid: Invalid value: "other": field is immutable/,
    );
    await refused(
      reg.patch('pods', 'default', 'web', 'merge', { metadata: { uid: 'other' } }, { subresource: 'status' }),
      /metadata\.uid: Invalid value: "other": field is immutable/,
    );
    const cm = await reg.create('replicasets.apps', 'default', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'rs' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    });
    await refused(
      reg.updateStatus('replicasets.apps', 'default', 'rs', {
        ...cm,
        metadata: { ...cm.metadata, uid: 'other' },
      }),
      /metadata\.uid: Invalid value: "other": field is immutable/,
    );
  });

  test('ownerReferences and the spec stay; labels, annotations and finalizers follow the request', async () => {
    const reg = await newRegistry();
    const owner = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-1', controller: true };
    const p = await reg.create('pods', 'default', {
      ...pod('web'),
      metadata: { name: 'web', labels: { app: 'web' }, ownerReferences: [owner] },
    });
    const written = await reg.updateStatus('pods', 'default', 'web', {
      ...p,
      metadata: {
        ...p.metadata,
        labels: { app: 'web', ready: 'yes' },
        annotations: { note: 'set through status' },
        finalizers: ['example.com/keep'],
        ownerReferences: [],
      },
      spec: { containers: [{ name: 'other', image: 'nginx' }] },
      status: { phase: 'Running' },
    });
    assert.deepEqual(written.metadata.labels, { app: 'web', ready: 'yes' });
    assert.deepEqual(written.metadata.annotations, { note: 'set through status' });
    assert.deepEqual(written.metadata.finalizers, ['example.com/keep']);
    assert.deepEqual(written.metadata.ownerReferences, [owner]);
    assert.deepEqual(written.spec, p.spec);
    assert.equal((written.status as { qosClass?: string }).qosClass, 'BestEffort');
  });

  test("the kubelet's status write keeps labels set meanwhile", async () => {
    const reg = await newRegistry();
    const p = await reg.create('pods', 'default', pod('web'));
    await reg.patch('pods', 'default', 'web', 'merge', { metadata: { labels: { added: 'later' } } });
    await reg.writePodStatus('default', 'web', p.metadata.uid, { phase: 'Running' });
    const live = await reg.get('pods', 'default', 'web');
    assert.deepEqual(live.metadata.labels, { app: 'web', added: 'later' });
    assert.equal((live.status as { phase: string }).phase, 'Running');
  });
});

describe('pods/status: containers that ended for good stay terminated', () => {
  const FORBIDDEN = (path: string) =>
    new RegExp(
      `${path.replace(/[[\]]/g, '\\$&')}\\.state: Forbidden: may not be transitioned to non-terminated state`,
    );

  test('restartPolicy Never: a terminated container may not run again; a terminated init container neither', async () => {
    const reg = await newRegistry();
    await podWith(reg, 'never', {
      restartPolicy: 'Never',
      initContainers: [{ name: 'init', image: 'busybox' }],
    });
    await writeStatus(reg, 'never', status('containerStatuses', 'app', terminated(0)));
    await refused(
      writeStatus(reg, 'never', status('containerStatuses', 'app', running)),
      FORBIDDEN('status.containerStatuses[0]'),
    );
    await writeStatus(reg, 'never', status('initContainerStatuses', 'init', terminated(1)));
    await refused(
      writeStatus(
        reg,
        'never',
        status('initContainerStatuses', 'init', { waiting: { reason: 'PodInitializing' } }),
      ),
      FORBIDDEN('status.initContainerStatuses[0]'),
    );
    // Still terminated (another exit code) is no transition.
    await writeStatus(reg, 'never', status('initContainerStatuses', 'init', terminated(2)));
  });

  test('OnFailure lets a failed container restart, not a succeeded one; Always lets every one', async () => {
    const reg = await newRegistry();
    await podWith(reg, 'onfailure', { restartPolicy: 'OnFailure' });
    await writeStatus(reg, 'onfailure', status('containerStatuses', 'app', terminated(1)));
    await writeStatus(reg, 'onfailure', status('containerStatuses', 'app', running));
    await writeStatus(reg, 'onfailure', status('containerStatuses', 'app', terminated(0)));
    await refused(
      writeStatus(reg, 'onfailure', status('containerStatuses', 'app', running)),
      FORBIDDEN('status.containerStatuses[0]'),
    );
    await podWith(reg, 'always', {});
    await writeStatus(reg, 'always', status('containerStatuses', 'app', terminated(0)));
    await writeStatus(reg, 'always', status('containerStatuses', 'app', running));
  });

  test('a sidecar (an init container with restartPolicy Always) may always restart', async () => {
    const reg = await newRegistry();
    await podWith(reg, 'side', {
      restartPolicy: 'Never',
      initContainers: [{ name: 'proxy', image: 'busybox', restartPolicy: 'Always' }],
    });
    await writeStatus(reg, 'side', status('initContainerStatuses', 'proxy', terminated(0)));
    await writeStatus(reg, 'side', status('initContainerStatuses', 'proxy', running));
  });

  test('a new nominatedNodeName must be a node name', async () => {
    const reg = await newRegistry();
    await reg.create('pods', 'default', pod('web'));
    await refused(
      writeStatus(reg, 'web', { nominatedNodeName: 'Not_A_Node' }),
      /status\.nominatedNodeName: Invalid value: "Not_A_Node": a lowercase RFC 1123 subdomain/,
    );
    await writeStatus(reg, 'web', { nominatedNodeName: 'node-1' });
  });

  test('pod and host IPs are addresses, at most one of each family; hostIPs[0] is hostIP', async () => {
    const reg = await newRegistry();
    await reg.create('pods', 'default', pod('web'));
    await refused(
      writeStatus(reg, 'web', { podIPs: [{ ip: 'not-an-ip' }] }),
      /status\.podIPs\[0\]: Invalid value: "not-an-ip": must be a valid IP address, \(e\.g\. 10\.9\.8\.7 or 2001:db8::ffff\)/,
    );
    await refused(
      writeStatus(reg, 'web', { podIPs: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] }),
      /status\.podIPs: Invalid value: \[\]core\.PodIP\{core\.PodIP\{IP:"10\.0\.0\.1"\}, core\.PodIP\{IP:"10\.0\.0\.2"\}\}: may specify no more than one IP for each IP family/,
    );
    await refused(
      writeStatus(reg, 'web', { hostIP: '10.1.1.1', hostIPs: [{ ip: '10.1.1.2' }] }),
      /status\.hostIPs\[0\]\.ip: Invalid value: "10\.1\.1\.2": must be equal to `hostIP`/,
    );
    const dual = await writeStatus(reg, 'web', {
      podIP: '10.0.0.1',
      podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }],
      hostIP: '10.1.1.1',
      hostIPs: [{ ip: '10.1.1.1' }],
    });
    assert.deepEqual((dual.status as { podIPs: unknown }).podIPs, [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }]);
  });

  test("a condition type of the pod's own is a qualified name, and the QoS class does not change", async () => {
    const reg = await newRegistry();
    await reg.create('pods', 'default', pod('web'));
    await refused(
      writeStatus(reg, 'web', {
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'bad type!', status: 'True' },
        ],
      }),
      /status\.conditions\[1\]\.Type: Invalid value: "bad type!": name part must consist of alphanumeric characters/,
    );
    await writeStatus(reg, 'web', { conditions: [{ type: 'example.com/gate', status: 'True' }] });
    await refused(
      writeStatus(reg, 'web', { qosClass: 'Guaranteed' }),
      /status\.qosClass: Invalid value: "Guaranteed": field is immutable/,
    );
  });
});
