// The client's errors, in a module of their own so that the clients (kube.ts, images.ts) and the transports
// and reflectors they use can all throw them without importing one another.

/** A refusal of the API server, with its Status' reason (`NotFound`, `Conflict`, …) and message. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** kubectl's words: `Error from server (NotFound): pods "x" not found`. */
  get kubectlText(): string {
    return `Error from server${this.reason ? ` (${this.reason})` : ''}: ${this.message}`;
  }
}

/** No podrun serves the state directory (or the kubeconfig names none). */
export class NoServerError extends Error {
  override name = 'NoServerError';
}
