// fsGroup: the kubelet's SetVolumeOwnership (pkg/volume/volume_linux.go). Every file and directory of the
// volume gets the group; files gain group read (and write unless the volume is read-only); directories also
// gain group/owner search and the setgid bit so that new files inherit the group. Symlinks get the group
// (lchown) but keep their mode.
import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const SETGID = 0o2000;

export async function setVolumeOwnership(dir: string, fsGroup: number, readOnly: boolean): Promise<void> {
  const visit = async (path: string): Promise<void> => {
    const st = await lstat(path);
    await lchown(path, st.uid, fsGroup);
    if (st.isSymbolicLink()) return;
    let mask = readOnly ? RO_MASK : RW_MASK;
    if (st.isDirectory()) mask |= SETGID | EXEC_MASK;
    await chmod(path, (st.mode & 0o7777) | mask);
    if (st.isDirectory()) {
      for (const name of await readdir(path)) await visit(join(path, name));
    }
  };
  await visit(dir);
}
