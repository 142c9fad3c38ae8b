// The persistent volume controller with podrun's local-path provisioner built in, and the pvc/pv protection
// controllers: binds claims to volumes both ways (claimRef / volumeName, phases Pending → Bound), provisions
// a claim of a local-path class (at once, or once a pod using it is scheduled for WaitForFirstConsumer),
// releases a volume whose claim went and reclaims it per its policy, and lets a claim or volume being deleted
// go once nothing uses it.
import { PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER } from '../../api/storage-names.js';
import type {
  KubeObject,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  StorageClass,
} from '../../api/types.js';
import { ApiError } from '../../apiserver/errors.js';
import type { EventRecorder } from '../../kubelet/types.js';
import { type ControllerClient, isStaleWrite } from '../client.js';
import type { Informer } from '../informer.js';
import { RESOURCE, ref } from '../kinds.js';
import {
  BETA_STORAGE_PROVISIONER_ANNOTATION,
  BIND_COMPLETED_ANNOTATION,
  BOUND_BY_CONTROLLER_ANNOTATION,
  decideClaim,
  decideVolume,
  LOCAL_PATH_PROVISIONER,
  podClaimNames,
  podHoldsClaims,
  STORAGE_PROVISIONER_ANNOTATION,
} from './decisions.js';
import {
  createVolumeDirectory,
  provisionedVolume,
  removeVolumeDirectory,
  volumeDirectory,
} from './local-path.js';

export interface VolumeControllerDeps {
  client: ControllerClient;
  claims: Informer;
  volumes: Informer;
  classes: Informer;
  pods: Informer;
  /** persistentvolume-controller's events. */
  events: EventRecorder;
  /** The provisioner's own events (Provisioning, ProvisioningSucceeded), as an external provisioner sends them. */
  provisionerEvents: EventRecorder;
  /** `<state dir>/volumes`: where provisioned volumes live. */
  volumesDir: string;
  nodeName: string;
}

function asClaim(o: KubeObject): PersistentVolumeClaim {
  return o as unknown as PersistentVolumeClaim;
}
function asVolume(o: KubeObject): PersistentVolume {
  return o as unknown as PersistentVolume;
}

export class VolumeController {
  readonly #d: VolumeControllerDeps;
  /** Claims told they wait for a consumer, so that the event is not repeated at every sync. */
  readonly #waiting = new Set<string>();

  constructor(deps: VolumeControllerDeps) {
    this.#d = deps;
  }

