// The kubelet's volume manager, for the volume types podrun supports: it sets up a pod's volumes under
// `<rootDir>/pods/<uid>/volumes/<plugin>/<name>` before its containers start, re-projects ConfigMap, Secret and
// downward API contents when they change, tells the runtime what to bind into each container, and tears it
// all down (unmounting every tmpfs) once the pod is gone.
//
// Supported: emptyDir (disk, or a tmpfs of its own for `medium: Memory`), configMap, secret (tmpfs), downwardAPI,
// projected (tmpfs; configMap, secret, downwardAPI and serviceAccountToken sources), hostPath (with type checks). Anything else
// fails the mount with a sentence saying so. Secret and projected volumes share one tmpfs, at
// `<rootDir>/memory-volumes/<uid>/<plugin>/<name>` (shared-tmpfs.ts says why).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, realpath, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container, Pod, Volume } from '../../api/types.js';
import type { KeyValue, Mount } from '../../runtime/types.js';
import { ByPod } from '../../util/by-pod.js';
import type { Clock } from '../../util/clock.js';
import { KeyedQueue } from '../../util/keyed-queue.js';
import { ContainerConfigError } from '../env.js';
import { expand } from '../expansion.js';
import { hostNodeAllocatable, type NodeAllocatable, parseQuantity, quantityValue } from '../fieldpath.js';
import { podRef } from '../pod-util.js';
import { TokenManager } from '../token-manager.js';
import type { EventRecorder, ObjectGetter } from '../types.js';
import { atomicWrite, type FileProjection } from './atomic-writer.js';
import { aggregate, setUpFailedMessage, VolumeError, type VolumeFailure } from './errors.js';
import { setUpHostPath } from './hostpath.js';
import { isLikelyMountPoint, isMountedSync, mountsUnder, mountTmpfs, unmount } from './mount.js';
import { setVolumeOwnership } from './ownership.js';
import { type PluginKind, podDir, podVolumesDir, validateProjectedPath, volumeDir } from './paths.js';
import {
  configMapPayload,
  DEFAULT_MODE,
  downwardAPIPayload,
  projectedPayload,
  secretPayload,
} from './payload.js';
import { ClaimProcessingError, resolveClaimPath } from './pvc.js';
import { SharedTmpfs } from './shared-tmpfs.js';
import { resolveSubPath } from './subpath.js';
import { diskFs, memoryFs } from './volume-fs.js';

export interface VolumeManagerOptions {
  rootDir: string;
  objects: ObjectGetter;
  clock: Clock;
  /** Receives Warning events for sources podrun skips (clusterTrustBundle). FailedMount is the caller's. */
  events?: EventRecorder;
  /** Node allocatable for downward API resource values and tmpfs sizes. Default: hostNodeAllocatable(). */
  allocatable?: NodeAllocatable;
  /**
   * Back secret, projected and `medium: Memory` volumes with tmpfs, as the kubelet does. Default: true when
   * running as root (mount needs it); false puts them on disk, for unprivileged development runs.
   */
  useTmpfs?: boolean;
}

/** The volume types podrun sets up, with the plugin directory each uses. */
type Kind = PluginKind | 'hostPath' | 'persistentVolumeClaim';

function kindOf(volume: Volume): Kind | undefined {
  if (volume.emptyDir) return 'emptyDir';
  if (volume.configMap) return 'configMap';
  if (volume.secret) return 'secret';
  if (volume.downwardAPI) return 'downwardAPI';
  if (volume.projected) return 'projected';
  if (volume.hostPath) return 'hostPath';
  if (volume.persistentVolumeClaim) return 'persistentVolumeClaim';
  return undefined;
}

/** The volume source field that is set, for the "unsupported" message (`persistentVolumeClaim`). */
function sourceName(volume: Volume): string {
  return Object.keys(volume).find((k) => k !== 'name') ?? 'none';
}

