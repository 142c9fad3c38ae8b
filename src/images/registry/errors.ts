// Pull errors, worded as containerd words them (core/remotes/docker/resolver.go, core/remotes/errors), so
// that the text a user sees in ErrImagePull events matches a real node. `reason` is stable for code.

export type RegistryErrorReason =
  | 'NotFound' // manifest or blob unknown, or no platform matched
  | 'Unauthorized' // 401/403 after trying the credentials we had
  | 'Unavailable' // connection refused/reset, DNS, TLS: the kubelet's RegistryUnavailable
  | 'Blocked' // registries.conf marks the registry blocked
  | 'DigestMismatch'
  | 'SizeMismatch'
  | 'ManifestTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRedirects'
  | 'UnexpectedStatus'
  | 'InvalidManifest';

export class RegistryError extends Error {
  constructor(
    readonly reason: RegistryErrorReason,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  /** The same error with containerd's context prefix (`failed to resolve reference "x": …`). */
  wrap(prefix: string): RegistryError {
    return new RegistryError(this.reason, `${prefix}: ${this.message}`, this.status);
  }
}

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** Go's `resp.Status`: `401 Unauthorized`. */
export function httpStatus(code: number, message?: string): string {
  return `${code} ${message || statusText[code] || ''}`.trimEnd();
}

/** containerd's `unexpected status from HEAD request to <url>: 401 Unauthorized`. */
export function unexpectedStatus(method: string, url: string, code: number, message?: string): RegistryError {
  const reason: RegistryErrorReason =
    code === 401 || code === 403 ? 'Unauthorized' : code === 404 ? 'NotFound' : 'UnexpectedStatus';
  return new RegistryError(
    reason,
    `unexpected status from ${method} request to ${url}: ${httpStatus(code, message)}`,
    code,
  );
}

/**
 * Go's net/http client error for a failed connection: `failed to do request: Head "http://…": dial tcp
 * 127.0.0.1:5000: connect: connection refused`.
 */
export function transportError(method: string, url: string, err: NodeJS.ErrnoException): RegistryError {
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const addr = `${u.hostname}:${port}`;
  const cause =
    err.code === 'ECONNREFUSED'
      ? `dial tcp ${addr}: connect: connection refused`
      : err.code === 'ECONNRESET'
        ? `read tcp ${addr}: read: connection reset by peer`
        : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
          ? `dial tcp: lookup ${u.hostname}: no such host`
          : err.message;
  return new RegistryError('Unavailable', `failed to do request: ${verb} ${JSON.stringify(url)}: ${cause}`);
}

/** containerd CRI's outer wrapping of a failed pull. */
export function pullAndUnpackMessage(image: string, err: Error): string {
  return `failed to pull and unpack image ${JSON.stringify(image)}: ${err.message}`;
}
