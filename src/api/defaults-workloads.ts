// Defaulting of DaemonSets (pkg/apis/apps/v1 SetDefaults_DaemonSet), CronJobs (pkg/apis/batch/v1
// SetDefaults_CronJob) and ReplicationControllers (pkg/apis/core/v1 SetDefaults_ReplicationController),
// Kubernetes v1.32. The pod templates are defaulted by defaults.ts, which calls these on an object it owns.
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob } from 'kubernetes-types/batch/v1.js';
import type { ReplicationController } from 'kubernetes-types/core/v1.js';

/** The annotation apps/v1 keeps the internal spec.templateGeneration in (1 on create, +1 per template change). */
export const DAEMONSET_TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

export function defaultDaemonSetSpec(ds: DaemonSet): void {
  const spec = ds.spec;
  if (!spec) return;
  spec.updateStrategy ??= {};
  const strategy = spec.updateStrategy;
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    strategy.rollingUpdate ??= {};
    strategy.rollingUpdate.maxUnavailable ??= 1;
    strategy.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
}

export function defaultCronJobSpec(cj: CronJob): void {
  const spec = cj.spec;
  if (!spec) return;
  spec.concurrencyPolicy ||= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  // The generated defaulters reach the job template's pod failure policy (SetDefaults_PodFailurePolicyOnPodConditionsPattern).
  for (const rule of spec.jobTemplate?.spec?.podFailurePolicy?.rules ?? []) {
    for (const p of rule.onPodConditions ?? []) p.status ||= 'True';
  }
}

export function defaultReplicationControllerSpec(rc: ReplicationController): void {
  const spec = rc.spec;
  if (!spec) return;
  const labels = spec.template?.metadata?.labels;
  if (labels) {
    if (Object.keys(spec.selector ?? {}).length === 0) spec.selector = { ...labels };
    if (Object.keys(rc.metadata?.labels ?? {}).length === 0) {
      rc.metadata ??= {};
      rc.metadata.labels = { ...labels };
    }
  }
  spec.replicas ??= 1;
}
