// The Kubelet with nothing injected but the runtime, clock and API: the real environment, volume, security,
// hook and probe modules are wired by default.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Pod, PodStatus } from '../../src/api/types.js';
import { Kubelet } from '../../src/kubelet/kubelet.js';
import { DEFAULT_CRASHLOOP_BACKOFF, DEFAULT_IMAGE_BACKOFF } from '../../src/kubelet/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { container, T0, UID } from './fixtures.js';

describe('default collaborators', () => {
  it('mount an emptyDir, resolve env from a ConfigMap and run an exec readiness probe', async () => {
    const rootDir = await mkdtemp(join(tmpdir(), 'podrun-kubelet-'));
    const clock = new FakeClock(T0);
    const runtime = new FakeRuntime({ clock, images: ['busybox:1.36'] });
    const statuses: PodStatus[] = [];
    const errors: unknown[] = [];
    const kubelet = new Kubelet({
      runtime,
      clock,
      config: {
        nodeName: 'node1',
        hostIP: '192.168.1.10',
        rootDir,
        crashLoopBackOff: DEFAULT_CRASHLOOP_BACKOFF,
        imagePullBackOff: DEFAULT_IMAGE_BACKOFF,
        resyncIntervalMs: 60_000,
        // No test reads the host's files.
        resolvConf: '',
      },
      objects: {
        getConfigMap: async () => ({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'cfg' },
          data: { mode: 'fast' },
        }),
        getSecret: async () => undefined,
        listServices: async () => [],
      },
      status: { updateStatus: async (_p, s) => void statuses.push(s), finalizeDeletion: async () => {} },
      events: { event: () => {} },
      onError: (_uid, e) => errors.push(e),
    });
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default', uid: UID },
      spec: {
        volumes: [{ name: 'scratch', emptyDir: {} }],
        containers: [
          container('app', {
            env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode' } } }],
            volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
            readinessProbe: { exec: { command: ['ready'] }, periodSeconds: 1 },
          }),
        ],
      },
      status: { phase: 'Pending' },
    };
    try {
      kubelet.upsertPod(pod);
      await kubelet.start();
      // Volumes touch the real filesystem: give its callbacks real time between clock steps.
      for (let i = 0; i < 200 && !statuses.at(-1)?.containerStatuses?.[0]?.ready; i++) {
        await clock.advance(500);
        await delay(5);
      }
      const s = statuses.at(-1)!;
      assert.equal(s.containerStatuses?.[0]?.ready, true, JSON.stringify(s));
      const id = s.containerStatuses![0]!.containerID!.replace('fake://', '');
      const config = runtime.configOf(id);
      assert.deepEqual(config.envs, [{ name: 'MODE', value: 'fast' }]);
      const hostPath = join(rootDir, 'pods', UID, 'volumes', 'kubernetes.io~empty-dir', 'scratch');
      const hostsPath = join(rootDir, 'pods', UID, 'etc-hosts');
      assert.deepEqual(config.mounts, [
        { containerPath: '/scratch', hostPath, readOnly: false },
        { containerPath: '/etc/hosts', hostPath: hostsPath, readOnly: false },
      ]);
      assert.ok((await stat(hostPath)).isDirectory());
      assert.ok(runtime.calls.some((c) => c.op === 'execSync' && c.detail === 'ready'));
      assert.deepEqual(errors, []);
    } finally {
      await kubelet.stop();
      await rm(rootDir, { recursive: true, force: true });
    }
  });
});
