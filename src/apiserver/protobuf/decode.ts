// Reads Kubernetes protobuf bodies (`application/vnd.kubernetes.protobuf`: the `k8s\0` magic, a
// runtime.Unknown envelope, then the object's message) into the JSON form the rest of the server speaks.
// kubectl's typed clients send these (`kubectl create namespace|configmap|secret|deployment|job|service`).
//
// Go marshals every non-pointer field, so zero values are on the wire even when nobody set them. They are
// dropped here as Go's JSON encoding (omitempty) would, except for the pointer fields where zero or false is
// a choice (replicas: 0, runAsUser: 0, allowPrivilegeEscalation: false), listed in POINTER_FIELDS.
import { MESSAGES } from './schema.generated.js';

export class ProtobufError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtobufError';
  }
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const POINTER_FIELDS = new Set([
  'replicas',
  'parallelism',
  'completions',
  'backoffLimit',
  'backoffLimitPerIndex',
  'maxFailedIndexes',
  'activeDeadlineSeconds',
  'terminationGracePeriodSeconds',
  'ttlSecondsAfterFinished',
  'revisionHistoryLimit',
  'progressDeadlineSeconds',
  'defaultMode',
  'mode',
  'runAsUser',
  'runAsGroup',
  'fsGroup',
  'runAsNonRoot',
  'privileged',
  'readOnlyRootFilesystem',
  'allowPrivilegeEscalation',
  'automountServiceAccountToken',
  'enableServiceLinks',
  'suspend',
  'startingDeadlineSeconds',
  'successfulJobsHistoryLimit',
  'failedJobsHistoryLimit',
  'manualSelector',
  'optional',
  'immutable',
  'hostUsers',
  'shareProcessNamespace',
  'setHostnameAsFQDN',
  'deletionGracePeriodSeconds',
  'gracePeriodSeconds',
  'orphanDependents',
  'blockOwnerDeletion',
  'controller',
  'allocateLoadBalancerNodePorts',
  'expirationSeconds',
  'restartCount',
  'exitCode',
]);

/**
 * Go structs embedded with `json:",inline"`: protobuf nests them under a field of their own, JSON spreads
 * their fields into the parent (IngressRule.ingressRuleValue, Volume.volumeSource, Probe.handler, …).
 */
