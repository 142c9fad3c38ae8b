// Mounting and unmounting tmpfs (through the long-lived mount helper, or mount(8)/umount(8) where it cannot
// run), and reading what is mounted from /proc/self/mountinfo. Needs root (CAP_SYS_ADMIN), as the kubelet does.
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import { MountHelper, MountHelperError } from './mount-helper.js';

const EINVAL = 22;

const helper = MountHelper.available() ? new MountHelper() : undefined;

/** The kubelet's mount-utils wording, so that FailedMount events read like upstream's. */
function mountError(cmd: 'mount' | 'umount', args: string[], status: string, output: string): Error {
  const verb = cmd === 'mount' ? 'Mounting' : 'Unmounting';
  return new Error(
    `${cmd} failed: ${status}\n${verb} command: ${cmd}\n${verb} arguments: ${args.join(' ')}\nOutput: ${output}`,
  );
}

/** Through the helper; its errors worded as mount(8)'s would be. */
async function viaHelper(
  cmd: 'mount' | 'umount',
  args: string[],
  target: string,
  call: () => Promise<void>,
): Promise<void> {
  try {
    await call();
  } catch (e) {
    if (!(e instanceof MountHelperError)) throw e;
    // mount(8) exits 32 for a failed mount; the output names the call and the kernel's reason (umount2's
    // EINVAL, as umount(8) puts it, means nothing is mounted there).
    const why = cmd === 'umount' && e.errno === EINVAL ? 'not mounted' : e.message;
    throw mountError(cmd, args, 'exit status 32', `${cmd}: ${target}: ${why}.`);
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (!err) {
        resolve();
        return;
      }
      const code = typeof err.code === 'number' ? `exit status ${err.code}` : String(err.code ?? err.message);
      reject(mountError(cmd === 'mount' ? 'mount' : 'umount', args, code, (stderr || stdout).trim()));
    });
  });
}

/**
 * Mounts a fresh tmpfs on `dir` (`mount -t tmpfs -o size=<bytes>[,mode=<octal>] tmpfs <dir>`); no size means the
 * kernel's default, no mode the tmpfs default 1777.
 */
export async function mountTmpfs(dir: string, sizeBytes?: bigint, mode?: number): Promise<void> {
  const opts: string[] = [];
  if (sizeBytes !== undefined && sizeBytes > 0n) opts.push(`size=${sizeBytes}`);
  if (mode !== undefined) opts.push(`mode=${mode.toString(8).padStart(4, '0')}`);
  const options = opts.join(',');
  const args = ['-t', 'tmpfs', ...(options ? ['-o', options] : []), 'tmpfs', dir];
  if (helper) {
    await viaHelper('mount', args, dir, () => helper.mountTmpfs(dir, options));
  } else {
    await run('mount', args);
  }
}

export async function unmount(dir: string): Promise<void> {
  if (helper) await viaHelper('umount', [dir], dir, () => helper.unmount(dir));
  else await run('umount', [dir]);
}

/** Decodes mountinfo's octal escapes (`\040` for a space). */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

export interface MountInfo {
  mountPoint: string;
  fsType: string;
}

/** The read of mountinfo under way, and the one that starts after it for the callers that came meanwhile. */
let reading: Promise<MountInfo[]> | undefined;
let queued: Promise<MountInfo[]> | undefined;

/**
 * Every mount in this process's mount namespace, in mount order, as read after the call. Concurrent callers
 * share one read (the kernel formats the whole table for each, and with 1,000 pods it holds thousands of
 * mounts): a caller that comes while a read is under way waits for the next one, which sees its changes.
 */
export function listMounts(): Promise<MountInfo[]> {
  if (!reading) {
    const read = readMounts();
    reading = read;
    const clear = () => {
      if (reading === read) reading = undefined;
    };
    read.then(clear, clear);
    return read;
  }
  queued ??= reading
    .catch(() => undefined)
    .then(() => {
      queued = undefined;
      return listMounts();
    });
  return queued;
}

async function readMounts(): Promise<MountInfo[]> {
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
  const byPath = sortedByPath(await listMounts());
  const found: IndexedMount[] = [];
  // Two runs of the sorted table: the directory itself, then what starts with `dir/` (`dir-x` sorts between).
  if (prefix !== dir) {
    for (let i = lowerBound(byPath, dir); byPath[i]?.mountPoint === dir; i++) found.push(byPath[i]!);
  }
  for (let i = lowerBound(byPath, prefix); byPath[i]?.mountPoint.startsWith(prefix); i++)
    found.push(byPath[i]!);
  // Deepest first; on one mount point, the last mounted first.
  return found
    .sort((a, b) => b.mountPoint.length - a.mountPoint.length || b.order - a.order)
    .map(({ mountPoint, fsType }) => ({ mountPoint, fsType }));
}

type IndexedMount = MountInfo & { order: number };

/**
 * Each table read, sorted by mount point once, for every caller that shares the read: each pod's teardown
 * asks for its own directory's mounts, and filtering the whole table (a tmpfs per pod) for each made deleting
 * 1,000 pods quadratic.
 */
const sortedViews = new WeakMap<MountInfo[], IndexedMount[]>();

function sortedByPath(all: MountInfo[]): IndexedMount[] {
  let view = sortedViews.get(all);
  if (!view) {
    view = all
      .map((m, order) => ({ ...m, order }))
      .sort((a, b) =>
        a.mountPoint < b.mountPoint ? -1 : a.mountPoint > b.mountPoint ? 1 : a.order - b.order,
      );
    sortedViews.set(all, view);
  }
  return view;
}

/** The first index whose mount point is not below `key` in code-unit order. */
function lowerBound(view: IndexedMount[], key: string): number {
  let lo = 0;
  let hi = view.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (view[mid]!.mountPoint < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await listMounts()).some((m) => m.mountPoint === dir);
}

/**
 * mount-utils' IsLikelyNotMountPoint, inverted: `dir` is on another device than its parent. True for every
 * tmpfs the volume manager mounts (each has a device of its own); a bind mount within one filesystem is not
 * seen, which is why the kubelet, and this, use it only for mounts of their own. Two stats, where
 * isMountPoint reads the whole mount table.
 */
export async function isLikelyMountPoint(dir: string): Promise<boolean> {
  const [self, parent] = await Promise.all([stat(dir), stat(dirname(dir))]);
  return self.dev !== parent.dev;
}

/**
 * isLikelyMountPoint for a local directory, synchronously (two stats without a thread-pool hop each); false
 * when `dir` cannot be stat'ed (it does not exist yet).
 */
export function isMountedSync(dir: string): boolean {
  try {
    return statSync(dir).dev !== statSync(dirname(dir)).dev;
  } catch {
    return false;
  }
}
