// The resolvers pods actually use, against the server: glibc (`getent ahosts`, search list and ndots as the
// kubelet writes them) and busybox's own nslookup (it sends A and AAAA itself, as musl does). Both only talk to
// port 53, so the server listens on a spare loopback address at :53 and a private mount namespace
// (`unshare -m`) sees a resolv.conf of the test's at /etc/resolv.conf; the host's file is not touched.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type ClusterDnsServer, startClusterDns } from '../../../src/network/dns/server.js';
import { sampleCluster } from './fixtures.js';

const execFileP = promisify(execFile);

async function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await execFileP(cmd, args, { timeout: 30_000 });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '' };
  }
}

/** :53 on a loopback address nobody else uses (other test runs may hold some). */
async function startOnPort53(): Promise<ClusterDnsServer> {
  let lastError: unknown;
  for (let i = 0; i < 20; i++) {
    const address = `127.53.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    try {
      return await startClusterDns({ address, port: 53, view: sampleCluster(), upstream: false });
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

describe('cluster DNS with the system resolvers', () => {
  let server: ClusterDnsServer;
  let dir: string;
  let resolvConf: string;

  before(async () => {
    server = await startOnPort53();
    dir = await mkdtemp(join(tmpdir(), 'podrun-dns-'));
    resolvConf = join(dir, 'resolv.conf');
    // What the kubelet writes for a ClusterFirst pod in `default` (k/k pkg/kubelet/network/dns/dns.go).
    await writeFile(
      resolvConf,
      `search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${server.address}\noptions ndots:5\n`,
    );
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs `command` (a sh command line) where /etc/resolv.conf is the test's file. */
  function withResolvConf(command: string) {
    return run('unshare', ['-m', 'sh', '-c', `mount --bind "$0" /etc/resolv.conf && ${command}`, resolvConf]);
  }

  it('glibc resolves a short service name through the search list (A and AAAA asked together)', async () => {
    const res = await withResolvConf('getent ahosts redis-service');
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, /^10\.96\.0\.21\s+STREAM redis-service\.default\.svc\.cluster\.local$/m);
  });

  it('glibc gets every ready address of a headless service', async () => {
    const res = await withResolvConf('getent ahosts db');
    assert.equal(res.code, 0, res.stdout);
    const addresses = new Set(
      res.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(/\s+/)[0]),
    );
    assert.deepEqual([...addresses].sort(), ['10.244.0.7', '10.244.0.8']);
  });

  it('glibc reports a missing name as absent (exit 2), not as a failure to look it up', async () => {
    const res = await withResolvConf('getent ahosts nope-service');
    assert.equal(res.code, 2);
  });

  it('busybox nslookup resolves a service and treats AAAA NODATA as no error', async () => {
    const res = await run('busybox', [
      'nslookup',
      'postgres-service.default.svc.cluster.local',
      server.address,
    ]);
    assert.equal(res.code, 0, res.stdout);
    assert.match(
      res.stdout,
      /Name:\s+postgres-service\.default\.svc\.cluster\.local\nAddress: 10\.96\.0\.20/,
    );
  });

  it('busybox nslookup follows the search list to the service', async () => {
    const res = await withResolvConf('busybox nslookup redis-service');
    assert.match(res.stdout, /Name:\s+redis-service\.default\.svc\.cluster\.local\nAddress: 10\.96\.0\.21/);
  });

  it('busybox nslookup sees a headless service with nothing ready as NXDOMAIN', async () => {
    const res = await run('busybox', ['nslookup', 'lonely.default.svc.cluster.local', server.address]);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /can't find lonely\.default\.svc\.cluster\.local: NXDOMAIN/);
  });
});
