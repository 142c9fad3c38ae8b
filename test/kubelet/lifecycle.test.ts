// Single-pod timelines: crash-loop backoff, activeDeadlineSeconds, config errors, image pulls, OOM kills and
// postStart hooks, with the kubelet's reasons, messages and events.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from '../../src/api/types.js';
import { LABEL_POD_UID } from '../../src/runtime/types.js';
import { container, T0, UID } from './fixtures.js';
import { Harness } from './harness.js';

function pod(apps: Container[], extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: UID },
    spec: { restartPolicy: 'Always', containers: apps, ...extra },
    status: { phase: 'Pending' },
  };
}

/** Seconds waited before each restart: start time minus the previous instance's exit. */
function restartWaits(h: Harness, name: string): number[] {
  const exits = h.runtime.exits.filter((e) => e.name === name);
  const starts = h.times('startContainer', name);
  return starts.slice(1).map((start, n) => (start - (exits[n]!.at - T0)) / 1000);
}

describe('crash-loop backoff in a running kubelet', () => {
  it('restarts wait 0, 10, 20, 40, 80, 160, 300, 300 s and the status says CrashLoopBackOff', async () => {
    const h = new Harness({ scripts: { app: { exitAfterMs: 1000, exitCode: 1 } } });
    await h.run(pod([container('app')]));
    await h.advance(1_000_000);
    assert.deepEqual(restartWaits(h, 'app').slice(0, 8), [0, 10, 20, 40, 80, 160, 300, 300]);
    const waiting = h.statuses
      .get(UID)!
      .map((s) => s.containerStatuses?.[0]?.state?.waiting?.message)
      .filter(Boolean);
    assert.ok(waiting.includes('back-off 1m20s restarting failed container=app pod=web_default(uid-1)'));
    assert.ok(waiting.includes('back-off 5m0s restarting failed container=app pod=web_default(uid-1)'));
    const backOff = h.eventsOf('BackOff')[0]!;
    assert.deepEqual(
      [backOff.type, backOff.message, backOff.fieldPath],
      [
        'Warning',
        'Back-off restarting failed container app in pod web_default(uid-1)',
        'spec.containers{app}',
      ],
    );
    await h.stop();
  });

  it('the backoff resets when the container ran longer than 10 minutes before failing', async () => {
    const h = new Harness({
      scripts: { app: ({ attempt }) => ({ exitAfterMs: attempt === 4 ? 11 * 60_000 : 1000, exitCode: 1 }) },
    });
    await h.run(pod([container('app')]));
    await h.advance(1_000_000);
    assert.deepEqual(restartWaits(h, 'app').slice(0, 7), [0, 10, 20, 40, 0, 10, 20]);
    await h.stop();
  });

  it('the initial delay and the cap come from the kubelet config', async () => {
    const h = new Harness({
      scripts: { app: { exitAfterMs: 100, exitCode: 1 } },
      config: { crashLoopBackOff: { initialMs: 1000, maxMs: 4000, resetAfterMs: 600_000 } },
    });
    await h.run(pod([container('app')]));
    await h.advance(30_000, 100);
    assert.deepEqual(restartWaits(h, 'app').slice(0, 6), [0, 1, 2, 4, 4, 4]);
    await h.stop();
  });
});

describe('activeDeadlineSeconds', () => {
  it('a pod active longer than its deadline is killed and Failed with DeadlineExceeded, even during init', async () => {
    const h = new Harness({ scripts: { init1: { onSigterm: { exitCode: 143 } } } });
    await h.run(pod([container('app')], { activeDeadlineSeconds: 30, initContainers: [container('init1')] }));
    const s = await h.until(UID, (st) => st.phase === 'Failed', 60_000, 100);
    assert.equal(
      Date.parse(s.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime!) - T0 >= 0,
      true,
    );
    assert.deepEqual(
      [s.reason, s.message],
      ['DeadlineExceeded', 'Pod was active on the node longer than the specified deadline'],
    );
    assert.deepEqual(h.times('stopContainer', 'init1'), [30_000]);
    await h.advance(60_000);
    assert.equal(h.latest(UID)!.phase, 'Failed');
    assert.equal(h.latest(UID)!.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 143);
    assert.deepEqual(h.calls('startContainer'), ['startContainer init1']);
    await h.stop();
  });
});

