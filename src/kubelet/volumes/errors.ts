// Volume failures in the kubelet's words. One VolumeError per setUpPod/refreshPod call lists every volume that
// failed, each with the message the kubelet puts in its FailedMount event.

export interface VolumeFailure {
  /** The pod's volume name (spec.volumes[].name). */
  volume: string;
  /** `MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found` */
  message: string;
}

/** Setting up (or re-projecting) one or more of a pod's volumes failed; `message` is the first failure's. */
export class VolumeError extends Error {
  /** The event reason the kubelet records for each failure. */
  readonly reason = 'FailedMount';
  readonly failures: VolumeFailure[];

  constructor(failures: VolumeFailure[]) {
    super(failures[0]?.message ?? 'MountVolume.SetUp failed');
    this.name = 'VolumeError';
    this.failures = failures;
  }
}

/** The kubelet's operation_generator text: `MountVolume.SetUp failed for volume "<name>" : <cause>`. */
export function setUpFailedMessage(volume: string, cause: unknown): string {
  return `MountVolume.SetUp failed for volume "${volume}" : ${cause instanceof Error ? cause.message : String(cause)}`;
}

/** utilerrors.NewAggregate's text: one error as is, several as `[a, b]`. */
export function aggregate(errors: Error[]): Error | undefined {
  if (errors.length === 0) return undefined;
  if (errors.length === 1) return errors[0];
  return new Error(`[${errors.map((e) => e.message).join(', ')}]`);
}
