// The host runtime's pod sandboxes: a holder process per pod keeps its namespaces (made by the shim server's
// `sandbox` request), a veth on the bridge and an address from IPAM; stop and removal reclaim them, and a
// holder that dies makes its sandbox notready, as a dead pause container does.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ServiceRules } from '../../network/types.js';
import type { Clock } from '../../util/clock.js';
import { KeyedQueue } from '../../util/keyed-queue.js';
import { matches } from '../labels.js';
import {
  LABEL_POD_UID,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type PortForwardReader,
  RuntimeError,
  type SandboxFilter,
} from '../types.js';
import type { EventHub } from './events.js';
import { writeFileAtomicAsync } from './files.js';
import type { Ipam } from './ipam.js';
import type { NetnsDialer } from './netns-dial.js';
import type { HostLayout } from './options.js';
import { isSameProcess, killIfSame } from './proc.js';
import type { RecordStore } from './record-store.js';
import {
  type ContainerRecord,
  parseSandboxReport,
  recordJson,
  type SandboxRecord,
  sandboxFailure,
  sandboxStatus,
} from './records.js';
import { sandboxEntries, teardownEntries } from './request-specs.js';
import type { PodServiceRules } from './service-rules.js';
import type { ShimRequest } from './shim-server.js';
import type { SpecEntry } from './spec.js';

/** Lists look at a sandbox's holder in /proc at most this often. */
export const LIVENESS_SWEEP_MS = 2_000;

export interface SandboxesOptions {
  clock: Clock;
  at: HostLayout;
  ipam: Ipam;
  bootId: string;
  store: RecordStore;
  events: EventHub;
  rules: PodServiceRules;
  dialer: NetnsDialer;
  /** One request to the shim server (HostRuntime's), resolved with its report. */
  request: (
    mode: ShimRequest,
    entries: SpecEntry[],
    onExit?: (waitStatus: number) => void,
  ) => Promise<string>;
  /** What a sandbox's stop and removal ask of its containers. */
  containers: {
    observe(rec: ContainerRecord): void;
    kill(rec: ContainerRecord): Promise<void>;
    remove(id: string): Promise<void>;
  };
}

export class HostSandboxes {
  readonly #o: SandboxesOptions;
  /** When a list last looked at a sandbox's holder in /proc. */
  readonly #checkedAt = new Map<string, number>();
  /** Stop and removal of one sandbox run one after another: a second call waits for the first to finish. */
  readonly #ops = new KeyedQueue();

  constructor(options: SandboxesOptions) {
    this.#o = options;
  }

