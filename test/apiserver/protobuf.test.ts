import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeKubernetesProtobuf, ProtobufError } from '../../src/apiserver/protobuf/decode.js';

// A minimal protobuf writer, enough to build the bodies kubectl's typed clients send.
function varint(n: number): number[] {
  const out: number[] = [];
  let v = n < 0 ? 2 ** 64 + n : n;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const field = (num: number, wire: number) => varint(num * 8 + wire);
const str = (num: number, s: string) => {
  const b = [...Buffer.from(s)];
  return [...field(num, 2), ...varint(b.length), ...b];
};
const msg = (num: number, body: number[]) => [...field(num, 2), ...varint(body.length), ...body];
const int = (num: number, n: number) => [...field(num, 0), ...varint(n)];
const envelope = (apiVersion: string, kind: string, raw: number[]) =>
  Buffer.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...msg(1, [...str(1, apiVersion), ...str(2, kind)]),
    ...msg(2, raw),
    ...str(3, ''),
    ...str(4, ''),
  ]);

test('a ConfigMap body decodes to its JSON form, with map entries and without Go zero values', () => {
  const meta = [...str(1, 'cfg'), ...str(2, ''), ...str(3, ''), ...int(7, 0), ...msg(8, [])];
  const data = [...msg(2, [...str(1, 'a'), ...str(2, 'b')]), ...msg(2, [...str(1, 'c'), ...str(2, '')])];
  const body = envelope('v1', 'ConfigMap', [...msg(1, meta), ...data]);
  assert.deepEqual(decodeKubernetesProtobuf(body), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg' },
    data: { a: 'b', c: '' },
  });
});

test('map keys named after Object.prototype members are kept as keys', () => {
  const entry = (k: string) => msg(2, [...str(1, k), ...str(2, `v-${k}`)]);
  const body = envelope('v1', 'ConfigMap', [
    ...msg(1, str(1, 'cfg')),
    ...entry('__proto__'),
    ...entry('constructor'),
  ]);
  const decoded = decodeKubernetesProtobuf(body) as { data: Record<string, string> };
  assert.deepEqual(Object.entries(decoded.data), [
    ['__proto__', 'v-__proto__'],
    ['constructor', 'v-constructor'],
  ]);
  assert.equal(Object.getPrototypeOf(decoded.data), Object.prototype);
});

test('pointer fields keep an explicit zero, IntOrString and Quantity take their JSON forms', () => {
  const container = [
    ...str(1, 'c'),
    ...str(2, 'nginx'),
    ...msg(8, [...msg(1, [...str(1, 'cpu'), ...msg(2, str(1, '100m'))])]),
  ];
  const podSpec = [...msg(2, container)];
  const template = [...msg(1, []), ...msg(2, podSpec)];
  const spec = [
    ...int(1, 0),
    ...msg(3, template),
    ...msg(4, [...str(1, 'RollingUpdate'), ...msg(2, [...msg(1, [...int(1, 1), ...str(3, '25%')])])]),
  ];
  const body = envelope('apps/v1', 'Deployment', [...msg(1, str(1, 'web')), ...msg(2, spec), ...msg(3, [])]);
  // biome-ignore lint/suspicious/noExplicitAny: the test walks into the decoded JSON.
  const out = decodeKubernetesProtobuf(body) as Record<string, any>;
  assert.equal(out.spec.replicas, 0);
  assert.deepEqual(out.spec.template.spec.containers[0].resources, { limits: { cpu: '100m' } });
  assert.deepEqual(out.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%' } });
  assert.deepEqual(out.status, {});
});

test('a body without the k8s prefix or of an unknown kind is refused', () => {
  assert.throws(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}')), ProtobufError);
  assert.throws(
    () => decodeKubernetesProtobuf(envelope('v1', 'Widget', [])),
    /no protobuf schema for Widget in v1/,
  );
});
