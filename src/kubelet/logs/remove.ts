// A container instance's log goes with the instance, as the kubelet's removeContainer does
// (kuberuntime_container.go removeContainerLog → logs.containerLogManager.Clean, which removes
// `<logPath>*`): the live file `<n>.log` and its rotations `<n>.log.<k>`. Without it every restart of a
// crash-looping container left a file behind for as long as its pod lived (the soak benchmark, issue 12).
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Removes `logPath` and its rotations, only if the file lies inside `podLogDir` (the path comes from the
 * runtime's record; a damaged record must not make the kubelet delete files elsewhere). Missing files are fine.
 * Synchronous, like the kubelet's other reads of the log directory: a readdir and an unlink or two, cheaper
 * than the promise machinery, and a sync step stays in order with the rest of the pod's sync in tests that
 * drive the kubelet on a fake clock.
 */
export function removeContainerLogs(podLogDir: string, logPath: string): void {
  const file = path.resolve(logPath);
  if (!file.startsWith(`${path.resolve(podLogDir)}${path.sep}`)) return;
  const dir = path.dirname(file);
  const base = path.basename(file);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries)
    if (e === base || e.startsWith(`${base}.`)) rmSync(path.join(dir, e), { force: true });
}
