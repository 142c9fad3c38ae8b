// The kubelet's /containerLogs: pick the instance (select.ts), find its log file through the runtime (or the
// log directory convention when the runtime has forgotten the container), and render it (reader.ts).
import path from 'node:path';
import type { Pod, PodStatus } from '../../api/types.js';
import type { RuntimeService } from '../../runtime/types.js';
import type { Clock } from '../../util/clock.js';
import { type ContainerLogSource, LogError, type LogOptions, type LogSink } from '../types.js';
import { containerLogPath, podLogDirectory } from './paths.js';
import { readLogs } from './reader.js';
import { selectLogTarget } from './select.js';

export interface LogManagerDeps {
  runtime: RuntimeService;
  clock: Clock;
  /** The kubelet's rootDir; enables the `<rootDir>/logs/…/<container>/<n>.log` fallback. */
  rootDir?: string;
  /** How often a follower re-reads without a change notification (default 1000 ms, as upstream). */
  pollMs?: number;
  /**
   * The kubelet's newest status of a pod (statusManager.GetPodStatus), which may be ahead of the API's while
   * its write is under way: the instance to read is chosen by it, as upstream's validateContainerLogStatus
   * does, so that a container restarted a moment ago is found as `previous`.
   */
  podStatus?: (podUid: string) => PodStatus | undefined;
}

/** `host://abc` → `abc` (kubecontainer.ParseContainerID). */
export function runtimeContainerId(containerID: string): string {
  const i = containerID.indexOf('://');
  return i >= 0 ? containerID.slice(i + 3) : containerID;
}

export class LogManager implements ContainerLogSource {
  readonly #deps: LogManagerDeps;

  constructor(deps: LogManagerDeps) {
    this.#deps = deps;
  }

  async containerLogs(
    pod: Pod,
    options: LogOptions,
    out: LogSink,
    signal: AbortSignal,
    selected?: (containerID: string) => void,
  ): Promise<void> {
    const status = this.#deps.podStatus?.(pod.metadata?.uid ?? '') ?? pod.status;
    const target = selectLogTarget({ ...pod, status }, options.container, options.previous ?? false);
    const id = runtimeContainerId(target.containerID);
    const file = await this.#logPath(pod, options.container, id, target.containerID, target.restartCount);
    selected?.(target.containerID);
    const now = this.#deps.clock.now();
    let sinceMs = 0;
    if (options.sinceSeconds !== undefined) sinceMs = now - options.sinceSeconds * 1000;
    if (options.sinceTime !== undefined && options.sinceTime > sinceMs) sinceMs = options.sinceTime;
    const runtime = this.#deps.runtime;
    await readLogs(
      file,
      {
        tail: options.tailLines ?? -1,
        limitBytes: options.limitBytes ?? -1,
        sinceMs,
        timestamps: options.timestamps ?? false,
        stream: options.stream ?? 'All',
        follow: options.follow ?? false,
      },
      out,
      signal,
      {
        clock: this.#deps.clock,
        pollMs: this.#deps.pollMs,
        isRunning: async () => {
          try {
            return (await runtime.containerStatus(id)).state === 'running';
          } catch {
            // A container the runtime no longer knows is not running: the follower drains and ends.
            return false;
          }
        },
      },
    );
  }

  async #logPath(
    pod: Pod,
    container: string,
    id: string,
    containerID: string,
    restartCount: number,
  ): Promise<string> {
    try {
      const status = await this.#deps.runtime.containerStatus(id);
      if (status.logPath) return status.logPath;
    } catch {
      // Fall through to the convention.
    }
    if (this.#deps.rootDir === undefined)
      throw new LogError(`unable to retrieve container logs for ${containerID}`);
    return path.join(podLogDirectory(this.#deps.rootDir, pod), containerLogPath(container, restartCount));
  }
}
