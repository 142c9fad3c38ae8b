// printDeployment, printReplicaSet and printJob (pkg/printers/internalversion/printers.go, v1.32).
import type { Deployment, Job, ReplicaSet } from '../api/types.js';
import { humanDuration, parseTimestamp, translateTimestampSince } from './duration.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  column,
  formatLabelSelector,
  IMAGES_COLUMN,
  labelSelectorString,
  layoutContainerCells,
  NAME_COLUMN,
} from './meta.js';
import { printer } from './row-printer.js';
import type { TableCell, TableColumnDefinition } from './types.js';

export const deploymentColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Ready', 'string', 'Number of the pod with ready state'),
  column(
    'Up-to-date',
    'string',
    'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
  ),
  column(
    'Available',
    'string',
    'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
  ),
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  column(
    'Selector',
    'string',
    'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
    1,
  ),
];

export const replicaSetColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Desired',
    'integer',
    'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
  ),
  column(
    'Current',
    'integer',
    'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
  ),
  column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  column(
    'Selector',
    'string',
    'Selector is a label query over pods that should match the replica count. If the selector is empty, it is defaulted to the labels present on the pod template. Label keys and values that must match in order to be controlled by this replica set. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    1,
  ),
];

export const jobColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Status', 'string', 'Status of the job.'),
  column(
    'Completions',
    'string',
    'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs.',
  ),
  column('Duration', 'string', 'Time required to complete the job.'),
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  column(
    'Selector',
    'string',
    'A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    1,
  ),
];

// spec.replicas is defaulted to 1 by the API server; upstream printers only ever see defaulted objects.
const DEFAULT_REPLICAS = 1;

export function printDeploymentRow(d: Deployment, now: number): TableCell[] {
  const selector = labelSelectorString(d.spec?.selector);
  const [names, images] = layoutContainerCells(d.spec?.template?.spec?.containers);
  return [
    d.metadata?.name ?? '',
    `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? DEFAULT_REPLICAS}`,
    d.status?.updatedReplicas ?? 0,
    d.status?.availableReplicas ?? 0,
    translateTimestampSince(d.metadata?.creationTimestamp, now),
    names,
    images,
    // printDeployment prints selector.String() itself: empty (not `<none>`) for an empty selector.
    selector ?? '<invalid>',
  ];
}

export function printReplicaSetRow(rs: ReplicaSet, now: number): TableCell[] {
  const [names, images] = layoutContainerCells(rs.spec?.template?.spec?.containers);
  return [
    rs.metadata?.name ?? '',
    rs.spec?.replicas ?? DEFAULT_REPLICAS,
    rs.status?.replicas ?? 0,
    rs.status?.readyReplicas ?? 0,
    translateTimestampSince(rs.metadata?.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(rs.spec?.selector),
  ];
}

function hasJobCondition(job: Job, type: string): boolean {
  // Upstream looks at the first condition of the type only.
  const condition = (job.status?.conditions ?? []).find((c) => c.type === type);
  return condition?.status === 'True';
}

/**
 * The STATUS of a Job as kubectl v1.32 prints it. SuccessCriteriaMet is not among them: upstream added it
 * to printJob in v1.34 (kubernetes/kubernetes#132832); a 1.32 server shows such a Job as Running.
 */
export function jobStatus(job: Job): string {
  if (hasJobCondition(job, 'Complete')) return 'Complete';
  if (hasJobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata?.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(job, 'Suspended')) return 'Suspended';
  if (hasJobCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** `1/3`; without spec.completions `0/1`, or `0/1 of 4` when parallelism exceeds one. */
export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec?.completions !== undefined && job.spec.completions !== null) {
    return `${succeeded}/${job.spec.completions}`;
  }
  const parallelism = job.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** Empty before the Job started; time since start while it runs; start to completion once done. */
export function jobDuration(job: Job, now: number): string {
  const start = parseTimestamp(job.status?.startTime);
  if (start === undefined) return '';
  const completion = parseTimestamp(job.status?.completionTime);
  return humanDuration((completion ?? now) - start);
}

export function printJobRow(job: Job, now: number): TableCell[] {
  const [names, images] = layoutContainerCells(job.spec?.template?.spec?.containers);
  return [
    job.metadata?.name ?? '',
    jobStatus(job),
    jobCompletions(job),
    jobDuration(job, now),
    translateTimestampSince(job.metadata?.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(job.spec?.selector),
  ];
}

export const printDeployments = printer<Deployment>(deploymentColumnDefinitions, printDeploymentRow);
export const printReplicaSets = printer<ReplicaSet>(replicaSetColumnDefinitions, printReplicaSetRow);
export const printJobs = printer<Job>(jobColumnDefinitions, printJobRow);
