// ConfigMap, Secret and Namespace validation (Services: service.ts) (pkg/apis/core/validation/validation.go, v1.30).

import type { ConfigMap, Namespace, Secret } from 'kubernetes-types/core/v1.js';
import { parseSecretJson } from '../../util/json-error.js';
import { type FieldError, invalid, required, tooLong } from './field-error.js';
import { validateFinalizerName } from './meta.js';
import { isConfigMapKey } from './names.js';
import { child, key } from './path.js';

const MAX_SECRET_SIZE = 1024 * 1024;

function base64Length(s: string): number {
  return Buffer.from(s, 'base64').length;
}

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    const p = key('data', k);
    for (const m of isConfigMapKey(k)) errs.push(invalid(p, k, m));
    if (cm.binaryData && Object.hasOwn(cm.binaryData, k))
      errs.push(invalid(p, k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(v);
  }
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('binaryData', k), k, m));
    total += base64Length(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('', '', MAX_SECRET_SIZE));
  return errs;
}

export function validateSecret(s: Secret): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(s.data ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    total += base64Length(v);
  }
  // The API server merges stringData into data before validating; the keys are reported where they were written.
  for (const [k, v] of Object.entries(s.stringData ?? {})) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('stringData', k), k, m));
    total += Buffer.byteLength(v);
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong('data', '', MAX_SECRET_SIZE));
  const has = (k: string) => Object.hasOwn(s.data ?? {}, k) || Object.hasOwn(s.stringData ?? {}, k);
  switch (s.type) {
    case 'kubernetes.io/service-account-token':
      if (!s.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required(key(child('metadata', 'annotations'), 'kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = s.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) errs.push(required(key('data', k)));
      else errs.push(...dockerConfigErrors(s, k));
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required(key('data', 'username')));
        errs.push(required(key('data', 'password')));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      // len(Data[ssh-privatekey]) == 0: present but empty is missing too.
      if (secretBytes(s, 'ssh-privatekey').length === 0) errs.push(required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(key('data', 'tls.crt')));
      if (!has('tls.key')) errs.push(required(key('data', 'tls.key')));
      break;
    default:
      break;
  }
  return errs;
}

/** A value as the API server validates it: stringData merged over data (base64-decoded). */
function secretBytes(s: Secret, k: string): Buffer {
  if (s.stringData && Object.hasOwn(s.stringData, k)) return Buffer.from(s.stringData[k] ?? '');
  return Buffer.from(s.data?.[k] ?? '', 'base64');
}

/**
 * A registry credential must be a JSON object (json.Unmarshal into map[string]interface{}); the error shows the
 * value as upstream does, `<secret contents redacted>`, and its detail does not quote it either.
 */
function dockerConfigErrors(s: Secret, k: string): FieldError[] {
  let detail: string | undefined;
  try {
    const v = parseSecretJson(secretBytes(s, k).toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      const got = Array.isArray(v)
        ? 'array'
        : v === null
          ? undefined
          : typeof v === 'boolean'
            ? 'bool'
            : typeof v;
      // `null` unmarshals into a map without error.
      if (got) detail = `json: cannot unmarshal ${got} into Go value of type map[string]interface {}`;
    }
  } catch (err) {
    detail = (err as Error).message;
  }
  return detail === undefined ? [] : [invalid(key('data', k), '<secret contents redacted>', detail)];
}

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ns.spec?.finalizers ?? [])
    errs.push(...validateFinalizerName(f, child('spec', 'finalizers')));
  return errs;
}
