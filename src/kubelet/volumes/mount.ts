// Mounting and unmounting with mount(8)/umount(8), and reading what is mounted from /proc/self/mountinfo.
// Needs root (CAP_SYS_ADMIN), as the kubelet does.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { sep } from 'node:path';

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (!err) {
        resolve();
        return;
      }
      const code = typeof err.code === 'number' ? `exit status ${err.code}` : String(err.code ?? err.message);
      // The kubelet's mount-utils wording, so that FailedMount events read like upstream's.
      reject(
        new Error(
          `${cmd} failed: ${code}\n${cmd === 'mount' ? 'Mounting' : 'Unmounting'} command: ${cmd}\n${cmd === 'mount' ? 'Mounting' : 'Unmounting'} arguments: ${args.join(' ')}\nOutput: ${(stderr || stdout).trim()}`,
        ),
      );
    });
  });
}

/** Mounts a fresh tmpfs on `dir` (`mount -t tmpfs -o size=<bytes> tmpfs <dir>`); no size means the kernel's default. */
export async function mountTmpfs(dir: string, sizeBytes?: bigint): Promise<void> {
  const args = ['-t', 'tmpfs'];
  if (sizeBytes !== undefined && sizeBytes > 0n) args.push('-o', `size=${sizeBytes}`);
  args.push('tmpfs', dir);
  await run('mount', args);
}

export async function unmount(dir: string): Promise<void> {
  await run('umount', [dir]);
}

/** Decodes mountinfo's octal escapes (`\040` for a space). */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export interface MountInfo {
  mountPoint: string;
  fsType: string;
}

/** Every mount in this process's mount namespace, in mount order. */
export async function listMounts(): Promise<MountInfo[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    const mountPoint = fields[4];
    if (mountPoint === undefined || dash === -1) continue;
    out.push({ mountPoint: unescapeMountPath(mountPoint), fsType: fields[dash + 1] ?? '' });
  }
  return out;
}

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<MountInfo[]> {
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  const all = await listMounts();
  return all
    .filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(prefix))
    .reverse()
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length);
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await listMounts()).some((m) => m.mountPoint === dir);
}
