// startPodrun creates the system Services in its service CIDR and keeps addresses across restarts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Service } from 'kubernetes-types/core/v1.js';
import { FakeRuntime } from '../../src/runtime/fake/fake-runtime.js';
import { startPodrun } from '../../src/server/podrun.js';
import { systemClock } from '../../src/util/clock.js';

test('podrun makes kubernetes and kube-dns at start and keeps Service addresses across restarts', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'podrun-svc-'));
  const logs: string[] = [];
  const start = (serviceCIDR?: string) =>
    startPodrun({
      stateDir,
      runtimeService: new FakeRuntime({ clock: systemClock }),
      log: (m) => logs.push(m),
      ...(serviceCIDR ? { serviceCIDR } : {}),
    });
  try {
    const first = await start();
    const ipOf = async (p: typeof first, ns: string, name: string) =>
      ((await p.registry.get('services', ns, name)) as unknown as Service).spec?.clusterIP;
    assert.equal(await ipOf(first, 'default', 'kubernetes'), '10.96.0.1');
    assert.equal(await ipOf(first, 'kube-system', 'kube-dns'), '10.96.0.10');
    const web = (await first.registry.create('services', 'default', {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    })) as unknown as Service;
    await first.close();

    const second = await start();
    const taken = web.spec?.clusterIP ?? '';
    await assert.rejects(
      second.registry.create('services', 'default', {
        metadata: { name: 'other' },
        spec: { clusterIP: taken, ports: [{ port: 80 }] },
      }),
      {
        message: new RegExp(
          `failed to allocate IP ${taken.replaceAll('.', '\\.')}: provided IP is already allocated`,
        ),
      },
    );
    await second.close();

    const third = await start('10.43.0.0/16');
    assert.equal(await ipOf(third, 'kube-system', 'kube-dns'), '10.43.0.10');
    assert.equal(await ipOf(third, 'default', 'kubernetes'), '10.43.0.1');
    assert.equal(await ipOf(third, 'default', 'web'), taken, 'a user Service keeps its address');
    assert.ok(
      logs.some((l) => l.includes('kube-system/kube-dns has ClusterIP 10.96.0.10, not 10.43.0.10')),
      logs.join('\n'),
    );
    await third.close();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});
