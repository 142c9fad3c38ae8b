// hostPath volumes: the path is used as is; `type` asks the kubelet to check (or create) what is there first
// (pkg/volume/hostpath, checkType). Texts are the kubelet's.
import { mkdir, open, stat } from 'node:fs/promises';
import type { HostPathVolumeSource } from 'kubernetes-types/core/v1.js';
import { validatePathNoBacksteps } from './paths.js';

type FileType = 'Directory' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice' | 'Unknown';

async function fileType(path: string): Promise<FileType | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return undefined;
  if (st.isDirectory()) return 'Directory';
  if (st.isFile()) return 'File';
  if (st.isSocket()) return 'Socket';
  if (st.isCharacterDevice()) return 'CharDevice';
  if (st.isBlockDevice()) return 'BlockDevice';
  return 'Unknown';
}

/** Checks (and for the *OrCreate types creates) a hostPath volume's path; throws the kubelet's error. */
export async function setUpHostPath(source: HostPathVolumeSource): Promise<void> {
  const path = source.path;
  const backsteps = validatePathNoBacksteps(path);
  if (backsteps) throw new Error(`invalid HostPath \`${path}\`: ${backsteps}`);
  const type = source.type ?? '';
  if (type === '') return;
  const actual = await fileType(path);
  const expect = (want: FileType, description: string) => {
    if (actual !== want) throw new Error(`hostPath type check failed: ${path} is not a ${description}`);
  };
  switch (type) {
    case 'DirectoryOrCreate':
      if (actual === undefined) {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
      return expect('Directory', 'directory');
    case 'Directory':
      return expect('Directory', 'directory');
    case 'FileOrCreate':
      if (actual === undefined) {
        // Like the kubelet, the parent must exist; only the file is created.
        const f = await open(path, 'a', 0o644);
        await f.close();
        return;
      }
      return expect('File', 'file');
    case 'File':
      return expect('File', 'file');
    case 'Socket':
      return expect('Socket', 'socket file');
    case 'CharDevice':
      return expect('CharDevice', 'character device');
    case 'BlockDevice':
      return expect('BlockDevice', 'block device');
    default:
      throw new Error(`${type} is an invalid volume type`);
  }
}
