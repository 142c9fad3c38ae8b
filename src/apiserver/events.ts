// v1 Events as client-go's legacy recorder writes them (tools/record/event.go, events_cache.go): an event
// repeated with the same source, object, type, reason and message bumps `count` and `lastTimestamp` of the
// first one instead of adding another, which is what makes `kubectl describe` print `(x4 over 2m)`. The
// correlator's other two rules apply too: ten different messages for one reason within ten minutes are
// combined ("(combined from similar events): …"), and a spam filter lets one object's events of one reason
// burst to 25, then one per five minutes.
import type { ObjectReference } from '../api/types.js';
import type { EventRecorder, EventType } from '../kubelet/types.js';
import { type Clock, systemClock } from '../util/clock.js';
import { ApiError } from './errors.js';
import { clone, rfc3339 } from './object-util.js';
import type { Registry } from './registry.js';

export interface EventRecorderOptions {
  /** source.component and reportingComponent: `kubelet`, `default-scheduler`, `deployment-controller`. */
  component: string;
  /** source.host and reportingInstance (the node name, for the kubelet). */
  host?: string;
  clock?: Clock;
  /** Called when writing an event fails (events are best effort and never fail the caller). */
  onError?: (error: unknown) => void;
}

export interface RecordingEventRecorder extends EventRecorder {
  /** Resolves when every event recorded so far has been written. */
  flush(): Promise<void>;
}

interface Seen {
  namespace: string;
  name: string;
  count: number;
}

/** What one record() decided, carried out later in order. */
type Write =
  | { kind: 'create'; key: string; event: Record<string, unknown> }
  | {
      kind: 'patch';
      key: string;
      namespace: string;
      name: string;
      count: number;
      message: string;
      now: number;
      event: Record<string, unknown>;
    };

// client-go's EventCorrelator defaults (tools/record/events_cache.go): LRU caches of 4096 keys; similar events
// (same source, object, type and reason) with 10 different messages within 10 minutes are combined; each
// source+object+type+reason may burst 25 events, then one per 5 minutes.
const CACHE_SIZE = 4096;
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 300_000;

function touch<K, V>(cache: Map<K, V>, key: K, value: V): void {
  cache.delete(key);
  cache.set(key, value);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
}

