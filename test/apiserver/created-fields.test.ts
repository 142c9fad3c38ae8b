// The FieldsV1 of a create, remembered by the object's shape (src/api/managedfields/created-fields.ts): what a
// remembered shape gives must be what working it out gives, for another object of the same shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forgetShapes, shapeKey } from '../../src/api/managedfields/created-fields.js';
import { resourceForKind } from '../../src/api/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import { recordUpdate } from '../../src/apiserver/managed-fields.js';

const EVENTS = resourceForKind('v1', 'Event')!;
const CONFIGMAPS = resourceForKind('v1', 'ConfigMap')!;

function event(name: string, reason: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: `pod-${name}`, uid: `u-${name}` },
    reason,
    message: `${reason} of ${name}`,
    type: 'Normal',
    count: 1,
    source: { component: 'kubelet', host: 'node' },
    ...extra,
  } as KubeObject;
}

/** managedFields of a create of `obj` by `manager`; `fresh`: with nothing remembered. */
function created(r: typeof EVENTS, obj: KubeObject, manager: string, fresh: boolean): unknown {
  if (fresh) forgetShapes();
  const copy = structuredClone(obj);
  recordUpdate(r, undefined, copy, undefined, manager, 'main', Date.UTC(2026, 0, 1));
  return copy.metadata.managedFields;
}

test('a remembered shape gives what working the create out gives, for any values and manager', () => {
  forgetShapes();
  created(EVENTS, event('a', 'Started'), 'kubelet', true);
  const other = event('b', 'Pulled', { count: 7, source: { component: 'x', host: 'y' } });
  for (const manager of ['kubelet', 'kube-scheduler']) {
    const worked = created(EVENTS, other, manager, true);
    created(EVENTS, event('c', 'Created'), manager, false);
    assert.deepEqual(created(EVENTS, other, manager, false), worked);
  }
});

test('shapes tell keys, nesting and kinds of values apart, and objects with lists have none', () => {
  const a = shapeKey({ a: 'x', b: { c: 1 } });
  assert.equal(shapeKey({ a: 'y', b: { c: 2 } }), a);
  assert.notEqual(shapeKey({ a: 'x', b: { d: 1 } }), a);
  assert.notEqual(shapeKey({ a: 'x', b: { c: '1' } }), a);
  assert.notEqual(shapeKey({ a: 'x', b: null }), shapeKey({ a: 'x', b: {} }));
  assert.notEqual(shapeKey({ a: 'x', b: {} }), shapeKey({ a: 'x', b: { c: 1 } }));
  assert.equal(shapeKey({ a: [] }), undefined);
  assert.equal(shapeKey({ a: { b: [{ name: 'x' }] } }), undefined);
  // The fields of a ConfigMap's data are its keys: another key is another shape.
  const one = created(
    CONFIGMAPS,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { k: 'v' } },
    'm',
    true,
  );
  const two = created(
    CONFIGMAPS,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { j: 'v' } },
    'm',
    false,
  );
  assert.notDeepEqual(one, two);
  assert.deepEqual(
    two,
    created(
      CONFIGMAPS,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm' }, data: { j: 'v' } },
      'm',
      true,
    ),
  );
});
