// The default scheduler over the registry (src/controllers/scheduler): unbound pods are its queue; the nodes
// and the pods bound to them are what it fits pods against. Pods that could not be placed are tried again when
// a bound pod goes away or finishes, or a node's labels, taints, cordon or allocatable change.
import { jsonEqual } from '../api/json-equal.js';
import type { KubeObject, Node, Pod } from '../api/types.js';
import { ApiError } from '../apiserver/errors.js';
import type { Registry } from '../apiserver/registry.js';
import { BoundPodCache } from '../controllers/scheduler/cache.js';
import { Scheduler } from '../controllers/scheduler/scheduler.js';
import type { EventRecorder } from '../kubelet/types.js';
import type { Clock } from '../util/clock.js';

export interface SchedulerOptions {
  registry: Registry;
  clock: Clock;
  events: EventRecorder;
  log(line: string): void;
  /** See SchedulerDeps.admit. */
  admit?(pod: Pod): Promise<boolean>;
}

export interface RunningScheduler {
  scheduler: Scheduler;
  stop(): Promise<void>;
}

/** What of a node can change whether a pod fits it. */
function placement(node: Node): unknown {
  return {
    labels: node.metadata?.labels ?? {},
    spec: node.spec ?? {},
    allocatable: node.status?.allocatable ?? {},
  };
}

export async function startScheduler(options: SchedulerOptions): Promise<RunningScheduler> {
  const { registry, clock, events, log } = options;
  // Filled by the watch of bound pods below, which starts (with every bound pod as ADDED) before the first
  // attempt.
  const cache = new BoundPodCache();
  const scheduler = new Scheduler({
    clock,
    events,
    listNodes: async () => (await registry.listShared('nodes', undefined)).items as unknown as Node[],
    listBoundPods: async (nodeName) => cache.boundPods(nodeName),
    bound: (pod, nodeName) => cache.assume(pod, nodeName),
    getPod: async (ns, name) => (await registry.findShared('pods', ns, name)) as Pod | undefined,
    bind: async (ns, name, uid, nodeName) => {
      await registry.bind(ns, name, uid, nodeName);
    },
    setScheduledCondition: async (pod, condition) => {
      try {
        await registry.patch(
          'pods',
          pod.metadata?.namespace,
          pod.metadata?.name ?? '',
          'strategic',
          { metadata: { uid: pod.metadata?.uid }, status: { conditions: [condition] } },
          { subresource: 'status', fieldManager: 'kube-scheduler' },
        );
      } catch (e) {
        // Deleted (or replaced: its uid is not the one named, 422 immutable) meanwhile: nothing left to report on.
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409 || replaced(e)))) throw e;
      }
    },
    onError: (pod, err) => log(`scheduler: ${pod}: ${(err as Error).message}`),
    ...(options.admit ? { admit: options.admit } : {}),
  });

  const stops: Array<() => void> = [];
  const watch = async (
    resource: string,
    fieldSelector: string | undefined,
    onEvent: (type: string, object: KubeObject) => void,
  ) => {
    const w = await registry.watch(
      resource,
      undefined,
      { resourceVersion: '0', shared: true, ...(fieldSelector ? { fieldSelector } : {}) },
      (ev) => onEvent(ev.type, ev.object),
    );
    stops.push(() => w.stop());
  };

  const seenNodes = new Map<string, unknown>();
  await watch('nodes', undefined, (type, object) => {
    const name = object.metadata.name ?? '';
    if (type === 'DELETED') {
      seenNodes.delete(name);
      return;
    }
    const now = placement(object as unknown as Node);
    const before = seenNodes.get(name);
    seenNodes.set(name, now);
    if (before === undefined || !jsonEqual(before, now)) scheduler.retryUnschedulable();
  });
  await watch('pods', 'spec.nodeName!=', (type, object) => {
    const pod = object as unknown as Pod;
    if (type === 'DELETED') cache.remove(pod);
    else cache.upsert(pod);
    const phase = pod.status?.phase;
    if (type === 'DELETED' || phase === 'Succeeded' || phase === 'Failed') scheduler.retryUnschedulable();
  });
  await watch('pods', 'spec.nodeName=', (type, object) => {
    if (type === 'DELETED') scheduler.podRemoved(object as unknown as Pod);
    else scheduler.podUpserted(object as unknown as Pod);
  });
  scheduler.start();

  return {
    scheduler,
    async stop() {
      for (const s of stops) s();
      await scheduler.stop();
    },
  };
}

/** A status patch naming the uid of a pod since replaced under the same name is refused as immutable. */
function replaced(e: ApiError): boolean {
  return e.code === 422 && (e.status.details?.causes ?? []).some((c) => c.field === 'metadata.uid');
}
