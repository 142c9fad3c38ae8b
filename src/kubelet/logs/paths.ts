// Where container logs live, as the kubelet lays them out (pkg/kubelet/kuberuntime/helpers.go
// BuildPodLogsDirectory / BuildContainerLogsPath): one directory per pod, one file per container instance.
//   <rootDir>/logs/<namespace>_<name>_<uid>/<container>/<restartCount>.log
// The kubelet passes the directory as the sandbox's logDirectory and the relative path as the container's
// logPath; runtimes write CRI-format lines there (see cri.ts).
import path from 'node:path';
import type { Pod } from '../../api/types.js';

/** `<rootDir>/logs/<namespace>_<name>_<uid>`. */
export function podLogDirectory(rootDir: string, pod: Pod): string {
  const m = pod.metadata ?? {};
  return path.join(rootDir, 'logs', `${m.namespace ?? 'default'}_${m.name ?? ''}_${m.uid ?? ''}`);
}

/** `<container>/<restartCount>.log`, relative to the pod's log directory (CRI ContainerConfig.log_path). */
export function containerLogPath(container: string, restartCount: number): string {
  return path.join(container, `${restartCount}.log`);
}

/**
 * The name a size-rotated log file gets (`0.log` → `0.log.1`, the previous `.1` → `.2`, …). Readers only
 * serve the live file; a follower that sees the file replaced finishes the old one and opens the new one.
 */
export function rotatedLogPath(logPath: string, generation: number): string {
  return `${logPath}.${generation}`;
}
