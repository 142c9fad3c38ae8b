// API errors as metav1.Status, with the wording of k8s.io/apimachinery/pkg/api/errors. Every refusal the
// registry or the HTTP layer makes is an ApiError, so kubectl prints `Error from server (Reason): message`
// exactly as it would against a real API server.
import type { ResourceInfo } from '../api/resources.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string };
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  readonly status: StatusBody;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    };
  }

  get code(): number {
    return this.status.code;
  }

  get reason(): string {
    return this.status.reason ?? '';
  }
}

/** `pods`, `deployments.apps`: schema.GroupResource.String(). */
export function qualifiedResource(r: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

/** `Pod`, `Deployment.apps`: schema.GroupKind.String(). */
export function qualifiedKind(r: Pick<ResourceInfo, 'group' | 'kind'>): string {
  return r.group === '' ? r.kind : `${r.kind}.${r.group}`;
}

function resourceDetails(r: Pick<ResourceInfo, 'group' | 'resource'>, name?: string): StatusDetails {
  return {
    ...(name !== undefined && name !== '' ? { name } : {}),
    ...(r.group !== '' ? { group: r.group } : {}),
    kind: r.resource,
  };
}

type GR = Pick<ResourceInfo, 'group' | 'resource'>;

export function notFound(r: GR, name: string): ApiError {
  const what = name === '' ? qualifiedResource(r) : `${qualifiedResource(r)} "${name}"`;
  return new ApiError(404, 'NotFound', `${what} not found`, resourceDetails(r, name));
}

export function alreadyExists(r: GR, name: string): ApiError {
  return new ApiError(
    409,
    'AlreadyExists',
    `${qualifiedResource(r)} "${name}" already exists`,
    resourceDetails(r, name),
  );
}

export function conflict(r: GR, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(r)} "${name}": ${why}`,
    resourceDetails(r, name),
  );
}

export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

export function forbidden(r: GR, name: string, why: string): ApiError {
  const what = name === '' ? qualifiedResource(r) : `${qualifiedResource(r)} "${name}"`;
  return new ApiError(403, 'Forbidden', `${what} is forbidden: ${why}`, resourceDetails(r, name));
}

export interface InvalidCause {
  /** `FieldValueRequired`, `FieldValueInvalid`, … */
  reason: string;
  field: string;
  /** The error without the field: `Required value`. */
  body: string;
  /** The whole error: `spec.containers[0].image: Required value`. */
  full: string;
}

/** errors.NewInvalid: one error is printed bare, several as `[a, b]` (utilerrors.NewAggregate). */
export function invalid(
  r: Pick<ResourceInfo, 'group' | 'kind'>,
  name: string,
  causes: InvalidCause[],
): ApiError {
  // A Set, not a search of the list: 150,000 invalid finalizers made this quadratic (150 s of blocked server).
  const unique = [...new Set(causes.map((c) => c.full))];
  const aggregate = unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind(r)} "${name}" is invalid: ${aggregate}`, {
    name,
    ...(r.group !== '' ? { group: r.group } : {}),
    kind: r.kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.body, field: c.field })),
  });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotSupported(r: GR, action: string): ApiError {
  return new ApiError(
    405,
    'MethodNotAllowed',
    `${action} is not supported on resources of kind "${qualifiedResource(r)}"`,
    resourceDetails(r),
  );
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function tooOldResourceVersion(requested: number, oldestRevision: number): ApiError {
  return expired(`too old resource version: ${requested} (${oldestRevision - 1})`);
}

export function unsupportedMediaType(accepted: string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function notAcceptable(accepted: string[]): ApiError {
  return new ApiError(
    406,
    'NotAcceptable',
    `only the following media types are accepted: ${accepted.join(', ')}`,
  );
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function requestEntityTooLarge(limit: number): ApiError {
  return entityTooLarge(`limit is ${limit}`);
}

/** errors.NewRequestEntityTooLargeError. */
export function entityTooLarge(message: string): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: ${message}`);
}

export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function internalError(err: unknown): ApiError {
  const msg = err instanceof Error ? err.message : String(err);
  return new ApiError(500, 'InternalError', `Internal error occurred: ${msg}`, {
    causes: [{ message: msg }],
  });
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** Status Success as returned by DELETE of kinds that do not return the deleted object. */
export function successStatus(r: GR, name: string, uid?: string): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { ...resourceDetails(r, name), ...(uid ? { uid } : {}) },
    code: 200,
  };
}

/** 422 for a request that is well-formed but cannot be carried out (a JSON patch that does not apply). */
export function unprocessable(message: string): ApiError {
  return new ApiError(422, 'Invalid', message);
}