/** configMap, secret, downwardAPI and projected volumes are mounted read-only whatever the volumeMount says. */
function alwaysReadOnly(kind: Kind): boolean {
  return kind === 'configMap' || kind === 'secret' || kind === 'downwardAPI' || kind === 'projected';
}

export class VolumeManager {
  readonly #rootDir: string;
  readonly #objects: ObjectGetter;
  readonly #clock: Clock;
  readonly #events: EventRecorder | undefined;
  readonly #allocatable: NodeAllocatable;
  readonly #useTmpfs: boolean;
  /** Where secret and projected volumes live when on tmpfs (one for all pods: shared-tmpfs.ts). */
  readonly #memoryVolumes: SharedTmpfs;
  /** Service-account tokens of projected volumes; undefined when the API issues none. */
  readonly #tokens: TokenManager | undefined;
  /** Per pod uid, one chain of volume operations: setUp, refresh and tearDown never interleave for a pod. */
  readonly #locks = new KeyedQueue();
  /** Pods whose volumes directory this manager has made; tearDown forgets them. Set-ups run every sync. */
  readonly #volumesDirMade = new Set<string>();
  /**
   * Pod and volume directory → a digest of the payload (and fsGroup) this manager last projected into it. A sync
   * whose payload is the same skips the filesystem: re-projecting on every sync read back every file, stat'ed
   * the directory five times and read the mount table, for contents that had not changed. The directory is
   * this manager's own (containers mount it read-only), so what it wrote is what is there.
   */
  readonly #projected = new ByPod<string>();
  /**
   * Pod and `<kind>/<name>` → whether that secret or projected volume has a tmpfs of its own, mounted by an
   * earlier podrun before the shared one: its pod's containers bind that tmpfs, so updates (token rotation)
   * go on being written there until the pod goes.
   */
  readonly #ownTmpfs = new ByPod<boolean>();
  /** Pod and volume name → the directory of the PersistentVolume its claim is bound to, once set up. */
  readonly #claimPaths = new ByPod<string>();

  constructor(options: VolumeManagerOptions) {
    this.#rootDir = options.rootDir;
    this.#objects = options.objects;
    this.#clock = options.clock;
    this.#events = options.events;
    this.#allocatable = options.allocatable ?? hostNodeAllocatable();
    this.#useTmpfs = options.useTmpfs ?? process.getuid?.() === 0;
    // The kubelet sizes a secret's tmpfs as an emptyDir of medium Memory without a pod limit: node allocatable.
    this.#memoryVolumes = new SharedTmpfs(this.#rootDir, () =>
      quantityValue(parseQuantity(this.#allocatable.memory)),
    );
    const request = options.objects.requestServiceAccountToken;
    this.#tokens = request ? new TokenManager({ request, clock: options.clock }) : undefined;
  }

  /** Host directory of one of the pod's volumes (hostPath volumes: the host path itself). */
  volumePath(pod: Pod, volume: Volume): string {
    const kind = kindOf(volume);
    if (kind === 'hostPath') return volume.hostPath?.path ?? '';
    if (kind === 'persistentVolumeClaim') {
      const path = this.#claimPaths.get(uidOf(pod), volume.name);
      if (path === undefined) throw new Error(`volume "${volume.name}" is not mounted yet`);
      return path;
    }
    if (kind === undefined) throw new Error(`unsupported volume type ${sourceName(volume)}`);
    return this.#dirOf(uidOf(pod), kind, volume.name);
  }

  /** A volume's directory: on the shared tmpfs for secret and projected volumes, else under the pod's. */
  #dirOf(uid: string, kind: PluginKind, name: string): string {
    return this.#onSharedTmpfs(kind, uid, name)
      ? this.#memoryVolumes.path(uid, kind, name)
      : volumeDir(this.#rootDir, uid, kind, name);
  }

  /**
   * secret and projected volumes are on tmpfs, as the kubelet's (not configMap and downwardAPI: disk): the
   * shared one, unless the volume has its own from an earlier podrun.
   */
  #onSharedTmpfs(kind: PluginKind, uid: string, name: string): boolean {
    return this.#tmpfsKind(kind) && this.#ownTmpfs.get(uid, `${kind}/${name}`) !== true;
  }

