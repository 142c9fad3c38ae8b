// What the executor reports per step (kubecontainer.SyncResult, pkg/kubelet/container/sync_result.go).

export type SyncAction =
  | 'StartContainer'
  | 'KillContainer'
  | 'CreatePodSandbox'
  | 'ConfigPodSandbox'
  | 'KillPodSandbox'
  | 'RemoveContainer'
  | 'SetupVolumes';

export interface SyncResult {
  action: SyncAction;
  /** The container name, or the pod's `name_namespace(uid)` for pod-level steps. */
  target: string;
  /** Stable CamelCase reason when the step failed: `CrashLoopBackOff`, `ErrImagePull`, `CreateContainerConfigError`. */
  error?: string;
  /** A sentence for people. */
  message?: string;
}
