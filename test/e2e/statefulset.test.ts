// StatefulSets and local-path volumes end to end, with real kubectl and `--images host`: a set of two with a
// volumeClaimTemplate gets ordered pods and claims provisioned on first use, a replacement pod gets its
// predecessor's claim and finds its file, `kubectl get pvc,pv,sc` read as a cluster's, a pod whose claim is
// missing stays Pending with the scheduler's message, and a released volume with reclaim policy Delete goes
// with its directory.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../../src/api/types.js';
import { e2eCluster } from './support/cluster.js';
import { E2E_SKIP } from './support/prerequisites.js';
import { marker, RUN_SLEEP_SECONDS } from './support/run-id.js';
import { poll } from './support/watch.js';

const MARK = `: ${marker('e2e-statefulset-test')};`;
const cluster = e2eCluster({ commandMarkers: [MARK] });
before(cluster.start);
afterEach(cluster.record);
// The set first (orphaning nothing it would recreate), then the shared teardown.
after(async () => {
  if (!E2E_SKIP) await cluster.kubectl.run(['delete', 'statefulsets', '--all', '--wait=false']);
});
after(cluster.stopAndCheck);
const k = () => cluster.kubectl;

const SCRIPT = `${MARK} if [ -f /data/first ]; then echo "found $(cat /data/first)"; else hostname > /data/first; echo created; fi; exec sleep ${RUN_SLEEP_SECONDS}`;

const MANIFEST = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: app
          image: busybox
          command: [/bin/sh, -c, '${SCRIPT}']
          volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Mi}}
