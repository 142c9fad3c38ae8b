// v1 Events as client-go's legacy recorder writes them (tools/record/event.go, events_cache.go): an event
// repeated with the same source, object, type, reason and message bumps `count` and `lastTimestamp` of the
// first one instead of adding another, which is what makes `kubectl describe` print `(x4 over 2m)`.
import type { ObjectReference } from '../api/types.js';
import type { EventRecorder, EventType } from '../kubelet/types.js';
import { type Clock, systemClock } from '../util/clock.js';
import { ApiError } from './errors.js';
import { rfc3339 } from './object-util.js';
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

// client-go's eventCache holds 4096 keys (maxLruCacheEntries).
const CACHE_SIZE = 4096;

export function createEventRecorder(
  registry: Registry,
  options: EventRecorderOptions,
): RecordingEventRecorder {
  const clock = options.clock ?? systemClock;
  const seen = new Map<string, Seen>();
  let chain: Promise<void> = Promise.resolve();
  let lastNanos = 0n;

  const nextName = (objectName: string, now: number): string => {
    // `<object>.<hex UnixNano>`, kept strictly increasing so two events in one millisecond differ.
    let nanos = BigInt(now) * 1_000_000n;
    if (nanos <= lastNanos) nanos = lastNanos + 1n;
    lastNanos = nanos;
    return `${objectName}.${nanos.toString(16)}`;
  };

  const write = async (
    involved: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    now: number,
  ) => {
    const namespace = involved.namespace || 'default';
    const key = JSON.stringify([
      options.component,
      options.host ?? '',
      involved.kind,
      involved.namespace,
      involved.name,
      involved.uid,
      involved.apiVersion,
      involved.fieldPath,
      type,
      reason,
      message,
    ]);
    const prior = seen.get(key);
    if (prior) {
      const count = prior.count + 1;
      try {
        await registry.patch('events', prior.namespace, prior.name, 'merge', {
          count,
          lastTimestamp: rfc3339(now),
        });
        prior.count = count;
        seen.delete(key);
        seen.set(key, prior);
        return;
      } catch (e) {
        // The first event was deleted (or expired): start a new series, as the recorder does.
        if (!(e instanceof ApiError && e.reason === 'NotFound')) throw e;
        seen.delete(key);
      }
    }
    const name = nextName(involved.name ?? 'unknown', now);
    await registry.create('events', namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: { ...involved },
      reason,
      message,
      source: { component: options.component, ...(options.host ? { host: options.host } : {}) },
      firstTimestamp: rfc3339(now),
      lastTimestamp: rfc3339(now),
      count: 1,
      type,
      eventTime: null,
      reportingComponent: options.component,
      reportingInstance: options.host ?? '',
    });
    seen.set(key, { namespace, name, count: 1 });
    if (seen.size > CACHE_SIZE) seen.delete(seen.keys().next().value!);
  };

  return {
    event(involved, type, reason, message) {
      // Stamped when recorded, not when written: writes queue behind one another.
      const now = clock.now();
      chain = chain
        .then(() => write(involved, type, reason, message, now))
        .catch((e: unknown) => options.onError?.(e));
    },
    flush() {
      return chain;
    },
  };
}
