import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Pod } from '../../../src/api/types.js';
import {
  convertDownwardAPIFieldLabel,
  extractFieldPathAsString,
  formatMap,
  milliValue,
  parseQuantity,
  quantityValue,
  splitMaybeSubscriptedPath,
} from '../../../src/kubelet/fieldpath.js';
import { goQuote } from '../../../src/util/go-format.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web',
    namespace: 'prod',
    uid: 'u-1',
    labels: { zeta: 'last', alpha: 'first', 'app.kubernetes.io/name': 'web' },
    annotations: { note: 'line1\nline2\t"quoted" \\ é 日本' },
  },
};

describe('downward API field extraction (pkg/fieldpath)', () => {
  test('labels are formatted as sorted key="value" lines without a trailing newline', () => {
    assert.equal(
      extractFieldPathAsString(pod, 'metadata.labels'),
      'alpha="first"\napp.kubernetes.io/name="web"\nzeta="last"',
    );
    assert.equal(formatMap({}), '');
    assert.equal(formatMap(undefined), '');
  });

  test('values are quoted like Go %q: escapes for controls, quotes and backslashes, printable Unicode kept', () => {
    assert.equal(
      extractFieldPathAsString(pod, 'metadata.annotations'),
      'note="line1\\nline2\\t\\"quoted\\" \\\\ é 日本"',
    );
    assert.equal(goQuote('\x00\x7f\u200b'), '"\\x00\\x7f\\u200b"');
  });

  test('a subscript selects one label or annotation, absent keys give the empty string', () => {
    assert.equal(extractFieldPathAsString(pod, "metadata.labels['app.kubernetes.io/name']"), 'web');
    assert.equal(extractFieldPathAsString(pod, "metadata.annotations['missing']"), '');
    assert.deepEqual(splitMaybeSubscriptedPath("metadata.labels['a']"), {
      path: 'metadata.labels',
      subscript: 'a',
      ok: true,
    });
    assert.equal(splitMaybeSubscriptedPath('metadata.labels').ok, false);
  });

  test('invalid subscripts and unsupported paths are refused with the upstream texts', () => {
    assert.throws(
      () => extractFieldPathAsString(pod, "metadata.labels['-bad-']"),
      /^Error: invalid key subscript in metadata\.labels\['-bad-'\]: name part must consist of alphanumeric characters/,
    );
    assert.throws(() => extractFieldPathAsString(pod, "metadata.name['x']"), {
      message: 'fieldPath "metadata.name[\'x\']" does not support subscript',
    });
    assert.throws(() => extractFieldPathAsString(pod, 'spec.nodeName'), {
      message: 'unsupported fieldPath: spec.nodeName',
    });
    assert.throws(() => convertDownwardAPIFieldLabel('v1', "spec.nodeName['x']"), {
      message: "field label does not support subscript: spec.nodeName['x']",
    });
    assert.throws(() => convertDownwardAPIFieldLabel('v2', 'metadata.name'), {
      message: 'unsupported pod version: v2',
    });
    assert.equal(convertDownwardAPIFieldLabel(undefined, 'spec.host'), 'spec.nodeName');
  });
});

describe('resource quantities', () => {
  const cases: [string, bigint, bigint][] = [
    ['1', 1000n, 1n],
    ['500m', 500n, 1n],
    ['0.1', 100n, 1n],
    ['1.5', 1500n, 2n],
    ['128Mi', 128n * 1024n * 1024n * 1000n, 128n * 1024n * 1024n],
    ['1G', 10n ** 12n, 10n ** 9n],
    ['1e3', 10n ** 6n, 1000n],
    ['1k', 10n ** 6n, 1000n],
    ['100n', 1n, 1n],
  ];
  for (const [text, milli, value] of cases) {
    test(`${text} is ${milli} milli-units and ${value} units rounded up`, () => {
      const q = parseQuantity(text);
      assert.equal(milliValue(q), milli);
      assert.equal(quantityValue(q), value);
    });
  }

  test('malformed quantities are refused', () => {
    assert.throws(() => parseQuantity('12XYZ'), /quantities must match the regular expression/);
    assert.throws(() => parseQuantity(''), /quantities must match/);
  });
});
