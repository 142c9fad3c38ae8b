// kubectl's server-side printers by kind: what the API server answers `as=Table` with, and what the podrun
// CLI renders (render.ts) so that `podrun get` and `kubectl get` print the same rows.

import { printConfigMaps, printNamespaces, printSecrets, printServiceAccounts } from './config.js';
import { printCronJobs, printDaemonSets, printReplicationControllers } from './controllers.js';
import { defaultPrinter } from './default.js';
import { printEndpointSlices } from './endpointslice.js';
import { printEvents } from './event.js';
import { printHorizontalPodAutoscalers } from './hpa.js';
import { printLeases, printNodes } from './node.js';
import { printPods } from './pod.js';
import { POLICY_PRINTERS } from './policy.js';
import { printClusterRoleBindings, printClusterRoles, printRoleBindings, printRoles } from './rbac.js';
import { printEndpoints, printServices } from './service.js';
import { printControllerRevisions, printStatefulSets } from './statefulset.js';
import { printPersistentVolumeClaims, printPersistentVolumes, printStorageClasses } from './storage.js';
import type { TablePrinter } from './types.js';
import { printDeployments, printJobs, printReplicaSets } from './workloads.js';

const PRINTERS: Readonly<Record<string, TablePrinter>> = {
  Pod: printPods,
  Namespace: printNamespaces,
  ConfigMap: printConfigMaps,
  Secret: printSecrets,
  ServiceAccount: printServiceAccounts,
  Service: printServices,
  Endpoints: printEndpoints,
  EndpointSlice: printEndpointSlices,
  Event: printEvents,
  Deployment: printDeployments,
  ReplicaSet: printReplicaSets,
  Job: printJobs,
  Node: printNodes,
  Lease: printLeases,
  StatefulSet: printStatefulSets,
  ControllerRevision: printControllerRevisions,
  PersistentVolumeClaim: printPersistentVolumeClaims,
  PersistentVolume: printPersistentVolumes,
  StorageClass: printStorageClasses,
  Role: printRoles,
  ClusterRole: printClusterRoles,
  RoleBinding: printRoleBindings,
  ClusterRoleBinding: printClusterRoleBindings,
  DaemonSet: printDaemonSets,
  CronJob: printCronJobs,
  ReplicationController: printReplicationControllers,
  ...POLICY_PRINTERS,
  HorizontalPodAutoscaler: printHorizontalPodAutoscalers,
};

/** The upstream printer for a kind, or undefined when upstream has none podrun reproduces. */
export function printerFor(kind: string): TablePrinter | undefined {
  return Object.hasOwn(PRINTERS, kind) ? PRINTERS[kind] : undefined;
}

/** printerFor(kind), falling back to the API server's NAME / CREATED AT table. */
export function tablePrinterFor(kind: string): TablePrinter {
  return printerFor(kind) ?? defaultPrinter;
}

export { defaultPrinter } from './default.js';
export { humanDuration, shortHumanDuration, translateTimestampSince } from './duration.js';
export {
  formatRestarts,
  type PodSummary,
  podReadyCount,
  podRestarts,
  podStatusReason,
  printPodRow,
  summarizePod,
} from './pod.js';
export { type RenderOptions, renderTable, TableRenderer } from './render.js';
export type * from './types.js';