export function createEventRecorder(
  registry: Registry,
  options: EventRecorderOptions,
): RecordingEventRecorder {
  const clock = options.clock ?? systemClock;
  const host = options.host ?? '';
  const seen = new Map<string, Seen>();
  const aggregates = new Map<string, { messages: Set<string>; last: number }>();
  const buckets = new Map<string, { tokens: number; last: number }>();
  let lastNanos = 0n;

  const nextName = (objectName: string, now: number): string => {
    // `<object>.<hex UnixNano>`, kept strictly increasing so two events in one millisecond differ.
    let nanos = BigInt(now) * 1_000_000n;
    if (nanos <= lastNanos) nanos = lastNanos + 1n;
    lastNanos = nanos;
    return `${objectName}.${nanos.toString(16)}`;
  };

  /** EventCorrelate: aggregate, then de-duplicate, then the spam filter. Undefined when filtered out. */
  const correlate = (
    involved: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    now: number,
  ): Write | undefined => {
    const namespace = involved.namespace || 'default';
    const objectKey = [
      options.component,
      host,
      involved.kind,
      involved.namespace,
      involved.name,
      involved.uid,
      involved.apiVersion,
    ];
    const aggregateKey = JSON.stringify([...objectKey, type, reason]);
    let record = aggregates.get(aggregateKey);
    if (!record || now - record.last > AGGREGATE_INTERVAL_MS) record = { messages: new Set(), last: now };
    record.messages.add(message);
    record.last = now;
    touch(aggregates, aggregateKey, record);
    let key = JSON.stringify([...objectKey, involved.fieldPath, type, reason, message]);
    let text = message;
    if (record.messages.size >= AGGREGATE_MAX_EVENTS) {
      record.messages.delete(record.messages.values().next().value!);
      key = aggregateKey;
      text = `(combined from similar events): ${message}`;
    }
    const stamp = rfc3339(now);
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: '', namespace },
      involvedObject: { ...involved },
      reason,
      message: text,
      source: { component: options.component, ...(host ? { host } : {}) },
      firstTimestamp: stamp,
      lastTimestamp: stamp,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: options.component,
      reportingInstance: host,
    };
    const prior = seen.get(key);
    let write: Write;
    if (prior) {
      prior.count += 1;
      touch(seen, key, prior);
      write = {
        kind: 'patch',
        key,
        namespace: prior.namespace,
        name: prior.name,
        count: prior.count,
        message: text,
        now,
        event,
      };
    } else {
      const name = nextName(involved.name ?? 'unknown', now);
      event.metadata.name = name;
      touch(seen, key, { namespace, name, count: 1 });
      write = { kind: 'create', key, event };
    }
    // The spam filter runs last, as upstream: a filtered event still counted in the cache above.
    const bucket = buckets.get(aggregateKey) ?? { tokens: SPAM_BURST, last: now };
    bucket.tokens = Math.min(SPAM_BURST, bucket.tokens + (now - bucket.last) / SPAM_REFILL_MS);
    bucket.last = now;
    touch(buckets, aggregateKey, bucket);
    if (bucket.tokens < 1) return undefined;
    bucket.tokens -= 1;
    return write;
  };

  /** A new series after the first event went: a new name and count 1, as recordEvent does. */
  const createAgain = async (w: { key: string; event: Record<string, unknown> }, now: number) => {
    const event = clone(w.event) as {
      metadata: { name: string; namespace: string };
      involvedObject: ObjectReference;
    };
    event.metadata.name = nextName(event.involvedObject.name ?? 'unknown', now);
    touch(seen, w.key, { namespace: event.metadata.namespace, name: event.metadata.name, count: 1 });
    await registry.create('events', event.metadata.namespace, event);
  };

  const patch = async (w: Write & { kind: 'patch' }) => {
    try {
      await registry.patch('events', w.namespace, w.name, 'merge', {
        count: w.count,
        lastTimestamp: rfc3339(w.now),
        message: w.message,
      });
    } catch (e) {
      // The first event was deleted (or expired): start a new series.
      if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
      await createAgain(w, w.now);
    }
  };

  /** New events in one go: the registry hands them to the store in order, to be committed together. */
  const createAll = async (writes: readonly (Write & { kind: 'create' })[]) => {
    const results = await registry.createAll(
      'events',
      writes.map((w) => ({
        namespace: (w.event.metadata as { namespace: string }).namespace,
        body: w.event,
      })),
      { sharedResult: true },
    );
    for (const r of results) if (r.status === 'rejected') options.onError?.(r.reason);
  };

  // Writes wait here in the order they were correlated. Consecutive creates go out together; a patch waits
  // for everything before it (its series' first event among them).
  const queue: Write[] = [];
  let draining: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    for (;;) {
      if (queue.length === 0) {
        draining = undefined;
        return;
      }
      const batch = queue.splice(0);
      for (let i = 0; i < batch.length; ) {
        const w = batch[i]!;
        try {
          if (w.kind === 'patch') {
            i++;
            await patch(w);
          } else {
            let end = i;
            while (end < batch.length && batch[end]!.kind === 'create') end++;
            const creates = batch.slice(i, end) as (Write & { kind: 'create' })[];
            i = end;
            await createAll(creates);
          }
        } catch (e) {
          options.onError?.(e);
        }
      }
    }
  };

  return {
    event(involved, type, reason, message) {
      // Correlated when recorded (in order, against the recorder's caches), written later in the same order.
      const w = correlate(involved, type, reason, message, clock.now());
      if (!w) return;
      queue.push(w);
      draining ??= new Promise<void>((r) => setImmediate(r)).then(drain);
    },
    flush() {
      return draining ?? Promise.resolve();
    },
  };
}
