// Pure parts of the host runtime: addresses, files it writes for pods, mount ordering, command lookup, identity.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  allocationOwner,
  Ipam,
  ipString,
  LAST_RESERVED,
  parseAllocation,
  parseCidr,
} from '../../src/runtime/host/ipam.js';
import { hostView, mountProblem, resolveCommand, sortMounts } from '../../src/runtime/host/mounts.js';
import { hostsFile, resolvConf } from '../../src/runtime/host/pod-files.js';
import { shimSource } from '../../src/runtime/host/shim-source.js';
import { encodeSpec } from '../../src/runtime/host/spec.js';
import { resolveIdentity } from '../../src/runtime/host/users.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-host-units-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('pod addresses', () => {
  test('a CIDR gives the bridge its first address and is normalised to its network', () => {
    assert.deepEqual(parseCidr('10.244.0.0/16'), {
      base: 10 * 2 ** 24 + 244 * 2 ** 16,
      prefix: 16,
      gateway: '10.244.0.1',
    });
    assert.equal(parseCidr('192.168.7.9/24').gateway, '192.168.7.1');
    assert.equal(ipString(parseCidr('10.250.3.77/24').base), '10.250.3.0');
  });

  test('a podCidr that is not an IPv4 CIDR is refused with an example', () => {
    assert.throws(() => parseCidr('10.244.0.0'), /expected an IPv4 CIDR .* e\.g\. 10\.244\.0\.0\/16/);
    assert.throws(() => parseCidr('10.244.0.0/31'), /podCidr/);
    assert.throws(() => parseCidr('300.1.1.1/16'), /podCidr/);
  });

  test('IPs are handed out from .2 upward, never twice; released ones are reused once the search wraps around', async () => {
    const dir = join(work, 'ipam');
    const ipam = new Ipam(dir, parseCidr('10.9.0.0/29'), join(work, 'state'));
    const got = await Promise.all([1, 2, 3].map((i) => ipam.allocate(`sb${i}`)));
    assert.deepEqual([...got].sort(), ['10.9.0.2', '10.9.0.3', '10.9.0.4']);
    const owner = got.indexOf('10.9.0.3') + 1;
    await ipam.release('10.9.0.3', 'someone-else');
    assert.ok(readdirSync(dir).includes('10.9.0.3'), 'only the owner releases');
    await ipam.release('10.9.0.3', `sb${owner}`);
    // As host-local IPAM: the search goes on after the last address handed out, so a freed one rests a while.
    assert.equal(await ipam.allocate('sb4'), '10.9.0.5');
    assert.equal(await ipam.allocate('sb5'), '10.9.0.6');
    assert.equal(await ipam.allocate('sb6'), '10.9.0.3');
    await assert.rejects(ipam.allocate('sb7'), /no free pod IP in 10\.9\.0\.0\/29/);
  });

  test('a podrun that starts later goes on after the last address any podrun took, not from the bottom', async () => {
    const dir = join(work, 'ipam-shared');
    const first = new Ipam(dir, parseCidr('10.9.1.0/24'), join(work, 'state-a'));
    assert.equal(await first.allocate('a1'), '10.9.1.2');
    assert.equal(await first.allocate('a2'), '10.9.1.3');
    await first.release('10.9.1.2', 'a1');
    await first.release('10.9.1.3', 'a2');
    // The addresses just freed are what the host and other pods may still know by the gone pods' MACs.
    const later = new Ipam(dir, parseCidr('10.9.1.0/24'), join(work, 'state-b'));
    assert.equal(await later.allocate('b1'), '10.9.1.4');
    assert.equal(readFileSync(join(dir, LAST_RESERVED), 'utf8'), '10.9.1.4\n');
    // And the first one follows the later one's progress too.
    assert.equal(await first.allocate('a3'), '10.9.1.5');
    // A record that is not an address of the range is ignored.
    writeFileSync(join(dir, LAST_RESERVED), 'garbage\n');
    assert.equal(await later.allocate('b2'), '10.9.1.6');
  });

  test('an allocation file names its state directory and sandbox, and then its holder', async () => {
    const dir = join(work, 'ipam-file');
    const ipam = new Ipam(dir, parseCidr('10.9.2.0/24'), '/srv/state');
    const ip = await ipam.allocate('sb1');
    assert.equal(readFileSync(ipam.file(ip), 'utf8'), allocationOwner('/srv/state', 'sb1'));
    assert.deepEqual(readdirSync(dir).sort(), [ip, LAST_RESERVED].sort(), 'no temporary file is left');
    appendFileSync(ipam.file(ip), 'holder 42 1234\n');
    assert.deepEqual(parseAllocation(ip, readFileSync(ipam.file(ip), 'utf8')), {
      ip,
      stateDir: '/srv/state',
      sandboxId: 'sb1',
      holder: { pid: 42, start: '1234' },
    });
    assert.equal(parseAllocation(ip, ''), undefined);
  });

  test('reclaim frees an address only when no live process holds it, whatever became of its state directory', async () => {
    const dir = join(work, 'ipam-reclaim');
    const mine = new Ipam(dir, parseCidr('10.9.1.0/24'), join(work, 'state'));
    // Another podrun's state directory, deleted (issue 12): that alone frees nothing.
    const gone = join(work, 'deleted-state');
    const theirs = new Ipam(dir, parseCidr('10.9.1.0/24'), gone);
    const me = { pid: process.pid, start: ownStart() };
    const dead = { pid: process.pid, start: '1' }; // not its start time: a process gone, its pid reused
    const take = async (ipam: Ipam, id: string, holder?: { pid: number; start: string }) => {
      const ip = await ipam.allocate(id);
      if (holder) appendFileSync(ipam.file(ip), `holder ${holder.pid} ${holder.start}\n`);
      return ip;
    };
    const ips = {
      liveRecord: await take(mine, 'live'),
      noRecord: await take(mine, 'forgotten'),
      ownLiveHolder: await take(mine, 'forgotten-but-running', me),
      liveHolder: await take(theirs, 'running', me),
      deadHolder: await take(theirs, 'stopped', dead),
      deadHolderLiveContainer: await take(theirs, 'container-left', dead),
      recordedLiveHolder: await take(theirs, 'reported-in-records'),
      notReportedServed: await take(theirs, 'being-made'),
    };
    const idleAsked: string[][] = [];
    const context = (idle: boolean) => ({
      live: new Set(['live']),
      recordedHolder: (_s: string, id: string) => (id === 'reported-in-records' ? me : undefined),
      containerAlive: (_s: string, id: string) => id === 'container-left',
      idle: async (dirs: string[]) => {
        idleAsked.push(dirs);
        return new Set(idle ? dirs : []);
      },
    });
    const freed = await mine.reclaim(context(false));
    assert.deepEqual(freed.map((a) => a.ip).sort(), [ips.noRecord, ips.deadHolder].sort());
    assert.deepEqual(idleAsked, [[gone]], 'only the state directory whose holder has not reported is asked');
    const left = new Set(readdirSync(dir));
    for (const [what, ip] of Object.entries(ips)) {
      assert.equal(left.has(ip), ip !== ips.noRecord && ip !== ips.deadHolder, what);
    }
    // Once no podrun serves that state directory and nothing is in flight, its holder will never come.
    const later = await mine.reclaim(context(true));
    assert.deepEqual(
      later.map((a) => a.ip),
      [ips.notReportedServed],
    );
  });
});

