// Runs the controllers: one shared informer per resource, one work queue per controller, and the handlers
// that turn a change of one object into the keys of the objects that depend on it (a pod's owner, a
// ReplicaSet's deployment, the services of a pod's namespace, the Service of an EndpointSlice).
import { LOCAL_PATH_PROVISIONER } from '../api/storage-names.js';
import type { KubeObject, Pod } from '../api/types.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';
import type { ControllerClient } from './client.js';
import { syncCronJob } from './cronjob.js';
import { syncDaemonSet } from './daemonset.js';
import { syncDeployment } from './deployment.js';
import { syncEndpoints } from './endpoints.js';
import { EndpointSliceController, serviceKeyOfSlice } from './endpointslice.js';
import { FailedPodsBackoff } from './failed-pods-backoff.js';
import { wireGarbageCollector } from './garbage-collector.js';
import { Informer, objectKey } from './informer.js';
import { syncJob } from './job.js';
import { RESOURCE } from './kinds.js';
import { controllerRef } from './pods.js';
import { wirePolicyControllers } from './policy/index.js';
import { type SyncResult, WorkQueue } from './queue.js';
import { syncReplicaSet } from './replicaset.js';
import { syncStatefulSet } from './statefulset.js';
import { podClaimNames } from './volumes/decisions.js';
import { VolumeController } from './volumes/pv-controller.js';

export interface ControllerManagerOptions {
  client: ControllerClient;
  clock: Clock;
  /** An event recorder whose events carry `source.component` = the given name (e.g. `replicaset-controller`). */
  recorderFor(component: string): EventRecorder;
  /** Logs a sync failure; the key is retried. */
  onError?(controller: string, key: string, err: unknown): void;
  /** kube-controller-manager's --max-endpoints-per-slice. @default 100 */
  maxEndpointsPerSlice?: number;
  /**
   * The persistent volume controller and the local-path provisioner: `volumesDir` holds a directory per
   * provisioned volume, pinned to `nodeName`. Without it no claim is bound or provisioned.
   */
  volumes?: { volumesDir: string; nodeName: string };
  /** The zone of CronJob schedules without spec.timeZone (tests pin it). @default the process's zone */
  cronJobZone?: string;
}

