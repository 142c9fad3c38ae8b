// Reading the machine: the parsers of /proc and /etc files, and one reading of a fixture host tree.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import {
  defaultRouteInterface,
  goArch,
  parseMeminfo,
  parseOsReleasePrettyName,
  readNodeReadings,
} from '../../../src/kubelet/node-status/readings.js';

const MEMINFO =
  'MemTotal:        8145568 kB\nMemFree:          512000 kB\nMemAvailable:    4096000 kB\nHugePages_Total:       0\n';
const ROUTES =
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
  'eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
  'eth1\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n';

describe('parsers', () => {
  test('meminfo values are bytes; counts without kB stay counts', () => {
    const m = parseMeminfo(MEMINFO);
    assert.equal(m.MemTotal, 8_145_568 * 1024);
    assert.equal(m.MemAvailable, 4_096_000 * 1024);
    assert.equal(m.HugePages_Total, 0);
  });

  test('PRETTY_NAME unquoted and unescaped; Linux without one', () => {
    assert.equal(
      parseOsReleasePrettyName('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'),
      'Debian GNU/Linux 12 (bookworm)',
    );
    assert.equal(parseOsReleasePrettyName('PRETTY_NAME=\'Alpine \\"edge\\"\''), 'Alpine "edge"');
    assert.equal(parseOsReleasePrettyName('PRETTY_NAME=Plain'), 'Plain');
    assert.equal(parseOsReleasePrettyName(undefined), 'Linux');
  });

  test('the default route is the all-zero destination and mask', () => {
    assert.equal(defaultRouteInterface(ROUTES), 'eth1');
    assert.equal(defaultRouteInterface(ROUTES.split('\n').slice(0, 2).join('\n')), undefined);
  });

  test('architectures as GOARCH', () => {
    assert.equal(goArch('x64'), 'amd64');
    assert.equal(goArch('arm64'), 'arm64');
    assert.equal(goArch('riscv64'), 'riscv64');
  });
});

describe('readNodeReadings', () => {
  test('reads a host tree: memory, pids, os image, ids, huge pages, and statfs of the root directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'podrun-node-readings-'));
    try {
      const files: Record<string, string> = {
        'proc/meminfo': MEMINFO,
        'proc/loadavg': '0.10 0.20 0.30 2/345 6789\n',
        'proc/sys/kernel/pid_max': '32768\n',
        'proc/sys/kernel/random/boot_id': 'boot-1\n',
        'proc/net/route': ROUTES,
        'etc/os-release': 'PRETTY_NAME="Fixture OS 1"\n',
        'etc/machine-id': 'machine-1\n',
        'sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages': '4\n',
      };
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await writeFile(join(root, path), content);
      }
      const r = await readNodeReadings({ rootDir: root, hostRoot: root });
      assert.equal(r.memoryCapacityBytes, 8_145_568 * 1024);
      assert.equal(r.memoryAvailableBytes, 4_096_000 * 1024);
      assert.deepEqual(r.pids, { running: 345, max: 32768 });
      assert.equal(r.osImage, 'Fixture OS 1');
      assert.equal(r.machineID, 'machine-1');
      assert.equal(r.bootID, 'boot-1');
      assert.equal(r.systemUUID, '', 'an unreadable product_uuid is empty');
      assert.deepEqual(r.hugePages, { '2097152': 4 });
      assert.ok(r.nodefs.capacityBytes > 0 && r.nodefs.availableBytes <= r.nodefs.capacityBytes);
      assert.ok(r.cpus >= 1);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
