// Bad requests, generated (issue 12, "Bad input"): random methods, paths (bad escapes, unknown resources,
// odd names), query parameters, media types and bodies (mutated manifests as JSON or YAML, patches of every
// type, bytes) sent to the API server. No request may be answered with a 5xx; every refusal is a Status
// whose code is the HTTP status; the server serves the whole time and its memory stays bounded.
// Seeded: a failure names its seed and request (PODRUN_FUZZ_SEED, PODRUN_FUZZ_RUNS).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { stringify } from 'yaml';
import { RESOURCES } from '../../src/api/resources.js';
import {
  fuzzRuns,
  fuzzSeed,
  mutate,
  type Rng,
  randomJson,
  randomJsonPatch,
  randomKey,
  randomMergePatch,
  randomString,
  rng,
} from '../support/fuzz.js';
import { CORPUS } from '../support/fuzz-corpus.js';
import { call, type HttpResult, startTestServer, type TestServer } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const MB = 1024 * 1024;

function heldBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

const NAMES = [...new Set(CORPUS.map((o) => (o.metadata as { name?: string } | undefined)?.name ?? 'x'))];
const NAMESPACES = ['default', 'default', 'kube-system', 'nope', 'Bad_NS', '%zz', '%E0%A4%A', '..', 'a%2Fb'];
const SUBRESOURCES = ['status', 'log', 'scale', 'binding', 'bogus', ''];

const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
  'application/apply-patch+yaml',
  'application/apply-patch+cbor',
  'application/vnd.kubernetes.protobuf',
  'text/plain',
  'application/json; charset=utf-16',
  '',
];
const ACCEPTS = [
  '',
  'application/json',
  '*/*',
  'application/yaml',
  'application/json;as=Table;v=v1;g=meta.k8s.io',
  'application/json;as=Table;v=v1beta1;g=meta.k8s.io, application/json',
  'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io',
  'application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io',
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  'application/vnd.kubernetes.protobuf',
  'text/html',
  ';;;=,',
];

