// The host's side of the pod network, made once per start-up: the records tmpfs, the bridge and its address
// (the shim's `prepare` mode, under a machine-wide lock), and the checks that the pod network is ours alone.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../types.js';
import { ipString, type Subnet } from './ipam.js';
import { run } from './proc.js';
import { recordsRoot } from './records.js';
import { encodeSpec, syscallEntries } from './spec.js';

export function findIp(): string {
  return ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p)) ?? 'ip';
}

export interface HostSetup {
  perl: string;
  shim: string;
  ip: string;
  runDir: string;
  /** The in-flight lock of this state directory's shim server (see mode_serve in podrun-shim.pl). */
  inflightLock: string;
  bridge: string;
  subnet: Subnet;
}

export async function prepareHost(s: HostSetup): Promise<void> {
  const res = await run(
    s.perl,
    [s.shim, 'prepare'],
    encodeSpec([
      ...syscallEntries(),
      ['lock', join(s.runDir, 'prepare.lock')],
      ['recordsfs', recordsRoot(s.runDir)],
      ['inflight', s.inflightLock],
      ['ip', s.ip],
      ['bridge', s.bridge],
      ['bridgeaddr', `${s.subnet.gateway}/${s.subnet.prefix}`],
    ]),
  );
  if (res.code !== 0) {
    throw new RuntimeError(
      'Unsupported',
      `preparing the host for pods (bridge ${s.bridge}) failed: ${res.stderr.trim()}`,
    );
  }
  // A second interface with the same subnet would take the host's traffic to pods (probes) elsewhere.
  const cidr = `${ipString(s.subnet.base)}/${s.subnet.prefix}`;
  const routes = await run(s.ip, ['-o', 'route', 'show', cidr]);
  const others = routes.stdout.split('\n').filter((l) => l.trim() && !l.includes(`dev ${s.bridge} `));
  if (others.length > 0) {
    throw new RuntimeError(
      'Unsupported',
      `the pod network ${cidr} is also routed elsewhere on this host (${others.join('; ').trim()}): choose another podCidr, or remove that route`,
    );
  }
  // Pods get a default route to the bridge, but nothing they send is routed off this machine.
  try {
    writeFileSync(`/proc/sys/net/ipv4/conf/${s.bridge}/forwarding`, '0');
  } catch {
    // no such sysctl: the kernel has no per-interface forwarding control
  }
}
