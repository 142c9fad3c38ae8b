// A pruned container instance takes its log file and the file's rotations with it, as the kubelet's
// removeContainer does (removeContainerLog): a crash-looping container used to leave one file per restart for
// as long as its pod lived (found by the soak benchmark, issue 12).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type ExecutorDeps, executePlan } from '../../src/kubelet/executor.js';
import { EMPTY_IMAGE_PULL_STATE } from '../../src/kubelet/image-plan.js';
import { podLogDirectory, removeContainerLogs } from '../../src/kubelet/logs/index.js';
import { emptyPlan, type PodPlan } from '../../src/kubelet/planner.js';
import { DEFAULT_IMAGE_BACKOFF } from '../../src/kubelet/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import type { ContainerStatus } from '../../src/runtime/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { basePod, T0 } from './fixtures.js';
import { inertCollaborators } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'podrun-log-removal-'));
after(() => rmSync(root, { recursive: true, force: true }));

function deps(rootDir: string): { deps: ExecutorDeps; runtime: FakeRuntime } {
  const clock = new FakeClock(T0);
  const runtime = new FakeRuntime({ clock, scripts: {}, images: [] });
  const collaborators = inertCollaborators();
  return {
    runtime,
    deps: {
      runtime,
      clock,
      events: { event: () => {} },
      objects: {
        getConfigMap: async () => undefined,
        getSecret: async () => undefined,
        listServices: async () => [],
      },
      config: { hostIP: '192.168.1.10', rootDir, imagePullBackOff: DEFAULT_IMAGE_BACKOFF },
      collaborators,
    },
  };
}

function exited(id: string, name: string, attempt: number, logPath: string): ContainerStatus {
  return {
    id,
    podSandboxId: 'sb',
    metadata: { name, attempt },
    state: 'exited',
    createdAt: T0,
    startedAt: T0,
    finishedAt: T0,
    exitCode: 1,
    reason: 'Error',
    message: '',
    image: 'busybox',
    imageRef: 'busybox',
    labels: {},
    annotations: {},
    logPath,
  };
}

function pruneOnly(ids: string[]): PodPlan {
  return { ...emptyPlan(), sandboxId: 'sb', pruneContainerIds: ids };
}

describe('container log removal', () => {
  it('a pruned instance takes its log and rotations; the kept instance and other containers keep theirs', async () => {
    const rootDir = join(root, 'kubelet');
    const pod = basePod();
    const dir = podLogDirectory(rootDir, pod);
    mkdirSync(join(dir, 'app'), { recursive: true });
    mkdirSync(join(dir, 'side'), { recursive: true });
    for (const f of ['app/0.log', 'app/0.log.1', 'app/0.log.2', 'app/1.log', 'app/10.log', 'side/0.log'])
      writeFileSync(join(dir, f), 'x\n');
    const { deps: d, runtime } = deps(rootDir);
    await executePlan(d, {
      pod,
      plan: pruneOnly(['old']),
      observed: {
        sandboxes: [],
        containers: [
          exited('new', 'app', 1, join(dir, 'app/1.log')),
          exited('old', 'app', 0, join(dir, 'app/0.log')),
        ],
      },
      imagePulls: EMPTY_IMAGE_PULL_STATE,
    });
    assert.deepEqual(readdirSync(join(dir, 'app')).sort(), ['1.log', '10.log']);
    assert.deepEqual(readdirSync(join(dir, 'side')), ['0.log']);
    assert.deepEqual(runtime.callLog(['removeContainer']), ['removeContainer old']);
  });

  it('a log path outside the pod log directory is left alone', () => {
    const podDir = join(root, 'pod-logs');
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(podDir, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, '0.log'), 'x\n');
    removeContainerLogs(podDir, join(elsewhere, '0.log'));
    removeContainerLogs(podDir, join(podDir, '..', 'elsewhere', '0.log'));
    assert.deepEqual(readdirSync(elsewhere), ['0.log']);
  });
});