describe('container start failures', () => {
  it('a missing ConfigMap key waits with CreateContainerConfigError until the key exists, then the pod starts', async () => {
    const h = new Harness();
    const app = container('app', {
      env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } }],
    });
    await h.run(pod([app]));
    await h.advance(1000);
    const waiting = h.latest(UID)!.containerStatuses?.[0]?.state?.waiting;
    assert.deepEqual(waiting, { reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' });
    assert.ok(h.eventsOf('Failed').some((e) => e.message === 'Error: configmap "cfg" not found'));
    h.configMaps.set('default/cfg', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      data: { mode: 'fast' },
    });
    const s = await h.until(UID, (st) => st.phase === 'Running', 30_000);
    assert.ok(s.containerStatuses?.[0]?.state?.running);
    const id = s.containerStatuses![0]!.containerID!.replace('fake://', '');
    assert.deepEqual(h.runtime.configOf(id).envs, [{ name: 'MODE', value: 'fast' }]);
    await h.stop();
  });

  it('an image that fails to pull shows ErrImagePull, then ImagePullBackOff, retried with its own backoff', async () => {
    const h = new Harness({ pullErrors: { 'web:2': 'pull access denied for web' } });
    await h.run(pod([container('app', { image: 'web:2' })]));
    assert.deepEqual(h.latest(UID)!.containerStatuses?.[0]?.state?.waiting, {
      reason: 'ErrImagePull',
      message: 'pull access denied for web',
    });
    await h.advance(25_000);
    assert.deepEqual(h.latest(UID)!.containerStatuses?.[0]?.state?.waiting, {
      reason: 'ImagePullBackOff',
      // Recent kubelets add the last pull's error to the waiting message (not to the BackOff event).
      message: 'Back-off pulling image "web:2": ErrImagePull: pull access denied for web',
    });
    await h.advance(50_000);
    // Retried every 10 s (the sync error period); a pull only happens once the 10 s, 20 s, 40 s backoff passed.
    assert.deepEqual(h.times('pullImage', 'web:2'), [0, 10_000, 30_000, 70_000]);
    const reasons = h.events.filter((e) => e.at === 0).map((e) => `${e.type} ${e.reason}: ${e.message}`);
    assert.deepEqual(reasons, [
      'Normal Pulling: Pulling image "web:2"',
      'Warning Failed: Failed to pull image "web:2": pull access denied for web',
      'Warning Failed: Error: ErrImagePull',
    ]);
    assert.ok(h.events.some((e) => e.reason === 'BackOff' && e.message === 'Back-off pulling image "web:2"'));
    delete h.runtime.pullErrors['web:2'];
    const s = await h.until(UID, (st) => st.phase === 'Running', 120_000);
    // The runtime reports the image's normalised name, as containerd does.
    assert.equal(s.containerStatuses?.[0]?.image, 'docker.io/library/web:2');
    assert.ok(
      h.events.some(
        (e) => e.reason === 'Pulled' && e.message.startsWith('Successfully pulled image "web:2" in '),
      ),
    );
    await h.stop();
  });

  it('imagePullPolicy Never with a missing image waits with ErrImageNeverPull', async () => {
    const h = new Harness();
    await h.run(pod([container('app', { image: 'local:1', imagePullPolicy: 'Never' })]));
    assert.deepEqual(h.latest(UID)!.containerStatuses?.[0]?.state?.waiting, {
      reason: 'ErrImageNeverPull',
      message: 'Container image "local:1" is not present with pull policy of Never',
    });
    assert.deepEqual(h.calls('pullImage'), []);
    await h.stop();
  });

  it('imagePullPolicy Always pulls on every start; IfNotPresent uses the image already present', async () => {
    const h = new Harness({ scripts: { a: { exitAfterMs: 100, exitCode: 1 } } });
    await h.run(pod([container('a', { imagePullPolicy: 'Always' }), container('b')]));
    await h.advance(15_000);
    assert.deepEqual(h.calls('pullImage'), [
      'pullImage busybox:1.36',
      'pullImage busybox:1.36',
      'pullImage busybox:1.36',
    ]);
    assert.ok(
      h.events.some(
        (e) =>
          e.fieldPath === 'spec.containers{b}' &&
          e.message === 'Container image "busybox:1.36" already present on machine',
      ),
    );
    await h.stop();
  });

  it('a start failure reports RunContainerError and the instance ends StartError (128)', async () => {
    const h = new Harness({
      scripts: { app: { failStart: 'exec: "nope": executable file not found in $PATH' } },
    });
    await h.run(pod([container('app')]));
    const waits = h.history(UID, (st) => st.containerStatuses?.[0]?.state?.waiting);
    assert.deepEqual(waits[0], {
      reason: 'RunContainerError',
      message: 'exec: "nope": executable file not found in $PATH',
    });
    // Then it is restarted like a crashed container, under crash-loop backoff.
    const s = h.latest(UID)!.containerStatuses![0]!;
    assert.equal(s.state?.waiting?.reason, 'CrashLoopBackOff');
    assert.deepEqual(
      [s.lastState?.terminated?.exitCode, s.lastState?.terminated?.reason],
      [128, 'StartError'],
    );
    await h.stop();
  });

  it('an OOMKilled init container is restarted under OnFailure with OOMKilled in lastState', async () => {
    const h = new Harness({
      scripts: {
        init1: ({ attempt }) => (attempt === 0 ? { exitAfterMs: 500, oom: true } : { exitAfterMs: 500 }),
      },
    });
    await h.run(
      pod([container('app')], { restartPolicy: 'OnFailure', initContainers: [container('init1')] }),
    );
    const s = await h.until(UID, (st) => st.phase === 'Running');
    assert.equal(s.initContainerStatuses![0]!.restartCount, 1);
    const last = h.history(UID, (st) => st.initContainerStatuses?.[0]?.lastState?.terminated?.reason);
    assert.ok(last.includes('OOMKilled'), JSON.stringify(last));
    await h.stop();
  });

  it('an OOMKilled init container fails the pod under Never', async () => {
    const h = new Harness({ scripts: { init1: { exitAfterMs: 500, oom: true } } });
    await h.run(pod([container('app')], { restartPolicy: 'Never', initContainers: [container('init1')] }));
    const s = await h.until(UID, (st) => st.phase === 'Failed');
    assert.equal(s.initContainerStatuses?.[0]?.state?.terminated?.reason, 'OOMKilled');
    assert.deepEqual(h.calls('startContainer'), ['startContainer init1']);
    await h.stop();
  });
});

