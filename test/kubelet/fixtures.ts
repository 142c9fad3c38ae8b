// Builders for kubelet tests: pods, runtime container records and sandboxes as the runtime reports them.
import type { Container, Pod } from '../../src/api/types.js';
import { containerHash } from '../../src/kubelet/pod-util.js';
import type { ProbeKind, ProbeResult, ProbeResults } from '../../src/kubelet/types.js';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_RESTART_COUNT,
  type ContainerState,
  type ContainerStatus,
  LABEL_CONTAINER_NAME,
  LABEL_POD_UID,
  type PodSandboxStatus,
} from '../../src/runtime/types.js';

export const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
export const UID = 'uid-1';

export function container(name: string, extra: Partial<Container> = {}): Container {
  return { name, image: 'busybox:1.36', command: ['sh', '-c', 'true'], ...extra };
}

export function sidecar(name: string, extra: Partial<Container> = {}): Container {
  return container(name, { restartPolicy: 'Always', ...extra });
}

/** web: init1, init2 → app, restartPolicy Always, started at T0. */
export function basePod(extra: { spec?: Partial<Pod['spec']> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: UID },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      initContainers: [container('init1'), container('init2')],
      containers: [container('app')],
      ...(extra.spec ?? {}),
    },
    status: { phase: 'Pending', startTime: new Date(T0).toISOString() },
  };
}

export interface InstanceOptions {
  id?: string;
  exitCode?: number;
  reason?: string;
  createdAt?: number;
  startedAt?: number;
  finishedAt?: number;
  restartCount?: number;
  /** The spec the instance was created from (for the hash); default the pod's container of that name. */
  image?: string;
  sandboxId?: string;
}

let seq = 0;

/** A runtime record of a container named `name` in state `state`. */
export function inst(name: string, state: ContainerState, o: InstanceOptions = {}): ContainerStatus {
  seq++;
  const image = o.image ?? 'busybox:1.36';
  const restartCount = o.restartCount ?? 0;
  const exited = state === 'exited';
  return {
    id: o.id ?? `${name}-${restartCount}`,
    podSandboxId: o.sandboxId ?? 'sb1',
    metadata: { name, attempt: restartCount },
    state,
    createdAt: o.createdAt ?? T0 + seq,
    startedAt: state === 'created' ? 0 : (o.startedAt ?? T0 + seq),
    finishedAt: exited ? (o.finishedAt ?? T0 + seq) : 0,
    exitCode: exited ? (o.exitCode ?? 0) : 0,
    reason: exited ? (o.reason ?? ((o.exitCode ?? 0) === 0 ? 'Completed' : 'Error')) : '',
    message: '',
    image,
    imageRef: `sha256:${image}`,
    labels: { [LABEL_POD_UID]: UID, [LABEL_CONTAINER_NAME]: name },
    annotations: {
      [ANNOTATION_RESTART_COUNT]: String(restartCount),
      [ANNOTATION_CONTAINER_HASH]: containerHash({ name, image }),
    },
    logPath: '',
  };
}

export function sandbox(state: 'ready' | 'notready' = 'ready', attempt = 0, id = 'sb1'): PodSandboxStatus {
  return {
    id,
    metadata: { name: 'web', namespace: 'default', uid: UID, attempt },
    state,
    createdAt: T0 + attempt,
    ip: '10.88.0.5',
    labels: { [LABEL_POD_UID]: UID },
    annotations: {},
  };
}

/** Probe results keyed `containerId/kind`. */
export function probes(results: Record<string, ProbeResult> = {}): ProbeResults {
  return { get: (id: string, kind: ProbeKind) => results[`${id}/${kind}`] };
}