/** This process's start time, as /proc/self/stat gives it (field 22). */
function ownStart(): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
}

describe('files written for a pod', () => {
  test('/etc/hosts is the kubelet-managed file with the pod name and host aliases', () => {
    assert.equal(
      hostsFile('10.244.0.5', 'web-0', [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }]),
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' +
        'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
        '10.244.0.5\tweb-0\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n',
    );
  });

  test('resolv.conf carries the DNS config, or no nameserver at all without one', () => {
    assert.equal(
      resolvConf({
        servers: ['10.96.0.10'],
        searches: ['default.svc.cluster.local', 'svc.cluster.local'],
        options: ['ndots:5'],
      }),
      'search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
    assert.doesNotMatch(resolvConf(undefined), /nameserver/);
  });
});

describe('mounts and commands', () => {
  test('mounts are ordered parents first, keeping the given order among equals', () => {
    const m = (containerPath: string) => ({ containerPath, hostPath: `/h${containerPath}`, readOnly: false });
    assert.deepEqual(
      sortMounts([m('/a/b/c'), m('/x'), m('/a'), m('/y')]).map((x) => x.containerPath),
      ['/x', '/a', '/y', '/a/b/c'],
    );
  });

  test('a container path maps to the host through the deepest mount covering it', () => {
    const mounts = [
      { containerPath: '/data', hostPath: '/srv/vol', readOnly: false },
      { containerPath: '/data/cfg', hostPath: '/srv/cfgvol', subPath: 'app', readOnly: true },
    ];
    assert.equal(hostView('/data/x', mounts), '/srv/vol/x');
    assert.equal(hostView('/data/cfg/y', mounts), '/srv/cfgvol/app/y');
    assert.equal(hostView('/database', mounts), '/database');
    assert.equal(hostView('/tmp/x', mounts), undefined, "the container's /tmp is private");
  });

  test('the command is looked up in the PATH of its env, else in containerd default PATH, through mounts', () => {
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'tool'), '#!/bin/sh\n');
    chmodSync(join(bin, 'tool'), 0o755);
    const mounts = [{ containerPath: '/opt/app', hostPath: bin, readOnly: true }];
    assert.deepEqual(resolveCommand('tool', [{ name: 'PATH', value: '/nowhere:/opt/app' }], '/', mounts), {
      ok: true,
      path: '/opt/app/tool',
    });
    assert.deepEqual(resolveCommand('./tool', [], '/opt/app', mounts), { ok: true, path: '/opt/app/tool' });
    assert.deepEqual(resolveCommand('sh', [], '/', []).ok, true);
    assert.deepEqual(resolveCommand('tool', [], '/', mounts), {
      ok: false,
      message: 'exec: "tool": executable file not found in $PATH',
    });
    assert.deepEqual(resolveCommand('/opt/app/missing', [], '/', mounts), {
      ok: false,
      message: 'exec: "/opt/app/missing": stat /opt/app/missing: no such file or directory',
    });
  });

  test('volumes over /proc or inside it are refused as runc refuses them, on the normalised path', () => {
    const at = (containerPath: string) => mountProblem([{ containerPath, hostPath: work, readOnly: false }]);
    assert.equal(
      at('/proc/sys'),
      `error mounting ${JSON.stringify(work)} to rootfs at "/proc/sys": "/proc/sys" cannot be mounted because it is inside /proc`,
    );
    assert.match(
      at('/data/../proc/self/attr') ?? '',
      /"\/proc\/self\/attr" cannot be mounted because it is inside \/proc$/,
    );
    assert.match(at('/proc/') ?? '', /"\/proc" cannot be mounted because it is not of type proc$/);
    assert.equal(at('/proc/meminfo'), undefined, 'the files lxcfs emulates stay allowed');
    assert.equal(at('/procfs/x'), undefined);
    assert.equal(at('/data'), undefined);
  });

  test('the shim input refuses a NUL byte instead of splitting a value', () => {
    assert.equal(
      encodeSpec([
        ['argv', 'a b'],
        ['env', 'K=V'],
      ]),
      'argv\0a b\0env\0K=V\0',
    );
    assert.throws(() => encodeSpec([['argv', 'a\0b']]), /NUL byte/);
  });
});