/** Query parameters as clients send them, and as nobody should; never a watch or a follow that stays open. */
function randomQuery(r: Rng): string {
  const q = new URLSearchParams();
  const params: Array<[string, () => string]> = [
    [
      'labelSelector',
      () => r.pick(['app=web', 'app in (a,b)', '!app', 'a,,b', '=', 'a=b=c', randomString(r)]),
    ],
    [
      'fieldSelector',
      () =>
        r.pick(['metadata.name=x', 'spec.nodeName=', 'status.phase!=Running', 'bogus=1', randomString(r)]),
    ],
    ['resourceVersion', () => r.pick(['', '0', '1', 'abc', '-5', '1.5'])],
    ['resourceVersionMatch', () => r.pick(['NotOlderThan', 'Exact', 'bogus'])],
    ['limit', () => r.pick(['1', '0', '-1', 'x', '500'])],
    ['continue', () => r.pick(['', 'abc', 'eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ', randomString(r)])],
    ['timeoutSeconds', () => r.pick(['1', '0', '-3', 'ten'])],
    ['watch', () => r.pick(['false', '0', 'False'])],
    ['follow', () => r.pick(['false', '0'])],
    ['dryRun', () => r.pick(['All', 'bogus', ''])],
    ['fieldManager', () => r.pick(['kubectl', '', 'x'.repeat(200), randomString(r)])],
    ['fieldValidation', () => r.pick(['Strict', 'Warn', 'Ignore', 'bogus'])],
    ['force', () => r.pick(['true', 'false', 'x'])],
    ['gracePeriodSeconds', () => r.pick(['0', '30', '-1', 'x'])],
    ['propagationPolicy', () => r.pick(['Foreground', 'Background', 'Orphan', 'bogus'])],
    ['container', () => r.pick(['app', 'nope', ''])],
    ['tailLines', () => r.pick(['1', '-1', 'x'])],
    ['limitBytes', () => r.pick(['1', '0', 'x'])],
    ['sinceSeconds', () => r.pick(['1', '0', 'x'])],
    ['sinceTime', () => r.pick(['2024-01-01T00:00:00Z', 'yesterday'])],
    ['previous', () => r.pick(['true', 'false'])],
    ['pretty', () => r.pick(['true', '1'])],
  ];
  for (let n = r.int(4); n > 0; n--) {
    const [k, v] = r.pick(params);
    q.append(k, v());
  }
  if (r.chance(0.05)) q.append(randomKey(r), randomString(r));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Every byte of the UTF-8 form escaped (a lone surrogate becomes U+FFFD, as it would on the wire). */
function percentEncode(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

function basePath(kind: (typeof RESOURCES)[number]): string {
  return kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
}

/** A path for `method`: mostly where such a request goes (collections for POST, objects otherwise), sometimes anywhere. */
function randomPath(r: Rng, method: string, target: Record<string, unknown>): string {
  const own = RESOURCES.find((x) => x.kind === target.kind);
  const res = own && r.chance(0.8) ? own : r.pick(RESOURCES);
  const base = basePath(res);
  const targetName = (target.metadata as { name?: unknown } | undefined)?.name;
  const name = r.chance(0.85)
    ? typeof targetName === 'string' && r.chance(0.8)
      ? targetName
      : r.pick(NAMES)
    : r.pick(['%zz', '..', 'UPPER', 'a'.repeat(300), percentEncode(randomString(r))]);
  const collection = res.namespaced
    ? `${base}/namespaces/default/${res.resource}`
    : `${base}/${res.resource}`;
  const item = `${collection}/${name}`;
  switch (r.int(12)) {
    case 0:
      return r.pick([
        '/',
        '/api',
        '/apis',
        '/version',
        '/openapi/v2',
        '/openapi/v3',
        '/openapi/v3/api/v1',
        '/healthz',
        '/livez?verbose',
        '/metrics',
        '/%zz',
        '//api//v1',
        '/api/v1/',
        '/apis/apps',
        '/apis/nope/v1/things',
      ]);
    case 1:
      return res.namespaced
        ? `${base}/namespaces/${r.pick(NAMESPACES)}/${res.resource}`
        : `${base}/${res.resource}`;
    case 2: {
      const sub = r.pick(SUBRESOURCES);
      return `${res.namespaced ? `${base}/namespaces/${r.pick(NAMESPACES)}/${res.resource}` : `${base}/${res.resource}`}/${name}${sub ? `/${sub}` : ''}`;
    }
    case 3:
      return `${item}/${r.pick(['status', 'scale', 'log'])}`;
    default:
      return method === 'POST' || (method === 'GET' && r.chance(0.3)) ? collection : item;
  }
}

/** A body for `contentType`: a manifest (mutated or not), a patch, or junk. */
function randomBody(r: Rng, contentType: string, base: Record<string, unknown>): string | undefined {
  if (r.chance(0.05)) return undefined;
  if (r.chance(0.05))
    return r.pick(['', 'null', '[]', '{', '\u0000\u0001', '"str"', '1e999', '{"a":1,"a":2}']);
  let value: unknown;
  if (contentType === 'application/json-patch+json') value = randomJsonPatch(r, base);
  else if (contentType.includes('merge-patch'))
    value = randomMergePatch(r, base, contentType.includes('strategic'));
  else if (r.chance(0.1)) value = randomJson(r, 3);
  else value = r.chance(0.25) ? base : mutate(r, base);
  return contentType.includes('yaml') && r.chance(0.7) ? stringify(value) : JSON.stringify(value);
}

/** A request with its path exactly as given (`//api` is a path here, not a host). */
function rawCall(
  t: TestServer,
  method: string,
  path: string,
  options: { raw?: string; contentType?: string; accept?: string; token?: string | null },
): Promise<HttpResult> {
  return call(t, method, path, { ...options, rawPath: true });
}

describe('random requests', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    // Objects to patch, replace and delete.
    for (const o of CORPUS) {
      const kind = RESOURCES.find((x) => x.kind === o.kind);
      if (!kind) continue;
      const base = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
      const path = kind.namespaced
        ? `${base}/namespaces/default/${kind.resource}`
        : `${base}/${kind.resource}`;
      await call(t, 'POST', path, { body: o });
    }
  });
  after(async () => {
    await t.close();
  });

  test('none is a 5xx, every refusal is a Status, the server keeps serving with bounded memory', async () => {
    const seed = fuzzSeed(4);
    const n = fuzzRuns(1_500);
    const statuses = new Map<number, number>();
    const heldBefore = heldBytes();
    for (let i = 0; i < n; i++) {
      const r = rng(seed * 1_000_003 + i);
      const method = r.chance(0.05)
        ? r.pick(['HEAD', 'OPTIONS', 'PROPFIND'])
        : r.pick(['GET', 'POST', 'POST', 'PUT', 'PATCH', 'PATCH', 'PATCH', 'DELETE']);
      const target = r.pick(CORPUS);
      const path = randomPath(r, method, target) + randomQuery(r);
      const contentType = r.chance(0.2)
        ? r.pick(CONTENT_TYPES)
        : method === 'PATCH'
          ? r.pick(CONTENT_TYPES.filter((c) => c.includes('patch') && !c.includes('cbor')))
          : r.pick(['application/json', 'application/yaml']);
      const body =
        ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) || r.chance(0.05)
          ? randomBody(r, contentType, target)
          : undefined;
      const accept = r.chance(0.7) ? '' : r.pick(ACCEPTS);
      const res = await rawCall(t, method, path, {
        ...(body !== undefined ? { raw: body, contentType } : {}),
        ...(accept ? { accept } : {}),
        ...(r.chance(0.03) ? { token: r.pick([null, 'wrong', '']) } : {}),
      });
      const where = `request ${i} of seed ${seed}: ${method} ${path.slice(0, 200)} (${contentType}) ${String(body).slice(0, 300)}`;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      assert.ok(
        res.status >= 200 && res.status < 500,
        `${res.status} for ${where}: ${res.text.slice(0, 500)}`,
      );
      const type = String(res.headers['content-type'] ?? '');
      if (res.status >= 400 && method !== 'HEAD' && type.startsWith('application/json')) {
        assert.equal(res.json?.kind, 'Status', `${where}: ${res.text.slice(0, 300)}`);
        assert.equal(res.json.code, res.status, where);
        assert.equal(typeof res.json.message, 'string', where);
      }
    }
    const growth = heldBytes() - heldBefore;
    console.error(
      `fuzz-http: ${n} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}, held memory ${(growth / MB).toFixed(1)} MB more`,
    );
    // The generator reaches both sides: requests served and requests refused in several ways.
    assert.ok([...statuses.keys()].filter((s) => s < 300).length > 0);
    assert.ok([...statuses.keys()].filter((s) => s >= 400).length >= 4);
    assert.ok(growth < 64 * MB, `memory held grew by ${(growth / MB).toFixed(1)} MB`);
    const health = await call(t, 'GET', '/healthz', { token: null });
    assert.equal(health.status, 200);
  });
});
