// What a container's start asks the shim: its command (looked up on the host, or in the image by the shim),
// the PID namespace of an ephemeral container's target, and its cgroups (made now, or a spare's adopted).
// A refusal is a StartRefused with containerd's words; the runtime records it as the container's StartError.
import type { CgroupSpare, CgroupSparePool } from './cgroup-spares.js';
import { adoptSpareCgroups, type CgroupLayout, createContainerCgroups, removeCgroups } from './cgroups.js';
import { resolveCommand } from './mounts.js';
import type { ContainerRecord, SandboxRecord } from './records.js';
import { type SpecContext, startEntries } from './request-specs.js';
import type { SpecEntry } from './spec.js';

export class StartRefused extends Error {}

export interface StartContext {
  spec: SpecContext;
  cgroups: CgroupLayout;
  spares: CgroupSparePool | undefined;
}

/**
 * The start request of `rec` in `sandbox` (ready), with `target` the running container an ephemeral container
 * targets. Sets `rec.cgroups`; on a refusal nothing it made is left.
 */
export function prepareStart(
  ctx: StartContext,
  rec: ContainerRecord,
  sandbox: SandboxRecord,
  target: ContainerRecord | undefined,
): { entries: SpecEntry[]; spare: CgroupSpare | undefined } {
  const config = rec.config;
  let argv = [...config.command, ...config.args];
  let exe = '';
  if (rec.image) {
    // Looked up by the shim in the container's own PATH and root, as runc does.
    argv = rec.image.argv;
  } else {
    const found = resolveCommand(argv[0] ?? '', config.envs, config.workingDir || '/', config.mounts);
    if (!found.ok) throw new StartRefused(found.message);
    exe = found.path;
  }
  const targetId = config.linux?.pidNamespaceTargetId;
  if (targetId && (target?.state !== 'running' || target.sandboxId !== rec.sandboxId))
    throw new StartRefused(`the target container ${targetId} is not running in pod sandbox ${rec.sandboxId}`);
  const spare = ctx.spares?.take();
  try {
    const limits = { memoryBytes: config.linux?.memoryLimitBytes, cpuMillis: config.linux?.cpuMillis };
    try {
      rec.cgroups = spare
        ? adoptSpareCgroups(ctx.cgroups, spare.cgroups, rec.id, limits)
        : createContainerCgroups(ctx.cgroups, rec.id, limits);
    } catch (e) {
      throw new StartRefused(`creating the container's cgroup failed: ${(e as Error).message}`);
    }
    const entries = startEntries(ctx.spec, rec, sandbox, exe, argv);
    // An ephemeral container with a target joins that container's PID namespace (CRI NamespaceMode TARGET).
    if (target && targetId)
      entries.push(['pidtarget', String(target.pid)], ['pidtargetstart', target.pidStart]);
    return { entries, spare };
  } catch (e) {
    // Its zygote will serve no start: it ends, and its groups go with it.
    if (spare) ctx.spares?.discard(spare, rec.cgroups.dirs.length ? rec.cgroups.dirs : spare.cgroups.dirs);
    else removeCgroups(rec.cgroups.dirs);
    throw e;
  }
}