  #classes(): Map<string, StorageClass> {
    return new Map(
      this.#d.classes.list().map((c) => [c.metadata.name ?? '', c as unknown as StorageClass] as const),
    );
  }

  async syncClaim(namespace: string, name: string): Promise<undefined> {
    const obj = this.#d.claims.get(namespace, name);
    if (!obj) return undefined;
    if (obj.metadata.deletionTimestamp) {
      await this.#releaseClaimFinalizer(obj);
      return undefined;
    }
    const claim = asClaim(obj);
    const volumes = this.#d.volumes.list().map(asVolume);
    const decision = decideClaim(claim, this.#classes(), volumes);
    const key = `${namespace}/${name}/${obj.metadata.uid}`;
    if (decision.action !== 'waitForFirstConsumer') this.#waiting.delete(key);
    switch (decision.action) {
      case 'none':
        return undefined;
      case 'waitForFirstConsumer':
        if (!this.#waiting.has(key)) {
          this.#waiting.add(key);
          this.#d.events.event(
            ref(obj),
            'Normal',
            'WaitForFirstConsumer',
            'waiting for first consumer to be created before binding',
          );
        }
        return undefined;
      case 'pending':
        this.#d.events.event(
          ref(obj),
          decision.reason === 'FailedBinding' ? 'Normal' : 'Warning',
          decision.reason,
          decision.message,
        );
        return undefined;
      case 'lost':
        await this.#writeClaimStatus(obj, { phase: 'Lost' });
        this.#d.events.event(
          ref(obj),
          'Warning',
          'ClaimLost',
          'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!',
        );
        return undefined;
      case 'provision': {
        const pv = await this.#provision(obj, decision.storageClass);
        if (pv) await this.#bind(obj, pv);
        return undefined;
      }
      case 'bind':
        await this.#bind(obj, decision.volume);
        return undefined;
    }
  }

  async syncVolume(name: string): Promise<undefined> {
    const obj = this.#d.volumes.get('', name);
    if (!obj) return undefined;
    if (obj.metadata.deletionTimestamp) {
      if (asVolume(obj).status?.phase !== 'Bound')
        await this.#dropFinalizer(RESOURCE.persistentvolumes, obj, PV_PROTECTION_FINALIZER);
      return undefined;
    }
    const claims = new Map(
      this.#d.claims.list().map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, asClaim(c)] as const),
    );
    const decision = decideVolume(asVolume(obj), claims);
    switch (decision.action) {
      case 'none':
        return undefined;
      case 'phase':
        await this.#writeVolumeStatus(obj, decision.phase);
        return undefined;
      case 'delete':
        await this.#reclaimDelete(obj);
        return undefined;
    }
  }

  /** Creates the directory and the PV for a claim; undefined when the claim changed meanwhile. */
  async #provision(obj: KubeObject, sc: StorageClass): Promise<PersistentVolume | undefined> {
    const claim = asClaim(obj);
    const d = this.#d;
    // The claim says who provisions it (kube-controller-manager sets this before an external provisioner acts).
    const annotated = await this.#annotateClaim(obj, {
      [STORAGE_PROVISIONER_ANNOTATION]: LOCAL_PATH_PROVISIONER,
      [BETA_STORAGE_PROVISIONER_ANNOTATION]: LOCAL_PATH_PROVISIONER,
    });
    if (!annotated) return undefined;
    const who = `${claim.metadata?.namespace}/${claim.metadata?.name}`;
    d.provisionerEvents.event(
      ref(annotated),
      'Normal',
      'Provisioning',
      `External provisioner is provisioning volume for claim "${who}"`,
    );
    const pv = provisionedVolume(asClaim(annotated), sc, d.volumesDir, d.nodeName);
    const pvName = pv.metadata?.name ?? '';
    try {
      await createVolumeDirectory(volumeDirectory(d.volumesDir, pvName));
    } catch (err) {
      d.provisionerEvents.event(
        ref(annotated),
        'Warning',
        'ProvisioningFailed',
        `failed to provision volume with StorageClass "${sc.metadata?.name}": ${(err as Error).message}`,
      );
      throw err;
    }
    let created: KubeObject;
    try {
      created = await d.client.create(RESOURCE.persistentvolumes, '', pv as unknown as KubeObject);
    } catch (err) {
      if (!(err instanceof ApiError && err.reason === 'AlreadyExists')) throw err;
      const existing = d.volumes.get('', pvName);
      if (!existing) throw err;
      created = existing;
    }
    d.provisionerEvents.event(
      ref(annotated),
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${pvName}`,
    );
    return asVolume(created);
  }

  /** Both halves of a bind: the volume's claimRef and phase, then the claim's volumeName and status. */
  async #bind(claimObj: KubeObject, pv: PersistentVolume): Promise<void> {
    const d = this.#d;
    const claim = asClaim(claimObj);
    let pvObj = pv as unknown as KubeObject;
    const cref = pv.spec?.claimRef;
    if (!cref?.uid) {
      const next = structuredClone(pvObj) as unknown as PersistentVolume;
      next.spec!.claimRef = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata?.namespace ?? '',
        name: claim.metadata?.name ?? '',
        uid: claim.metadata?.uid ?? '',
        resourceVersion: claim.metadata?.resourceVersion ?? '',
      };
      next.metadata!.annotations = {
        ...(next.metadata?.annotations ?? {}),
        [BOUND_BY_CONTROLLER_ANNOTATION]: 'yes',
      };
      const written = await this.#write(() =>
        d.client.update(RESOURCE.persistentvolumes, '', next as unknown as KubeObject),
      );
      if (!written) return;
      pvObj = written;
    }
    if (asVolume(pvObj).status?.phase !== 'Bound') {
      const w = await this.#writeVolumeStatus(pvObj, 'Bound');
      if (!w) return;
    }
    let cObj: KubeObject | undefined = claimObj;
    if (
      claim.spec?.volumeName !== pv.metadata?.name ||
      claim.metadata?.annotations?.[BIND_COMPLETED_ANNOTATION] !== 'yes'
    ) {
      const next = structuredClone(claimObj) as unknown as PersistentVolumeClaim;
      const annotations: Record<string, string> = {
        ...(next.metadata?.annotations ?? {}),
        [BIND_COMPLETED_ANNOTATION]: 'yes',
      };
      if (!claim.spec?.volumeName) annotations[BOUND_BY_CONTROLLER_ANNOTATION] = 'yes';
      next.metadata!.annotations = annotations;
      next.spec!.volumeName = pv.metadata?.name ?? '';
      cObj = await this.#write(() =>
        d.client.update(
          RESOURCE.persistentvolumeclaims,
          claim.metadata?.namespace ?? '',
          next as unknown as KubeObject,
        ),
      );
      if (!cObj) return;
    }
    const pvSpec = asVolume(pvObj).spec;
    await this.#writeClaimStatus(cObj, {
      phase: 'Bound',
      accessModes: [...(pvSpec?.accessModes ?? [])],
      capacity: { ...(pvSpec?.capacity ?? {}) },
    });
  }

  async #reclaimDelete(obj: KubeObject): Promise<void> {
    const pv = asVolume(obj);
    try {
      await removeVolumeDirectory(this.#d.volumesDir, pv);
    } catch (err) {
      this.#d.events.event(ref(obj), 'Warning', 'VolumeFailedDelete', (err as Error).message);
      throw err;
    }
    await this.#d.client.delete(RESOURCE.persistentvolumes, '', obj.metadata.name ?? '');
  }

  /** The pvc-protection controller: a claim being deleted goes once no unfinished pod uses it. */
  async #releaseClaimFinalizer(obj: KubeObject): Promise<void> {
    if (!(obj.metadata.finalizers ?? []).includes(PVC_PROTECTION_FINALIZER)) return;
    const name = obj.metadata.name ?? '';
    const used = this.#d.pods
      .list(obj.metadata.namespace ?? '')
      .map((p) => p as unknown as Pod)
      .some((p) => podHoldsClaims(p) && podClaimNames(p).includes(name));
    if (!used) await this.#dropFinalizer(RESOURCE.persistentvolumeclaims, obj, PVC_PROTECTION_FINALIZER);
  }

  async #dropFinalizer(
    r: typeof RESOURCE.persistentvolumes,
    obj: KubeObject,
    finalizer: string,
  ): Promise<void> {
    const finalizers = obj.metadata.finalizers ?? [];
    if (!finalizers.includes(finalizer)) return;
    const next = {
      ...obj,
      metadata: { ...obj.metadata, finalizers: finalizers.filter((f) => f !== finalizer) },
    };
    await this.#write(() => this.#d.client.update(r, obj.metadata.namespace ?? '', next));
  }

  async #annotateClaim(obj: KubeObject, add: Record<string, string>): Promise<KubeObject | undefined> {
    const current = obj.metadata.annotations ?? {};
    if (Object.entries(add).every(([k, v]) => current[k] === v)) return obj;
    const next = { ...obj, metadata: { ...obj.metadata, annotations: { ...current, ...add } } };
    return this.#write(() =>
      this.#d.client.update(RESOURCE.persistentvolumeclaims, obj.metadata.namespace ?? '', next),
    );
  }

  async #writeVolumeStatus(obj: KubeObject, phase: string): Promise<KubeObject | undefined> {
    const status = { ...((obj.status ?? {}) as Record<string, unknown>), phase };
    return this.#write(() => this.#d.client.updateStatus(RESOURCE.persistentvolumes, '', { ...obj, status }));
  }

  async #writeClaimStatus(obj: KubeObject, status: Record<string, unknown>): Promise<KubeObject | undefined> {
    const next = { ...((obj.status ?? {}) as Record<string, unknown>), ...status };
    if (JSON.stringify(next) === JSON.stringify(obj.status ?? {})) return obj;
    return this.#write(() =>
      this.#d.client.updateStatus(RESOURCE.persistentvolumeclaims, obj.metadata.namespace ?? '', {
        ...obj,
        status: next,
      }),
    );
  }

  /** A write that lost a race gives undefined: the informer's next event brings the fresh object back. */
  async #write(f: () => Promise<KubeObject>): Promise<KubeObject | undefined> {
    try {
      return await f();
    } catch (err) {
      if (isStaleWrite(err)) return undefined;
      throw err;
    }
  }
}
