// A whole kubelet on a FakeRuntime and a FakeClock: timelines of minutes run in milliseconds. Every status the
// kubelet writes is kept (and checked by the caller's invariant), and every event is recorded.
import type { ConfigMap, ObjectReference, Pod, PodStatus, Service } from '../../src/api/types.js';
import type { Collaborators, PodHostsFile, PodVolumes } from '../../src/kubelet/collaborators.js';
import { Kubelet, type KubeletOptions } from '../../src/kubelet/kubelet.js';
import {
  DEFAULT_CRASHLOOP_BACKOFF,
  DEFAULT_IMAGE_BACKOFF,
  type EventType,
  type KubeletConfig,
} from '../../src/kubelet/types.js';
import { FakeRuntime, type FakeRuntimeOptions } from '../../src/runtime/fake/index.js';
import { FakeClock } from '../../src/util/clock.js';
import { T0 } from './fixtures.js';

export interface RecordedEvent {
  type: EventType;
  reason: string;
  message: string;
  fieldPath: string | undefined;
  at: number;
}

export interface HarnessOptions extends Omit<FakeRuntimeOptions, 'clock'> {
  config?: Partial<KubeletConfig>;
  kubelet?: Partial<KubeletOptions>;
  /** Called on every status written, with the pod as written (throw to fail the test). */
  invariant?: (status: PodStatus, previous: PodStatus | undefined) => void;
}

/** No filesystem in scenario tests: volumes are mounted instantly. */
export const noVolumes: PodVolumes = {
  setUpPod: async () => {},
  mountsFor: () => [],
  tearDownPod: async () => {},
};

/** No filesystem: the hosts mount points at a file that is never written. */
export const noHostsFile: PodHostsFile = {
  ensure: async (pod) => ({
    containerPath: '/etc/hosts',
    hostPath: `/nonexistent/pods/${pod.metadata?.uid}/etc-hosts`,
    readOnly: false,
  }),
  remove: async () => {},
};

/** Collaborators that do nothing (no env, volumes, hooks, probes or DNS), for executor-level tests; override a few. */
export function inertCollaborators(overrides: Partial<Collaborators> = {}): Collaborators {
  return {
    makeEnvironment: async () => [],
    volumes: noVolumes,
    security: { linuxSecurity: () => ({}), verifyRunAsNonRoot: () => undefined },
    runHook: async () => ({ ok: true, message: '' }),
    prober: { get: () => undefined, updatePod: () => {}, removePod: () => {} },
    dns: { getPodDNS: async () => ({ servers: [], searches: [], options: [] }) },
    hosts: noHostsFile,
    ...overrides,
  };
}

export class Harness {
  readonly clock = new FakeClock(T0);
  readonly runtime: FakeRuntime;
  readonly statuses = new Map<string, PodStatus[]>();
  readonly events: RecordedEvent[] = [];
  readonly configMaps = new Map<string, ConfigMap>();
  readonly services: Service[] = [];
  readonly finalized: string[] = [];
  readonly errors: unknown[] = [];
  kubelet: Kubelet;
  readonly #options: HarnessOptions;

  constructor(options: HarnessOptions = {}) {
    this.#options = options;
    this.runtime = new FakeRuntime({ images: ['busybox:1.36'], ...options, clock: this.clock });
    this.kubelet = this.newKubelet();
  }

  /** A kubelet on this harness's runtime and clock (a second one models a kubelet restart). */
  newKubelet(): Kubelet {
    const o = this.#options;
    const config: KubeletConfig = {
      nodeName: 'node1',
      hostIP: '192.168.1.10',
      rootDir: '/nonexistent/podrun-test',
      crashLoopBackOff: DEFAULT_CRASHLOOP_BACKOFF,
      imagePullBackOff: DEFAULT_IMAGE_BACKOFF,
      resyncIntervalMs: 60_000,
      // No test reads the host's resolv.conf: `Default` pods get upstream's no-resolv-conf fallback.
      resolvConf: '',
      clusterDNS: ['10.96.0.10'],
      ...(o.config ?? {}),
    };
    return new Kubelet({
      runtime: this.runtime,
      clock: this.clock,
      config,
      objects: {
        getConfigMap: async (ns, name) => this.configMaps.get(`${ns}/${name}`),
        getSecret: async () => undefined,
        listServices: async (ns) => this.services.filter((s) => s.metadata?.namespace === ns),
      },
      status: {
        updateStatus: async (pod: Pod, status: PodStatus) => {
          const uid = pod.metadata?.uid ?? '';
          const list = this.statuses.get(uid) ?? [];
          o.invariant?.(status, list.at(-1));
          list.push(structuredClone(status));
          this.statuses.set(uid, list);
        },
        finalizeDeletion: async (pod: Pod) => {
          this.finalized.push(pod.metadata?.uid ?? '');
        },
      },
      events: {
        event: (involved: ObjectReference, type: EventType, reason: string, message: string) => {
          this.events.push({
            type,
            reason,
            message,
            fieldPath: involved.fieldPath,
            at: this.clock.now() - T0,
          });
        },
      },
      volumes: noVolumes,
      hosts: noHostsFile,
      onError: (_uid, e) => this.errors.push(e),
      ...(o.kubelet ?? {}),
    });
  }

  async run(...pods: Pod[]): Promise<void> {
    for (const p of pods) this.kubelet.upsertPod(p);
    await this.kubelet.start();
    await this.clock.advance(0);
  }

  /** Moves the clock forward in steps, so that every wake-up on the way happens in order. */
  async advance(ms: number, step = 1000): Promise<void> {
    for (let done = 0; done < ms; done += step) await this.clock.advance(Math.min(step, ms - done));
  }

  /** Advances until `predicate` holds on the latest status, or fails after `limitMs`. */
  async until(
    uid: string,
    predicate: (s: PodStatus) => boolean,
    limitMs = 600_000,
    step = 500,
  ): Promise<PodStatus> {
    for (let t = 0; t <= limitMs; t += step) {
      const s = this.latest(uid);
      if (s && predicate(s)) return s;
      await this.clock.advance(step);
    }
    throw new Error(
      `condition not reached within ${limitMs} ms; last status: ${JSON.stringify(this.latest(uid), null, 1)}`,
    );
  }

  /** Every status written for the pod, mapped through `pick`. */
  history<T>(uid: string, pick: (s: PodStatus) => T): T[] {
    return (this.statuses.get(uid) ?? []).map(pick);
  }

  latest(uid: string): PodStatus | undefined {
    return this.statuses.get(uid)?.at(-1);
  }

  /** `op name` lines of the runtime calls, optionally only some ops. */
  calls(...ops: Parameters<FakeRuntime['callLog']>[0] & string[]): string[] {
    return this.runtime.callLog(ops.length ? ops : undefined);
  }

  /** When (ms after T0) each call matching `op name` happened. */
  times(op: string, name: string): number[] {
    return this.runtime.calls.filter((c) => c.op === op && c.target === name).map((c) => c.at - T0);
  }

  eventsOf(reason: string): RecordedEvent[] {
    return this.events.filter((e) => e.reason === reason);
  }

  /** Stops the kubelet; fails the test if a sync failed along the way (a status invariant, a runtime error). */
  async stop(): Promise<void> {
    await this.kubelet.stop();
    if (this.errors.length) throw this.errors[0];
  }
}
