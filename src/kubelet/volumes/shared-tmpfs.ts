// One tmpfs for every pod's secret and projected volumes, at `<root>/memory-volumes`, each volume a directory
// `<uid>/<plugin>/<name>` in it. The kubelet mounts a tmpfs per such volume; here they share one, because each
// mount in the host's mount namespace is copied into every container's new mount namespace at its start and
// torn down at its end: with a tmpfs per pod, 1,000 pods cost 12 % of the machine's CPU in copying mounts
// alone (docs/benchmarks.md, "Mounts copied at every container start"). What the sharing changes: these volumes
// are written only by the kubelet and mounted read-only in containers, so a per-volume size limit had nothing
// to limit; a container's `df` of one shows the shared tmpfs. Their contents still never touch the disk.
// The tmpfs is mounted when the first volume needs it and unmounted when the last pod's volumes go, so that a
// node without pods has no mount of podrun's left.
import { chmodSync, mkdirSync } from 'node:fs';
import { mkdir, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isMountedSync, mountTmpfs, unmount } from './mount.js';
import { PLUGIN_DIR, type PluginKind } from './paths.js';

export class SharedTmpfs {
  readonly #root: string;
  readonly #sizeBytes: () => bigint;
  /** Pods with volumes on the tmpfs (read from it once, for those of an earlier podrun), or being set up. */
  #users = new Set<string>();
  #seeded = false;
  /**
   * Mounting and unmounting run one at a time, each deciding on the current #users: a set-up adds its pod
   * before it waits for the mount, so an unmount queued by the last teardown sees it and leaves the tmpfs.
   * Making and removing the pods' directories run beside them, at once.
   */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(rootDir: string, sizeBytes: () => bigint) {
    this.#root = join(rootDir, 'memory-volumes');
    this.#sizeBytes = sizeBytes;
  }

  /** The pods with a directory on the tmpfs. */
  async pods(): Promise<string[]> {
    return readdir(this.#root).catch(() => []);
  }

  /** The directory of a pod's volume on the tmpfs. */
  path(podUid: string, kind: PluginKind, name: string): string {
    return join(this.#root, podUid, PLUGIN_DIR[kind], name);
  }

  /**
   * Makes the volume's directory, mounting the tmpfs first when it is not. The directory gets mode 1777, as
   * the root of the volume's own tmpfs had; the directories above it stay root's alone (0700).
   */
  async ensure(podUid: string, kind: PluginKind, name: string): Promise<string> {
    this.#users.add(podUid);
    await this.#serial(async () => {
      if (isMountedSync(this.#root)) return;
      await mkdir(this.#root, { recursive: true, mode: 0o700 });
      // Root's alone from the start: the mount option, not a chmod after it.
      await mountTmpfs(this.#root, this.#sizeBytes(), 0o700);
    });
    // On the tmpfs: made synchronously, as the volumes' files (volume-fs.ts).
    const dir = this.path(podUid, kind, name);
    mkdirSync(join(this.#root, podUid, PLUGIN_DIR[kind]), { recursive: true, mode: 0o700 });
    // Only a new directory gets its mode: an existing one may carry fsGroup's setgid bit.
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return dir;
      throw e;
    }
    chmodSync(dir, 0o1777);
    return dir;
  }

  /**
   * Removes the pod's volumes; the tmpfs goes when no pod has any left. Idempotent. An unmount that fails is
   * not the pod's failure (its files are gone already): the tmpfs stays, and the next removal tries again.
   */
  async remove(podUid: string): Promise<void> {
    await rm(join(this.#root, podUid), { recursive: true, force: true });
    this.#users.delete(podUid);
    if (this.#seeded && this.#users.size > 0) return;
    await this.#serial(async () => {
      if (this.#users.size > 0) return;
      if (!isMountedSync(this.#root)) return;
      try {
        await unmount(await realpath(this.#root));
      } catch {
        return;
      }
      await rmdir(this.#root).catch(() => {});
    });
  }

  #serial(step: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(() => this.#seed()).then(step);
    this.#chain = run.catch(() => {});
    return run;
  }

  /** The pods an earlier podrun left volumes of, once: their teardown comes with their pods'. */
  async #seed(): Promise<void> {
    if (this.#seeded) return;
    for (const uid of await this.pods()) this.#users.add(uid);
    this.#seeded = true;
  }
}