`;

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await k().ok([...args, '-o', 'json'])) as T;
}

async function runningPod(name: string, notUid?: string): Promise<Pod> {
  return poll(
    async () => {
      const r = await k().run(['get', 'pod', name, '-o', 'json']);
      if (r.code !== 0) return undefined;
      const pod = JSON.parse(r.stdout) as Pod;
      if (pod.metadata?.uid === notUid || pod.metadata?.deletionTimestamp) return undefined;
      return pod.status?.phase === 'Running' ? pod : undefined;
    },
    `pod ${name} Running`,
    120_000,
  );
}

describe('statefulset', { skip: E2E_SKIP }, () => {
  test('a set of two gets stable pods, claims that outlive them, and a cluster-like kubectl view', async () => {
    await k().ok(['apply', '-f', '-'], { input: MANIFEST });
    await k().ok(['rollout', 'status', 'statefulset/web', '--timeout=120s'], { timeoutMs: 130_000 });

    const web0 = await runningPod('web-0');
    assert.equal(web0.spec?.hostname, 'web-0');
    assert.equal(web0.spec?.subdomain, 'web');
    assert.deepEqual(web0.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, {
      claimName: 'data-web-0',
    });
    await runningPod('web-1');

    const claim = await getJson<PersistentVolumeClaim>(['get', 'pvc', 'data-web-0']);
    assert.equal(claim.status?.phase, 'Bound');
    assert.equal(claim.spec?.storageClassName, 'standard');
    assert.ok(claim.metadata?.finalizers?.includes('kubernetes.io/pvc-protection'));
    const pvName = claim.spec?.volumeName ?? '';
    assert.equal(pvName, `pvc-${claim.metadata?.uid}`);
    const dir = join(cluster.serve.stateDir, 'volumes', pvName);
    assert.equal(readFileSync(join(dir, 'first'), 'utf8'), 'web-0\n');

    const table = await k().ok(['get', 'pvc,pv,sc']);
    assert.match(
      table,
      /NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE/,
    );
    assert.match(
      table,
      new RegExp(
        `persistentvolumeclaim/data-web-0\\s+Bound\\s+${pvName}\\s+1Mi\\s+RWO\\s+standard\\s+<unset>`,
      ),
    );
    assert.match(
      table,
      /NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE/,
    );
    assert.match(
      table,
      new RegExp(
        `persistentvolume/${pvName}\\s+1Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/data-web-0\\s+standard`,
      ),
    );
    assert.match(
      table,
      /storageclass.storage.k8s.io\/standard \(default\)\s+podrun.dev\/local-path\s+Delete\s+WaitForFirstConsumer\s+false/,
    );
    assert.match(await k().ok(['get', 'sts']), /web\s+2\/2/);
    // The scheduler binds a pod once its delayed claims are bound: the kubelet never waits on a claim.
    assert.equal(await k().ok(['get', 'events', '--field-selector', 'reason=FailedMount', '-o', 'name']), '');
    const events = await k().ok(['get', 'events', '--field-selector', 'involvedObject.name=data-web-0']);
    assert.match(
      events,
      /WaitForFirstConsumer\s+persistentvolumeclaim\/data-web-0\s+waiting for first consumer to be created before binding/,
    );
    assert.match(
      events,
      new RegExp(
        `ProvisioningSucceeded\\s+persistentvolumeclaim/data-web-0\\s+Successfully provisioned volume ${pvName}`,
      ),
    );

    // The replacement of web-0 mounts the same claim and finds what its predecessor wrote.
    await k().ok(['delete', 'pod', 'web-0', '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
    const again = await runningPod('web-0', web0.metadata?.uid);
    assert.deepEqual(again.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, {
      claimName: 'data-web-0',
    });
    await poll(
      async () => ((await k().ok(['logs', 'web-0'])).trim() === 'found web-0' ? true : undefined),
      'the new web-0 finds the file',
    );

    // Scale down removes the highest ordinal; its claim stays.
    await k().ok(['scale', 'statefulset/web', '--replicas=1']);
    await poll(
      async () => ((await k().run(['get', 'pod', 'web-1'])).code !== 0 ? true : undefined),
      'web-1 gone',
      60_000,
    );
    const kept = await getJson<PersistentVolumeClaim>(['get', 'pvc', 'data-web-1']);
    assert.equal(kept.status?.phase, 'Bound');
    const sts = await getJson<StatefulSet>(['get', 'sts', 'web']);
    assert.equal(sts.status?.currentRevision, sts.status?.updateRevision);

    // A rolling update, its history, and an undo back to the first template.
    await k().ok(['set', 'image', 'statefulset/web', 'app=busybox:2']);
    await k().ok(['rollout', 'status', 'statefulset/web', '--timeout=120s'], { timeoutMs: 130_000 });
    const updated = await runningPod('web-0');
    assert.equal(updated.spec?.containers[0]?.image, 'busybox:2');
    assert.match(
      await k().ok(['rollout', 'history', 'statefulset/web']),
      /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/,
    );
    await k().ok(['rollout', 'undo', 'statefulset/web']);
    await k().ok(['rollout', 'status', 'statefulset/web', '--timeout=120s'], { timeoutMs: 130_000 });
    await poll(
      async () => ((await runningPod('web-0')).spec?.containers[0]?.image === 'busybox' ? true : undefined),
      'web-0 back at the first template',
      120_000,
    );

    // Deleting the released claim removes its volume and the directory (reclaim policy Delete).
    const dir1 = join(cluster.serve.stateDir, 'volumes', kept.spec?.volumeName ?? '');
    assert.ok(existsSync(dir1));
    await k().ok(['delete', 'pvc', 'data-web-1', '--timeout=60s'], { timeoutMs: 70_000 });
    await poll(() => (existsSync(dir1) ? undefined : true), `${dir1} removed`, 60_000);
    await poll(
      async () => ((await k().run(['get', 'pv', kept.spec?.volumeName ?? ''])).code !== 0 ? true : undefined),
      'the PV removed',
    );
  });

  test('a pod whose claim is missing stays Pending with the scheduler message', async () => {
    const pod = `
apiVersion: v1
kind: Pod
metadata: {name: lonely}
spec:
  containers: [{name: c, image: busybox, command: [/bin/sh, -c, '${MARK} exec sleep ${RUN_SLEEP_SECONDS}'], volumeMounts: [{name: d, mountPath: /d}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: nope}}]
`;
    await k().ok(['apply', '-f', '-'], { input: pod });
    const message = await poll(async () => {
      const p = await getJson<Pod>(['get', 'pod', 'lonely']);
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message;
    }, 'lonely unschedulable');
    assert.match(message, /^0\/1 nodes are available: persistentvolumeclaim "nope" not found\./);
    await k().ok(['delete', 'pod', 'lonely', '--wait=true']);
  });
});
