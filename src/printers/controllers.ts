// printDaemonSet, printCronJob and printReplicationController (pkg/printers/internalversion/printers.go, v1.32).
import type { CronJob, DaemonSet, ReplicationController } from '../api/types.js';
import { translateTimestampSince } from './duration.js';
import {
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  column,
  formatLabelSelector,
  formatLabels,
  IMAGES_COLUMN,
  layoutContainerCells,
  NAME_COLUMN,
} from './meta.js';
import { printer } from './row-printer.js';
import type { TableCell, TableColumnDefinition } from './types.js';

export const daemonSetColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Desired',
    'integer',
    'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
  ),
  column(
    'Current',
    'integer',
    'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
  ),
  column(
    'Ready',
    'integer',
    'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
  ),
  column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
  column(
    'Available',
    'integer',
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
  ),
  column(
    'Node Selector',
    'string',
    "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
  ),
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  column(
    'Selector',
    'string',
    "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    1,
  ),
];

export function printDaemonSetRow(ds: DaemonSet, now: number): TableCell[] {
  const s = ds.status;
  const [names, images] = layoutContainerCells(ds.spec?.template?.spec?.containers);
  return [
    ds.metadata?.name ?? '',
    s?.desiredNumberScheduled ?? 0,
    s?.currentNumberScheduled ?? 0,
    s?.numberReady ?? 0,
    s?.updatedNumberScheduled ?? 0,
    s?.numberAvailable ?? 0,
    formatLabels(ds.spec?.template?.spec?.nodeSelector),
    translateTimestampSince(ds.metadata?.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(ds.spec?.selector),
  ];
}

export const cronJobColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
  column(
    'Timezone',
    'string',
    'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
  ),
  column(
    'Suspend',
    'boolean',
    'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.',
  ),
  column('Active', 'integer', 'A list of pointers to currently running jobs.'),
  column('Last Schedule', 'string', 'Information when was the last time the job was successfully scheduled.'),
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

function printBoolPtr(v: boolean | undefined | null): string {
  if (v === undefined || v === null) return '<unset>';
  return v ? 'True' : 'False';
}

export function printCronJobRow(cj: CronJob, now: number): TableCell[] {
  const last = cj.status?.lastScheduleTime;
  const jobSpec = cj.spec?.jobTemplate?.spec;
  const [names, images] = layoutContainerCells(jobSpec?.template?.spec?.containers);
  return [
    cj.metadata?.name ?? '',
    cj.spec?.schedule ?? '',
    cj.spec?.timeZone ?? '<none>',
    printBoolPtr(cj.spec?.suspend),
    (cj.status?.active ?? []).length,
    last ? translateTimestampSince(last, now) : '<none>',
    translateTimestampSince(cj.metadata?.creationTimestamp, now),
    names,
    images,
    formatLabelSelector(jobSpec?.selector),
  ];
}

export const replicationControllerColumnDefinitions: TableColumnDefinition[] = [
  NAME_COLUMN,
  column(
    'Desired',
    'integer',
    'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
  ),
  column(
    'Current',
    'integer',
    'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
  ),
  column('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
  AGE_COLUMN,
  CONTAINERS_COLUMN,
  IMAGES_COLUMN,
  column(
    'Selector',
    'string',
    'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    1,
  ),
];

export function printReplicationControllerRow(rc: ReplicationController, now: number): TableCell[] {
  const [names, images] = layoutContainerCells(rc.spec?.template?.spec?.containers);
  return [
    rc.metadata?.name ?? '',
    rc.spec?.replicas ?? 1,
    rc.status?.replicas ?? 0,
    rc.status?.readyReplicas ?? 0,
    translateTimestampSince(rc.metadata?.creationTimestamp, now),
    names,
    images,
    formatLabels(rc.spec?.selector),
  ];
}

export const printDaemonSets = printer<DaemonSet>(daemonSetColumnDefinitions, printDaemonSetRow);
export const printCronJobs = printer<CronJob>(cronJobColumnDefinitions, printCronJobRow);
export const printReplicationControllers = printer<ReplicationController>(
  replicationControllerColumnDefinitions,
  printReplicationControllerRow,
);
