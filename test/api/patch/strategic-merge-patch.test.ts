import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { PatchError } from '../../../src/api/patch/errors.js';
import { strategicMergePatch } from '../../../src/api/patch/strategic-merge-patch.js';

// kubectl's patch body from the smp-v2 transcript (kubectl-api.md B.6), kept beside the test.
const TRANSCRIPT = new URL('./fixtures/smp-v2-patch-body.txt', import.meta.url);

/** The Deployment as dep-v1.yaml created it (transcript smp-v1), as far as the v2 patch touches it. */
function deploymentV1() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'smp', namespace: 'default', labels: { a: '1', b: '2' }, resourceVersion: '7' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'smp' } },
      template: {
        metadata: { labels: { app: 'smp' } },
        spec: {
          containers: [
            {
              name: 'one',
              image: 'nginx:1',
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              ports: [{ containerPort: 80 }],
              resources: {},
            },
            { name: 'two', image: 'busybox', command: ['sleep', '3600'] },
          ],
          restartPolicy: 'Always',
        },
      },
    },
    status: { replicas: 1 },
  };
}

function kubectlPatchBody(): object {
  const text = readFileSync(TRANSCRIPT, 'utf8');
  return JSON.parse(text.slice(text.indexOf('{')));
}

function malformed(message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof PatchError, `expected PatchError, got ${String(err)}`);
    assert.match(err.message, message);
    return true;
  };
}

