// A container start that did not happen, with the kubelet's stable reason (the container's waiting reason).

export class StartFailure extends Error {
  constructor(
    /** `ErrImagePull`, `ImagePullBackOff`, `ErrImageNeverPull`, `CreateContainerConfigError`, `CreateContainerError`, `RunContainerError`, `PostStartHookError`. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'StartFailure';
  }
}
