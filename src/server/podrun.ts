// One podrun: the store, the API server, the controllers, the scheduler and the node (kubelet + runtime)
// in one process, over one state directory. `podrun serve`, `podrun up` and the end-to-end tests start it
// through `startPodrun`.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from '../api/types.js';
import { createEventRecorder, type RecordingEventRecorder } from '../apiserver/events.js';
import { removeStaleUploads } from '../apiserver/http/podrun-images.js';
import { type ApiServer, startApiServer, writeKubeconfig } from '../apiserver/http/server.js';
import { ensureServingCredentials } from '../apiserver/http/tls.js';
import { installPolicyAdmission } from '../apiserver/policy-admission/install.js';
import { ensureSystemPriorityClasses } from '../apiserver/policy-admission/priority.js';
import { createRegistry, type Registry } from '../apiserver/registry.js';
import { DEFAULT_SERVICE_CIDR } from '../apiserver/service-ip/config.js';
import { ensureSystemServices } from '../apiserver/service-ip/system-services.js';
import { ensureDefaultStorageClass, installStorageAdmission } from '../apiserver/storage-admission.js';
import { HorizontalPodAutoscalerController } from '../controllers/hpa/controller.js';
import { ControllerManager } from '../controllers/manager.js';
import { Kubelet } from '../kubelet/kubelet.js';
import { LogManager } from '../kubelet/logs/index.js';
import { nodeInternalIP } from '../kubelet/node-status/readings.js';
import { runtimePortDialer } from '../kubelet/port-forward.js';
import {
  type ContainerLogSource,
  DEFAULT_CRASHLOOP_BACKOFF,
  DEFAULT_IMAGE_BACKOFF,
  DEFAULT_IMAGE_GC,
  type ImageGCConfig,
} from '../kubelet/types.js';
import { MetricsCollector } from '../metrics/collector.js';
import { readNodeUsage } from '../metrics/node-usage.js';
import type { RuntimeService } from '../runtime/types.js';
import { openSqliteStore } from '../store/sqlite.js';
import type { Store } from '../store/types.js';
import { type Clock, systemClock } from '../util/clock.js';
import { isSameProcess, processStat } from '../util/process-identity.js';
import { apiServingNames, reachableFromPods } from './api-access.js';
import { writeKubernetesEndpoints } from './api-endpoints.js';
import { startClusterNetwork } from './cluster-network.js';
import { registryControllerClient } from './controller-client.js';
import { registryHpaApi } from './hpa.js';
import { registryObjectGetter, registryStatusWriter } from './kubelet-api.js';
import { startNode } from './node.js';
import { startRbac } from './rbac.js';
import { DEFAULT_REGISTRIES_CONF, type ImagesMode, openRuntime, type RuntimeName } from './runtimes.js';
import { startScheduler } from './scheduler.js';
import { installServiceAccounts, startServiceAccountControllers } from './service-accounts.js';
import { ensureStateDir } from './state-dir.js';
import { admitPodVolumes } from './volume-scheduling.js';
import { registryVolumeScheduling } from './volume-scheduling-registry.js';

export interface PodrunOptions {
  stateDir: string;
  /** Listen address of the API server. @default '127.0.0.1' */
  address?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  runtime?: RuntimeName;
  /** A runtime object instead of a name (tests use the fake runtime). */
  runtimeService?: RuntimeService;
  /**
   * Where containers' root filesystems come from: `pull` (images pulled from registries, as a cluster) or
   * `host` (the host's filesystem; the image is only a label). Passed to the kubelet. @default 'pull'
   */
  images?: ImagesMode;
  /** containers-registries.conf(5) for the runtime's pulls. @default DEFAULT_REGISTRIES_CONF */
  registriesConf?: string;
  /** The kubelet's image garbage collection policy; unset fields keep the kubelet's defaults. */
  imageGC?: Partial<Omit<ImageGCConfig, 'periodMs'>>;
  /** Flush each pulled blob and unpacked layer to disk before using it (survives a power cut). @default false */
  imagePullSyncFs?: boolean;
  /** CrashLoopBackOff initial delay and cap (the kubelet's 10 s and 5 min by default). */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Where Service ClusterIPs come from. @default DEFAULT_SERVICE_CIDR (10.96.0.0/12) */
  serviceCIDR?: string;
  nodeName?: string;
  /** Pods the node admits: its `pods` capacity (the kubelet's maxPods). @default 110 */
  maxPods?: number;
  /**
   * The kubelet's --cluster-dns: ClusterFirst pods' nameservers. Without one, ClusterFirst pods fall back to
   * the host's resolv.conf with a MissingClusterDNS event, as upstream.
   * @default the kube-dns ClusterIP when podrun's cluster DNS runs (the runtime gives pods a network), else []
   */
  clusterDNS?: string[];
  /**
   * The machine's own processes reach ClusterIPs: a table in the host's nftables and a route to the service
   * CIDR, removed when podrun stops. @default true
   */
  hostServiceAccess?: boolean;
  /** How often metrics.k8s.io readings are taken (metrics-server's --metric-resolution). @default 15000 */
  metricResolutionMs?: number;
  /** How often HorizontalPodAutoscalers are evaluated (--horizontal-pod-autoscaler-sync-period). @default 15000 */
  hpaSyncPeriodMs?: number;
  clock?: Clock;
  /** Where component errors are reported (a sync that failed and will be retried). */
  log?: (message: string) => void;
}

