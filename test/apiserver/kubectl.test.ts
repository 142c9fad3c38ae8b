// The API server against the real kubectl 1.32: each test gets its own server (port 0), state directory,
// kubeconfig and --cache-dir.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createEventRecorder } from '../../src/apiserver/events.js';
import type { Registry } from '../../src/apiserver/registry.js';
import { FakeClock } from '../../src/util/clock.js';
import { pod } from './helpers.js';
import { type KubectlEnv, kubectlEnv, SKIP_KUBECTL } from './kubectl-env.js';

async function withEnv(
  f: (k: KubectlEnv) => Promise<void>,
  options: { dispatcher?: boolean } = {},
): Promise<void> {
  const k = await kubectlEnv(options);
  try {
    await f(k);
  } finally {
    await k.close();
  }
}

/** A pod as a kubelet would have reported it: scheduled, Running, Ready. */
async function runningPod(reg: Registry, name: string, extra: Record<string, unknown> = {}): Promise<void> {
  const body = pod(name, extra) as { spec: Record<string, unknown> };
  body.spec.nodeName = 'local';
  const created = await reg.create('pods', 'default', body);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const containers = (created.spec as { containers: Array<{ name: string; image: string }> }).containers;
  await reg.updateStatus('pods', 'default', name, {
    ...created,
    status: {
      phase: 'Running',
      hostIP: '127.0.0.1',
      podIP: '10.88.0.2',
      startTime: now,
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: '',
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: now } },
      })),
    },
  });
}

const MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  greeting: hello
---
apiVersion: v1
kind: Pod
metadata:
  name: demo
  labels:
    app: demo
spec:
  initContainers:
  - name: setup
    image: busybox
    command: ["sh", "-c", "echo setup"]
  containers:
  - name: main
    image: busybox
    command: ["sh", "-c", "sleep 3600"]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dep
spec:
  replicas: 1
  selector:
    matchLabels:
      app: dep
  template:
    metadata:
      labels:
        app: dep
    spec:
      containers:
      - name: c
        image: nginx
