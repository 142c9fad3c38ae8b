import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  duplicate,
  forbidden,
  formatFieldError,
  invalid,
  notFound,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
} from '../../src/api/validation/field-error.js';
import { parsePath } from '../../src/api/validation/path.js';
import { selectorValue } from '../../src/api/validation/update.js';

describe('formatFieldError follows field.Error.Error()', () => {
  test('Required, Forbidden and TooLong omit the bad value', () => {
    assert.equal(
      formatFieldError(required('spec.containers[0].image')),
      'spec.containers[0].image: Required value',
    );
    assert.equal(
      formatFieldError(required('metadata.name', 'name or generateName is required')),
      'metadata.name: Required value: name or generateName is required',
    );
    assert.equal(formatFieldError(forbidden('spec.x', 'not allowed')), 'spec.x: Forbidden: not allowed');
    assert.equal(
      formatFieldError(tooLong('metadata.annotations', 'x'.repeat(10), 262144)),
      'metadata.annotations: Too long: must have at most 262144 bytes',
    );
  });

  test('strings are quoted like Go %q, numbers and booleans printed bare', () => {
    assert.equal(formatFieldError(invalid('a', 'x"y', 'bad')), 'a: Invalid value: "x\\"y": bad');
    assert.equal(formatFieldError(invalid('a', 70000, 'bad')), 'a: Invalid value: 70000: bad');
    assert.equal(formatFieldError(invalid('a', true, 'bad')), 'a: Invalid value: true: bad');
    assert.equal(formatFieldError(invalid('a', null, 'bad')), 'a: Invalid value: null: bad');
    assert.equal(
      formatFieldError(typeInvalid('a', '80', 'must be of type integer')),
      'a: Invalid value: "80": must be of type integer',
    );
  });

  test('Duplicate and NotFound have no detail; NotSupported lists the quoted values', () => {
    assert.equal(
      formatFieldError(duplicate('spec.initContainers[0].name', 'app')),
      'spec.initContainers[0].name: Duplicate value: "app"',
    );
    assert.equal(formatFieldError(notFound('v[0].name', 'data')), 'v[0].name: Not found: "data"');
    assert.equal(
      formatFieldError(notSupported('p', 'tcp', ['SCTP', 'TCP', 'UDP'])),
      'p: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"',
    );
  });

  test('TooMany prints the count, or omits it when unknown', () => {
    assert.equal(formatFieldError(tooMany('x', 5, 3)), 'x: Too many: 5: must have at most 3 items');
    assert.equal(formatFieldError(tooMany('x', -1, -1)), 'x: Too many: has too many items');
  });

  test('string maps print as Go maps with sorted keys, selectors as v1.LabelSelector', () => {
    assert.equal(
      formatFieldError(invalid('l', { b: '2', a: '1' }, 'd')),
      'l: Invalid value: map[string]string{"a":"1", "b":"2"}: d',
    );
    assert.equal(
      formatFieldError(
        invalid('spec.selector', selectorValue({ matchLabels: { app: 'x' } }), 'field is immutable'),
      ),
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    );
  });
});

describe('field paths', () => {
  test('a rendered path splits back into fields, indexes and map keys', () => {
    assert.deepEqual(parsePath('spec.containers[0].ports[12].name'), [
      { field: 'spec' },
      { field: 'containers' },
      { index: 0 },
      { field: 'ports' },
      { index: 12 },
      { field: 'name' },
    ]);
    assert.deepEqual(parsePath('data[my.key]'), [{ field: 'data' }, { key: 'my.key' }]);
    assert.deepEqual(parsePath('metadata.annotations[example.com/a]'), [
      { field: 'metadata' },
      { field: 'annotations' },
      { key: 'example.com/a' },
    ]);
  });
});
