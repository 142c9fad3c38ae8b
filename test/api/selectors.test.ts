import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFieldSelector } from '../../src/api/field-selectors.js';
import { labelSelectorFromObject, parseLabelSelector, SelectorError } from '../../src/api/selectors.js';

function selectorError(message: string) {
  return (err: unknown) => {
    assert.ok(err instanceof SelectorError, `expected SelectorError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  };
}

describe('label selectors: string form', () => {
  test('every operator of the string form matches as upstream defines it', () => {
    const s = parseLabelSelector('a=b,c!=d,e in (x,y),f notin (z),g,!h');
    assert.equal(s.matches({ a: 'b', e: 'x', g: '' }), true);
    assert.equal(s.matches({ a: 'b', c: 'other', e: 'y', f: 'w', g: '1' }), true);
    assert.equal(s.matches({ a: 'b', c: 'd', e: 'x', g: '' }), false, 'c!=d excludes c=d');
    assert.equal(s.matches({ a: 'b', e: 'q', g: '' }), false, 'e must be in (x,y)');
    assert.equal(s.matches({ a: 'b', e: 'x', f: 'z', g: '' }), false, 'f notin (z)');
    assert.equal(s.matches({ a: 'b', e: 'x' }), false, 'g must exist');
    assert.equal(s.matches({ a: 'b', e: 'x', g: '', h: '' }), false, '!h excludes h');
    assert.equal(s.matches({ e: 'x', g: '' }), false, 'a=b needs a');
  });

  test('== is the same as =, and gt/lt compare integers', () => {
    assert.equal(parseLabelSelector('a==b').matches({ a: 'b' }), true);
    const s = parseLabelSelector('n>1,m<10');
    assert.equal(s.matches({ n: '2', m: '9' }), true);
    assert.equal(s.matches({ n: '1', m: '9' }), false);
    assert.equal(s.matches({ n: 'x', m: '9' }), false, 'a non-integer label never satisfies gt');
  });

  test('an empty selector matches everything; values may be empty', () => {
    assert.equal(parseLabelSelector('').matches({}), true);
    assert.equal(parseLabelSelector('  ').matches({ a: 'b' }), true);
    assert.equal(parseLabelSelector('x=').matches({ x: '' }), true);
    assert.equal(parseLabelSelector('x in (a,)').matches({ x: '' }), true);
    assert.equal(parseLabelSelector('x in (a,)').matches({ x: 'b' }), false);
  });

  test('matches takes an object and reads metadata.labels', () => {
    const s = parseLabelSelector('app=web');
    assert.equal(s.matches({ metadata: { labels: { app: 'web' } } }), true);
    assert.equal(s.matches({ metadata: {} }), false);
  });

  test('in and notin are identifiers in value position and keys may carry a DNS prefix', () => {
    assert.equal(parseLabelSelector('x in (in,notin)').matches({ x: 'notin' }), true);
    assert.equal(parseLabelSelector('example.com/app=web').matches({ 'example.com/app': 'web' }), true);
  });

  test('toString prints the canonical form sorted by key', () => {
    assert.equal(parseLabelSelector('z=1, a in (y,x),!b,c').toString(), 'a in (x,y),!b,c,z=1');
  });

  test('bad input fails with apimachinery wording', () => {
    const cases: [string, string][] = [
      ['x==a==b', "found '==', expected: ',' or 'end of string'"],
      ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
      ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
      ['x in a', "unable to parse requirement: found 'a' expected: '('"],
      [',x', "found ',', expected: !, identifier, or 'end of string'"],
      ['x,', "found '', expected: identifier after ','"],
      ['!x=a', "found '=', expected: ',' or 'end of string'"],
      [
        'x<a',
        `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`,
      ],
      ['x=a b', "found 'b', expected: ',' or 'end of string'"],
      [
        'a/b/c=d',
        `unable to parse requirement: key: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
      [
        'x=-a',
        `unable to parse requirement: values[0]: Invalid value: "-a": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => parseLabelSelector(input), selectorError(message), input);
    }
  });
});

describe('label selectors: object form', () => {
  test('matchLabels and matchExpressions must all hold', () => {
    const s = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'edge'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'team', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    assert.equal(s.matches({ app: 'web', tier: 'edge', team: 'a' }), true);
    assert.equal(s.matches({ app: 'web', tier: 'edge', team: 'a', env: 'prod' }), false);
    assert.equal(s.matches({ app: 'web', tier: 'back', team: 'a' }), false);
    assert.equal(s.matches({ app: 'web', tier: 'edge' }), false);
    assert.equal(s.matches({ app: 'web', tier: 'edge', team: 'a', legacy: 'y' }), false);
  });

  test('an empty selector object selects everything and a missing one selects nothing', () => {
    assert.equal(labelSelectorFromObject({}).matches({ any: 'thing' }), true);
    assert.equal(labelSelectorFromObject(undefined).matches({}), false);
    assert.equal(labelSelectorFromObject(null).matchesNothing, true);
  });

  test('unknown operators and empty In values are rejected', () => {
    assert.throws(
      () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }),
      selectorError('"Gt" is not a valid label selector operator'),
    );
    assert.throws(
      () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
      selectorError(
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
      ),
    );
  });
});

describe('field selectors', () => {
  const pod = {
    metadata: { name: 'web', namespace: 'default' },
    spec: { nodeName: 'local', restartPolicy: 'Always' },
    status: { phase: 'Running', podIPs: [{ ip: '10.88.0.2' }] },
  };

  test('= == and != match pod fields, and absent fields compare as empty', () => {
    assert.equal(parseFieldSelector('status.phase=Running', 'Pod').matches(pod), true);
    assert.equal(parseFieldSelector('status.phase==Running,metadata.name=web', 'Pod').matches(pod), true);
    assert.equal(parseFieldSelector('status.phase!=Running', 'Pod').matches(pod), false);
    assert.equal(parseFieldSelector('status.podIP=10.88.0.2', 'Pod').matches(pod), true);
    assert.equal(parseFieldSelector('spec.schedulerName=', 'Pod').matches(pod), true);
    assert.equal(parseFieldSelector('metadata.namespace=kube-system', 'Pod').matches(pod), false);
    assert.equal(
      parseFieldSelector('spec.host=local', 'Pod').matches(pod),
      true,
      'spec.host is spec.nodeName',
    );
    assert.equal(parseFieldSelector('', 'Pod').matches(pod), true);
  });

  test('kind-specific fields: events, secrets, namespaces, jobs, replicasets', () => {
    const event = {
      metadata: { name: 'e' },
      involvedObject: { kind: 'Pod', name: 'web' },
      reason: 'Started',
      type: 'Normal',
    };
    assert.equal(
      parseFieldSelector('involvedObject.name=web,involvedObject.kind=Pod', 'Event').matches(event),
      true,
    );
    assert.equal(parseFieldSelector('type!=Normal', 'Event').matches(event), false);
    assert.equal(parseFieldSelector('type=Opaque', 'Secret').matches({ metadata: {}, type: 'Opaque' }), true);
    assert.equal(
      parseFieldSelector('status.phase=Active', 'Namespace').matches({
        metadata: {},
        status: { phase: 'Active' },
      }),
      true,
    );
    assert.equal(
      parseFieldSelector('status.successful=1', 'Job').matches({ metadata: {}, status: { succeeded: 1 } }),
      true,
    );
    assert.equal(
      parseFieldSelector('status.successful=0', 'Job').matches({ metadata: {}, status: {} }),
      true,
    );
    assert.equal(
      parseFieldSelector('status.replicas=3', 'ReplicaSet').matches({
        metadata: {},
        status: { replicas: 3 },
      }),
      true,
    );
  });

  test('nodes select on metadata.name and spec.unschedulable (false when absent), as kubectl describe and cordon ask', () => {
    const cordoned = { metadata: { name: 'box' }, spec: { unschedulable: true } };
    const open = { metadata: { name: 'box' }, spec: {} };
    assert.equal(parseFieldSelector('spec.unschedulable=true', 'Node').matches(cordoned), true);
    assert.equal(parseFieldSelector('spec.unschedulable=false', 'Node').matches(open), true);
    assert.equal(parseFieldSelector('metadata.name=box', 'Node').matches(open), true);
    assert.throws(
      () => parseFieldSelector('metadata.namespace=x', 'Node'),
      selectorError('field label not supported: metadata.namespace'),
    );
  });

  test('unsupported fields fail with the wording of the kind’s field label conversion', () => {
    assert.throws(
      () => parseFieldSelector('spec.foo=x', 'Pod'),
      selectorError('field label not supported: spec.foo'),
    );
    assert.throws(
      () => parseFieldSelector('metadata.namespace=x', 'Namespace'),
      selectorError('field label not supported: metadata.namespace'),
    );
    assert.throws(
      () => parseFieldSelector('data.x=y', 'ConfigMap'),
      selectorError('"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"'),
    );
    assert.equal(
      parseFieldSelector('metadata.name=c', 'ConfigMap').matches({ metadata: { name: 'c' } }),
      true,
    );
  });

  test('malformed terms and escapes fail with upstream wording', () => {
    assert.throws(
      () => parseFieldSelector('metadata.name', 'Pod'),
      selectorError("invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
    );
    assert.throws(
      () => parseFieldSelector('metadata.name=a=b', 'Pod'),
      selectorError('invalid field selector: unescaped character in value: 61'),
    );
    assert.throws(
      () => parseFieldSelector('metadata.name=a\\x', 'Pod'),
      selectorError('invalid field selector: invalid escape sequence: \\x'),
    );
    assert.equal(
      parseFieldSelector('metadata.name=a\\,b', 'Pod').matches({ metadata: { name: 'a,b' } }),
      true,
    );
  });
});
