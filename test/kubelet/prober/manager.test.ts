import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { ObjectReference, Pod } from '../../../src/api/types.js';
import { ProberManager } from '../../../src/kubelet/prober/index.js';
import type { ContainerInstance } from '../../../src/kubelet/prober/manager.js';
import type { EventType } from '../../../src/kubelet/types.js';
import type { ExecResult, RuntimeService } from '../../../src/runtime/types.js';
import { FakeClock } from '../../../src/util/clock.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A runtime whose execSync answers from a per-command script; only exec is needed by exec probes. */
class ExecOnlyRuntime {
  calls: { id: string; cmd: string[]; at: number }[] = [];
  answers = new Map<string, (id: string) => ExecResult | Error>();
  constructor(readonly clock: FakeClock) {}
  async execSync(id: string, cmd: string[]): Promise<ExecResult> {
    this.calls.push({ id, cmd, at: this.clock.now() });
    const a = this.answers.get(cmd.join(' '))?.(id) ?? {
      exitCode: 0,
      stdout: '',
      stderr: '',
      timedOut: false,
    };
    if (a instanceof Error) throw a;
    return a;
  }
  callsOf(cmd: string): number[] {
    return this.calls.filter((c) => c.cmd.join(' ') === cmd).map((c) => (c.at - T0) / 1000);
  }
}

const ok = (): ExecResult => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false });
const fail = (out = 'not ok\n'): ExecResult => ({ exitCode: 1, stdout: out, stderr: '', timedOut: false });

interface Recorded {
  involved: ObjectReference;
  type: EventType;
  reason: string;
  message: string;
}

function setup() {
  const clock = new FakeClock(T0);
  const runtime = new ExecOnlyRuntime(clock);
  const events: Recorded[] = [];
  const changes: string[] = [];
  const manager = new ProberManager({
    // Only execSync is exercised by exec probes; the rest of the runtime is irrelevant here.
    runtime: runtime as unknown as RuntimeService,
    clock,
    events: { event: (involved, type, reason, message) => events.push({ involved, type, reason, message }) },
    onChange: (uid) => changes.push(uid),
  });
  return { clock, runtime, events, changes, manager };
}

function pod(
  containers: NonNullable<Pod['spec']>['containers'],
  extra: Partial<NonNullable<Pod['spec']>> = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
    spec: { containers, ...extra },
    status: { phase: 'Running' },
  };
}

const exec = (cmd: string) => ({ exec: { command: cmd.split(' ') } });

function running(name: string, id: string, startedAt = T0): ContainerInstance {
  return { name, containerId: id, kind: 'app', running: true, startedAt };
}

let current: ProberManager | undefined;
afterEach(async () => {
  await current?.stop();
  current = undefined;
});

