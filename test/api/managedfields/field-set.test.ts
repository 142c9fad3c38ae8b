import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FieldSet, pathString } from '../../../src/api/managedfields/field-set.js';
import { rootType } from '../../../src/api/managedfields/type-node.js';
import { toFieldSet } from '../../../src/api/managedfields/typed.js';

describe('fieldsV1', () => {
  test('a pod applied by kubectl: fields, associative list items by key, `.` for an item with fields', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }], args: ['-v'] }],
      },
    };
    const set = toFieldSet(pod, rootType('Pod'));
    const v1 = set.toFieldsV1();
    assert.deepEqual(v1['f:spec'], {
      'f:containers': {
        'k:{"name":"c"}': {
          '.': {},
          'f:args': {},
          'f:image': {},
          'f:name': {},
          'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
        },
      },
    });
    assert.deepEqual(v1['f:metadata'], { 'f:labels': { 'f:app': {} }, 'f:name': {} });
  });

  test('sets of scalars are `v:` items; atomic lists and structs are one leaf', () => {
    const set = toFieldSet(
      {
        metadata: { finalizers: ['a/b', 'c'] },
        spec: {
          selector: { matchLabels: { app: 'x' } },
          template: { spec: { tolerations: [{ key: 'k' }] } },
        },
      },
      rootType('Deployment'),
    );
    const v1 = set.toFieldsV1();
    assert.deepEqual(v1['f:metadata'], { 'f:finalizers': { 'v:"a/b"': {}, 'v:"c"': {} } });
    assert.deepEqual(v1['f:spec'], { 'f:selector': {}, 'f:template': { 'f:spec': { 'f:tolerations': {} } } });
  });

  test('keys are ordered as fieldpath orders them (numbers numerically), with `.` first', () => {
    const set = new FieldSet();
    set.insert(['f:ports', 'k:{"port":443}']);
    set.insert(['f:ports', 'k:{"port":80}']);
    set.insert(['f:ports', 'k:{"port":80}', 'f:name']);
    set.insert(['f:a']);
    assert.equal(
      JSON.stringify(set.toFieldsV1()),
      '{"f:a":{},"f:ports":{"k:{\\"port\\":80}":{".":{},"f:name":{}},"k:{\\"port\\":443}":{}}}',
    );
  });

  test('decoding is the inverse of encoding', () => {
    const v1 = { 'f:data': { '.': {}, 'f:a': {} }, 'f:metadata': { 'f:labels': { 'f:x': {} } } };
    const set = FieldSet.fromFieldsV1(v1);
    assert.ok(set.has(['f:data']));
    assert.ok(set.has(['f:data', 'f:a']));
    assert.ok(!set.has(['f:metadata']));
    assert.deepEqual(set.toFieldsV1(), v1);
  });

  test('paths print as upstream prints them in conflicts', () => {
    assert.equal(pathString(['f:data', 'f:owner']), '.data.owner');
    assert.equal(
      pathString(['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image']),
      '.spec.containers[name="c"].image',
    );
    assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"x"']), '.metadata.finalizers[="x"]');
  });
});