/** The cluster's DNS domain, as kubeadm's default. */
export const CLUSTER_DOMAIN = 'cluster.local';

export interface Podrun {
  url: string;
  kubeconfigPath: string;
  registry: Registry;
  kubelet: Kubelet;
  runtime: RuntimeService;
  /** Container logs as the kubelet serves them. */
  logs: ContainerLogSource;
  nodeName: string;
  /** Stops every component but leaves pods running (they are adopted at the next start). */
  close(): Promise<void>;
  /** Stops every pod in the kubelet's order, removes what they used, then closes. */
  shutdown(): Promise<void>;
}

export async function startPodrun(options: PodrunOptions): Promise<Podrun> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const nodeName = options.nodeName ?? 'podrun';
  const layout = await ensureStateDir(options.stateDir);
  await mkdir(layout.kubeletDir, { recursive: true });
  const running = await runningServer(layout.serveInfo);
  if (running) {
    throw new Error(
      `another podrun (pid ${running.pid}) already serves this state directory at ${running.url}: stop it, use it (KUBECONFIG=${layout.kubeconfig}), or choose another --state-dir`,
    );
  }

  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c();
    closers.length = 0;
  };
  try {
    const store: Store = openSqliteStore(layout.storeFile);
    closers.push(() => store.close());
    const serviceCIDR = options.serviceCIDR ?? DEFAULT_SERVICE_CIDR;
    const registry = await createRegistry({
      store,
      clock,
      nodeName,
      serviceCIDR,
    });
    await ensureSystemServices(registry, serviceCIDR, (m) => log(`apiserver: ${m}`));
    // Pods get their ServiceAccount (and its token volume) at admission.
    const tokens = await installServiceAccounts(registry, options.stateDir, clock);
    const rbac = await startRbac(registry, clock, (m) => log(`apiserver: ${m}`));
    closers.push(() => rbac.stop());
    const storageAdmission = await installStorageAdmission(registry);
    closers.push(() => storageAdmission.stop());
    await ensureDefaultStorageClass(registry);
    installPolicyAdmission(registry);
    await ensureSystemPriorityClasses(registry);
    const volumesDir = join(options.stateDir, 'volumes');
    await mkdir(volumesDir, { recursive: true });
    const recorders: RecordingEventRecorder[] = [];
    const recorder = (component: string, host?: string) => {
      const r = createEventRecorder(registry, {
        component,
        clock,
        ...(host ? { host } : {}),
        onError: (e) => log(`event: ${String(e)}`),
      });
      recorders.push(r);
      return r;
    };
    closers.push(async () => {
      for (const r of recorders) await r.flush();
    });

    const runtime =
      options.runtimeService ??
      (await openRuntime(options.runtime ?? 'host', layout.runtimeDir, clock, log, {
        registriesConf: options.registriesConf ?? DEFAULT_REGISTRIES_CONF,
        imagesDir: layout.imagesDir,
        ...(options.imagePullSyncFs ? { imagePullSyncFs: true } : {}),
      }));
    closers.push(() => runtime.close?.());

    // Service VIPs and cluster DNS are in place before the kubelet starts a pod.
    const network = await startClusterNetwork({
      registry,
      runtime,
      serviceCidr: serviceCIDR,
      clusterDomain: CLUSTER_DOMAIN,
      stateDir: options.stateDir,
      hostAccess: options.hostServiceAccess ?? true,
      log,
    });
    closers.push(() => network.close());

    // The serving certificate (and its CA, which every namespace's kube-root-ca.crt publishes) exists before
    // any pod mounts it, and covers the names pods reach the API server by.
    const address = options.address ?? '127.0.0.1';
    const podNet = runtime.podNetwork?.();
    // Pods reach the API server on the host's side of their bridge (see api-endpoints.ts).
    const podAddress = podNet?.hostInterface ? podNet.gateway : undefined;
    const servingNames = apiServingNames(serviceCIDR, CLUSTER_DOMAIN, podAddress);
    const serving = await ensureServingCredentials(options.stateDir, address, servingNames);

    const kubelet = new Kubelet({
      runtime,
      clock,
      objects: registryObjectGetter(registry, tokens),
      status: registryStatusWriter(registry),
      events: recorder('kubelet', nodeName),
      config: {
        nodeName,
        // The Node's InternalIP, as the kubelet's pods get it: pods reach the host there (loopback would be the
        // pod's own). Loopback only on a machine that has no other address.
        hostIP: (await nodeInternalIP()) ?? '127.0.0.1',
        rootDir: layout.kubeletDir,
        crashLoopBackOff: {
          ...DEFAULT_CRASHLOOP_BACKOFF,
          ...(options.backoffInitialMs !== undefined ? { initialMs: options.backoffInitialMs } : {}),
          ...(options.backoffMaxMs !== undefined ? { maxMs: options.backoffMaxMs } : {}),
        },
        imagePullBackOff: DEFAULT_IMAGE_BACKOFF,
        resyncIntervalMs: 60_000,
        clusterDNS: options.clusterDNS ?? network.clusterDNS,
        clusterDomain: CLUSTER_DOMAIN,
        images: options.images ?? 'pull',
        imageGC: { ...DEFAULT_IMAGE_GC, ...options.imageGC },
      },
    });

    // The node: pods bound here go to the kubelet; ConfigMap and Secret changes wake the pods that wait on them.
    const podWatch = await registry.watch(
      'pods',
      undefined,
      // The kubelet copies what it changes: the store's frozen pods, not a copy per event (shared).
      { resourceVersion: '0', fieldSelector: `spec.nodeName=${nodeName}`, shared: true },
      (ev) => {
        const pod = ev.object as unknown as Pod;
        if (ev.type === 'DELETED') kubelet.deletePod(pod.metadata?.uid ?? '');
        else kubelet.upsertPod(pod);
      },
    );
    closers.push(() => podWatch.stop());
    const nudge = async (namespace: string | undefined) => {
      const { items } = await registry.list('pods', namespace, {
        fieldSelector: `spec.nodeName=${nodeName}`,
      });
      for (const p of items) {
        kubelet.upsertPod(p as unknown as Pod);
        kubelet.wakePod(p.metadata.uid ?? '');
      }
    };
    for (const resource of ['configmaps', 'secrets', 'persistentvolumeclaims']) {
      const w = await registry.watch(
        resource,
        undefined,
        { resourceVersion: registry.resourceVersion() },
        (ev) => {
          nudge(ev.object.metadata.namespace).catch((e: unknown) => log(`kubelet: ${String(e)}`));
        },
      );
      closers.push(() => w.stop());
    }
    await kubelet.start();
    closers.push(() => kubelet.stop());

    // The Node before the scheduler, which places pods on the nodes it finds.
    const node = await startNode({
      registry,
      runtime,
      clock,
      nodeName,
      rootDir: layout.kubeletDir,
      events: recorder('kubelet', nodeName),
      log,
      ...(options.maxPods !== undefined ? { maxPods: options.maxPods } : {}),
      onInternalIP: (ip) => kubelet.setHostIP(ip),
    });
    closers.push(() => node.stop());
    const volumeScheduling = registryVolumeScheduling(
      registry,
      nodeName,
      recorder('default-scheduler'),
      clock,
    );
    const scheduler = await startScheduler({
      registry,
      clock,
      events: recorder('default-scheduler'),
      log,
      admit: (pod: Pod) => admitPodVolumes(volumeScheduling, pod),
    });
    closers.push(() => scheduler.stop());
    // A claim that appears or binds may let a Pending pod be scheduled (the scheduler's requeue on PVC events).
    const claimWatch = await registry.watch(
      'persistentvolumeclaims',
      undefined,
      { resourceVersion: registry.resourceVersion() },
      (ev) => {
        registry
          .list('pods', ev.object.metadata.namespace, { fieldSelector: 'spec.nodeName=' })
          .then((pods) => {
            // Only pods already found unschedulable: the pod watch schedules the others.
            for (const p of pods.items as unknown as Pod[]) {
              const scheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled');
              if (scheduled?.status === 'False') scheduler.scheduler.podUpserted(p);
            }
          })
          .catch((e: unknown) => log(`scheduler: ${String(e)}`));
      },
    );
    closers.push(() => claimWatch.stop());

    const metrics = new MetricsCollector({
      clock,
      runtime,
      node: (now) => readNodeUsage(now),
      ...(options.metricResolutionMs !== undefined ? { resolutionMs: options.metricResolutionMs } : {}),
      onError: (e) => log(`metrics: ${String(e)}`),
    });
    metrics.start();
    closers.push(() => metrics.stop());

    const controllers = new ControllerManager({
      client: registryControllerClient(registry),
      clock,
      recorderFor: (component) => recorder(component),
      onError: (c, key, err) => log(`${c} controller: ${key}: ${(err as Error).message}`),
      volumes: { volumesDir, nodeName },
    });
    await controllers.start();
    closers.push(() => controllers.stop());
    const autoscaler = new HorizontalPodAutoscalerController({
      api: registryHpaApi(registry),
      podUsage: () => metrics.podUsage(),
      clock,
      events: recorder('horizontal-pod-autoscaler'),
      ...(options.hpaSyncPeriodMs !== undefined ? { periodMs: options.hpaSyncPeriodMs } : {}),
      onError: (key, e) => log(`horizontal-pod-autoscaler: ${key}: ${(e as Error).message}`),
    });
    autoscaler.start();
    closers.push(() => autoscaler.stop());
    closers.push(await startServiceAccountControllers(registry, clock, serving.ca, log));

    const logs = new LogManager({
      runtime,
      clock,
      rootDir: layout.kubeletDir,
      podStatus: (uid) => kubelet.podStatus(uid),
    });
    // `podrun image load` uploads wait here while the runtime reads them.
    const uploadDir = join(options.stateDir, 'tmp');
    await removeStaleUploads(uploadDir);
    const api: ApiServer = await startApiServer({
      registry,
      address,
      port: options.port ?? 0,
      stateDir: options.stateDir,
      logs,
      clock,
      images: { images: runtime, tmpDir: uploadDir },
      streaming: runtime,
      tokens,
      extraServingNames: servingNames,
      ...(podAddress ? { podAddress: { address: podAddress, port: 0 } } : {}),
      onAuthenticationError: (m) => log(`apiserver: ${m}`),
      portForward: runtimePortDialer(runtime),
      authorizer: rbac.authorizer,
      metrics,
    });
    closers.push(() => api.close());
    if (api.podEndpointError) log(`apiserver: ${api.podEndpointError}`);
    await writeKubernetesEndpoints(registry, api.podEndpoint ?? reachableFromPods(address, api.port), log);
    const caData = await readFile(api.caFile, 'utf8');
    await writeKubeconfig(layout.kubeconfig, { url: api.url, caData, token: api.token });
    // The start time names this process beyond its pid, which the kernel reuses once it has exited.
    const start = processStat(process.pid)?.starttime;
    await writeFile(layout.serveInfo, JSON.stringify({ pid: process.pid, start, url: api.url }), {
      mode: 0o600,
    });
    closers.push(() => rm(layout.serveInfo, { force: true }));

    const podrun: Podrun = {
      url: api.url,
      kubeconfigPath: layout.kubeconfig,
      registry,
      kubelet,
      runtime,
      logs,
      nodeName,
      close: closeAll,
      async shutdown() {
        // Pods stop in the kubelet's order (app containers, then sidecars in reverse) before anything closes.
        await kubelet.shutdown();
        await closeAll();
      },
    };
    return podrun;
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/**
 * The podrun serving a state directory, if its serve.json names a process that is still alive and is the one
 * that wrote it. A server that could not remove the file (killed, or `podrun up` forced out by a second
 * Ctrl-C) leaves its pid there; once reused by another process, a check of the pid alone took that process
 * for the server: a new `podrun serve` refused to start and `podrun down` sent it SIGTERM. A serve.json
 * without a start time (older podrun) is checked by its pid alone.
 */
export async function runningServer(serveInfo: string): Promise<{ pid: number; url: string } | undefined> {
  let info: { pid?: unknown; start?: unknown; url?: unknown };
  try {
    info = JSON.parse(await readFile(serveInfo, 'utf8')) as { pid?: unknown; start?: unknown; url?: unknown };
  } catch {
    return undefined;
  }
  if (typeof info.pid !== 'number' || info.pid === process.pid) return undefined;
  if (typeof info.start === 'string') {
    if (!isSameProcess(info.pid, info.start)) return undefined;
  } else {
    try {
      process.kill(info.pid, 0);
    } catch {
      return undefined;
    }
  }
  return { pid: info.pid, url: String(info.url ?? '') };
}
