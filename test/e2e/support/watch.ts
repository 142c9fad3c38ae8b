// Watching a pod through kubectl (every version, in order), and polling helpers for everything else.
import type { Pod } from '../../../src/api/types.js';
import type { Kubectl } from './kubectl.js';

/** Splits a stream of concatenated JSON documents (objects) into complete ones; keeps the incomplete rest. */
export class JsonStreamSplitter {
  #buf = '';
  #pos = 0;
  #depth = 0;
  #inString = false;
  #escape = false;
  #start = -1;

  push(chunk: string): unknown[] {
    this.#buf += chunk;
    const out: unknown[] = [];
    for (; this.#pos < this.#buf.length; this.#pos++) {
      const c = this.#buf[this.#pos];
      if (this.#inString) {
        if (this.#escape) this.#escape = false;
        else if (c === '\\') this.#escape = true;
        else if (c === '"') this.#inString = false;
        continue;
      }
      if (c === '"') this.#inString = true;
      else if (c === '{') {
        if (this.#depth === 0) this.#start = this.#pos;
        this.#depth++;
      } else if (c === '}') {
        this.#depth--;
        if (this.#depth === 0) {
          out.push(JSON.parse(this.#buf.slice(this.#start, this.#pos + 1)));
          this.#buf = this.#buf.slice(this.#pos + 1);
          this.#pos = -1;
          this.#start = -1;
        }
      }
    }
    return out;
  }
}

export interface PodWatch {
  /** Every version of the pod seen so far, in order, starting with the created one. */
  readonly seen: Pod[];
  /**
   * Resolves with the first version for which `done` returns true; rejects when `check` throws on any version
   * (an invariant), when the watch ends, or after `timeoutMs`.
   */
  until(done: (pod: Pod) => boolean, timeoutMs: number, what: string): Promise<Pod>;
  stop(): void;
}

/**
 * Watches one pod from the version `created` (what `kubectl create -o json` returned) on, as upstream's
 * `watchtools.Until(ctx, startedPod.ResourceVersion, …)` does, so no version is missed however fast the pod
 * runs: `kubectl get --raw '…/pods?watch=true&fieldSelector=metadata.name=X&resourceVersion=RV'` streams
 * every watch event after RV. `check` runs on every version, in order.
 */
export function watchPod(
  kubectl: Kubectl,
  created: Pod,
  check: (pod: Pod, previous?: Pod) => void = () => {},
): PodWatch {
  const ns = created.metadata?.namespace ?? 'default';
  const name = created.metadata?.name ?? '';
  const rv = created.metadata?.resourceVersion ?? '';
  const proc = kubectl.spawn([
    'get',
    '--raw',
    `/api/v1/namespaces/${ns}/pods?watch=true&fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}&resourceVersion=${rv}`,
  ]);
  const splitter = new JsonStreamSplitter();
  const seen: Pod[] = [];
  let failure: Error | undefined;
  let consumed = 0;
  const waiters = new Set<() => void>();
  const observe = (pod: Pod) => {
    try {
      check(pod, seen.at(-1));
    } catch (e) {
      failure ??= new Error(
        `invariant violated at version ${seen.length} (resourceVersion ${pod.metadata?.resourceVersion}): ${(e as Error).message}\n${JSON.stringify(pod.status, null, 1)}`,
      );
    }
    seen.push(pod);
  };
  observe(created);
  proc.onData(() => {
    const text = proc.stdout.slice(consumed);
    consumed = proc.stdout.length;
    for (const obj of splitter.push(text)) {
      const event = obj as { type: string; object: Pod };
      if (event.type === 'ERROR') {
        failure ??= new Error(`the watch failed: ${JSON.stringify(event.object)}`);
        continue;
      }
      if (event.type === 'ADDED' || event.type === 'MODIFIED') observe(event.object);
      if (event.type === 'DELETED') failure ??= new Error(`pod ${name} was deleted while watched`);
    }
    for (const w of waiters) w();
  });
  return {
    seen,
    until(done, timeoutMs, what) {
      return new Promise<Pod>((resolve, reject) => {
        let from = 0;
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what}; last status seen:\n${JSON.stringify(seen.at(-1)?.status, null, 1)}\nkubectl stderr: ${proc.stderr}`,
            ),
          );
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(step);
        };
        const step = () => {
          if (failure) {
            finish();
            reject(failure);
            return;
          }
          for (; from < seen.length; from++) {
            const pod = seen[from]!;
            if (done(pod)) {
              finish();
              resolve(pod);
              return;
            }
          }
          if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
            finish();
            reject(new Error(`the watch of pod ${name} ended before ${what}: ${proc.stderr}`));
          }
        };
        waiters.add(step);
        step();
      });
    },
    stop: () => proc.kill(),
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined; fails with `what` and the last error after `timeoutMs`. */
export async function poll<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message ?? last}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

/** Polls `kubectl get pod NAME -o json` until `done(pod)`. */
export function pollPod(
  kubectl: Kubectl,
  name: string,
  done: (pod: Pod) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<Pod> {
  let last: Pod | undefined;
  return poll(
    async () => {
      last = await kubectl.json<Pod>(['get', 'pod', name]);
      return done(last) ? last : undefined;
    },
    what,
    timeoutMs,
  ).catch((e: Error) => {
    throw new Error(`${e.message}\nlast status of ${name}:\n${JSON.stringify(last?.status, null, 1)}`);
  });
}

export function initStatus(pod: Pod, name: string) {
  return pod.status?.initContainerStatuses?.find((s) => s.name === name);
}

export function containerStatus(pod: Pod, name: string) {
  return (
    pod.status?.containerStatuses?.find((s) => s.name === name) ??
    pod.status?.initContainerStatuses?.find((s) => s.name === name)
  );
}

export function condition(pod: Pod, type: string) {
  return pod.status?.conditions?.find((c) => c.type === type);
}
