// kube-proxy's loop: keeps the Services and EndpointSlices it is told about, and after a change recomputes the
// rules and hands them to its sinks (each pod netns through the runtime, the host table). Bursts coalesce: at
// most one pass is in flight, a pass computes from the latest objects, and events during a pass cause one more
// pass after it. A sink is called only when the rules differ from the last ones it accepted.

import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { jsonEqual } from '../../api/json-equal.js';
import type { ServiceRules } from '../types.js';
import { parseIpv4Cidr } from './ipv4.js';
import { computeServiceRules } from './rules.js';

export type ServiceProxyEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** Receives each new set of rules; a rejection is reported and the same rules are offered again next pass. */
export type ServiceRulesSink = (rules: ServiceRules) => void | Promise<void>;

export interface ServiceProxyOptions {
  serviceCidr: string;
  sinks: readonly ServiceRulesSink[];
  /**
   * Runs a pass later. The default, setImmediate, turns the events of one tick into one pass; tests pass a
   * queue they drain themselves.
   */
  schedule?: (run: () => void) => void;
  /** A sink's failure (the pass goes on with the other sinks). Default: nothing beyond sync()'s rejection. */
  onError?: (error: unknown) => void;
}

interface SinkState {
  sink: ServiceRulesSink;
  /** The rules this sink last accepted; undefined until it accepted any. */
  last: ServiceRules | undefined;
}

interface Waiter {
  generation: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class ServiceProxy {
  readonly #cidr: string;
  readonly #sinks: SinkState[];
  readonly #schedule: (run: () => void) => void;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #services = new Map<string, Service>();
  readonly #slices = new Map<string, EndpointSlice>();
  /** Counts changes (events, sync calls); a pass covers every change up to the generation it started at. */
  #generation = 0;
  #startedGeneration = 0;
  #initialized = false;
  #scheduled = false;
  #running = false;
  #closed = false;
  #waiters: Waiter[] = [];
  #rules: ServiceRules | undefined;

  constructor(options: ServiceProxyOptions) {
    this.#cidr = parseIpv4Cidr(options.serviceCidr, 'serviceCidr').text;
    this.#sinks = options.sinks.map((sink) => ({ sink, last: undefined }));
    this.#schedule = options.schedule ?? ((run) => setImmediate(run));
    this.#onError = options.onError;
  }

  /** The rules of the last pass, undefined before the first. */
  get rules(): ServiceRules | undefined {
    return this.#rules;
  }

  /**
   * One watch event for a Service or an EndpointSlice (told apart by `kind`, else by `addressType`). Nothing
   * is applied before the first sync(), as kube-proxy waits for its informers' initial lists.
   */
  apply(type: ServiceProxyEventType, obj: Service | EndpointSlice): void {
    if (this.#closed) return;
    const isSlice = obj.kind === 'EndpointSlice' || (obj.kind === undefined && 'addressType' in obj);
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    if (isSlice) update(this.#slices, key, type, obj as EndpointSlice);
    else update(this.#services, key, type, obj as Service);
    this.#generation++;
    if (this.#initialized) this.#request();
  }

  /**
   * Marks the initial lists as delivered (the first call) and resolves once rules reflecting every event
   * seen so far have reached every sink, or were unchanged. Rejects with a sink's error when that pass failed.
   */
  sync(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the service proxy is closed'));
    this.#initialized = true;
    this.#generation++;
    const generation = this.#generation;
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ generation, resolve, reject }));
    this.#request();
    return done;
  }

  /** Stops scheduling passes; a pass in flight finishes. Pending sync() calls reject. */
  close(): void {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters)
      w.reject(new Error('the service proxy was closed before its rules were applied'));
  }

  #request(): void {
    if (this.#closed || this.#running || this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      void this.#loop();
    });
  }

  async #loop(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (!this.#closed && this.#generation > this.#startedGeneration) {
        const generation = this.#generation;
        this.#startedGeneration = generation;
        const error = await this.#pass();
        this.#settle(generation, error);
      }
    } finally {
      this.#running = false;
    }
  }

  async #pass(): Promise<unknown> {
    let rules: ServiceRules;
    try {
      rules = computeServiceRules([...this.#services.values()], [...this.#slices.values()], this.#cidr);
    } catch (e) {
      this.#onError?.(e);
      return e;
    }
    this.#rules = rules;
    const results = await Promise.allSettled(
      this.#sinks.map(async (s) => {
        if (s.last !== undefined && jsonEqual(s.last, rules)) return;
        await s.sink(rules);
        s.last = rules;
      }),
    );
    let firstError: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      this.#onError?.(r.reason);
      firstError ??= r.reason;
    }
    return firstError;
  }

  #settle(generation: number, error: unknown): void {
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.generation > generation) keep.push(w);
      else if (error === undefined) w.resolve();
      else w.reject(error);
    }
    this.#waiters = keep;
  }
}

function update<T>(map: Map<string, T>, key: string, type: ServiceProxyEventType, obj: T): void {
  if (type === 'DELETED') map.delete(key);
  else map.set(key, obj);
}