const INLINE_FIELDS = new Set(['ingressRuleValue', 'volumeSource', 'persistentVolumeSource', 'handler']);

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return value;
      mul *= 128;
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  bytes(): Buffer {
    const len = this.varint();
    if (this.pos + len > this.buf.length) throw new ProtobufError('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
}

/** Two's complement for negative int32/int64 (sent as 10-byte varints). */
function signed(n: number): number {
  return n >= 2 ** 63 ? n - 2 ** 64 : n;
}

function scalar(type: string, wire: number, r: Reader): unknown {
  switch (type) {
    case 'string':
      return r.bytes().toString('utf8');
    case 'bytes':
      return r.bytes().toString('base64');
    case 'bool':
      return r.varint() !== 0;
    case 'int32':
    case 'int64':
    case 'uint32':
    case 'uint64':
      return signed(r.varint());
    case 'double': {
      const v = r.buf.readDoubleLE(r.pos);
      r.pos += 8;
      return v;
    }
    case 'float': {
      const v = r.buf.readFloatLE(r.pos);
      r.pos += 4;
      return v;
    }
    default:
      throw new ProtobufError(`unknown scalar type ${type} (wire type ${wire})`);
  }
}

function isScalar(type: string): boolean {
  return !Object.hasOwn(MESSAGES, type);
}

function rfc3339(seconds: number, nanos: number, micro: boolean): string {
  const iso = new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const h = Math.floor(ns / 3.6e12);
  const m = Math.floor((ns % 3.6e12) / 6e10);
  const s = (ns % 6e10) / 1e9;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** Special messages whose JSON form is not an object. */
function special(type: string, v: Record<string, unknown>): unknown {
  switch (type) {
    case 'meta.v1.Time':
    case 'meta.v1.MicroTime': {
      const seconds = Number(v.seconds ?? 0);
      const nanos = Number(v.nanos ?? 0);
      if (seconds === 0 && nanos === 0) return undefined;
      return rfc3339(seconds, nanos, type === 'meta.v1.MicroTime');
    }
    case 'api.resource.Quantity':
      return v.string ?? '0';
    case 'util.intstr.IntOrString':
      return Number(v.type ?? 0) === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    case 'meta.v1.Duration':
      return goDuration(Number(v.duration ?? 0));
    case 'runtime.RawExtension':
    case 'meta.v1.FieldsV1': {
      const raw = (v.raw ?? v.Raw) as string | undefined;
      if (!raw) return undefined;
      try {
        return JSON.parse(Buffer.from(raw, 'base64').toString('utf8'));
      } catch {
        throw new ProtobufError(`${type} does not hold JSON`);
      }
    }
    default:
      return v;
  }
}

function decodeValue(type: string, wire: number, r: Reader): unknown {
  if (isScalar(type)) return scalar(type, wire, r);
  if (wire !== 2) throw new ProtobufError(`${type} must be length-delimited, got wire type ${wire}`);
  return special(type, decodeMessage(type, r.bytes()));
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

export function decodeMessage(type: string, buf: Buffer): Record<string, unknown> {
  const fields = MESSAGES[type];
  if (!fields) throw new ProtobufError(`unknown message ${type}`);
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = r.varint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    const field = fields[num];
    if (!field) {
      // A field newer than v0.32 or unknown: skipped, as an older server would.
      r.skip(wire);
      continue;
    }
    const [name, ftype, kind] = field;
    if (kind === 2) {
      const entry = new Reader(r.bytes());
      let key = '';
      let value: unknown = isScalar(ftype) ? (ftype === 'string' || ftype === 'bytes' ? '' : 0) : {};
      while (!entry.done) {
        const t = entry.varint();
        if (t >>> 3 === 1) key = entry.bytes().toString('utf8');
        else if (t >>> 3 === 2) value = decodeValue(ftype, t & 7, entry);
        else entry.skip(t & 7);
      }
      if (out[name] === undefined) out[name] = {};
      // Map keys come from the client: a ConfigMap key `__proto__` must stay a key, not set a prototype.
      Object.defineProperty(out[name], key, { value, enumerable: true, writable: true, configurable: true });
    } else if (kind === 1) {
      if (out[name] === undefined) out[name] = [];
      const list = out[name] as unknown[];
      if (wire === 2 && isScalar(ftype) && ftype !== 'string' && ftype !== 'bytes') {
        // Packed repeated numbers.
        const packed = new Reader(r.bytes());
        while (!packed.done) list.push(scalar(ftype, 0, packed));
      } else {
        list.push(decodeValue(ftype, wire, r));
      }
    } else {
      const v = decodeValue(ftype, wire, r);
      if (v === undefined) continue;
      if (isScalar(ftype) && isZero(v) && !POINTER_FIELDS.has(name)) continue;
      if (INLINE_FIELDS.has(name) && !isScalar(ftype) && typeof v === 'object' && v !== null) {
        Object.assign(out, v);
        continue;
      }
      out[name] = v;
    }
  }
  return out;
}

/** Message name for an apiVersion/kind: `v1`/`Pod` → `core.v1.Pod`, `apps/v1`/`Deployment` → `apps.v1.Deployment`. */
function messageFor(apiVersion: string, kind: string): string {
  if (apiVersion === 'meta.k8s.io/v1' || (kind === 'DeleteOptions' && !apiVersion.includes('/'))) {
    return `meta.v1.${kind}`;
  }
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['core', apiVersion];
  // The proto packages drop the `.k8s.io` of a group (authentication.k8s.io → k8s.io.api.authentication.v1);
  // RBAC's package is k8s.io.api.rbac.v1 although its group is rbac.authorization.k8s.io.
  const pkg = group === 'rbac.authorization.k8s.io' ? 'rbac' : group?.replace(/\.k8s\.io$/, '');
  return `${pkg}.${version}.${kind}`;
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` body into a JSON object with apiVersion and kind. Throws
 * ProtobufError for anything that is not such a body or names a kind podrun does not know.
 */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw new ProtobufError('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  const unknown = decodeMessage('runtime.Unknown', body.subarray(4));
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion ?? '';
  const kind = typeMeta.kind ?? '';
  const message = messageFor(apiVersion, kind);
  if (!MESSAGES[message]) throw new ProtobufError(`no protobuf schema for ${kind} in ${apiVersion || 'v1'}`);
  const raw = typeof unknown.raw === 'string' ? Buffer.from(unknown.raw, 'base64') : Buffer.alloc(0);
  return { apiVersion, kind, ...decodeMessage(message, raw) };
}
