import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serverSideApply } from '../../../src/api/patch/apply.js';

describe('server-side apply', () => {
  test('applying to a missing object yields the body itself', () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
    assert.deepEqual(serverSideApply(undefined, body, 'ConfigMap'), body);
  });

  test('fields the body omits are kept, and lists merge by their merge keys', () => {
    const live = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', resourceVersion: '12', uid: 'u', labels: { app: 'web', team: 'a' } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            containers: [{ name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }], args: ['-v'] }],
            terminationGracePeriodSeconds: 30,
          },
        },
      },
      status: { replicas: 3 },
    };
    const applied = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        template: {
          spec: {
            containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '2' }], args: ['-q'] }],
          },
        },
      },
    };
    const result = serverSideApply(live, applied, 'Deployment');
    assert.deepEqual(result, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', resourceVersion: '12', uid: 'u', labels: { app: 'web', team: 'a' } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            containers: [{ name: 'web', image: 'nginx:2', env: [{ name: 'A', value: '2' }], args: ['-q'] }],
            terminationGracePeriodSeconds: 30,
          },
        },
      },
      status: { replicas: 3 },
    });
    assert.equal(live.spec.template.spec.containers[0]!.image, 'nginx:1', 'the live object is not modified');
  });

  test('strategic-merge directives in an apply body have no effect', () => {
    const result = serverSideApply(
      { metadata: { name: 'p', labels: { a: '1' } } },
      { metadata: { name: 'p', labels: { $patch: 'replace', b: '2' } } },
      'Pod',
    );
    assert.deepEqual(result, { metadata: { name: 'p', labels: { a: '1', b: '2' } } });
  });
});