  async run(config: PodSandboxConfig): Promise<string> {
    const { at, store } = this.#o;
    const id = randomBytes(32).toString('hex');
    const pod = `${config.metadata.namespace}/${config.metadata.name}`;
    const ip = await this.#o.ipam.allocate(id);
    const rec: SandboxRecord = {
      id,
      config,
      createdAt: this.#o.clock.now(),
      state: 'ready',
      ip,
      veth: `vpr${id.slice(0, 12)}`,
      holder: { pid: 0, start: '' },
      bootId: this.#o.bootId,
    };
    // The holder's end (killed by someone) makes the sandbox notready at once, as PLEG would notice.
    const onHolderExit = () => {
      const live = store.sandboxes.get(id);
      if (live) this.observe(live);
    };
    const rules = this.#o.rules.sandboxEntries();
    const report = await this.#o.request(
      'sandbox',
      [...sandboxEntries(at.spec, rec), ...rules.entries],
      onHolderExit,
    );
    const held = parseSandboxReport(report);
    if (held) rec.holder = held.holder;
    else {
      await this.#teardown(rec).catch(() => {});
      throw new RuntimeError('CreatePodSandboxError', sandboxFailure(report, pod, at.bridge));
    }
    // Registered before the sandbox is listed, so that a change arriving now waits for this sandbox's update.
    const caughtUp = this.#o.rules.created(rec, rules, held.nftFailure);
    store.putSandbox(rec);
    await caughtUp;
    return id;
  }

  async setServiceRules(rules: ServiceRules): Promise<void> {
    const ready = [...this.#o.store.sandboxes.values()].filter((s) => this.live(s));
    await this.#o.rules.set(rules, ready);
  }

  live(rec: SandboxRecord): boolean {
    return rec.state === 'ready' && this.holderAlive(rec);
  }

  holderAlive(rec: SandboxRecord): boolean {
    return rec.bootId === this.#o.bootId && isSameProcess(rec.holder.pid, rec.holder.start);
  }

  stop(id: string): Promise<void> {
    return this.#ops.run(id, () => this.#stop(id));
  }

  remove(id: string): Promise<void> {
    return this.#ops.run(id, async () => {
      const { store } = this.#o;
      const rec = store.sandboxes.get(id);
      if (!rec) return;
      await this.#stop(id);
      for (const c of store.containersOf(id)) await this.#o.containers.remove(c.id);
      await this.#teardown(rec);
      store.dropSandbox(id);
      this.#o.rules.forget(id);
      this.#checkedAt.delete(id);
    });
  }

  async #stop(id: string): Promise<void> {
    const { store, containers } = this.#o;
    const rec = store.sandboxes.get(id);
    if (!rec) return;
    await Promise.all(
      store.containersOf(id).map(async (c) => {
        containers.observe(c);
        if (c.state === 'running') await containers.kill(c);
      }),
    );
    const wasReady = rec.state !== 'notready';
    rec.state = 'notready';
    this.#o.dialer.forget(id);
    this.#o.rules.forget(id);
    try {
      // As CRI's StopPodSandbox: the sandbox's processes stop and its network resources are reclaimed, also
      // for a sandbox that became notready on its own (its holder died); a failed attempt is tried again.
      if (!rec.reclaimed) {
        await this.#teardown(rec, { keepRecords: true });
        rec.reclaimed = true;
      }
    } finally {
      await this.save(rec);
      if (wasReady) this.#o.events.emit('SandboxStopped', id, rec.config.metadata.uid);
    }
  }

  /**
   * Kills the holder (the namespaces go with it), deletes the veth, releases the IP and, unless `keepRecords`,
   * removes the sandbox's files. Each step is a no-op when already done.
   */
  async #teardown(rec: SandboxRecord, options: { keepRecords?: boolean } = {}): Promise<void> {
    if (rec.bootId === this.#o.bootId) killIfSame(rec.holder.pid, rec.holder.start);
    const report = await this.#o.request(
      'teardown',
      teardownEntries(this.#o.at.spec, rec, options.keepRecords === true),
    );
    await this.#o.ipam.release(rec.ip, rec.id);
    if (report !== 'ok') {
      throw new RuntimeError(
        'Unsupported',
        `tearing down the sandbox ${rec.id} failed: ${report.replace(/^err /, '')}`,
      );
    }
  }

  async status(id: string): Promise<PodSandboxStatus> {
    const rec = this.#o.store.sandboxes.get(id);
    if (!rec) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    this.observe(rec);
    return sandboxStatus(rec);
  }

  /**
   * A ready sandbox whose holder is gone (killed) has lost its namespaces for new containers: it is notready,
   * as a sandbox whose pause container died, and the kubelet makes a new one.
   */
  observe(rec: SandboxRecord, opts: { sweep?: boolean } = {}): void {
    if (rec.state !== 'ready' || rec.holder.pid === 0) return;
    // Lists look at /proc at most every LIVENESS_SWEEP_MS per sandbox: the shim server reports the end of the
    // holders it started at once, so this is for holders adopted from an earlier podrun.
    if (opts.sweep) {
      const now = this.#o.clock.now();
      if (now - (this.#checkedAt.get(rec.id) ?? 0) < LIVENESS_SWEEP_MS) return;
      this.#checkedAt.set(rec.id, now);
    }
    if (this.holderAlive(rec)) return;
    rec.state = 'notready';
    void this.save(rec);
    this.#o.events.emit('SandboxStopped', rec.id, rec.config.metadata.uid);
  }

  async portForward(podSandboxId: string, port: number, onData?: PortForwardReader): Promise<Duplex> {
    const rec = this.#o.store.sandboxes.get(podSandboxId);
    if (!rec) throw new RuntimeError('NotFound', `pod sandbox ${podSandboxId} not found`);
    this.observe(rec);
    if (rec.state !== 'ready')
      throw new RuntimeError('NotRunning', `pod sandbox ${podSandboxId} is not ready`);
    return this.#o.dialer.dial({ sandboxId: podSandboxId, ...rec.holder }, port, onData);
  }

  async list(filter?: SandboxFilter): Promise<PodSandboxStatus[]> {
    const uid = filter?.labelSelector?.[LABEL_POD_UID];
    const out = this.#o.store
      .sandboxCandidates(uid)
      .filter((s) => matches(s.config.labels, filter?.labelSelector));
    for (const rec of out) this.observe(rec, { sweep: true });
    return out.sort((a, b) => a.createdAt - b.createdAt).map(sandboxStatus);
  }

  async save(rec: SandboxRecord): Promise<void> {
    try {
      await writeFileAtomicAsync(
        join(this.#o.at.records, 'sandboxes', rec.id, 'sandbox.json'),
        recordJson(rec),
      );
    } catch {
      // the sandbox's directory is gone: it is being removed
    }
  }
}
