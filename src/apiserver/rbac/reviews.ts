// The review kinds, answered from the authorizer and never stored (pkg/registry/authorization/* and
// pkg/registry/authentication/selfsubjectreview): SelfSubjectAccessReview (`kubectl auth can-i`),
// SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectRulesReview (`kubectl auth can-i --list`) and
// SelfSubjectReview (`kubectl auth whoami`). Only create is served; the answer is the request with a status.
import type { ResourceInfo } from '../../api/resources.js';
import type { PolicyRule } from '../../api/types.js';
import type { UserInfo } from '../authn/user.js';
import { type ApiError, badRequest, invalid } from '../errors.js';
import { isPlainObject } from '../object-util.js';
import { type Authorizer, aggregateMessage } from './authorizer.js';
import { nonResourceAttributes, type RequestAttributes, resourceAttributes } from './rules.js';

type Json = Record<string, unknown>;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function requireKind(r: ResourceInfo, body: unknown): Json {
  if (!isPlainObject(body)) throw badRequest(`the request body must be a ${r.kind} object`);
  const apiVersion = `${r.group}/${r.version}`;
  if (
    (body.kind !== undefined && body.kind !== r.kind) ||
    (body.apiVersion !== undefined && body.apiVersion !== apiVersion)
  ) {
    throw badRequest(
      `the body of a POST to ${r.resource} must be a ${r.kind} (${apiVersion}), not ${str(body.kind) || 'an object without a kind'}`,
    );
  }
  return body;
}

function spec(body: Json): Json {
  return isPlainObject(body.spec) ? body.spec : {};
}

function fieldInvalid(r: ResourceInfo, field: string, value: string, detail: string): ApiError {
  const bodyText = `Invalid value: ${value}: ${detail}`;
  return invalid(r, '', [
    { reason: 'FieldValueInvalid', field, body: bodyText, full: `${field}: ${bodyText}` },
  ]);
}

/** The attributes a review asks about; exactly one of resourceAttributes and nonResourceAttributes. */
function reviewAttributes(r: ResourceInfo, s: Json): RequestAttributes {
  const ra = s.resourceAttributes;
  const nra = s.nonResourceAttributes;
  if (isPlainObject(ra) && isPlainObject(nra)) {
    throw fieldInvalid(
      r,
      'spec.nonResourceAttributes',
      '{}',
      'cannot be specified in combination with resourceAttributes',
    );
  }
  if (isPlainObject(ra)) {
    return resourceAttributes({
      verb: str(ra.verb),
      apiGroup: str(ra.group),
      apiVersion: str(ra.version),
      resource: str(ra.resource),
      subresource: str(ra.subresource),
      namespace: str(ra.namespace),
      name: str(ra.name),
    });
  }
  if (isPlainObject(nra)) return nonResourceAttributes(str(nra.verb), str(nra.path));
  throw fieldInvalid(
    r,
    'spec.resourceAttributes',
    'null',
    'exactly one of nonResourceAttributes or resourceAttributes must be specified',
  );
}

function answer(r: ResourceInfo, body: Json, status: Json, specOut?: Json): Json {
  const meta = isPlainObject(body.metadata) ? { ...body.metadata } : {};
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
  return {
    kind: r.kind,
    apiVersion: `${r.group}/${r.version}`,
    metadata: meta,
    ...(specOut !== undefined ? { spec: specOut } : isPlainObject(body.spec) ? { spec: body.spec } : {}),
    status,
  };
}

async function accessStatus(authorizer: Authorizer, user: UserInfo, a: RequestAttributes): Promise<Json> {
  const d = await authorizer.authorize(user, a);
  return { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) };
}

function userFromSpec(s: Json): UserInfo {
  const extra: Record<string, string[]> = {};
  if (isPlainObject(s.extra)) for (const [k, v] of Object.entries(s.extra)) extra[k] = strings(v);
  return {
    username: str(s.user),
    groups: strings(s.groups),
    ...(str(s.uid) ? { uid: str(s.uid) } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

function resourceRule(rule: PolicyRule): Json {
  return {
    verbs: rule.verbs ?? [],
    ...(rule.apiGroups && rule.apiGroups.length > 0 ? { apiGroups: rule.apiGroups } : {}),
    ...(rule.resources && rule.resources.length > 0 ? { resources: rule.resources } : {}),
    ...(rule.resourceNames && rule.resourceNames.length > 0 ? { resourceNames: rule.resourceNames } : {}),
  };
}

/** The review for POST `r` (a review kind) by `user`, in `namespace` for LocalSubjectAccessReview. */
export async function answerReview(
  authorizer: Authorizer,
  r: ResourceInfo,
  namespace: string | undefined,
  user: UserInfo,
  rawBody: unknown,
): Promise<Json> {
  const body = requireKind(r, rawBody);
  const s = spec(body);
  switch (r.kind) {
    case 'SelfSubjectReview': {
      const userInfo: Json = { username: user.username, groups: user.groups };
      if (user.uid) userInfo.uid = user.uid;
      if (user.extra && Object.keys(user.extra).length > 0) userInfo.extra = user.extra;
      return answer(r, body, { userInfo });
    }
    case 'SelfSubjectAccessReview':
      return answer(r, body, await accessStatus(authorizer, user, reviewAttributes(r, s)));
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview': {
      const a = reviewAttributes(r, s);
      if (!str(s.user) && strings(s.groups).length === 0) {
        throw fieldInvalid(r, 'spec.user', '""', 'at least one of user or group must be specified');
      }
      if (r.kind === 'LocalSubjectAccessReview') {
        if (!namespace) throw badRequest('namespace is required on this type');
        if (a.resourceRequest && a.namespace !== namespace) {
          throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
        }
      }
      return answer(r, body, await accessStatus(authorizer, userFromSpec(s), a));
    }
    case 'SelfSubjectRulesReview': {
      const { rules, errors } = await authorizer.rulesFor(user, str(s.namespace));
      return answer(r, body, {
        resourceRules: rules.filter((x) => (x.resources ?? []).length > 0).map(resourceRule),
        nonResourceRules: rules
          .filter((x) => (x.nonResourceURLs ?? []).length > 0)
          .map((x) => ({ verbs: x.verbs ?? [], nonResourceURLs: x.nonResourceURLs ?? [] })),
        incomplete: false,
        ...(errors.length > 0 ? { evaluationError: aggregateMessage(errors) } : {}),
      });
    }
    default:
      throw new Error(`${r.kind} is not a review kind`);
  }
}