describe('postStart hooks', () => {
  it('a slow postStart hook on one app container delays the start of the next', async () => {
    const h = new Harness();
    (h.runtime as unknown as { execSync: () => Promise<unknown> }).execSync = async () => {
      await h.clock.sleep(5000);
      return { exitCode: 0, stdout: '', stderr: '', timedOut: false };
    };
    const first = container('first', {
      lifecycle: { postStart: { exec: { command: ['sh', '-c', 'sleep 5'] } } },
    });
    await h.run(pod([first, container('second')]));
    await h.advance(10_000);
    assert.deepEqual(
      [h.times('startContainer', 'first'), h.times('startContainer', 'second')],
      [[0], [5000]],
    );
    await h.stop();
  });

  it('a failed postStart hook kills the container and waits with PostStartHookError', async () => {
    const h = new Harness({
      exec: () => ({ exitCode: 1, stdout: '', stderr: 'boom', timedOut: false }),
      scripts: { app: { onSigterm: { exitCode: 143 } } },
    });
    const app = container('app', { lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 1'] } } } });
    await h.run(pod([app]));
    const reasons = h.history(UID, (st) => st.containerStatuses?.[0]?.state?.waiting?.reason);
    assert.equal(reasons[0], 'PostStartHookError');
    assert.ok(
      h
        .eventsOf('FailedPostStartHook')
        .some((e) => e.message === 'PostStartHook failed' && e.type === 'Warning'),
    );
    assert.ok(h.eventsOf('Killing').some((e) => e.message === 'FailedPostStartHook'));
    assert.equal(h.runtime.running().length, 0);
    await h.stop();
  });
});

describe('events', () => {
  it('a container start records Pulled, Created and Started against the container field path', async () => {
    const h = new Harness();
    await h.run(pod([container('app')], { initContainers: [container('init1', { image: 'init:1' })] }));
    await h.advance(1000);
    const lines = h.events.map((e) => `${e.type} ${e.reason} ${e.fieldPath}: ${e.message}`);
    assert.deepEqual(lines.slice(0, 4), [
      'Normal Pulling spec.initContainers{init1}: Pulling image "init:1"',
      'Normal Pulled spec.initContainers{init1}: Successfully pulled image "init:1" in 0s (0s including waiting). Image size: 1024 bytes.',
      'Normal Created spec.initContainers{init1}: Created container: init1',
      'Normal Started spec.initContainers{init1}: Started container init1',
    ]);
    assert.ok(h.runtime.instances().every((i) => i.labels[LABEL_POD_UID] === UID));
    await h.stop();
  });
});
