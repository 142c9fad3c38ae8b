// kubectl's resource arguments and -o json|yaml|name as the podrun commands read and print them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resourceForKind } from '../../src/api/resources.js';
import { formatJson, formatName, formatYaml, listOrObject } from '../../src/cli/kubectl/output.js';
import {
  parseResourceArgs,
  resolveResource,
  resolveTypes,
  UsageError,
} from '../../src/cli/kubectl/resources.js';

const names = (args: string[]) =>
  parseResourceArgs(args).map((r) => `${r.resource.resource}:${r.names.join(',')}`);

describe('resource arguments', () => {
  test('plurals, singulars, short names, kinds and group-qualified names', () => {
    for (const word of ['pods', 'pod', 'po', 'Pod', 'PODS'])
      assert.equal(resolveResource(word).resource, 'pods');
    for (const word of ['deploy', 'deployments.apps', 'deployment.v1.apps', 'Deployment'])
      assert.equal(resolveResource(word).resource, 'deployments');
    assert.throws(
      () => resolveResource('deployments.batch'),
      /the server doesn't have a resource type "deployments.batch"/,
    );
    assert.throws(() => resolveResource('widgets'), UsageError);
  });

  test('TYPE NAME…, TYPE,TYPE, TYPE/NAME… and all', () => {
    assert.deepEqual(names(['pods']), ['pods:']);
    assert.deepEqual(names(['po', 'a', 'b']), ['pods:a,b']);
    assert.deepEqual(names(['pods,svc']), ['pods:', 'services:']);
    assert.deepEqual(names(['pod/a', 'pod/b', 'svc/c']), ['pods:a,b', 'services:c']);
    const all = resolveTypes('all').map((r) => r.resource);
    for (const r of ['pods', 'services', 'deployments', 'replicasets', 'jobs', 'statefulsets'])
      assert.ok(all.includes(r), `all lacks ${r}: ${all.join(',')}`);
    assert.ok(resolveTypes('all').some((r) => r.resource === 'pods'));
    assert.ok(!resolveTypes('all').some((r) => r.resource === 'configmaps'));
  });

  test('mixed forms are refused in kubectl’s words', () => {
    assert.throws(
      () => parseResourceArgs(['pod', 'pod/a']),
      /there is no need to specify a resource type as a separate argument/,
    );
    assert.throws(
      () => parseResourceArgs(['pod/']),
      /arguments in resource\/name form must have a single resource and name/,
    );
    assert.throws(() => parseResourceArgs([]), /You must specify the type of resource to get/);
  });
});

describe('-o json, yaml and name', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', creationTimestamp: '2026-01-02T03:04:05Z' },
    spec: { containers: [{ name: 'a', command: ['sh', '-c', 'a < b && c'] }] },
  };
  test('JSON as Go marshals a map: keys sorted, four spaces, HTML characters escaped', () => {
    assert.equal(
      formatJson(pod),
      '{\n    "apiVersion": "v1",\n    "kind": "Pod",\n    "metadata": {\n        "creationTimestamp": "2026-01-02T03:04:05Z",\n        "name": "web"\n    },\n    "spec": {\n        "containers": [\n            {\n                "command": [\n                    "sh",\n                    "-c",\n                    "a \\u003c b \\u0026\\u0026 c"\n                ],\n                "name": "a"\n            }\n        ]\n    }\n}\n',
    );
  });
  test('YAML as sigs.k8s.io/yaml: timestamps quoted, sequences under their key', () => {
    assert.equal(
      formatYaml(pod),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: "2026-01-02T03:04:05Z"\n  name: web\nspec:\n  containers:\n  - command:\n    - sh\n    - -c\n    - a < b && c\n    name: a\n',
    );
  });
  test('one object as itself, a list request as a List; names with their group', () => {
    assert.deepEqual(listOrObject([pod], true), pod);
    assert.deepEqual(listOrObject([pod], false), {
      apiVersion: 'v1',
      items: [pod],
      kind: 'List',
      metadata: { resourceVersion: '' },
    });
    assert.equal(
      formatName(resourceForKind('apps/v1', 'Deployment')!, {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
      }),
      'deployment.apps/web\n',
    );
  });
});