function split(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

export class ControllerManager {
  readonly #informers: Informer[] = [];
  readonly #queues: WorkQueue[] = [];
  readonly #options: ControllerManagerOptions;

  constructor(options: ControllerManagerOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { client, clock } = this.#options;
    const informer = (r: (typeof RESOURCE)[keyof typeof RESOURCE]) => {
      const i = new Informer(client, r);
      this.#informers.push(i);
      return i;
    };
    const pods = informer(RESOURCE.pods);
    const replicaSets = informer(RESOURCE.replicasets);
    const deployments = informer(RESOURCE.deployments);
    const jobs = informer(RESOURCE.jobs);
    const services = informer(RESOURCE.services);
    const endpoints = informer(RESOURCE.endpoints);
    const endpointSlices = informer(RESOURCE.endpointslices);
    const statefulSets = informer(RESOURCE.statefulsets);
    const revisions = informer(RESOURCE.controllerrevisions);
    const claims = informer(RESOURCE.persistentvolumeclaims);
    const daemonSets = informer(RESOURCE.daemonsets);
    const nodes = informer(RESOURCE.nodes);
    const cronJobs = informer(RESOURCE.cronjobs);
    const replicationControllers = informer(RESOURCE.replicationcontrollers);

    const queue = (name: string, sync: (ns: string, n: string) => Promise<SyncResult>) => {
      const q = new WorkQueue({
        clock,
        sync: (key) => sync(...split(key)),
        onError: (key, err) => this.#options.onError?.(name, key, err),
      });
      this.#queues.push(q);
      return q;
    };
    const rsDeps = {
      client,
      pods,
      replicaSets,
      events: this.#options.recorderFor('replicaset-controller'),
      clock,
    };
    const rsQueue = queue('replicaset', (ns, n) => syncReplicaSet(rsDeps, ns, n));
    const dDeps = {
      client,
      deployments,
      replicaSets,
      pods,
      events: this.#options.recorderFor('deployment-controller'),
      clock,
    };
    const dQueue = queue('deployment', (ns, n) => syncDeployment(dDeps, ns, n));
    const jobDeps = { client, jobs, pods, events: this.#options.recorderFor('job-controller'), clock };
    const jobQueue = queue('job', (ns, n) => syncJob(jobDeps, ns, n));
    const stsDeps = {
      client,
      statefulSets,
      pods,
      claims,
      revisions,
      events: this.#options.recorderFor('statefulset-controller'),
      clock,
    };
    const stsQueue = queue('statefulset', (ns, n) => syncStatefulSet(stsDeps, ns, n));
    statefulSets.onChange((_t, s) => stsQueue.add(objectKey(s)));
    const dsDeps = {
      client,
      daemonSets,
      pods,
      nodes,
      revisions,
      events: this.#options.recorderFor('daemonset-controller'),
      clock,
      backoff: new FailedPodsBackoff(),
    };
    const dsQueue = queue('daemonset', (ns, n) => syncDaemonSet(dsDeps, ns, n));
    daemonSets.onChange((_t, d) => dsQueue.add(objectKey(d)));
    // A node's labels, taints or arrival change where daemon pods belong.
    nodes.onChange(() => {
      for (const d of daemonSets.list()) dsQueue.add(objectKey(d));
    });
    const cjDeps = {
      client,
      cronJobs,
      jobs,
      events: this.#options.recorderFor('cronjob-controller'),
      clock,
      ...(this.#options.cronJobZone ? { zone: this.#options.cronJobZone } : {}),
    };
    const cjQueue = queue('cronjob', (ns, n) => syncCronJob(cjDeps, ns, n));
    cronJobs.onChange((_t, c) => cjQueue.add(objectKey(c)));
    const rcDeps = {
      client,
      pods,
      replicaSets: replicationControllers,
      resource: RESOURCE.replicationcontrollers,
      events: this.#options.recorderFor('replication-controller'),
      clock,
    };
    const rcQueue = queue('replicationmanager', (ns, n) => syncReplicaSet(rcDeps, ns, n));
    replicationControllers.onChange((_t, rc) => rcQueue.add(objectKey(rc)));
    const epQueue = queue('endpoints', (ns, n) =>
      syncEndpoints({ client, services, endpoints, pods }, ns, n),
    );
    const slices = new EndpointSliceController({
      client,
      services,
      pods,
      endpointSlices,
      ...(this.#options.maxEndpointsPerSlice
        ? { maxEndpointsPerSlice: this.#options.maxEndpointsPerSlice }
        : {}),
    });
    const esQueue = queue('endpointslice', (ns, n) => slices.sync(ns, n));

    const ownerKey = (o: KubeObject, kind: string): string | undefined => {
      const r = controllerRef(o);
      return r && r.kind === kind ? `${o.metadata.namespace ?? ''}/${r.name}` : undefined;
    };
    const enqueueOwner = (q: WorkQueue, o: KubeObject, kind: string) => {
      const k = ownerKey(o, kind);
      if (k) q.add(k);
    };

    replicaSets.onChange((_t, rs) => {
      rsQueue.add(objectKey(rs));
      enqueueOwner(dQueue, rs, 'Deployment');
    });
    deployments.onChange((_t, d) => dQueue.add(objectKey(d)));
    jobs.onChange((_t, j, old) => {
      jobQueue.add(objectKey(j));
      enqueueOwner(cjQueue, j, 'CronJob');
      if (old) enqueueOwner(cjQueue, old, 'CronJob');
    });
    services.onChange((_t, s) => {
      epQueue.add(objectKey(s));
      esQueue.add(objectKey(s));
    });
    endpoints.onChange((_t, e) => epQueue.add(objectKey(e)));
    // A managed slice changed by someone else (or re-labelled away) is put back by its Service's sync.
    endpointSlices.onChange((t, s, old) => {
      slices.observe(t, s);
      for (const o of [s, old]) {
        const k = o && serviceKeyOfSlice(o);
        if (k) esQueue.add(k);
      }
    });
    pods.onChange((_t, pod) => {
      enqueueOwner(rsQueue, pod, 'ReplicaSet');
      enqueueOwner(jobQueue, pod, 'Job');
      enqueueOwner(stsQueue, pod, 'StatefulSet');
      enqueueOwner(dsQueue, pod, 'DaemonSet');
      enqueueOwner(rcQueue, pod, 'ReplicationController');
      const rsKey = ownerKey(pod, 'ReplicaSet');
      if (rsKey) {
        const rs = replicaSets.get(...split(rsKey));
        if (rs) enqueueOwner(dQueue, rs, 'Deployment');
      }
      for (const s of services.list(pod.metadata.namespace ?? '')) {
        epQueue.add(objectKey(s));
        esQueue.add(objectKey(s));
      }
    });

    const startPolicy = wirePolicyControllers({
      client,
      clock,
      informer,
      queue,
      pods,
      replicaSets,
      deployments,
      statefulSets,
      counted: [services, claims],
    });
    const startVolumes = this.#options.volumes
      ? this.#wireVolumes(informer, queue, pods, claims, this.#options.volumes)
      : undefined;
    // Last, so that it sees every informer made above: each one's objects are dependents.
    const startGc = wireGarbageCollector({ client, queue, informers: [...this.#informers] });

    // Informers first, so that every controller's first sync sees complete caches.
    for (const i of this.#informers) await i.start();
    for (const d of deployments.list()) dQueue.add(objectKey(d));
    for (const rs of replicaSets.list()) rsQueue.add(objectKey(rs));
    for (const j of jobs.list()) jobQueue.add(objectKey(j));
    for (const s of statefulSets.list()) stsQueue.add(objectKey(s));
    for (const d of daemonSets.list()) dsQueue.add(objectKey(d));
    for (const c of cronJobs.list()) cjQueue.add(objectKey(c));
    for (const rc of replicationControllers.list()) rcQueue.add(objectKey(rc));
    for (const s of services.list()) {
      epQueue.add(objectKey(s));
      esQueue.add(objectKey(s));
    }
    startVolumes?.();
    startPolicy();
    startGc();
  }

  /** The volume controllers' informers, queues and handlers; the returned function queues the first syncs. */
  #wireVolumes(
    informer: (r: (typeof RESOURCE)[keyof typeof RESOURCE]) => Informer,
    queue: (name: string, sync: (ns: string, n: string) => Promise<SyncResult>) => WorkQueue,
    pods: Informer,
    claims: Informer,
    options: { volumesDir: string; nodeName: string },
  ): () => void {
    const volumes = informer(RESOURCE.persistentvolumes);
    const classes = informer(RESOURCE.storageclasses);
    const controller = new VolumeController({
      client: this.#options.client,
      claims,
      volumes,
      classes,
      pods,
      events: this.#options.recorderFor('persistentvolume-controller'),
      provisionerEvents: this.#options.recorderFor(`${LOCAL_PATH_PROVISIONER}_${options.nodeName}`),
      volumesDir: options.volumesDir,
      nodeName: options.nodeName,
    });
    const claimQueue = queue('persistentvolume-binder', (ns, n) => controller.syncClaim(ns, n));
    const volumeQueue = queue('persistentvolume', (_ns, n) => controller.syncVolume(n));
    const volumesOfClaim = (c: KubeObject) =>
      volumes.list().filter((v) => {
        const r = (v.spec as { claimRef?: { namespace?: string; name?: string } } | undefined)?.claimRef;
        return r?.namespace === c.metadata.namespace && r?.name === c.metadata.name;
      });
    claims.onChange((_t, c) => {
      claimQueue.add(objectKey(c));
      for (const v of volumesOfClaim(c)) volumeQueue.add(objectKey(v));
    });
    volumes.onChange((_t, v) => {
      volumeQueue.add(objectKey(v));
      const r = (v.spec as { claimRef?: { namespace?: string; name?: string } } | undefined)?.claimRef;
      if (r?.name) claimQueue.add(`${r.namespace ?? ''}/${r.name}`);
      // A volume that became available may serve a waiting claim.
      for (const c of claims.list())
        if (!(c.spec as { volumeName?: string } | undefined)?.volumeName) claimQueue.add(objectKey(c));
    });
    classes.onChange(() => {
      for (const c of claims.list())
        if (!(c.spec as { volumeName?: string } | undefined)?.volumeName) claimQueue.add(objectKey(c));
    });
    pods.onChange((_t, pod) => {
      for (const n of podClaimNames(pod as unknown as Pod))
        claimQueue.add(`${pod.metadata.namespace ?? ''}/${n}`);
    });
    return () => {
      for (const c of claims.list()) claimQueue.add(objectKey(c));
      for (const v of volumes.list()) volumeQueue.add(objectKey(v));
    };
  }

  /** Resolves once every queue is idle (tests). */
  async settled(): Promise<void> {
    for (let round = 0; round < 3; round++) for (const q of this.#queues) await q.settled();
  }

  stop(): void {
    for (const q of this.#queues) q.shutDown();
    for (const i of this.#informers) i.stop();
  }
}
