// The file calls that write a volume's files, in two forms. On tmpfs a call never waits for a disk: there the
// synchronous calls are used (a few microseconds in the kernel each, where a promise-based call costs ~40 µs
// of the event loop and a thread-pool hop; a service account volume's first write took 1.1 ms of CPU that
// way and takes 0.25 ms so). On a disk a call may wait for the filesystem's journal (an ext4 create took up
// to a millisecond with 1,000 pods starting), so there they stay off the event loop.
import type { Dirent, MakeDirectoryOptions } from 'node:fs';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';

export interface VolumeFs {
  readlink(path: string): Promise<string>;
  mkdtemp(prefix: string): Promise<string>;
  chmod(path: string, mode: number): Promise<void>;
  mkdir(path: string, options: MakeDirectoryOptions): Promise<unknown>;
  writeFile(path: string, data: Buffer, options: { mode: number }): Promise<void>;
  rm(path: string, options: { recursive?: boolean; force?: boolean }): Promise<void>;
  symlink(target: string, path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  lstat(path: string): Promise<unknown>;
  unlink(path: string): Promise<void>;
  readFile(path: string): Promise<Buffer>;
  readdir(path: string): Promise<Dirent[]>;
}

/** For volumes on a disk. */
export const diskFs: VolumeFs = {
  readlink: (p) => readlink(p),
  mkdtemp: (p) => mkdtemp(p),
  chmod: (p, m) => chmod(p, m),
  mkdir: (p, o) => mkdir(p, o),
  writeFile: (p, d, o) => writeFile(p, d, o),
  rm: (p, o) => rm(p, o),
  symlink: (t, p) => symlink(t, p),
  rename: (a, b) => rename(a, b),
  lstat: (p) => lstat(p),
  unlink: (p) => unlink(p),
  readFile: (p) => readFile(p),
  readdir: (p) => readdir(p, { withFileTypes: true }),
};

/** For volumes on tmpfs: the same calls, made synchronously (a failure still rejects the promise). */
export const memoryFs: VolumeFs = {
  readlink: async (p) => readlinkSync(p),
  mkdtemp: async (p) => mkdtempSync(p),
  chmod: async (p, m) => chmodSync(p, m),
  mkdir: async (p, o) => mkdirSync(p, o),
  writeFile: async (p, d, o) => writeFileSync(p, d, o),
  rm: async (p, o) => rmSync(p, o),
  symlink: async (t, p) => symlinkSync(t, p),
  rename: async (a, b) => renameSync(a, b),
  lstat: async (p) => lstatSync(p),
  unlink: async (p) => unlinkSync(p),
  readFile: async (p) => readFileSync(p),
  readdir: async (p) => readdirSync(p, { withFileTypes: true }),
};
