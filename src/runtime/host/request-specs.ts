// What the shim server is asked to do for a sandbox (make, tear down) and a container (start, exec), as
// spec entries (spec.ts). The shim's modes (podrun-shim.pl) read them.

import { existsSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { DEFAULT_PATH } from '../image-process.js';
import { attachEntries } from './attach.js';
import { imageMountEntries, imageProcessEntries } from './image-container.js';
import { allocationOwner } from './ipam.js';
import { mountSource, sortMounts } from './mounts.js';
import { hostsFile, resolvConf } from './pod-files.js';
import { type ContainerRecord, recordJson, type SandboxRecord } from './records.js';
import type { SpecEntry } from './spec.js';

/** Where the runtime keeps things, and its settings that requests carry. */
export interface SpecContext {
  stateDir: string;
  /** This state directory's records directory (records.ts). */
  records: string;
  /** The bridge's IP allocations (ipam.ts). */
  ipamDir: string;
  bridge: string;
  gateway: string;
  prefix: number;
  logMaxBytes: number;
  logMaxFiles: number;
}

export function sandboxDir(ctx: SpecContext, id: string): string {
  return join(ctx.records, 'sandboxes', id);
}

export function exitsDir(ctx: SpecContext): string {
  return join(ctx.records, 'exits');
}

/** The `sandbox` request: the pod's files, its holder's namespaces and network, and its record, last. */
export function sandboxEntries(ctx: SpecContext, rec: SandboxRecord): SpecEntry[] {
  const config = rec.config;
  const dir = sandboxDir(ctx, rec.id);
  const pod = `${config.metadata.namespace}/${config.metadata.name}`;
  const hostname = (config.hostname || config.metadata.name).slice(0, 63);
  // Every container of the pod sees these, mounted once in the holder's mount namespace.
  const shared: SpecEntry[] = [
    ['mount', 'bind', join(dir, 'hosts'), '/etc/hosts', 'rw'],
    ['mount', 'bind', join(dir, 'resolv.conf'), '/etc/resolv.conf', 'rw'],
  ];
  if (existsSync('/etc/hostname'))
    shared.push(['mount', 'bind', join(dir, 'hostname'), '/etc/hostname', 'rw']);
  return [
    ['mkdir', dir],
    ...(config.logDirectory ? [['mkdir', config.logDirectory] as const] : []),
    ['file', join(dir, 'hosts'), hostsFile(rec.ip, hostname, config.hostAliases)],
    ['file', join(dir, 'resolv.conf'), resolvConf(config.dns)],
    ['file', join(dir, 'hostname'), `${hostname}\n`],
    ['hostname', hostname],
    ...shared,
    ['holderfile', join(dir, 'holder')],
    // For ps; the state directory first, so that a long pod name is what gets cut.
    ['title', `podrun-pod ${ctx.stateDir} ${pod}`],
    ['veth', rec.veth],
    ['cidr', `${rec.ip}/${ctx.prefix}`],
    // The holder names itself in its address's allocation, which must still be this sandbox's.
    ['ipamfile', join(ctx.ipamDir, rec.ip)],
    ['ipamowner', allocationOwner(ctx.stateDir, rec.id)],
    ['gateway', ctx.gateway],
    ['bridge', ctx.bridge],
    ['record', join(dir, 'sandbox.json'), recordJson(rec)],
  ];
}

/** The `teardown` request: the veth and, unless `keepRecords`, the sandbox's files. */
export function teardownEntries(ctx: SpecContext, rec: SandboxRecord, keepRecords: boolean): SpecEntry[] {
  return [['veth', rec.veth], ...(keepRecords ? [] : [['rmtree', sandboxDir(ctx, rec.id)] as const])];
}

/** The `start` request: the container's files, mounts and process, as a child of its shim. */
export function startEntries(
  ctx: SpecContext,
  rec: ContainerRecord,
  sandbox: SandboxRecord,
  exe: string,
  argv: string[],
): SpecEntry[] {
  const dir = join(ctx.records, 'containers', rec.id);
  const config = rec.config;
  const ro = config.linux?.security?.readOnlyRootfs === true;
  const entries: SpecEntry[] = [
    ['mkdir', dir],
    ['mkdir', dirname(rec.logPath)],
    ['record', join(dir, 'container.json'), recordJson(rec)],
    ['exitfile', join(exitsDir(ctx), rec.id)],
    ['startedfile', join(dir, 'started')],
    ['log', rec.logPath],
    ['maxlogsize', String(ctx.logMaxBytes)],
    ['maxlogfiles', String(ctx.logMaxFiles)],
    ['holder', String(sandbox.holder.pid)],
    ['holderstart', sandbox.holder.start],
    ['title', `podrun-shim ${ctx.stateDir} ${config.metadata.name}`],
    ...attachEntries(ctx.records, rec),
  ];
  if (rec.image) {
    entries.push(...imageMountEntries(rec, sandboxDir(ctx, sandbox.id)), ...imageProcessEntries(rec, argv));
    for (const f of rec.cgroups.oomFiles) entries.push(['oomfile', f]);
    for (const d of rec.cgroups.dirs) entries.push(['rmdir', d]);
    for (const p of rec.cgroups.leave ?? []) entries.push(['cgroupout', p]);
    return entries;
  }
  // On the host's filesystem, /tmp is the host's: each container gets its own.
  entries.push(['mount', 'tmpfs', 'mode=1777', '/tmp', ro ? 'ro' : 'rw']);
  // /etc/hosts stays writable, as the kubelet's; the pod's other /etc files follow the root.
  if (ro) {
    entries.push(['remountro', '/etc/resolv.conf']);
    if (existsSync('/etc/hostname')) entries.push(['remountro', '/etc/hostname']);
  }
  for (const m of sortMounts(config.mounts))
    entries.push([
      'mount',
      'bind',
      mountSource(m),
      posix.normalize(m.containerPath),
      m.readOnly ? 'ro' : 'rw',
    ]);
  if (ro) entries.push(['rootro', '1']);
  entries.push(...processEntries(rec, sandbox.config.hostname, exe, argv));
  for (const f of rec.cgroups.oomFiles) entries.push(['oomfile', f]);
  for (const d of rec.cgroups.dirs) entries.push(['rmdir', d]);
  for (const p of rec.cgroups.leave ?? []) entries.push(['cgroupout', p]);
  return entries;
}

/** The process to run (a container's, or an exec's in it): identity, environment, command, cgroups. */
export function processEntries(
  rec: ContainerRecord,
  hostname: string | undefined,
  exe: string,
  argv: string[],
): SpecEntry[] {
  const entries: SpecEntry[] = [
    ['cwd', rec.config.workingDir || '/'],
    ['uid', String(rec.identity.uid)],
    ['gid', String(rec.identity.gid)],
    ['groups', rec.identity.groups.join(',')],
    ['exe', exe],
  ];
  // As containerd: a default PATH and HOSTNAME first, then the container's env, whose entries win.
  entries.push(['env', `PATH=${DEFAULT_PATH}`]);
  if (hostname) entries.push(['env', `HOSTNAME=${hostname}`]);
  for (const e of rec.config.envs) entries.push(['env', `${e.name}=${e.value}`]);
  for (const a of argv) entries.push(['argv', a]);
  for (const p of rec.cgroups.procs) entries.push(['cgroup', p]);
  return entries;
}
