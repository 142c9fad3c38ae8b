import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ApplyConflictError,
  apply,
  capUpdateManagers,
  decodeManaged,
  encodeManaged,
  type Managed,
  update,
  type Writer,
} from '../../../src/api/managedfields/managers.js';
import { rootType } from '../../../src/api/managedfields/type-node.js';
import type { JsonObject } from '../../../src/api/patch/json-value.js';

const CM = rootType('ConfigMap');
const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-01-01T00:01:00Z';
const as = (manager: string): Writer => ({ manager, apiVersion: 'v1', subresource: '' });
const cm = (data: Record<string, string>, labels?: Record<string, string>): JsonObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', ...(labels ? { labels } : {}) },
  data,
});
const owners = (m: Managed) =>
  Object.fromEntries(encodeManaged(m).map((e) => [`${e.manager}/${e.operation}`, e.fieldsV1]));

describe('apply', () => {
  test('the applier owns exactly its configuration', () => {
    const m: Managed = new Map();
    const { object } = apply(m, undefined, cm({ a: '1' }), CM, as('alpha'), {}, false, T1);
    assert.deepEqual(object.data, { a: '1' });
    assert.deepEqual(owners(m), { 'alpha/Apply': { 'f:data': { 'f:a': {} } } });
    const [entry] = encodeManaged(m);
    assert.deepEqual(entry, {
      manager: 'alpha',
      operation: 'Apply',
      apiVersion: 'v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:data': { 'f:a': {} } },
    });
  });

  test('a different value for a field another applier owns is a conflict; force takes the field', () => {
    const m: Managed = new Map();
    const live = apply(m, undefined, cm({ owner: 'a' }), CM, as('alpha'), {}, false, T1).object;
    assert.throws(
      () => apply(m, live, cm({ owner: 'b' }), CM, as('beta'), {}, false, T2),
      (e: unknown) =>
        e instanceof ApplyConflictError &&
        e.message === 'Apply failed with 1 conflict: conflict with "alpha": .data.owner',
    );
    assert.deepEqual(
      owners(m),
      { 'alpha/Apply': { 'f:data': { 'f:owner': {} } } },
      'a refused apply changes nothing',
    );
    const { object } = apply(m, live, cm({ owner: 'b' }), CM, as('beta'), {}, true, T2);
    assert.deepEqual(object.data, { owner: 'b' });
    assert.deepEqual(owners(m), { 'beta/Apply': { 'f:data': { 'f:owner': {} } } });
  });

  test('the same value applied by a second manager is shared, and stays when one of them lets go', () => {
    const m: Managed = new Map();
    let live = apply(m, undefined, cm({ shared: 'x', mine: '1' }), CM, as('alpha'), {}, false, T1).object;
    live = apply(m, live, cm({ shared: 'x' }), CM, as('beta'), {}, false, T2).object;
    assert.deepEqual(owners(m), {
      'alpha/Apply': { 'f:data': { 'f:mine': {}, 'f:shared': {} } },
      'beta/Apply': { 'f:data': { 'f:shared': {} } },
    });
    live = apply(m, live, cm({ mine: '1' }), CM, as('alpha'), {}, false, T2).object;
    assert.deepEqual(live.data, { shared: 'x', mine: '1' }, 'beta still owns shared');
  });

  test('fields the applier set before and omits now are removed', () => {
    const m: Managed = new Map();
    let live = apply(m, undefined, cm({ a: '1', b: '2' }, { x: 'y' }), CM, as('alpha'), {}, false, T1).object;
    live = apply(m, live, cm({ a: '1' }), CM, as('alpha'), {}, false, T2).object;
    assert.deepEqual(live.data, { a: '1' });
    assert.equal((live.metadata as JsonObject).labels, undefined, 'an emptied map goes');
    assert.deepEqual(owners(m), { 'alpha/Apply': { 'f:data': { 'f:a': {} } } });
  });

  test('fields an updater changed are not removed by the applier omitting them', () => {
    const m: Managed = new Map();
    let live = apply(m, undefined, cm({ a: '1', b: '2' }), CM, as('alpha'), {}, false, T1).object;
    const edited = { ...live, data: { a: '1', b: '3' } };
    update(m, live, edited, CM, as('kubectl-edit'), {}, T2);
    live = edited;
    assert.deepEqual(owners(m), {
      'alpha/Apply': { 'f:data': { 'f:a': {} } },
      'kubectl-edit/Update': { 'f:data': { 'f:b': {} } },
    });
    live = apply(m, live, cm({ a: '1' }), CM, as('alpha'), {}, false, T2).object;
    assert.deepEqual(live.data, { a: '1', b: '3' });
  });

  test('list items by key: the applier removing its container keeps the one another manager owns', () => {
    const POD = rootType('Pod');
    const pod = (...names: string[]): JsonObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: names.map((name) => ({ name, image: `${name}:1` })) },
    });
    const m: Managed = new Map();
    let live = apply(m, undefined, pod('a', 'b'), POD, as('alpha'), {}, false, T1).object;
    live = apply(m, live, pod('b'), POD, as('beta'), {}, false, T1).object;
    live = apply(m, live, pod('a'), POD, as('alpha'), {}, false, T2).object;
    assert.deepEqual(
      ((live.spec as JsonObject).containers as JsonObject[]).map((c) => c.name),
      ['a', 'b'],
    );
    live = apply(m, live, pod(), POD, as('beta'), {}, false, T2).object;
    assert.deepEqual(
      ((live.spec as JsonObject).containers as JsonObject[]).map((c) => c.name),
      ['a'],
    );
  });

  test('several conflicts are listed by manager', () => {
    const m: Managed = new Map();
    let live = apply(m, undefined, cm({ a: '1' }), CM, as('alpha'), {}, false, T1).object;
    const next = { ...live, data: { a: '1', b: '2' } };
    update(m, live, next, CM, as('kubectl-edit'), {}, T1);
    live = next;
    assert.throws(
      () => apply(m, live, cm({ a: '9', b: '9' }), CM, as('gamma'), {}, false, T2),
      (e: unknown) =>
        e instanceof ApplyConflictError &&
        e.message ===
          'Apply failed with 2 conflicts: conflicts with "alpha":\n- .data.a\nconflicts with "kubectl-edit" using v1:\n- .data.b',
    );
  });
});