`;

describe('kubectl get', { skip: SKIP_KUBECTL }, () => {
  test('get pods prints the server-side table; -o wide adds the priority-1 columns', () =>
    withEnv(async (k) => {
      await runningPod(k.t.registry, 'web');
      const res = await k.run(['get', 'pods']);
      assert.equal(res.code, 0, res.stderr);
      const lines = res.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
      assert.match(lines[1]!, /^web\s+1\/1\s+Running\s+0\s+\d+s$/);
      const wide = await k.run(['get', 'pods', '-o', 'wide']);
      assert.match(
        wide.stdout,
        /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES\n/,
      );
      assert.match(wide.stdout, /web\s+1\/1\s+Running\s+0\s+\d+s\s+10\.88\.0\.2\s+local\s+<none>\s+<none>/);
    }));

  test('get -o yaml, -o json and -o name print the objects', () =>
    withEnv(async (k) => {
      await runningPod(k.t.registry, 'web');
      const yaml = await k.run(['get', 'pod', 'web', '-o', 'yaml']);
      assert.equal(yaml.code, 0, yaml.stderr);
      assert.match(yaml.stdout, /^apiVersion: v1\nkind: Pod\n/);
      assert.match(yaml.stdout, /\n {2}name: web\n/);
      const json = await k.run(['get', 'pods', '-o', 'json']);
      const parsed = JSON.parse(json.stdout);
      assert.equal(parsed.items[0].metadata.name, 'web');
      assert.equal(parsed.items[0].kind, 'Pod');
      const name = await k.run(['get', 'pods', '-o', 'name']);
      assert.equal(name.stdout, 'pod/web\n');
    }));

  test('get -A shows the NAMESPACE column; -l and --show-labels filter and show labels', () =>
    withEnv(async (k) => {
      await runningPod(k.t.registry, 'web');
      await k.t.registry.create('configmaps', 'kube-system', {
        metadata: { name: 'sys', labels: { tier: 'x' } },
      });
      const all = await k.run(['get', 'configmaps', '-A']);
      assert.match(all.stdout, /^NAMESPACE\s+NAME\s+DATA\s+AGE\n/);
      assert.match(all.stdout, /kube-system\s+sys\s+0\s+\d+s/);
      const labeled = await k.run(['get', 'pods', '-l', 'app=web', '--show-labels']);
      assert.match(labeled.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+LABELS\n/);
      assert.match(labeled.stdout, /web\s+.*app=web\n/);
      const none = await k.run(['get', 'pods', '-l', 'app=other']);
      assert.equal(none.code, 0);
      assert.match(none.stderr, /No resources found in default namespace\./);
    }));

  test('the kubectl dispatcher on PATH reads /version and serves short names and get all', () =>
    withEnv(
      async (k) => {
        const version = await k.run(['version']);
        assert.equal(version.code, 0, version.stderr);
        assert.match(version.stdout, /Client Version: v1\.32\.\d+/);
        assert.match(version.stdout, /Server Version: v1\.32\.0-podrun\n/);
        await runningPod(k.t.registry, 'web');
        const po = await k.run(['get', 'po']);
        assert.match(po.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\nweb\s+1\/1\s+Running/);
        await k.t.registry.create('deployments.apps', 'default', {
          metadata: { name: 'api' },
          spec: {
            selector: { matchLabels: { app: 'api' } },
            template: {
              metadata: { labels: { app: 'api' } },
              spec: { containers: [{ name: 'c', image: 'nginx' }] },
            },
          },
        });
        const deploy = await k.run(['get', 'deploy']);
        assert.match(
          deploy.stdout,
          /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\napi\s+0\/1\s+0\s+0\s+\d+s\n$/,
        );
        const all = await k.run(['get', 'all']);
        assert.equal(all.code, 0, all.stderr);
        assert.match(all.stdout, /pod\/web\s+1\/1\s+Running/);
        assert.match(all.stdout, /deployment\.apps\/api\s+0\/1/);
      },
      { dispatcher: true },
    ));

  test('get pod X -w prints the pod, then its changes', () =>
    withEnv(async (k) => {
      await runningPod(k.t.registry, 'web');
      const w = k.spawnLong(['get', 'pod', 'web', '-w']);
      await w.waitFor(/web\s+1\/1\s+Running\s+0/);
      // The line above comes from the GET; wait for kubectl's watch (rv=0, whose first event it does not
      // print) before the change, or the change would be that unprinted first event.
      for (let i = 0; i < 200 && k.t.server.activeWatches() === 0; i++)
        await new Promise((r) => setTimeout(r, 25));
      assert.equal(k.t.server.activeWatches(), 1);
      const live = await k.t.registry.get('pods', 'default', 'web');
      const status = structuredClone(live.status) as { containerStatuses: Array<{ restartCount: number }> };
      status.containerStatuses[0]!.restartCount = 1;
      await k.t.registry.updateStatus('pods', 'default', 'web', { ...live, status });
      await w.waitFor(/web\s+1\/1\s+Running\s+1 /);
      w.kill();
      await w.exited;
    }));

  test('explain walks the OpenAPI schemas (field names and types, no descriptions)', () =>
    withEnv(async (k) => {
      const res = await k.run(['explain', 'deployment.spec.strategy']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /KIND:\s+Deployment\n/);
      assert.match(res.stdout, /FIELD: strategy <DeploymentStrategy>/);
      assert.match(res.stdout, /rollingUpdate\t<RollingUpdateDeployment>/);
    }));

  test('get of a missing pod prints NotFound', () =>
    withEnv(async (k) => {
      const res = await k.run(['get', 'pod', 'nope']);
      assert.equal(res.code, 1);
      assert.equal(res.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
    }));

  test('get pods -w prints a new pod as it is created', () =>
    withEnv(async (k) => {
      await runningPod(k.t.registry, 'web');
      const w = k.spawnLong(['get', 'pods', '-w']);
      await w.waitFor(/web\s+1\/1\s+Running/);
      await k.t.registry.create('pods', 'default', pod('new1'));
      await w.waitFor(/new1\s+0\/1\s+Pending\s+0\s+\d+s/);
      w.kill();
      await w.exited;
    }));

  test('get events shows what the recorder wrote', () =>
    withEnv(async (k) => {
      await runningPod(k.t.registry, 'web');
      const p = await k.t.registry.get('pods', 'default', 'web');
      const rec = createEventRecorder(k.t.registry, { component: 'kubelet', host: 'local' });
      rec.event(
        { kind: 'Pod', namespace: 'default', name: 'web', uid: p.metadata.uid!, apiVersion: 'v1' },
        'Normal',
        'Started',
        'Started container app',
      );
      await rec.flush();
      const res = await k.run(['get', 'events']);
      assert.match(res.stdout, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
      assert.match(res.stdout, /\d+s\s+Normal\s+Started\s+pod\/web\s+Started container app\n/);
    }));
});

describe('kubectl describe and wait', { skip: SKIP_KUBECTL }, () => {
  test('describe pod lists de-duplicated events as (x2 over …)', () =>
    withEnv(async (k) => {
      await runningPod(k.t.registry, 'web');
      const p = await k.t.registry.get('pods', 'default', 'web');
      const clock = new FakeClock(Date.now() - 120_000);
      const rec = createEventRecorder(k.t.registry, { component: 'kubelet', host: 'local', clock });
      const ref = {
        kind: 'Pod',
        namespace: 'default',
        name: 'web',
        uid: p.metadata.uid!,
        apiVersion: 'v1',
        fieldPath: 'spec.containers{app}',
      };
      rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container app');
      clock.set(Date.now() - 10_000);
      rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container app');
      rec.event(ref, 'Normal', 'Started', 'Started container app');
      await rec.flush();
      const res = await k.run(['describe', 'pod', 'web']);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /^Name:\s+web\n/);
      assert.match(res.stdout, /Status:\s+Running\n/);
      assert.match(res.stdout, /Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/);
      assert.match(
        res.stdout,
        /Warning\s+BackOff\s+\d+s \(x2 over 2m(\d+s)?\)\s+kubelet\s+Back-off restarting failed container app/,
      );
      assert.match(res.stdout, /Normal\s+Started\s+\d+s\s+kubelet\s+Started container app/);
    }));

  test('wait --for=condition=Ready returns once the status says Ready', () =>
    withEnv(async (k) => {
      const reg = k.t.registry;
      await reg.create(
        'pods',
        'default',
        pod('slow', { spec: { nodeName: 'local', containers: [{ name: 'app', image: 'busybox' }] } }),
      );
      const w = k.spawnLong(['wait', '--for=condition=Ready', 'pod/slow', '--timeout=20s']);
      await new Promise((r) => setTimeout(r, 500));
      const live = await reg.get('pods', 'default', 'slow');
      await reg.updateStatus('pods', 'default', 'slow', {
        ...live,
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
      });
      const res = await w.exited;
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'pod/slow condition met\n');
    }));
});

describe('kubectl apply', { skip: SKIP_KUBECTL }, () => {
  test('apply creates, re-applies unchanged, configures changes, and applies server-side', () =>
    withEnv(async (k) => {
      const file = await k.writeFile('app.yaml', MANIFEST);
      const first = await k.run(['apply', '-f', file]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, 'configmap/cfg created\npod/demo created\ndeployment.apps/dep created\n');
      const again = await k.run(['apply', '-f', file]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(
        again.stdout,
        'configmap/cfg unchanged\npod/demo unchanged\ndeployment.apps/dep unchanged\n',
      );
      await k.writeFile(
        'app.yaml',
        MANIFEST.replace('greeting: hello', 'greeting: bye').replace('image: nginx', 'image: nginx:2'),
      );
      const changed = await k.run(['apply', '-f', file]);
      assert.equal(changed.code, 0, changed.stderr);
      assert.equal(
        changed.stdout,
        'configmap/cfg configured\npod/demo unchanged\ndeployment.apps/dep configured\n',
      );
      const cm = await k.t.registry.get('configmaps', 'default', 'cfg');
      assert.deepEqual(cm.data, { greeting: 'bye' });
      const dep = await k.t.registry.get('deployments.apps', 'default', 'dep');
      assert.equal(dep.metadata.generation, 2);
      const ssa = await k.run(['apply', '--server-side', '-f', file]);
      assert.equal(ssa.code, 0, ssa.stderr);
      assert.equal(
        ssa.stdout,
        'configmap/cfg serverside-applied\npod/demo serverside-applied\ndeployment.apps/dep serverside-applied\n',
      );
    }));

  test('apply of a ServiceAccount stores it; get sa prints NAME SECRETS AGE; an unknown field is refused', () =>
    withEnv(async (k) => {
      const file = await k.writeFile(
        'sa.yaml',
        'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: builder\nimagePullSecrets:\n- name: pull\nsecrets:\n- name: s\nautomountServiceAccountToken: false\n',
      );
      const res = await k.run(['apply', '-f', file]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'serviceaccount/builder created\n');
      const got = await k.run(['get', 'sa', 'builder']);
      assert.equal(got.code, 0, got.stderr);
      assert.match(got.stdout, /^NAME\s+SECRETS\s+AGE\nbuilder\s+1\s+\S+\n$/);
      const stored = (await k.t.registry.get('serviceaccounts', 'default', 'builder')) as {
        imagePullSecrets?: unknown;
        automountServiceAccountToken?: boolean;
      };
      assert.deepEqual(stored.imagePullSecrets, [{ name: 'pull' }]);
      assert.equal(stored.automountServiceAccountToken, false);
      const badFile = await k.writeFile(
        'bad.yaml',
        'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bad\nimagePullSecret: []\n',
      );
      const bad = await k.run(['apply', '-f', badFile]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /imagePullSecret/);
    }));

  test('apply of a v1 List creates its items, and the server still refuses an unknown field in one', () =>
    withEnv(async (k) => {
      const list = (extra: string) =>
        `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n  data:\n    x: "1"\n${extra}`;
      const file = await k.writeFile('list.yaml', list(''));
      const res = await k.run(['apply', '-f', file]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'configmap/a created\n');
      await k.writeFile(
        'list.yaml',
        list(
          '- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n  spec:\n    containers:\n    - name: c\n      image: busybox\n      imagee: x\n',
        ),
      );
      const bad = await k.run(['apply', '-f', file]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /strict decoding error: unknown field "spec\.containers\[0\]\.imagee"/);
    }));

  test('apply --server-side creates missing objects', () =>
    withEnv(async (k) => {
      const file = await k.writeFile('app.yaml', MANIFEST);
      const res = await k.run(['apply', '--server-side', '-f', file]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(
        res.stdout,
        'configmap/cfg serverside-applied\npod/demo serverside-applied\ndeployment.apps/dep serverside-applied\n',
      );
      assert.ok(await k.t.registry.find('pods', 'default', 'demo'));
    }));

  test('apply of an invalid pod prints the 422 with its field cause', () =>
    withEnv(async (k) => {
      const file = await k.writeFile(
        'bad.yaml',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n',
      );
      const res = await k.run(['apply', '-f', file]);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /The Pod "x" is invalid: spec\.containers\[0\]\.image: Required value/);
    }));

  test('apply with an unknown field is a strict decoding error', () =>
    withEnv(async (k) => {
      const file = await k.writeFile(
        'typo.yaml',
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - name: c\n    imagee: busybox\n    image: busybox\n',
      );
      const res = await k.run(['apply', '-f', file]);
      assert.equal(res.code, 1);
      assert.match(
        res.stderr,
        /Error from server \(BadRequest\): error when creating ".*typo\.yaml": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec\.containers\[0\]\.imagee"/,
      );
    }));

  test('replace with a stale resourceVersion is refused with 409 Conflict', () =>
    withEnv(async (k) => {
      const v1 = await k.t.registry.create('configmaps', 'default', {
        metadata: { name: 'cfg' },
        data: { a: '1' },
      });
      await k.t.registry.update('configmaps', 'default', 'cfg', { ...v1, data: { a: '2' } });
      const file = await k.writeFile('old.json', JSON.stringify({ ...v1, data: { a: '3' } }));
      const res = await k.run(['replace', '-f', file]);
      assert.equal(res.code, 1);
      assert.match(
        res.stderr,
        /Error from server \(Conflict\): error when replacing ".*old\.json": Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again/,
      );
    }));
});

describe('kubectl create, scale and namespaces', { skip: SKIP_KUBECTL }, () => {
  test('create subcommands, whose typed clients send protobuf bodies, create their objects', () =>
    withEnv(async (k) => {
      for (const [args, out] of [
        [['create', 'configmap', 'c', '--from-literal=a=b'], 'configmap/c created'],
        [['create', 'secret', 'generic', 's', '--from-literal=a=b'], 'secret/s created'],
        [['create', 'deployment', 'd', '--image=nginx', '--replicas=0'], 'deployment.apps/d created'],
        [['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'], 'job.batch/j created'],
        [['create', 'service', 'clusterip', 'svc', '--tcp=80:8080'], 'service/svc created'],
      ] as const) {
        const res = await k.run([...args]);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stdout, `${out}\n`);
      }
      assert.deepEqual((await k.t.registry.get('configmaps', 'default', 'c')).data, { a: 'b' });
      assert.deepEqual((await k.t.registry.get('secrets', 'default', 's')).data, { a: 'Yg==' });
      const dep = await k.t.registry.get('deployments.apps', 'default', 'd');
      assert.equal((dep.spec as { replicas: number }).replicas, 0);
      const job = await k.t.registry.get('jobs.batch', 'default', 'j');
      assert.deepEqual(
        (job.spec as { template: { spec: { containers: Array<{ command: string[] }> } } }).template.spec
          .containers[0]!.command,
        ['echo', 'hi'],
      );
    }));

  test("scale sets a deployment's replicas through the scale subresource", () =>
    withEnv(async (k) => {
      const file = await k.writeFile('app.yaml', MANIFEST);
      assert.equal((await k.run(['apply', '-f', file])).code, 0);
      const res = await k.run(['scale', 'deployment/dep', '--replicas=3']);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'deployment.apps/dep scaled\n');
      const dep = await k.t.registry.get('deployments.apps', 'default', 'dep');
      assert.equal((dep.spec as { replicas: number }).replicas, 3);
    }));

  test('delete namespace empties it and waits until it is gone', () =>
    withEnv(async (k) => {
      assert.equal((await k.run(['create', 'namespace', 'team'])).code, 0);
      const file = await k.writeFile('app.yaml', MANIFEST);
      const applied = await k.run(['apply', '-n', 'team', '-f', file]);
      assert.equal(applied.code, 0, applied.stderr);
      const res = await k.run(['delete', 'namespace', 'team']);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'namespace "team" deleted\n');
      assert.equal(await k.t.registry.find('namespaces', undefined, 'team'), undefined);
      assert.equal((await k.t.registry.list('pods', 'team')).items.length, 0);
      const gone = await k.run(['get', 'configmaps', '-n', 'team']);
      assert.match(gone.stderr, /No resources found in team namespace\./);
    }));
});

describe('kubectl delete', { skip: SKIP_KUBECTL }, () => {
  test('delete of an unscheduled pod returns once it is gone', () =>
    withEnv(async (k) => {
      await k.t.registry.create('pods', 'default', pod('web'));
      const res = await k.run(['delete', 'pod', 'web']);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'pod "web" deleted\n');
      assert.equal(await k.t.registry.find('pods', 'default', 'web'), undefined);
    }));

  test('delete of a scheduled pod waits until the kubelet finalizes it', () =>
    withEnv(async (k) => {
      const reg = k.t.registry;
      await runningPod(reg, 'web');
      // The kubelet's part: once the pod carries a deletionTimestamp, stop it and delete with grace 0.
      const kubelet = await reg.watch('pods', 'default', { resourceVersion: '0' }, (ev) => {
        if (ev.type === 'MODIFIED' && ev.object.metadata.deletionTimestamp) {
          setTimeout(() => {
            void reg.delete('pods', 'default', 'web', {
              gracePeriodSeconds: 0,
              preconditions: { uid: ev.object.metadata.uid! },
            });
          }, 300);
        }
      });
      const res = await k.run(['delete', 'pod', 'web']);
      kubelet.stop();
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'pod "web" deleted\n');
      assert.equal(await reg.find('pods', 'default', 'web'), undefined);
    }));

  test('delete -f removes every object of the manifest', () =>
    withEnv(async (k) => {
      const file = await k.writeFile('app.yaml', MANIFEST);
      assert.equal((await k.run(['apply', '-f', file])).code, 0);
      const res = await k.run(['delete', '-f', file]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(
        res.stdout,
        'configmap "cfg" deleted\npod "demo" deleted\ndeployment.apps "dep" deleted\n',
      );
    }));
});

describe('kubectl logs', { skip: SKIP_KUBECTL }, () => {
  test('logs with -c, --tail and --timestamps, and the --previous error', () =>
    withEnv(async (k) => {
      await runningPod(k.t.registry, 'web', {
        spec: {
          containers: [
            { name: 'app', image: 'busybox' },
            { name: 'side', image: 'busybox' },
          ],
        },
      });
      k.t.logs.lines.set('web/app', ['app 1', 'app 2', 'app 3']);
      k.t.logs.lines.set('web/side', ['side 1']);
      const def = await k.run(['logs', 'web']);
      assert.equal(def.code, 0, def.stderr);
      assert.equal(def.stdout, 'app 1\napp 2\napp 3\n');
      assert.match(def.stderr, /Defaulted container "app" out of: app, side/);
      const side = await k.run(['logs', 'web', '-c', 'side']);
      assert.equal(side.stdout, 'side 1\n');
      const tail = await k.run(['logs', 'web', '-c', 'app', '--tail=2', '--timestamps']);
      assert.equal(
        tail.stdout,
        '2026-01-01T12:00:00.000000000Z app 2\n2026-01-01T12:00:00.000000000Z app 3\n',
      );
      assert.deepEqual(k.t.logs.calls.at(-1)?.options, { container: 'app', tailLines: 2, timestamps: true });
      const prev = await k.run(['logs', 'web', '-c', 'side', '--previous']);
      assert.equal(prev.code, 1);
      assert.equal(
        prev.stderr.trim(),
        'Error from server (BadRequest): previous terminated container "side" in pod "web" not found',
      );
    }));

  test('logs -f streams new lines and exits 0 when the container stops', () =>
    withEnv(async (k) => {
      await runningPod(k.t.registry, 'web');
      k.t.logs.lines.set('web/app', ['first']);
      const f = k.spawnLong(['logs', 'web', '-f']);
      await f.waitFor('first\n');
      k.t.logs.push('web/app', 'second');
      await f.waitFor('second\n');
      k.t.logs.push('web/app', undefined);
      const res = await f.exited;
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'first\nsecond\n');
    }));
});

describe('kubectl authentication', { skip: SKIP_KUBECTL }, () => {
  test('a kubeconfig with the wrong token is refused as Unauthorized', () =>
    withEnv(async (k) => {
      const { readFile, writeFile } = await import('node:fs/promises');
      const config = await readFile(k.kubeconfig, 'utf8');
      await writeFile(k.kubeconfig, config.replace(k.t.server.token, 'wrong-token'));
      const res = await k.run(['get', 'pods']);
      assert.equal(res.code, 1);
      // client-go's discovery words a 401 this way (as against a real API server).
      assert.match(
        res.stderr,
        /error: You must be logged in to the server \(the server has asked for the client to provide credentials\)/,
      );
    }));
});