  #tmpfsKind(kind: PluginKind): boolean {
    return this.#useTmpfs && (kind === 'secret' || kind === 'projected');
  }

  /** Tells, once per volume, whether it has a tmpfs of its own (#ownTmpfs). */
  #checkOwnTmpfs(uid: string, kind: PluginKind, name: string): void {
    if (!this.#tmpfsKind(kind) || this.#ownTmpfs.get(uid, `${kind}/${name}`) !== undefined) return;
    // A volume with no directory of its own under the pod's is new: not mounted.
    this.#ownTmpfs.set(uid, `${kind}/${name}`, isMountedSync(volumeDir(this.#rootDir, uid, kind, name)));
  }

  /**
   * Sets up every volume of the pod; idempotent, so the kubelet may call it on every sync (contents of
   * configMap/secret/downwardAPI/projected volumes are re-projected when they differ). Throws a VolumeError
   * listing every volume that failed (the others are set up).
   */
  setUpPod(pod: Pod): Promise<void> {
    return this.#locks.run(uidOf(pod), () => this.#setUp(pod, false));
  }

  /** Re-projects the pod's configMap, secret, downwardAPI and projected volumes from the current objects. */
  refreshPod(pod: Pod): Promise<void> {
    return this.#locks.run(uidOf(pod), () => this.#setUp(pod, true));
  }

  /**
   * Unmounts every mount below the pod's volumes directory and removes it (then the pod directory, if that is
   * empty). Refuses to delete anything while a mount remains. Idempotent.
   */
  tearDownPod(podUid: string): Promise<void> {
    return this.#locks.run(podUid, () => this.#tearDown(podUid));
  }

  /** The pods with a directory of their own here or volumes on the shared tmpfs (cleanupOrphanedPodDirs reads these). */
  async podsOnDisk(): Promise<string[]> {
    const [dirs, shared] = await Promise.all([
      readdir(join(this.#rootDir, 'pods')).catch(() => [] as string[]),
      this.#memoryVolumes.pods(),
    ]);
    return [...new Set([...dirs, ...shared])];
  }

  /**
   * The runtime mounts for `container`: one per volumeMount, `hostPath` being the volume's directory or, with
   * subPath/subPathExpr, the real path of that entry inside it (never a path outside the volume). `subPath` is
   * therefore never set on the result. `envs` (the container's resolved environment) expands subPathExpr.
   * Errors are ContainerConfigErrors with the kubelet's texts (CreateContainerConfigError).
   */
  mountsFor(pod: Pod, container: Container, envs: KeyValue[] = []): Mount[] {
    const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
    const mounts: Mount[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const volume = volumes.get(vm.name);
      const kind = volume ? kindOf(volume) : undefined;
      if (!volume || kind === undefined) {
        throw new ContainerConfigError(
          `cannot find volume "${vm.name}" to mount into container "${container.name}"`,
        );
      }
      let subPath = vm.subPath ?? '';
      if (vm.subPathExpr) {
        subPath = expandSubPathExpr(vm.subPathExpr, envs);
      }
      const volumePath = this.volumePath(pod, volume);
      let hostPath = volumePath;
      if (subPath !== '') {
        try {
          hostPath = resolveSubPath(volumePath, subPath, vm.name, container.name);
        } catch (e) {
          throw new ContainerConfigError((e as Error).message, { cause: e });
        }
      }
      mounts.push({
        // The kubelet makes a relative mountPath absolute rather than refusing it.
        containerPath: vm.mountPath.startsWith('/') ? vm.mountPath : `/${vm.mountPath}`,
        hostPath,
        readOnly:
          vm.readOnly === true || alwaysReadOnly(kind) || volume.persistentVolumeClaim?.readOnly === true,
      });
    }
    return mounts;
  }

  async #setUp(pod: Pod, onlyProjected: boolean): Promise<void> {
    const uid = uidOf(pod);
    if (!this.#volumesDirMade.has(uid)) {
      await mkdir(podVolumesDir(this.#rootDir, uid), { recursive: true, mode: 0o750 });
      this.#volumesDirMade.add(uid);
    }
    const failures: VolumeFailure[] = [];
    const claimFailures: { volume: string; error: ClaimProcessingError }[] = [];
    for (const volume of pod.spec?.volumes ?? []) {
      const kind = kindOf(volume);
      if (onlyProjected && (kind === 'emptyDir' || kind === 'hostPath' || kind === 'persistentVolumeClaim'))
        continue;
      try {
        await this.#setUpVolume(pod, volume, kind, onlyProjected);
      } catch (e) {
        if (e instanceof ClaimProcessingError) claimFailures.push({ volume: volume.name, error: e });
        else failures.push({ volume: volume.name, message: setUpFailedMessage(volume.name, e) });
      }
    }
    // Claims the populator could not process are reported together, as WaitForAttachAndMount does.
    if (claimFailures.length > 0) {
      const names = claimFailures.map((f) => f.volume).sort();
      const causes = aggregate(claimFailures.map((f) => f.error))!.message;
      const list = `[${names.join(' ')}]`;
      const message = `Unable to attach or mount volumes: unmounted volumes=${list}, unattached volumes=${list}, failed to process volumes=${list}: ${causes}`;
      // One event for them all, as the kubelet records it.
      failures.push({ volume: names.join(','), message });
    }
    if (failures.length > 0) throw new VolumeError(failures);
  }

  async #setUpVolume(pod: Pod, volume: Volume, kind: Kind | undefined, onlyExisting: boolean): Promise<void> {
    const uid = uidOf(pod);
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    const namespace = pod.metadata?.namespace ?? 'default';
    if (kind === 'secret' || kind === 'projected') this.#checkOwnTmpfs(uid, kind, volume.name);
    switch (kind) {
      case undefined:
        throw new Error(`podrun does not support volume type ${sourceName(volume)}`);
      case 'hostPath':
        return setUpHostPath(volume.hostPath as NonNullable<Volume['hostPath']>);
      case 'persistentVolumeClaim': {
        const src = volume.persistentVolumeClaim as NonNullable<Volume['persistentVolumeClaim']>;
        this.#claimPaths.set(uid, volume.name, await resolveClaimPath(this.#objects, namespace, src));
        return;
      }
      case 'emptyDir': {
        const dir = volumeDir(this.#rootDir, uid, 'emptyDir', volume.name);
        const memory = volume.emptyDir?.medium === 'Memory';
        const created = await this.#ensureDir(dir, memory, this.#memorySize(pod, volume.emptyDir?.sizeLimit));
        if (created && fsGroup !== undefined) await setVolumeOwnership(dir, fsGroup, false);
        return;
      }
      case 'configMap': {
        const src = volume.configMap as NonNullable<Volume['configMap']>;
        const name = src.name ?? '';
        const optional = src.optional === true;
        const cm = await this.#objects.getConfigMap(namespace, name);
        if (!cm && !optional) throw new Error(`configmap "${name}" not found`);
        const payload = configMapPayload(src.items, cm, src.defaultMode ?? DEFAULT_MODE, optional);
        return this.#project(pod, volume.name, 'configMap', payload, false, onlyExisting);
      }
      case 'secret': {
        const src = volume.secret as NonNullable<Volume['secret']>;
        const name = src.secretName ?? '';
        const optional = src.optional === true;
        const secret = await this.#objects.getSecret(namespace, name);
        if (!secret && !optional) throw new Error(`secret "${name}" not found`);
        const payload = secretPayload(src.items, secret, src.defaultMode ?? DEFAULT_MODE, optional);
        return this.#project(pod, volume.name, 'secret', payload, true, onlyExisting);
      }
      case 'downwardAPI': {
        const src = volume.downwardAPI as NonNullable<Volume['downwardAPI']>;
        const payload = downwardAPIPayload(
          src.items,
          pod,
          src.defaultMode ?? DEFAULT_MODE,
          this.#allocatable,
        );
        return this.#project(pod, volume.name, 'downwardAPI', payload, false, onlyExisting);
      }
      case 'projected': {
        const src = volume.projected as NonNullable<Volume['projected']>;
        const { payload, skipped } = await projectedPayload(
          volume.name,
          src,
          pod,
          this.#objects,
          this.#allocatable,
          this.#tokens,
        );
        const dir = this.#dirOf(uid, 'projected', volume.name);
        if (this.#projected.get(uid, dir) === payloadDigest(payload, fsGroup)) return;
        const isNew = !existsSync(dir);
        await this.#project(pod, volume.name, 'projected', payload, true, onlyExisting);
        if (isNew && !onlyExisting) {
          for (const message of skipped)
            this.#events?.event(podRef(pod), 'Warning', 'UnsupportedVolumeSource', message);
        }
        return;
      }
    }
  }

  /**
   * Writes a projected payload into the volume's directory (created first, on tmpfs for `memory`: the shared one), with
   * fsGroup ownership applied before the new files become visible. On refresh, a volume that was never set
   * up is left alone.
   */
  async #project(
    pod: Pod,
    name: string,
    kind: PluginKind,
    payload: Map<string, FileProjection>,
    memory: boolean,
    onlyExisting: boolean,
  ): Promise<void> {
    const uid = uidOf(pod);
    const dir = this.#dirOf(uid, kind, name);
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    if (this.#projected.get(uid, dir) === payloadDigest(payload, fsGroup)) return;
    const existed = existsSync(dir);
    if (onlyExisting && !existed) return;
    // Refuse bad paths before anything is created or mounted.
    for (const p of payload.keys()) {
      const problem = validateProjectedPath(p);
      if (problem) throw new Error(problem);
    }
    this.#projected.delete(uid, dir);
    try {
      if (this.#onSharedTmpfs(kind, uid, name)) await this.#memoryVolumes.ensure(uid, kind, name);
      else await this.#ensureDir(dir, memory, memory ? this.#memorySize(pod, undefined) : undefined);
      const result = await atomicWrite(
        dir,
        payload,
        this.#clock.now(),
        // Like the kubelet, ownership covers the whole volume, before the new version is published.
        fsGroup === undefined ? undefined : async () => setVolumeOwnership(dir, fsGroup, true),
        memory && this.#useTmpfs ? memoryFs : diskFs,
      );
      // Visible links are created after publication; they get the group too.
      if (fsGroup !== undefined && result.written) await setVolumeOwnership(dir, fsGroup, true);
      this.#projected.set(uid, dir, payloadDigest(payload, fsGroup));
    } catch (e) {
      // A first set-up that failed half-way leaves nothing behind (the kubelet tears it down too).
      if (!existed) await this.#removeVolumeDir(dir).catch(() => {});
      throw e;
    }
  }

  async #removeVolumeDir(dir: string): Promise<void> {
    const real = await realpath(dir);
    for (const m of await mountsUnder(real)) await unmount(m.mountPoint);
    await rm(dir, { recursive: true, force: true });
  }

  /**
   * The emptyDir wrapper every managed volume starts from: a 0777 directory, or a tmpfs mounted on it
   * (left at the tmpfs default 1777, as the kubelet's). Returns true when this call created it.
   */
  async #ensureDir(dir: string, memory: boolean, sizeBytes: bigint | undefined): Promise<boolean> {
    const existed = existsSync(dir);
    if (!existed) {
      await mkdir(dir, { recursive: true, mode: 0o750 });
      await chmod(dir, 0o777);
    }
    if (memory && this.#useTmpfs && !(await isLikelyMountPoint(await realpath(dir)))) {
      await mountTmpfs(dir, sizeBytes);
      return true;
    }
    return !existed;
  }

  /**
   * The kubelet's calculateEmptyDirMemorySize: node allocatable memory, lowered to the pod's memory limit when
   * every container has one, lowered to sizeLimit when that is smaller still.
   */
  #memorySize(pod: Pod, sizeLimit: string | undefined): bigint {
    let size = quantityValue(parseQuantity(this.#allocatable.memory));
    const podLimit = podMemoryLimit(pod);
    if (podLimit !== undefined && podLimit > 0n && podLimit <= size) size = podLimit;
    if (sizeLimit !== undefined) {
      const limit = quantityValue(parseQuantity(sizeLimit));
      if (limit > 0n && limit <= size) size = limit;
    }
    return size;
  }

  async #tearDown(podUid: string): Promise<void> {
    this.#volumesDirMade.delete(podUid);
    this.#tokens?.deletePodTokens(podUid);
    this.#claimPaths.forget(podUid);
    this.#projected.forget(podUid);
    this.#ownTmpfs.forget(podUid);
    if (this.#useTmpfs) await this.#memoryVolumes.remove(podUid);
    const volumesDir = podVolumesDir(this.#rootDir, podUid);
    if (!existsSync(volumesDir)) {
      await rmdir(podDir(this.#rootDir, podUid)).catch(() => {});
      return;
    }
    const real = await realpath(volumesDir);
    for (const m of await mountsUnder(real)) await unmount(m.mountPoint);
    const left = await mountsUnder(real);
    if (left.length > 0) {
      throw new Error(
        `cannot remove volumes of pod ${podUid}: still mounted: ${left.map((m) => m.mountPoint).join(', ')}; unmount them and retry`,
      );
    }
    await rm(volumesDir, { recursive: true, force: true });
    // The pod directory goes only if nothing else (logs, hosts file) lives there.
    const podPath = podDir(this.#rootDir, podUid);
    const rest = await readdir(podPath).catch(() => undefined);
    if (rest?.length === 0) await rmdir(podPath);
  }
}

/** A digest of what a projection writes: every path with its mode and content, and the fsGroup it gets. */
function payloadDigest(payload: Map<string, FileProjection>, fsGroup: number | undefined): string {
  const h = createHash('sha256');
  h.update(`fsGroup ${fsGroup ?? '-'}\0`);
  for (const [path, file] of payload) {
    h.update(`${path}\0${file.mode}\0${file.data.length}\0`);
    h.update(file.data);
  }
  return h.digest('base64');
}

/** The pod's memory limit for cgroup purposes: known only when every container sets one. */
function podMemoryLimit(pod: Pod): bigint | undefined {
  const limitOf = (c: Container) => {
    const l = c.resources?.limits?.memory;
    return l === undefined ? undefined : quantityValue(parseQuantity(l));
  };
  let sum = 0n;
  for (const c of pod.spec?.containers ?? []) {
    const l = limitOf(c);
    if (l === undefined) return undefined;
    sum += l;
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const l = limitOf(c);
    if (l === undefined) return undefined;
    if (l > sum) sum = l;
  }
  return sum;
}

/** kubecontainer.ExpandContainerVolumeMounts: every referenced variable must be set and non-empty. */
function expandSubPathExpr(expr: string, envs: KeyValue[]): string {
  const env = new Map(envs.map((e) => [e.name, e.value]));
  const missing = new Set<string>();
  const out = expand(expr, (name) => {
    const v = env.get(name);
    if (v === undefined || v === '') missing.add(name);
    return v ?? '';
  });
  if (missing.size > 0) throw new ContainerConfigError(`missing value for ${[...missing].sort().join(', ')}`);
  return out;
}

function uidOf(pod: Pod): string {
  const uid = pod.metadata?.uid;
  if (!uid) throw new Error(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} has no metadata.uid`);
  return uid;
}
