// Pod IP allocation on the bridge's subnet. One file per address, made whole and linked into place (link(2)
// fails when the name exists), so concurrent runPodSandbox calls (and several podrun state directories
// sharing one bridge, as tests do) never hand out the same address, without any lock. The files live on the
// run directory's tmpfs: like the bridge and the namespaces they describe, they do not outlive a reboot.
//
// An allocation file reads
//   <state directory>\n<sandbox id>\n                    written by podrun when it takes the address
//   holder <pid> <start time>\n                          appended by the sandbox's holder once it has the address
// An address is free again only when no live process can answer on it: not while its holder runs, nor while
// a container of its sandbox does (containers keep the pod's network namespace alive without the holder),
// whatever became of the state directory that took it (issue 12: a deleted state directory used to free the
// addresses of pods that still ran).
//
// Where the search starts is shared too (`last_reserved_ip`, as host-local IPAM keeps it): each new podrun
// used to start from the bottom of the range and took the addresses the last one had just freed, which the
// host and other pods still knew by the gone pod's MAC (the sandbox also announces itself with a gratuitous
// ARP for that reason).

import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Ipv4Cidr, ipv4String, parseIpv4, parseIpv4Cidr } from '../../network/proxy/ipv4.js';
import { RuntimeError } from '../types.js';
import { isSameProcess } from './proc.js';

export interface Subnet {
  /** Network address as a 32-bit number. */
  base: number;
  prefix: number;
  /** The bridge's address: first host of the subnet. */
  gateway: string;
}

export function parseCidr(cidr: string): Subnet {
  let parsed: Ipv4Cidr | undefined;
  try {
    parsed = parseIpv4Cidr(cidr, 'podCidr', { clearHostBits: true });
  } catch {
    // said below, with the range a pod network may have
  }
  if (!parsed || parsed.prefix < 8 || parsed.prefix > 30) {
    throw new RuntimeError(
      'Unsupported',
      `podCidr ${JSON.stringify(cidr)}: expected an IPv4 CIDR with a prefix from /8 to /30, e.g. 10.244.0.0/16`,
    );
  }
  return { base: parsed.base, prefix: parsed.prefix, gateway: ipv4String(parsed.base + 1) };
}

/** Dotted-quad text of an address. */
export const ipString = ipv4String;

export interface Allocation {
  ip: string;
  stateDir: string;
  sandboxId: string;
  /** The holder that took the address, once it has reported itself. */
  holder: { pid: number; start: string } | undefined;
}

/** What the first two lines of an allocation file say: the holder checks them before it claims the address. */
export function allocationOwner(stateDir: string, sandboxId: string): string {
  return `${stateDir}\n${sandboxId}\n`;
}

export function parseAllocation(ip: string, text: string): Allocation | undefined {
  const [stateDir = '', sandboxId = '', ...rest] = text.split('\n');
  if (!stateDir || !sandboxId) return undefined;
  let holder: Allocation['holder'];
  for (const line of rest) {
    const m = /^holder (\d+) (\d+)$/.exec(line);
    if (m) holder = { pid: Number(m[1]), start: m[2] ?? '' };
  }
  return { ip, stateDir, sandboxId, holder };
}

