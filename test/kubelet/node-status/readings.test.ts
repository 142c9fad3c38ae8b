// Reading the machine: the parsers of /proc and /etc files, and one reading of a fixture host tree.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import {
  defaultRouteInterface,
  goArch,
  INTERFACES_REREAD_MS,
  InternalIPReader,
  parseMeminfo,
  parseOsReleasePrettyName,
  pickInternalIP,
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

describe('the InternalIP', () => {
  const addr = (address: string, internal = false) => ({
    address,
    netmask: '255.255.255.0',
    family: 'IPv4' as const,
    mac: '00:00:00:00:00:00',
    internal,
    cidr: `${address}/24`,
  });
  const ifaces = { lo: [addr('127.0.0.1', true)], eth0: [addr('192.168.0.5')], eth1: [addr('10.1.0.7')] };

  test("the default route's interface first, else the first interface with an address", () => {
    assert.equal(pickInternalIP(ifaces, ROUTES), '10.1.0.7');
    assert.equal(pickInternalIP(ifaces, undefined), '192.168.0.5');
    assert.equal(pickInternalIP({ lo: ifaces.lo }, ROUTES), undefined);
  });

  test('the interfaces are read again only when the routes change or the re-read interval passed', () => {
    let reads = 0;
    let now = 0;
    let current: typeof ifaces = ifaces;
    const reader = new InternalIPReader(
      () => {
        reads++;
        return current;
      },
      () => now,
    );
    assert.equal(reader.read(ROUTES), '10.1.0.7');
    current = { ...ifaces, eth1: [addr('10.1.0.8')] };
    now += INTERFACES_REREAD_MS - 1;
    assert.equal(reader.read(ROUTES), '10.1.0.7', 'same routes, within the interval: the cached address');
    assert.equal(reads, 1);
    now += 1;
    assert.equal(reader.read(ROUTES), '10.1.0.8', 'the interval passed: read again');
    assert.equal(reads, 2);
    assert.equal(reader.read(undefined), '192.168.0.5', 'the routes changed: read again');
    assert.equal(reads, 3);
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
