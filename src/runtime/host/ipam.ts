// Pod IP allocation on the bridge's subnet. One file per address, created with O_EXCL, so concurrent
// runPodSandbox calls (and several podrun state directories sharing one bridge, as tests do) never hand out the
// same address without any lock. The files live on the run directory's tmpfs: like the bridge and the
// namespaces they describe, they do not outlive a reboot. Each names its owner
// (state directory and sandbox id); the sandbox record in the state directory keeps its address too.

import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError } from '../types.js';

export interface Subnet {
  /** Network address as a 32-bit number. */
  base: number;
  prefix: number;
  /** The bridge's address: first host of the subnet. */
  gateway: string;
}

export function parseCidr(cidr: string): Subnet {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : -1;
  if (!m || octets.some((o) => o > 255) || prefix < 8 || prefix > 30) {
    throw new RuntimeError(
      'Unsupported',
      `podCidr ${JSON.stringify(cidr)}: expected an IPv4 CIDR with a prefix from /8 to /30, e.g. 10.244.0.0/16`,
    );
  }
  const raw = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const base = raw - (raw % size);
  return { base, prefix, gateway: ipString(base + 1) };
}

export function ipString(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export class Ipam {
  /** Where the next search starts: just after the last address handed out, as host-local IPAM does. */
  #cursor = -1;
  /** Allocations of this process are made one at a time, so that concurrent sandboxes do not race for one file. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly subnet: Subnet,
    readonly stateDir: string,
  ) {}

  allocate(sandboxId: string): Promise<string> {
    const next = this.#queue.then(() => this.#allocate(sandboxId));
    this.#queue = next.catch(() => {});
    return next;
  }

  async #allocate(sandboxId: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const first = this.subnet.base + 2;
    const count = 2 ** (32 - this.subnet.prefix) - 3;
    if (this.#cursor < 0) this.#cursor = first;
    for (let i = 0; i < count; i++) {
      const n = first + ((this.#cursor - first + i) % count);
      const ip = ipString(n);
      try {
        const fh = await open(join(this.dir, ip), 'wx');
        await fh.writeFile(`${this.stateDir}\n${sandboxId}\n`);
        await fh.close();
        this.#cursor = n + 1;
        return ip;
      } catch (e) {
        // Taken: by an earlier sandbox, or by another podrun sharing the bridge.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    throw new RuntimeError(
      'CreatePodSandboxError',
      `no free pod IP in ${ipString(this.subnet.base)}/${this.subnet.prefix}: every address is allocated (see ${this.dir})`,
    );
  }

  async release(ip: string, sandboxId: string): Promise<void> {
    if (!ip) return;
    const owner = await this.owner(ip);
    if (owner && owner.stateDir === this.stateDir && owner.sandboxId === sandboxId) {
      await unlink(join(this.dir, ip)).catch(() => {});
    }
  }

  /** Frees addresses whose owner is gone: a sandbox of this state directory not in `live`, or a removed state directory. */
  async reclaim(live: Set<string>): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const ip of names) {
      const owner = await this.owner(ip);
      // An empty owner is an allocation being written right now.
      if (!owner?.stateDir) continue;
      const mine = owner.stateDir === this.stateDir;
      if ((mine && !live.has(owner.sandboxId)) || (!mine && !existsSync(owner.stateDir))) {
        await unlink(join(this.dir, ip)).catch(() => {});
      }
    }
  }

  private async owner(ip: string): Promise<{ stateDir: string; sandboxId: string } | undefined> {
    try {
      const [stateDir = '', sandboxId = ''] = (await readFile(join(this.dir, ip), 'utf8')).split('\n');
      return { stateDir, sandboxId };
    } catch {
      return undefined;
    }
  }
}
