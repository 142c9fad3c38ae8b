// Typed pod fixtures for the printer tests: a pod spec plus the statuses the kubelet would report.
import type { Container, ContainerStatus, Pod, PodCondition } from '../../src/api/types.js';

export const NOW = Date.parse('2026-11-24T22:10:15Z');

/** An RFC 3339 timestamp `seconds` before NOW. */
export function ago(seconds: number): string {
  return new Date(NOW - seconds * 1000).toISOString();
}

export function app(name: string): Container {
  return { name, image: `${name}:1` };
}

export function init(name: string): Container {
  return { name, image: `${name}:1` };
}

export function sidecar(name: string): Container {
  return { name, image: `${name}:1`, restartPolicy: 'Always' };
}

type Extra = Partial<Omit<ContainerStatus, 'name' | 'state'>>;

export function waiting(name: string, reason?: string, extra: Extra = {}): ContainerStatus {
  return {
    name,
    image: `${name}:1`,
    imageID: '',
    ready: false,
    restartCount: 0,
    state: { waiting: reason ? { reason } : {} },
    ...extra,
  };
}

export function running(name: string, extra: Extra = {}): ContainerStatus {
  return {
    name,
    image: `${name}:1`,
    imageID: '',
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: ago(30) } },
    ...extra,
  };
}

export function terminated(
  name: string,
  exitCode: number,
  reason?: string,
  extra: Extra & { signal?: number } = {},
): ContainerStatus {
  const { signal, ...rest } = extra;
  return {
    name,
    image: `${name}:1`,
    imageID: '',
    ready: false,
    started: false,
    restartCount: 0,
    state: {
      terminated: {
        exitCode,
        ...(reason ? { reason } : {}),
        ...(signal ? { signal } : {}),
        startedAt: ago(20),
        finishedAt: ago(5),
      },
    },
    ...rest,
  };
}

/** `lastState.terminated` that ended `secondsAgo` before NOW, as after a restart. */
export function lastTerminated(secondsAgo: number): Extra {
  return {
    lastState: {
      terminated: {
        exitCode: 1,
        reason: 'Error',
        startedAt: ago(secondsAgo + 5),
        finishedAt: ago(secondsAgo),
      },
    },
  };
}

export function condition(type: string, status: 'True' | 'False', reason?: string): PodCondition {
  return { type, status, ...(reason ? { reason } : {}) };
}

export interface PodOptions {
  name?: string;
  initContainers?: Container[];
  containers?: Container[];
  phase?: string;
  reason?: string;
  conditions?: PodCondition[];
  initStatuses?: ContainerStatus[];
  statuses?: ContainerStatus[];
  deletionTimestamp?: string;
  createdSecondsAgo?: number;
}

export function pod(o: PodOptions): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name ?? 'web',
      namespace: 'default',
      creationTimestamp: ago(o.createdSecondsAgo ?? 60),
      ...(o.deletionTimestamp ? { deletionTimestamp: o.deletionTimestamp } : {}),
    },
    spec: {
      ...(o.initContainers ? { initContainers: o.initContainers } : {}),
      containers: o.containers ?? [app('app')],
    },
    status: {
      ...(o.phase ? { phase: o.phase } : {}),
      ...(o.reason ? { reason: o.reason } : {}),
      ...(o.conditions ? { conditions: o.conditions } : {}),
      ...(o.initStatuses ? { initContainerStatuses: o.initStatuses } : {}),
      ...(o.statuses ? { containerStatuses: o.statuses } : {}),
    },
  };
}