describe('identity', () => {
  const etc = join(work, 'etc');
  mkdirSync(etc, { recursive: true });
  writeFileSync(
    join(etc, 'passwd'),
    'root:x:0:0::/root:/bin/sh\npostgres:x:106:113::/var/lib/postgresql:/bin/bash\n',
  );
  writeFileSync(join(etc, 'group'), 'root:x:0:\npostgres:x:113:\nssl-cert:x:110:postgres\n');

  test('runAsUser alone takes the primary group and memberships of that user', () => {
    assert.deepEqual(resolveIdentity({ runAsUser: 106 }, etc), {
      uid: 106,
      gid: 113,
      groups: [113, 110],
      home: '/var/lib/postgresql',
    });
  });

  test('runAsGroup replaces the primary group; memberships and supplementalGroups are added once', () => {
    assert.deepEqual(
      resolveIdentity({ runAsUser: 106, runAsGroup: 5, supplementalGroups: [2000, 110] }, etc),
      {
        uid: 106,
        gid: 5,
        groups: [5, 110, 2000],
        home: '/var/lib/postgresql',
      },
    );
  });

  test('an unknown uid runs with group 0 and home /; no security context means root', () => {
    assert.deepEqual(resolveIdentity({ runAsUser: 4242 }, etc), {
      uid: 4242,
      gid: 0,
      groups: [0],
      home: '/',
    });
    assert.deepEqual(resolveIdentity(undefined, etc), { uid: 0, gid: 0, groups: [0], home: '/root' });
  });
});

describe('shim', () => {
  test('the shim compiles under strict and warnings, which it does not load at run time to start faster', () => {
    const file = join(work, 'podrun-shim.pl');
    writeFileSync(file, shimSource());
    const r = spawnSync('perl', ['-Mstrict', '-Mwarnings', '-c', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), `${file} syntax OK`);
  });
});
