// Native sidecar cases of the e2e "Containers Lifecycle" suite (test/e2e_node/container_lifecycle_test.go),
// run with the real prober and hook handlers on the fake runtime.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Container, Pod } from '../../src/api/types.js';
import type { ExecResult } from '../../src/runtime/types.js';
import { container, sidecar, T0, UID } from './fixtures.js';
import { Harness } from './harness.js';

const EXIT0 = (ms: number) => ({ exitAfterMs: ms, exitCode: 0 });
const ok: ExecResult = { exitCode: 0, stdout: '', stderr: '', timedOut: false };

function pod(
  restartPolicy: 'Never' | 'OnFailure' | 'Always',
  inits: Container[],
  apps: Container[] = [container('r')],
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'sc', namespace: 'default', uid: UID },
    spec: { restartPolicy, terminationGracePeriodSeconds: 30, initContainers: inits, containers: apps },
    status: { phase: 'Pending' },
  };
}

function deleted(p: Pod, at: number, grace = 30): Pod {
  return {
    ...p,
    metadata: {
      ...p.metadata,
      deletionTimestamp: new Date(at).toISOString(),
      deletionGracePeriodSeconds: grace,
    },
  };
}

const preStop = (cmd: string) => ({ lifecycle: { preStop: { exec: { command: ['sh', '-c', cmd] } } } });

