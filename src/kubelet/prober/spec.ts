// Probe parameters with the API's defaults (pkg/apis/core/v1/defaults.go SetDefaults_Probe), so a pod that
// reached the kubelet without defaulting still probes like Kubernetes.
import type { Container, Probe } from '../../api/types.js';
import type { ProbeKind } from '../types.js';

export interface ProbeTiming {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
}

export function probeTiming(p: Probe): ProbeTiming {
  const pos = (v: number | undefined, d: number) => (v !== undefined && v > 0 ? v : d);
  return {
    initialDelaySeconds: Math.max(0, p.initialDelaySeconds ?? 0),
    periodSeconds: pos(p.periodSeconds, 10),
    timeoutSeconds: pos(p.timeoutSeconds, 1),
    successThreshold: pos(p.successThreshold, 1),
    failureThreshold: pos(p.failureThreshold, 3),
  };
}

export function probeOf(container: Container, kind: ProbeKind): Probe | undefined {
  switch (kind) {
    case 'startup':
      return container.startupProbe;
    case 'liveness':
      return container.livenessProbe;
    case 'readiness':
      return container.readinessProbe;
  }
}

/** probeType.String(): the word that starts the kubelet's probe event messages. */
export function probeKindTitle(kind: ProbeKind): string {
  return kind === 'startup' ? 'Startup' : kind === 'liveness' ? 'Liveness' : 'Readiness';
}

/** worker.initialValue: what a new container instance reads before its first probe counts. */
export const INITIAL_RESULT = {
  readiness: 'failure',
  liveness: 'success',
  startup: 'unknown',
} as const satisfies Record<ProbeKind, 'success' | 'failure' | 'unknown'>;