const IP_NAME = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** The file that says which address was handed out last (host-local's last_reserved_ip.0). */
export const LAST_RESERVED = 'last_reserved_ip';

/**
 * What reclaim needs to know about the sandboxes behind allocations. The runtime answers from its own records
 * and from the records of other state directories on the same tmpfs.
 */
export interface ReclaimContext {
  /** The sandboxes this runtime has records of. */
  live: Set<string>;
  /** The holder named in the owner's sandbox records, for an allocation whose holder has not reported. */
  recordedHolder(stateDir: string, sandboxId: string): { pid: number; start: string } | undefined;
  /** True when a container of the sandbox still runs (it keeps the pod's network namespace and address). */
  containerAlive(stateDir: string, sandboxId: string): boolean;
  /**
   * For allocations of other state directories whose holder is not known yet: the state directories with no
   * podrun serving them and no sandbox request under way (their in-flight lock is free), whose holder will
   * therefore never come.
   */
  idle(stateDirs: string[]): Promise<Set<string>>;
}

export class Ipam {
  /** Where the next search starts: just after the last address handed out (by any podrun), as host-local IPAM does. */
  #cursor = -1;
  /** Allocations of this process are made one at a time, so that concurrent sandboxes do not race for one file. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly subnet: Subnet,
    readonly stateDir: string,
  ) {}

  /** The allocation file of an address (the holder appends itself to it). */
  file(ip: string): string {
    return join(this.dir, ip);
  }

  allocate(sandboxId: string): Promise<string> {
    const next = this.#queue.then(() => this.#allocate(sandboxId));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #allocate(sandboxId: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const first = this.subnet.base + 2;
    const count = 2 ** (32 - this.subnet.prefix) - 3;
    this.#cursor = (await this.#lastReserved(first, count)) ?? (this.#cursor < 0 ? first : this.#cursor);
    // Written whole first and linked into place: an allocation is never seen half-written.
    const tmp = join(this.dir, `.${sandboxId}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, allocationOwner(this.stateDir, sandboxId));
    try {
      for (let i = 0; i < count; i++) {
        const n = first + ((this.#cursor - first + i) % count);
        const ip = ipString(n);
        try {
          await link(tmp, join(this.dir, ip));
          this.#cursor = n + 1;
          await this.#saveLastReserved(ip);
          return ip;
        } catch (e) {
          // Taken: by an earlier sandbox, or by another podrun sharing the bridge.
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
      }
    } finally {
      await unlink(tmp).catch(() => {});
    }
    throw new RuntimeError(
      'CreatePodSandboxError',
      `no free pod IP in ${ipString(this.subnet.base)}/${this.subnet.prefix}: every address is allocated (see ${this.dir})`,
    );
  }

  /** The search's start after the last address any podrun on this bridge took, if that is recorded. */
  async #lastReserved(first: number, count: number): Promise<number | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.dir, LAST_RESERVED), 'utf8');
    } catch {
      return undefined;
    }
    const n = parseIpv4(text.trim());
    return n !== undefined && n >= first && n < first + count ? n + 1 : undefined;
  }

  async #saveLastReserved(ip: string): Promise<void> {
    // Replaced whole (rename), so that a reader never sees a half-written address; a lost race between two
    // podruns only moves where the next search starts.
    const tmp = join(this.dir, `.${LAST_RESERVED}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, `${ip}\n`);
      await rename(tmp, join(this.dir, LAST_RESERVED));
    } catch {
      await unlink(tmp).catch(() => {});
    }
  }

  async release(ip: string, sandboxId: string): Promise<void> {
    if (!ip) return;
    const owner = await this.read(ip);
    if (owner && owner.stateDir === this.stateDir && owner.sandboxId === sandboxId) {
      await unlink(this.file(ip)).catch(() => {});
    }
  }

  /** Every allocation on the bridge, as its file says. */
  async list(): Promise<Allocation[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: Allocation[] = [];
    for (const ip of names) {
      if (!IP_NAME.test(ip)) continue;
      const a = await this.read(ip);
      if (a) out.push(a);
    }
    return out;
  }

  /** Frees an allocation made by another state directory (its sandbox has been reclaimed as an orphan). */
  async releaseFor(a: Allocation): Promise<void> {
    const now = await this.read(a.ip);
    if (now && now.stateDir === a.stateDir && now.sandboxId === a.sandboxId) {
      await unlink(this.file(a.ip)).catch(() => {});
    }
  }

  /**
   * Frees the addresses that no live process holds, and returns them. An address stays taken while its
   * holder runs or a container of its sandbox does, whatever state directory took it. An address whose
   * holder has not reported yet stays taken while that sandbox may still be made: a sandbox of this runtime
   * it has records of (the previous server's requests are finished by now: see mode_prepare), or one of a
   * state directory that a podrun still serves.
   */
  async reclaim(ctx: ReclaimContext): Promise<Allocation[]> {
    const freed: Allocation[] = [];
    const waiting: Allocation[] = [];
    for (const a of await this.list()) {
      const holder = a.holder ?? ctx.recordedHolder(a.stateDir, a.sandboxId);
      if (holder) {
        if (isSameProcess(holder.pid, holder.start) || ctx.containerAlive(a.stateDir, a.sandboxId)) continue;
      } else if (a.stateDir !== this.stateDir) {
        waiting.push(a);
        continue;
      } else if (ctx.live.has(a.sandboxId)) {
        continue;
      }
      freed.push(a);
    }
    if (waiting.length > 0) {
      const idle = await ctx.idle([...new Set(waiting.map((a) => a.stateDir))]);
      freed.push(...waiting.filter((a) => idle.has(a.stateDir)));
    }
    for (const a of freed) await this.releaseFor(a);
    return freed;
  }

  private async read(ip: string): Promise<Allocation | undefined> {
    try {
      return parseAllocation(ip, await readFile(this.file(ip), 'utf8'));
    } catch {
      return undefined;
    }
  }
}
