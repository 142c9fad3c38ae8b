import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cloneJson, frozenJsonCopy, jsonRoundTrip } from '../../src/store/json-clone.js';

const viaText = (v: unknown) => JSON.parse(JSON.stringify(v));

test('jsonRoundTrip gives what printing and parsing JSON gives, key order included', () => {
  const values: unknown[] = [
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [] } },
    { a: undefined, b: [undefined, () => 1, Symbol('s'), NaN, -0, Infinity, null], c: -0, d: { e: () => 2 } },
    { z: 1, 10: 'ten', 2: 'two', a: [[], {}, [{}]], t: true, f: false, s: '' },
    JSON.parse('{"__proto__": {"polluted": true}, "x": [1, 2]}'),
    { when: new Date(0), nested: { when: new Date(1000) } },
    Object.assign(Object.create(null) as object, { k: 'v' }),
    [1, 'two', { three: 3 }],
  ];
  for (const v of values) {
    const copy = jsonRoundTrip(v);
    assert.deepEqual(copy, viaText(v));
    assert.equal(JSON.stringify(copy), JSON.stringify(viaText(v)));
    assert.deepEqual(Object.keys(copy as object), Object.keys(viaText(v) as object));
  }
  const proto = jsonRoundTrip(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype, 'a __proto__ key stays a key');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('jsonRoundTrip shares nothing with its input and fails where JSON.stringify fails', () => {
  const input = { a: { b: [1, { c: 2 }] } };
  const copy = jsonRoundTrip(input);
  copy.a.b.push(3);
  (copy.a.b[1] as { c: number }).c = 9;
  assert.deepEqual(input, { a: { b: [1, { c: 2 }] } });
  assert.throws(() => jsonRoundTrip({ big: 1n }), TypeError);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => jsonRoundTrip({ wrap: new Date(0), cyclic }), TypeError);
  assert.throws(() => jsonRoundTrip({ cyclic }), /circular/);
});

test('frozenJsonCopy is jsonRoundTrip with every object and array in it frozen, on the fast and the slow path', () => {
  const allFrozen = (v: unknown): boolean =>
    typeof v !== 'object' || v === null || (Object.isFrozen(v) && Object.values(v).every(allFrozen));
  const plain = { a: undefined, b: [1, { c: [-0, NaN] }], d: { e: 'f' } };
  const fast = frozenJsonCopy(plain);
  assert.deepEqual(fast, viaText(plain));
  assert.ok(allFrozen(fast));
  assert.ok(!Object.isFrozen(plain.b), 'the input is left as it was');
  const dated = { when: new Date(0), list: [{ x: 1 }] };
  const slow = frozenJsonCopy(dated, JSON.stringify(dated));
  assert.deepEqual(slow, viaText(dated));
  assert.ok(allFrozen(slow));
  assert.throws(() => frozenJsonCopy({ big: 1n }), TypeError);
});

test('frozenJsonCopy with a previous version shares each part that is the same JSON, and copies the rest', () => {
  const allFrozen = (v: unknown): boolean =>
    typeof v !== 'object' || v === null || (Object.isFrozen(v) && Object.values(v).every(allFrozen));
  const spec = { containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }], volumes: [] };
  const previous = frozenJsonCopy({
    metadata: { name: 'p', resourceVersion: '1', labels: { app: 'p' } },
    spec,
    status: { phase: 'Pending', conditions: [{ type: 'Ready', status: 'False' }] },
  });
  const next = {
    metadata: { name: 'p', resourceVersion: '2', labels: { app: 'p' } },
    spec: structuredClone(spec),
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], extra: undefined },
  };
  const copy = frozenJsonCopy(next, undefined, previous);
  assert.deepEqual(copy, viaText(next));
  assert.equal(JSON.stringify(copy), JSON.stringify(next));
  assert.ok(allFrozen(copy));
  assert.equal(copy.spec, previous.spec, 'an unchanged part is the previous version’s');
  assert.equal(copy.metadata.labels, previous.metadata.labels);
  assert.equal(copy.status.conditions, previous.status.conditions);
  assert.notEqual(copy.metadata, previous.metadata, 'a changed part is new');
  assert.notEqual(copy.status, previous.status);
  assert.equal(
    frozenJsonCopy(viaText(previous), undefined, previous),
    previous,
    'all the same: the previous itself',
  );
  // The same keys in another order print differently: not shared.
  const reordered = frozenJsonCopy(
    { ...next, spec: { volumes: [], containers: spec.containers } },
    undefined,
    previous,
  );
  assert.notEqual(reordered.spec, previous.spec);
  assert.deepEqual(Object.keys(reordered.spec), ['volumes', 'containers']);
  assert.equal(reordered.spec.containers, previous.spec.containers);
  // A longer or shorter list, a list in place of an object, values JSON changes (-0, NaN): as jsonRoundTrip.
  const odd = {
    metadata: [1],
    spec: { containers: [...spec.containers, { name: 'b' }], volumes: [-0, NaN] },
  };
  const oddCopy = frozenJsonCopy(odd, undefined, previous as unknown as typeof odd);
  assert.deepEqual(oddCopy, viaText(odd));
  assert.equal(oddCopy.spec.containers[0], previous.spec.containers[0]);
  // An unfrozen previous version lends nothing.
  const unfrozen = viaText(previous);
  assert.notEqual(frozenJsonCopy(next, undefined, unfrozen).spec, unfrozen.spec);
});

test('cloneJson copies plain JSON data deeply', () => {
  const input = JSON.parse('{"a": [1, {"b": null}], "__proto__": {"c": 1}}');
  const copy = cloneJson(input);
  assert.deepEqual(copy, input);
  copy.a[1].b = 2;
  assert.equal(input.a[1].b, null);
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
});