describe('update', () => {
  test('a create owns what it sets, with `.` for maps that were absent', () => {
    const m: Managed = new Map();
    update(m, undefined, cm({ a: '1' }, { x: 'y' }), CM, as('kubectl-create'), {}, T1);
    assert.deepEqual(owners(m), {
      'kubectl-create/Update': {
        'f:data': { '.': {}, 'f:a': {} },
        'f:metadata': { 'f:labels': { '.': {}, 'f:x': {} } },
      },
    });
  });

  test('a pod create: spec is in the zero value, so it has no `.`; status is the status endpoint', () => {
    const m: Managed = new Map();
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 'i' }], restartPolicy: 'Always' },
      status: { phase: 'Pending' },
    };
    update(m, undefined, pod, rootType('Pod'), as('kubectl-run'), { ignore: ['status'] }, T1);
    assert.deepEqual(owners(m), {
      'kubectl-run/Update': {
        'f:spec': {
          'f:containers': { 'k:{"name":"c"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
          'f:restartPolicy': {},
        },
      },
    });
  });

  test('an update takes changed fields from their owners and adds to its own entry', () => {
    const m: Managed = new Map();
    let live = cm({ a: '1', b: '1' });
    update(m, undefined, live, CM, as('one'), {}, T1);
    const next = cm({ a: '2', b: '1', c: '1' });
    update(m, live, next, CM, as('two'), {}, T2);
    live = next;
    assert.deepEqual(owners(m), {
      'one/Update': { 'f:data': { '.': {}, 'f:b': {} } },
      'two/Update': { 'f:data': { 'f:a': {}, 'f:c': {} } },
    });
    const removed = cm({ a: '2', c: '1' });
    update(m, live, removed, CM, as('three'), {}, T2);
    assert.deepEqual(owners(m)['one/Update'], { 'f:data': {} }, 'a removed field has no owner');
  });

  test('an update that changes nothing leaves managedFields as they were', () => {
    const m: Managed = new Map();
    const live = cm({ a: '1' });
    update(m, undefined, live, CM, as('one'), {}, T1);
    const before = JSON.stringify(encodeManaged(m));
    update(m, live, cm({ a: '1' }), CM, as('two'), {}, T2);
    assert.equal(JSON.stringify(encodeManaged(m)), before);
  });

  test('more than 10 updaters: the oldest collapse into ancient-changes', () => {
    const m: Managed = new Map();
    let live = cm({});
    for (let i = 0; i < 12; i++) {
      const next = cm({ ...(live.data as Record<string, string>), [`k${i}`]: 'v' });
      update(m, live, next, CM, as(`m${i}`), {}, `2026-01-01T00:00:${String(10 + i)}Z`);
      live = next;
    }
    const managers = encodeManaged(m).map((e) => e.manager);
    assert.equal(managers.length, 10);
    assert.ok(managers.includes('ancient-changes'));
    assert.ok(!managers.includes('m0') && !managers.includes('m1') && !managers.includes('m2'));
    capUpdateManagers(m);
    assert.equal(encodeManaged(m).length, 10);
  });

  test('entries round-trip through managedFields', () => {
    const m: Managed = new Map();
    update(m, undefined, cm({ a: '1' }), CM, as('one'), {}, T1);
    const encoded = encodeManaged(m);
    assert.deepEqual(encodeManaged(decodeManaged(JSON.parse(JSON.stringify(encoded)))), encoded);
    assert.throws(() => decodeManaged([{ manager: 'x', operation: 'Update', fieldsType: 'FieldsV2' }]));
  });
});
