// What a /status write does to the metadata of kinds other than pods: their status strategies set only the
// spec back (rsStatusStrategy and most others), so labels, annotations, finalizers and ownerReferences follow
// the request; a Deployment's status strategy keeps its labels too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { ApiError } from '../../src/apiserver/errors.js';
import { newRegistry } from './helpers.js';

const template = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } };

function workload(kind: 'ReplicaSet' | 'Deployment', name: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, labels: { tier: 'web' }, annotations: { note: 'one' } },
    spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template },
  };
}

function changed(o: KubeObject): KubeObject {
  const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u-1' };
  return {
    ...o,
    metadata: {
      ...o.metadata,
      labels: { tier: 'db' },
      annotations: { note: 'two' },
      finalizers: ['example.com/keep'],
      ownerReferences: [owner],
    },
    spec: { ...(o.spec as object), replicas: 5 },
    status: { replicas: 3, observedGeneration: 1 },
  };
}

test("a ReplicaSet's status write carries the request's metadata; its spec and generation stay", async () => {
  const reg = await newRegistry();
  const rs = await reg.create('replicasets.apps', 'default', workload('ReplicaSet', 'rs'));
  const out = await reg.updateStatus('replicasets.apps', 'default', 'rs', changed(rs));
  assert.deepEqual(out.metadata.labels, { tier: 'db' });
  assert.deepEqual(out.metadata.annotations, { note: 'two' });
  assert.deepEqual(out.metadata.finalizers, ['example.com/keep']);
  assert.equal(out.metadata.ownerReferences?.[0]?.name, 'owner');
  assert.equal((out.spec as { replicas: number }).replicas, 1);
  assert.equal(out.metadata.generation, rs.metadata.generation);
  assert.deepEqual(out.status, { replicas: 3, observedGeneration: 1 });
});

test("a Deployment's status write keeps its labels, and carries the rest of the request's metadata", async () => {
  const reg = await newRegistry();
  const d = await reg.create('deployments.apps', 'default', workload('Deployment', 'd'));
  const out = await reg.updateStatus('deployments.apps', 'default', 'd', changed(d));
  assert.deepEqual(out.metadata.labels, { tier: 'web' });
  assert.deepEqual(out.metadata.annotations, { note: 'two' });
  assert.equal((out.spec as { replicas: number }).replicas, 1);
});

test('metadata written through /status is validated as on any update', async () => {
  const reg = await newRegistry();
  const rs = await reg.create('replicasets.apps', 'default', workload('ReplicaSet', 'rs'));
  await assert.rejects(
    reg.updateStatus('replicasets.apps', 'default', 'rs', {
      ...rs,
      metadata: { ...rs.metadata, labels: { 'bad key!': 'x' } },
    }),
    (e: unknown) =>
      e instanceof ApiError &&
      e.code === 422 &&
      /metadata\.labels: Invalid value: "bad key!"/.test(e.message),
  );
  const kept = await reg.get('replicasets.apps', 'default', 'rs');
  assert.deepEqual(kept.metadata.labels, { tier: 'web' });
});