describe('native sidecars', () => {
  it('init containers and sidecars start serially (i1 < s1 < i2 < s2 < i3 < r) and the pod Succeeds under Never', async () => {
    const h = new Harness({
      scripts: {
        i1: EXIT0(1000),
        i2: EXIT0(1000),
        i3: EXIT0(1000),
        s1: { onSigterm: { exitCode: 0 } },
        s2: { onSigterm: { exitCode: 0 } },
        r: EXIT0(5000),
      },
    });
    await h.run(
      pod('Never', [container('i1'), sidecar('s1'), container('i2'), sidecar('s2'), container('i3')]),
    );
    const s = await h.until(UID, (st) => st.phase === 'Succeeded');
    assert.deepEqual(
      h.calls('startContainer'),
      ['i1', 's1', 'i2', 's2', 'i3', 'r'].map((n) => `startContainer ${n}`),
    );
    assert.deepEqual(
      ['i1', 's1', 'i2', 's2', 'i3', 'r'].map((n) => h.times('startContainer', n)[0]),
      [0, 1000, 1000, 2000, 2000, 3000],
    );
    // Job semantics: once r is done, the sidecars are stopped, in reverse order.
    assert.deepEqual(h.calls('stopContainer'), ['stopContainer s2', 'stopContainer s1']);
    assert.deepEqual(
      s.initContainerStatuses?.map((c) => [c.name, c.state?.terminated?.exitCode, c.restartCount]),
      [
        ['i1', 0, 0],
        ['s1', 0, 0],
        ['i2', 0, 0],
        ['s2', 0, 0],
        ['i3', 0, 0],
      ],
    );
    await h.stop();
  });

  it('a sidecar that keeps exiting is restarted under Never, before and after the app starts, and the pod Succeeds', async () => {
    const h = new Harness({
      scripts: {
        i1: EXIT0(1000),
        s1: { exitAfterMs: 5000, exitCode: 1 },
        i2: EXIT0(12_000),
        r: EXIT0(40_000),
      },
    });
    await h.run(pod('Never', [container('i1'), sidecar('s1'), container('i2')]));
    const s = await h.until(UID, (st) => st.phase === 'Succeeded', 120_000);
    const starts = h.times('startContainer', 's1');
    const rStart = h.times('startContainer', 'r')[0]!;
    assert.ok(
      starts.some((t) => t < rStart && t > 1000),
      `s1 restarted before r: ${starts} vs ${rStart}`,
    );
    assert.ok(
      starts.some((t) => t > rStart),
      `s1 restarted after r: ${starts} vs ${rStart}`,
    );
    assert.ok((s.initContainerStatuses?.[1]?.restartCount ?? 0) >= 2);
    assert.equal(s.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    await h.stop();
  });

  it('sidecars stop in reverse order after the app containers when the pod is deleted', async () => {
    const h = new Harness({
      scripts: {
        s1: { onSigterm: { exitCode: 0 } },
        s2: { onSigterm: { exitCode: 0 } },
        r: { onSigterm: { exitAfterMs: 3000, exitCode: 0 } },
      },
    });
    const p = pod('Always', [sidecar('s1'), sidecar('s2')]);
    await h.run(p);
    await h.until(UID, (st) => st.phase === 'Running');
    const deletedAt = h.clock.now() - T0;
    h.kubelet.upsertPod(deleted(p, h.clock.now()));
    await h.advance(10_000);
    assert.deepEqual(h.calls('stopContainer'), ['stopContainer r', 'stopContainer s2', 'stopContainer s1']);
    // r takes 3 s to exit; only then s2 gets SIGTERM, and s1 once s2 has exited.
    assert.deepEqual(
      ['r', 's2', 's1'].map((n) => h.times('stopContainer', n)[0]! - deletedAt),
      [0, 3000, 3000],
    );
    const s = h.latest(UID)!;
    assert.deepEqual(
      s.initContainerStatuses?.map((c) => [c.state?.terminated?.exitCode, c.state?.terminated?.reason]),
      [
        [0, 'Completed'],
        [0, 'Completed'],
      ],
    );
    assert.deepEqual(h.finalized, [UID]);
    assert.deepEqual(
      h
        .eventsOf('Killing')
        .map((e) => [e.message, e.at - deletedAt, e.fieldPath])
        .sort(),
      [
        ['Stopping container r', 0, 'spec.containers{r}'],
        ['Stopping container s1', 0, 'spec.initContainers{s1}'],
        ['Stopping container s2', 0, 'spec.initContainers{s2}'],
      ],
    );
    await h.stop();
  });

  it('sidecar preStop hooks run at once, together with the app container termination', async () => {
    const execs: { name: string; at: number }[] = [];
    const h = new Harness({
      scripts: {
        s1: { onSigterm: { exitCode: 0 } },
        s2: { onSigterm: { exitCode: 0 } },
        r: { onSigterm: { exitAfterMs: 5000, exitCode: 0 } },
      },
    });
    h.runtime.scripts.r = { onSigterm: { exitAfterMs: 5000, exitCode: 0 } };
    const exec = async (name: string) => {
      execs.push({ name, at: h.clock.now() - T0 });
      await h.clock.sleep(1000);
      return ok;
    };
    (h.runtime as unknown as { execSync: (id: string, cmd: string[]) => Promise<ExecResult> }).execSync =
      async (id) => {
        const inst = h.runtime.instances().find((i) => i.id === id);
        return exec(inst?.metadata.name ?? id);
      };
    const p = pod('Always', [sidecar('s1', preStop('sleep 1')), sidecar('s2', preStop('sleep 1'))]);
    await h.run(p);
    await h.until(UID, (st) => st.phase === 'Running');
    const deletedAt = h.clock.now() - T0;
    h.kubelet.upsertPod(deleted(p, h.clock.now()));
    await h.advance(10_000);
    assert.deepEqual(execs.map((e) => e.name).sort(), ['s1', 's2']);
    assert.ok(
      execs.every((e) => e.at === deletedAt),
      JSON.stringify(execs),
    );
    // Each sidecar's SIGTERM still waits for the app container (5 s) and for the later sidecar.
    assert.deepEqual(h.calls('stopContainer'), ['stopContainer r', 'stopContainer s2', 'stopContainer s1']);
    assert.ok(h.times('stopContainer', 's2')[0]! >= deletedAt + 5000);
    await h.stop();
  });

  it('sidecars whose preStop hooks never finish are SIGKILLed together about grace+2 s after deletion (137 Error)', async () => {
    const h = new Harness({
      scripts: {
        s1: { onSigterm: 'ignore' },
        s2: { onSigterm: 'ignore' },
        r: { onSigterm: { exitCode: 0 } },
      },
    });
    (h.runtime as unknown as { execSync: () => Promise<ExecResult> }).execSync = () =>
      new Promise<ExecResult>(() => {});
    const p = pod('Never', [sidecar('s1', preStop('sleep 3600')), sidecar('s2', preStop('sleep 3600'))]);
    await h.run(p);
    await h.until(UID, (st) => st.phase === 'Running');
    const deletedAt = h.clock.now() - T0;
    h.kubelet.upsertPod(deleted(p, h.clock.now()));
    await h.advance(40_000);
    const stops = h.runtime.calls.filter((c) => c.op === 'stopContainer' && c.target.startsWith('s'));
    assert.deepEqual(stops.map((c) => [c.target, c.at - T0 - deletedAt, c.detail]).sort(), [
      ['s1', 30_000, '2'],
      ['s2', 30_000, '2'],
    ]);
    const s = h.latest(UID)!;
    for (const c of s.initContainerStatuses ?? []) {
      assert.deepEqual([c.state?.terminated?.exitCode, c.state?.terminated?.reason], [137, 'Error']);
      assert.equal(Date.parse(c.state!.terminated!.finishedAt!) - T0 - deletedAt, 32_000);
    }
    assert.equal(s.phase, 'Succeeded');
    await h.stop();
  });

  it('a regular init container failing before a sidecar fails the pod under Never and the sidecar never starts', async () => {
    const h = new Harness({ scripts: { i1: { exitAfterMs: 500, exitCode: 1 } } });
    await h.run(pod('Never', [container('i1'), sidecar('s1')]));
    const s = await h.until(UID, (st) => st.phase === 'Failed');
    assert.deepEqual(h.calls('startContainer'), ['startContainer i1']);
    assert.equal(s.initContainerStatuses?.[1]?.state?.waiting?.reason, 'PodInitializing');
    await h.stop();
  });

  it('a regular init container failing before a sidecar is restarted under OnFailure; the pod stays Pending', async () => {
    const h = new Harness({ scripts: { i1: { exitAfterMs: 500, exitCode: 1 } } });
    await h.run(pod('OnFailure', [container('i1'), sidecar('s1')]));
    const s = await h.until(UID, (st) => (st.initContainerStatuses?.[0]?.restartCount ?? 0) >= 3);
    assert.equal(s.phase, 'Pending');
    assert.ok(!h.calls('startContainer').includes('startContainer s1'));
    await h.stop();
  });

  it('a regular init container failing after a sidecar restarts alongside the running sidecar under OnFailure', async () => {
    const h = new Harness({ scripts: { i2: { exitAfterMs: 500, exitCode: 1 } } });
    await h.run(pod('OnFailure', [sidecar('s1'), container('i2')]));
    const s = await h.until(UID, (st) => (st.initContainerStatuses?.[1]?.restartCount ?? 0) >= 3);
    assert.equal(s.initContainerStatuses?.[0]?.restartCount, 0);
    assert.ok(s.initContainerStatuses?.[0]?.state?.running);
    assert.equal(s.phase, 'Pending');
    await h.stop();
  });

  it('a regular init container failing after a sidecar fails the pod under Never and the sidecar is killed', async () => {
    const h = new Harness({
      scripts: { i2: { exitAfterMs: 500, exitCode: 1 }, s1: { onSigterm: { exitCode: 0 } } },
    });
    await h.run(pod('Never', [sidecar('s1'), container('i2')]));
    await h.until(UID, (st) => st.phase === 'Failed');
    await h.advance(5000);
    assert.deepEqual(h.calls('stopContainer'), ['stopContainer s1']);
    assert.ok(h.latest(UID)!.initContainerStatuses?.[0]?.state?.terminated);
    await h.stop();
  });

  it('a failing startup probe kills the sidecar (preStop called), restarts it, and the next init container never starts', async () => {
    const cmds: string[] = [];
    const h = new Harness({
      scripts: { i1: EXIT0(500) },
      exec: (name, cmd) => {
        cmds.push(`${name}: ${cmd.join(' ')}`);
        return { ...ok, exitCode: cmd.includes('startup') ? 1 : 0 };
      },
    });
    const s1 = sidecar('s1', {
      startupProbe: { exec: { command: ['check', 'startup'] }, periodSeconds: 1, failureThreshold: 2 },
      ...preStop('cleanup'),
    });
    await h.run(pod('Always', [container('i1'), s1, container('i2')]));
    const s = await h.until(UID, (st) => (st.initContainerStatuses?.[1]?.restartCount ?? 0) >= 2, 120_000);
    assert.equal(s.phase, 'Pending');
    assert.ok(!h.calls('startContainer').includes('startContainer i2'));
    assert.ok(h.eventsOf('Killing').some((e) => e.message === 'Init container s1 failed startup probe'));
    assert.ok(cmds.includes('s1: sh -c cleanup'), cmds.join('\n'));
    assert.equal(s.initContainerStatuses?.[1]?.started, false);
    await h.stop();
  });

  it('sidecars with startup probes start serially: the next init container waits for the probe to succeed', async () => {
    let startupOk = false;
    const h = new Harness({
      scripts: { i1: EXIT0(500) },
      exec: (_name, cmd) => ({ ...ok, exitCode: cmd.includes('startup') && !startupOk ? 1 : 0 }),
    });
    const s1 = sidecar('s1', {
      startupProbe: { exec: { command: ['check', 'startup'] }, periodSeconds: 1, failureThreshold: 100 },
    });
    await h.run(pod('Always', [container('i1'), s1, container('i2')]));
    await h.advance(10_000);
    assert.ok(!h.calls('startContainer').includes('startContainer i2'));
    startupOk = true;
    await h.advance(3000);
    assert.ok(h.calls('startContainer').includes('startContainer i2'));
    await h.stop();
  });

  it('a failing sidecar liveness probe restarts the sidecar and the app container still starts', async () => {
    const h = new Harness({
      exec: (_name, cmd) => ({ ...ok, exitCode: cmd.includes('alive') ? 1 : 0 }),
      scripts: { s1: { onSigterm: { exitCode: 0 } } },
    });
    const s1 = sidecar('s1', {
      livenessProbe: { exec: { command: ['check', 'alive'] }, periodSeconds: 1, failureThreshold: 1 },
    });
    await h.run(pod('Always', [s1]));
    const s = await h.until(UID, (st) => (st.initContainerStatuses?.[0]?.restartCount ?? 0) >= 1, 60_000);
    assert.ok(h.calls('startContainer').includes('startContainer r'));
    assert.ok(h.eventsOf('Killing').some((e) => e.message === 'Init container s1 failed liveness probe'));
    assert.ok(s.containerStatuses?.[0]?.state?.running);
    await h.stop();
  });

  it('a sidecar that cannot pull its image blocks initialization with ImagePullBackOff, even under Never', async () => {
    const h = new Harness({ pullErrors: { 'bad:1': 'manifest unknown' } });
    await h.run(pod('Never', [sidecar('s1', { image: 'bad:1' })]));
    const s = await h.until(
      UID,
      (st) => st.initContainerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
    );
    assert.equal(s.phase, 'Pending');
    assert.ok(!h.calls('startContainer').includes('startContainer r'));
    await h.stop();
  });

  it('a sidecar that fails once then runs lets the app container start', async () => {
    const h = new Harness({
      scripts: { s1: ({ attempt }) => (attempt === 0 ? { exitAfterMs: 500, exitCode: 1 } : {}) },
    });
    await h.run(pod('Never', [sidecar('s1')]));
    const s = await h.until(
      UID,
      (st) =>
        st.phase === 'Running' &&
        st.initContainerStatuses?.[0]?.restartCount === 1 &&
        !!st.initContainerStatuses[0].state?.running,
    );
    assert.ok(s.containerStatuses?.[0]?.state?.running);
    assert.deepEqual(h.times('startContainer', 'r').length, 1);
    await h.stop();
  });
  it('a sidecar that outlives the grace period is SIGKILLed alone (137) and the pod still Succeeds', async () => {
    const h = new Harness({ scripts: { s1: { onSigterm: 'ignore' }, r: { onSigterm: { exitCode: 0 } } } });
    const p = pod('Never', [sidecar('s1')]);
    await h.run(p);
    await h.until(UID, (st) => st.phase === 'Running');
    h.kubelet.upsertPod(deleted(p, h.clock.now(), 5));
    await h.advance(10_000);
    const s = h.latest(UID)!;
    assert.deepEqual(s.initContainerStatuses?.[0]?.state?.terminated?.exitCode, 137);
    assert.deepEqual(s.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
    assert.equal(s.phase, 'Succeeded');
    await h.stop();
  });

  it('a Job-style pod shows its finished app container while a slow sidecar is still being stopped', async () => {
    const h = new Harness({ scripts: { s1: { onSigterm: 'ignore' }, r: EXIT0(1000) } });
    await h.run(pod('Never', [sidecar('s1')]));
    await h.advance(40_000);
    const during = h.history(UID, (st) => {
      const app = st.containerStatuses?.[0]?.state?.terminated;
      const side = st.initContainerStatuses?.[0]?.state?.running;
      return app && side ? app.exitCode : undefined;
    });
    assert.deepEqual(
      during.filter((x) => x !== undefined).slice(0, 1),
      [0],
      'a status with r terminated and s1 still running was written',
    );
    assert.equal(h.latest(UID)!.phase, 'Succeeded');
    await h.stop();
  });

  it('an app container that outlives the grace period is SIGKILLed (137) and the pod Fails', async () => {
    const h = new Harness({ scripts: { s1: { onSigterm: { exitCode: 0 } }, r: { onSigterm: 'ignore' } } });
    const p = pod('Never', [sidecar('s1')]);
    await h.run(p);
    await h.until(UID, (st) => st.phase === 'Running');
    const at = h.clock.now();
    h.kubelet.upsertPod(deleted(p, at, 5));
    await h.advance(10_000);
    const s = h.latest(UID)!;
    assert.equal(s.containerStatuses?.[0]?.state?.terminated?.exitCode, 137);
    assert.equal(Date.parse(s.containerStatuses![0]!.state!.terminated!.finishedAt!) - at, 5000);
    // The sidecar waited for r, then got the 2 s minimum.
    assert.deepEqual(
      h.runtime.calls.filter((c) => c.op === 'stopContainer').map((c) => [c.target, c.at - at, c.detail]),
      [
        ['r', 0, '5'],
        ['s1', 5000, '2'],
      ],
    );
    assert.equal(s.phase, 'Failed');
    await h.stop();
  });
});