describe('strategic merge patch', () => {
  test("kubectl's client-side apply patch (kubectl-api.md B.6) removes a label, an env var and a container, adds a port and orders lists", () => {
    const original = deploymentV1();
    const before = JSON.stringify(original);
    const result = strategicMergePatch(original, kubectlPatchBody(), 'Deployment');
    assert.deepEqual(result, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'smp', namespace: 'default', labels: { a: '1' }, resourceVersion: '7' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'smp' } },
        template: {
          metadata: { labels: { app: 'smp' } },
          spec: {
            containers: [
              {
                name: 'one',
                image: 'nginx:2',
                args: ['x'],
                env: [
                  { name: 'C', value: '3' },
                  { name: 'A', value: '1' },
                ],
                ports: [{ containerPort: 80 }, { containerPort: 443 }],
                resources: {},
              },
            ],
            restartPolicy: 'Always',
          },
        },
      },
      status: { replicas: 1 },
    });
    assert.equal(JSON.stringify(original), before, 'the original is not modified');
  });

  test('a null value deletes the key and plain values replace', () => {
    const result = strategicMergePatch(
      { metadata: { labels: { a: '1', b: '2' } }, spec: { replicas: 1 } },
      { metadata: { labels: { b: null, c: '3' } }, spec: { replicas: 3 } },
      'Deployment',
    );
    assert.deepEqual(result, { metadata: { labels: { a: '1', c: '3' } }, spec: { replicas: 3 } });
  });

  test('lists without a merge key (command, args, tolerations, envFrom) are replaced whole', () => {
    const original = {
      spec: {
        tolerations: [{ key: 'a', operator: 'Exists' }],
        containers: [
          { name: 'c', command: ['a', 'b'], args: ['1'], envFrom: [{ configMapRef: { name: 'x' } }] },
        ],
      },
    };
    const result = strategicMergePatch(
      original,
      {
        spec: {
          tolerations: [{ key: 'b', operator: 'Exists' }],
          containers: [{ name: 'c', command: ['z'], envFrom: [{ secretRef: { name: 's' } }] }],
        },
      },
      'Pod',
    );
    assert.deepEqual(result.spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
    assert.deepEqual(result.spec.containers, [
      { name: 'c', command: ['z'], args: ['1'], envFrom: [{ secretRef: { name: 's' } }] },
    ]);
  });

  test('merge keys: volumeMounts by mountPath, conditions by type, ownerReferences by uid, Service ports by port', () => {
    const pod = strategicMergePatch(
      {
        metadata: { ownerReferences: [{ uid: 'u1', name: 'rs', kind: 'ReplicaSet' }] },
        spec: { containers: [{ name: 'c', volumeMounts: [{ mountPath: '/a', name: 'v1' }] }] },
        status: {
          conditions: [
            { type: 'Ready', status: 'False' },
            { type: 'Initialized', status: 'True' },
          ],
        },
      },
      {
        metadata: { ownerReferences: [{ uid: 'u1', controller: true }] },
        spec: { containers: [{ name: 'c', volumeMounts: [{ mountPath: '/a', readOnly: true }] }] },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      },
      'Pod',
    );
    assert.deepEqual(pod.metadata.ownerReferences, [
      { uid: 'u1', name: 'rs', kind: 'ReplicaSet', controller: true },
    ]);
    assert.deepEqual(pod.spec.containers[0]!.volumeMounts, [{ mountPath: '/a', name: 'v1', readOnly: true }]);
    assert.deepEqual(pod.status.conditions, [
      { type: 'Ready', status: 'True' },
      { type: 'Initialized', status: 'True' },
    ]);

    const svc = strategicMergePatch(
      { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
      { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
      'Service',
    );
    assert.deepEqual(svc.spec.ports, [{ port: 80, targetPort: 9090 }, { port: 443 }]);
  });

  test('a new list item without $setElementOrder goes first, as upstream orders patch items before server-only ones', () => {
    const result = strategicMergePatch(
      { spec: { containers: [{ name: 'c', env: [{ name: 'A', value: '1' }] }] } },
      { spec: { containers: [{ name: 'c', env: [{ name: 'B', value: '2' }] }] } },
      'Pod',
    );
    assert.deepEqual(result.spec.containers[0]!.env, [
      { name: 'B', value: '2' },
      { name: 'A', value: '1' },
    ]);
  });

  test('$setElementOrder alone reorders a list without changing its items', () => {
    const result = strategicMergePatch(
      { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } },
      { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }] } },
      'Pod',
    );
    assert.deepEqual(
      result.spec.containers.map((c: { name: string }) => c.name),
      ['c', 'a', 'b'],
    );
  });

  test('finalizers merge as a set and $deleteFromPrimitiveList removes entries', () => {
    const added = strategicMergePatch(
      { metadata: { finalizers: ['a', 'b'] } },
      { metadata: { finalizers: ['b', 'c'] } },
      'Pod',
    );
    assert.deepEqual([...added.metadata.finalizers].sort(), ['a', 'b', 'c']);
    const removed = strategicMergePatch(
      { metadata: { finalizers: ['a', 'b', 'c'] } },
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
      'Pod',
    );
    assert.deepEqual(removed.metadata.finalizers, ['a', 'c']);
  });

  test('$patch: replace replaces a map or a whole list, $patch: delete empties a map', () => {
    const original = {
      metadata: { labels: { a: '1', b: '2' }, annotations: { x: 'y' } },
      spec: { containers: [{ name: 'a', image: 'i' }, { name: 'b' }] },
    };
    const result = strategicMergePatch(
      original,
      {
        metadata: { labels: { $patch: 'replace', c: '3' }, annotations: { $patch: 'delete' } },
        spec: { containers: [{ name: 'z', image: 'j' }, { $patch: 'replace' }] },
      },
      'Pod',
    );
    assert.deepEqual(result, {
      metadata: { labels: { c: '3' }, annotations: {} },
      spec: { containers: [{ name: 'z', image: 'j' }] },
    });
  });

  test('$retainKeys clears the keys it does not list (a Deployment strategy switch)', () => {
    const result = strategicMergePatch(
      { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
      { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      'Deployment',
    );
    assert.deepEqual(result.spec.strategy, { type: 'Recreate' });
    assert.throws(
      () =>
        strategicMergePatch(
          { spec: { strategy: {} } },
          { spec: { strategy: { $retainKeys: ['type'], other: 1 } } },
          'Deployment',
        ),
      malformed(/invalid patch format of retainKeys/),
    );
  });

  test('new items and new fields are stored without nulls or directives', () => {
    const original: { spec: { containers: object[]; volumes?: object[] } } = {
      spec: { containers: [{ name: 'a' }] },
    };
    const result = strategicMergePatch(
      original,
      {
        spec: {
          containers: [
            {
              name: 'b',
              image: null,
              env: [
                { name: 'X', value: '1' },
                { name: 'Y', $patch: 'delete' },
              ],
            },
          ],
          volumes: [{ name: 'v', emptyDir: {} }],
        },
      },
      'Pod',
    );
    assert.deepEqual(result.spec.volumes, [{ name: 'v', emptyDir: {} }]);
    assert.deepEqual(
      result.spec.containers.find((c) => (c as { name: string }).name === 'b'),
      { name: 'b', env: [{ name: 'X', value: '1' }] },
    );
  });

  test('malformed directives fail with upstream wording', () => {
    assert.throws(
      () =>
        strategicMergePatch({ spec: { containers: [] } }, { spec: { containers: [{ image: 'x' }] } }, 'Pod'),
      malformed(/does not contain declared merge key: name/),
    );
    assert.throws(
      () =>
        strategicMergePatch(
          { spec: { containers: [] } },
          { spec: { containers: [{ $patch: 'merge' }] } },
          'Pod',
        ),
      malformed(/merging lists cannot yet be specified in the patch/),
    );
    assert.throws(
      () => strategicMergePatch({ metadata: {} }, { metadata: { $patch: 'bogus' } }, 'Pod'),
      malformed(/unknown patch type: bogus in map/),
    );
    // A directive that is an object whose `toString` is not a function (found by fuzzing: a TypeError, a 500).
    for (const directive of [{ toString: 'x' }, [{ valueOf: 1, toString: 2 }]]) {
      assert.throws(
        () => strategicMergePatch({ metadata: {} }, { metadata: { $patch: directive } }, 'Pod'),
        malformed(/^unknown patch type: \[?{"/),
      );
      assert.throws(
        () =>
          strategicMergePatch(
            { spec: { containers: [{ name: 'a' }] } },
            { spec: { containers: [{ name: 'a', $patch: directive }] } },
            'Pod',
          ),
        malformed(/unknown patch type: \[?{"/),
      );
    }
  });

  test('Job and ReplicaSet pod templates use the pod merge keys', () => {
    for (const kind of ['Job', 'ReplicaSet']) {
      const result = strategicMergePatch(
        {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'a', image: '1' },
                  { name: 'b', image: '1' },
                ],
              },
            },
          },
        },
        { spec: { template: { spec: { containers: [{ name: 'b', image: '2' }] } } } },
        kind,
      );
      assert.deepEqual(result.spec.template.spec.containers, [
        { name: 'a', image: '1' },
        { name: 'b', image: '2' },
      ]);
    }
  });
});