describe('ProberManager', () => {
  it('a readiness probe reads failure until its first success, then success, and reports the change', async () => {
    const s = setup();
    current = s.manager;
    s.manager.updatePod(
      pod([{ name: 'app', readinessProbe: { ...exec('ready'), periodSeconds: 5 } }]),
      [],
      '',
    );
    s.manager.updatePod(
      pod([{ name: 'app', readinessProbe: { ...exec('ready'), periodSeconds: 5 } }]),
      [running('app', 'c1')],
      '',
    );
    assert.equal(s.manager.get('c1', 'readiness'), 'failure');
    assert.deepEqual(s.changes, [], 'onChange is never called from inside updatePod');
    await Promise.resolve();
    assert.deepEqual(s.changes, ['uid-1'], 'the initial value is reported once');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c1', 'readiness'), 'success');
    assert.deepEqual(s.runtime.callsOf('ready'), [0]);
    assert.deepEqual(s.changes, ['uid-1', 'uid-1'], 'the first success is reported');
    await s.clock.advance(10_000);
    assert.deepEqual(s.runtime.callsOf('ready'), [0, 5, 10]);
  });

  it('a liveness probe fails only after failureThreshold consecutive failures, with one Unhealthy event per failure', async () => {
    const s = setup();
    current = s.manager;
    s.runtime.answers.set('live', () => fail('boom\n'));
    const p = pod([
      { name: 'app', livenessProbe: { ...exec('live'), periodSeconds: 10, failureThreshold: 3 } },
    ]);
    s.manager.updatePod(p, [running('app', 'c1')], '');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c1', 'liveness'), 'success');
    await s.clock.advance(10_000);
    assert.equal(s.manager.get('c1', 'liveness'), 'success');
    await s.clock.advance(10_000);
    assert.equal(s.manager.get('c1', 'liveness'), 'failure');
    assert.deepEqual(
      s.events.map((e) => [e.type, e.reason, e.message, e.involved.fieldPath]),
      Array(3).fill(['Warning', 'Unhealthy', 'Liveness probe failed: boom\n', 'spec.containers{app}']),
    );
  });

  it('a failed liveness probe holds until a new container instance appears, which starts fresh', async () => {
    const s = setup();
    current = s.manager;
    s.runtime.answers.set('live', (id) => (id === 'c1' ? fail() : ok()));
    const p = pod([
      { name: 'app', livenessProbe: { ...exec('live'), periodSeconds: 1, failureThreshold: 1 } },
    ]);
    s.manager.updatePod(p, [running('app', 'c1')], '');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c1', 'liveness'), 'failure');
    await s.clock.advance(5_000);
    assert.equal(s.runtime.calls.length, 1, 'no probing while on hold');
    s.manager.updatePod(p, [running('app', 'c2', T0 + 5_000)], '');
    assert.equal(
      s.manager.get('c2', 'liveness'),
      'success',
      'the new instance reads the initial value at once',
    );
    assert.equal(s.manager.get('c1', 'liveness'), undefined, 'the old instance result is dropped');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c2', 'liveness'), 'success');
    assert.deepEqual(
      s.runtime.calls.map((c) => c.id),
      ['c1', 'c2'],
    );
  });

  it('liveness and readiness wait for the startup probe; readiness runs as soon as startup succeeds', async () => {
    const s = setup();
    current = s.manager;
    let startupOk = false;
    s.runtime.answers.set('start', () => (startupOk ? ok() : fail('starting\n')));
    const p = pod([
      {
        name: 'app',
        startupProbe: { ...exec('start'), periodSeconds: 3, failureThreshold: 10 },
        readinessProbe: { ...exec('ready'), periodSeconds: 10 },
        livenessProbe: { ...exec('live'), periodSeconds: 10 },
      },
    ]);
    s.manager.updatePod(p, [running('app', 'c1')], '');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c1', 'startup'), 'unknown');
    assert.equal(s.manager.get('c1', 'readiness'), 'failure');
    assert.equal(s.manager.get('c1', 'liveness'), 'success');
    await s.clock.advance(6_000);
    assert.deepEqual(s.runtime.callsOf('start'), [0, 3, 6]);
    assert.deepEqual(s.runtime.callsOf('ready'), []);
    assert.deepEqual(s.runtime.callsOf('live'), []);
    startupOk = true;
    await s.clock.advance(3_000);
    assert.equal(s.manager.get('c1', 'startup'), 'success');
    assert.deepEqual(s.runtime.callsOf('ready'), [9], 'readiness probed at once');
    assert.equal(s.manager.get('c1', 'readiness'), 'success');
    await s.clock.advance(10_000);
    assert.deepEqual(s.runtime.callsOf('start'), [0, 3, 6, 9], 'startup stops probing once started');
    assert.deepEqual(s.runtime.callsOf('live'), [10]);
    assert.equal(
      s.events.filter((e) => e.message === 'Startup probe failed: starting\n').length,
      3,
      'one Unhealthy event per failed startup probe',
    );
  });

  it('a startup probe that reaches failureThreshold records failure and stops probing that instance', async () => {
    const s = setup();
    current = s.manager;
    s.runtime.answers.set('start', () => fail(''));
    const p = pod([
      { name: 'app', startupProbe: { ...exec('start'), periodSeconds: 1, failureThreshold: 2 } },
    ]);
    s.manager.updatePod(p, [running('app', 'c1')], '');
    await s.clock.advance(5_000);
    assert.equal(s.manager.get('c1', 'startup'), 'failure');
    assert.deepEqual(s.runtime.callsOf('start'), [0, 1]);
    assert.equal(s.events[0]?.message, 'Startup probe failed: ');
  });

  it('no probe runs before initialDelaySeconds after the container started', async () => {
    const s = setup();
    current = s.manager;
    const p = pod([
      { name: 'app', readinessProbe: { ...exec('ready'), initialDelaySeconds: 15, periodSeconds: 10 } },
    ]);
    s.manager.updatePod(p, [running('app', 'c1', T0)], '');
    await s.clock.advance(14_999);
    assert.deepEqual(s.runtime.callsOf('ready'), []);
    assert.equal(s.manager.get('c1', 'readiness'), 'failure');
    await s.clock.advance(1);
    assert.deepEqual(s.runtime.callsOf('ready'), [15]);
    await s.clock.advance(10_000);
    assert.deepEqual(s.runtime.callsOf('ready'), [15, 25]);
  });

  it('readiness needs successThreshold consecutive successes and drops back after failureThreshold failures', async () => {
    const s = setup();
    current = s.manager;
    let healthy = true;
    s.runtime.answers.set('ready', () => (healthy ? ok() : fail('down')));
    const p = pod([
      {
        name: 'app',
        readinessProbe: { ...exec('ready'), periodSeconds: 1, successThreshold: 2, failureThreshold: 2 },
      },
    ]);
    s.manager.updatePod(p, [running('app', 'c1')], '');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c1', 'readiness'), 'failure');
    await s.clock.advance(1_000);
    assert.equal(s.manager.get('c1', 'readiness'), 'success');
    healthy = false;
    await s.clock.advance(1_000);
    assert.equal(s.manager.get('c1', 'readiness'), 'success');
    await s.clock.advance(1_000);
    assert.equal(s.manager.get('c1', 'readiness'), 'failure');
    await s.clock.advance(3_000);
    assert.equal(s.runtime.callsOf('ready').length, 7, 'readiness keeps probing after failing');
    assert.equal(s.events.at(-1)?.message, 'Readiness probe failed: down');
  });

  it('sidecar probe events name spec.initContainers, and regular init containers get no probe workers', async () => {
    const s = setup();
    current = s.manager;
    s.runtime.answers.set('ready', () => fail('nope'));
    const p = pod([{ name: 'app' }], {
      initContainers: [
        { name: 'init', readinessProbe: exec('init-probe') },
        { name: 'side', restartPolicy: 'Always', readinessProbe: { ...exec('ready'), periodSeconds: 1 } },
      ],
    });
    s.manager.updatePod(
      p,
      [
        { ...running('side', 's1'), kind: 'sidecar' },
        { ...running('init', 'i1'), kind: 'init' },
      ],
      '',
    );
    await s.clock.advance(0);
    assert.equal(s.manager.workerCount, 1);
    assert.deepEqual(s.runtime.callsOf('init-probe'), []);
    assert.equal(s.events[0]?.involved.fieldPath, 'spec.initContainers{side}');
    assert.equal(s.events[0]?.message, 'Readiness probe failed: nope');
  });

  it('a probe that cannot run is reported as errored and leaves the result unchanged', async () => {
    const s = setup();
    current = s.manager;
    s.runtime.answers.set('live', () => new Error('container "c1" not found'));
    const p = pod([{ name: 'app', livenessProbe: { ...exec('live'), failureThreshold: 1 } }]);
    s.manager.updatePod(p, [running('app', 'c1')], '');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c1', 'liveness'), 'success');
    assert.equal(s.runtime.calls.length, 3, 'retried maxProbeRetries times');
    assert.deepEqual(
      s.events.map((e) => e.message),
      ['Liveness probe errored and resulted in unknown state: container "c1" not found'],
    );
  });

  it('once the pod is being deleted liveness stops while readiness keeps probing', async () => {
    const s = setup();
    current = s.manager;
    const spec = [
      {
        name: 'app',
        livenessProbe: { ...exec('live'), periodSeconds: 1 },
        readinessProbe: { ...exec('ready'), periodSeconds: 1 },
      },
    ];
    s.manager.updatePod(pod(spec), [running('app', 'c1')], '');
    await s.clock.advance(0);
    const base = pod(spec);
    const deleting: Pod = {
      ...base,
      metadata: { ...base.metadata, deletionTimestamp: new Date(T0).toISOString() },
    };
    s.manager.updatePod(deleting, [running('app', 'c1')], '');
    await s.clock.advance(3_000);
    assert.deepEqual(s.runtime.callsOf('live'), [0]);
    assert.deepEqual(s.runtime.callsOf('ready'), [0, 0, 1, 2, 3]);
    assert.equal(s.manager.workerCount, 1);
  });

  it('an exited container reads as failed and, under restartPolicy Never, its worker ends', async () => {
    const s = setup();
    current = s.manager;
    const p = pod([{ name: 'app', readinessProbe: { ...exec('ready'), periodSeconds: 1 } }], {
      restartPolicy: 'Never',
    });
    s.manager.updatePod(p, [running('app', 'c1')], '');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c1', 'readiness'), 'success');
    s.manager.updatePod(p, [{ ...running('app', 'c1'), running: false }], '');
    await s.clock.advance(0);
    assert.equal(s.manager.workerCount, 0);
    assert.equal(s.manager.get('c1', 'readiness'), undefined, 'results leave with the worker');
    s.manager.updatePod(p, [{ ...running('app', 'c1'), running: false }], '');
    assert.equal(s.manager.workerCount, 0, 'a finished worker is not recreated');
  });

  it('removePod stops the workers and forgets their results', async () => {
    const s = setup();
    current = s.manager;
    s.manager.updatePod(pod([{ name: 'app', readinessProbe: exec('ready') }]), [running('app', 'c1')], '');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c1', 'readiness'), 'success');
    s.manager.removePod('uid-1');
    await s.clock.advance(0);
    assert.equal(s.manager.get('c1', 'readiness'), undefined);
    assert.equal(s.clock.pending, 0);
  });
});
