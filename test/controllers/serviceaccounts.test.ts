// The ServiceAccount controller and the root CA publisher: `default` and `kube-root-ca.crt` in every
// namespace (the system ones at start, new ones as they come), put back when deleted or changed, and left
// out of a namespace that is terminating.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ConfigMap } from '../../src/api/types.js';
import { createRegistry, type Registry } from '../../src/apiserver/registry.js';
import { ROOT_CA_DESCRIPTION, ServiceAccountControllers } from '../../src/controllers/serviceaccounts.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { FakeClock, flushMicrotasks } from '../../src/util/clock.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

let registry: Registry;
let controllers: ServiceAccountControllers;
const errors: string[] = [];

beforeEach(async () => {
  const clock = new FakeClock();
  registry = await createRegistry({ store: openSqliteStore(':memory:'), clock, nodeName: 'podrun' });
  controllers = new ServiceAccountControllers({
    client: registryControllerClient(registry),
    clock,
    rootCA: CA,
    onError: (c, key, err) => errors.push(`${c} ${key}: ${(err as Error).message}`),
  });
  await controllers.start();
  await settle();
});

afterEach(async () => {
  controllers.stop();
  await registry.store.close();
  assert.deepEqual(errors.splice(0), []);
});

async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await flushMicrotasks();
    await controllers.settled();
  }
}

async function names(resource: string, ns: string): Promise<string[]> {
  return (await registry.list(resource, ns)).items.map((o) => o.metadata.name ?? '').sort();
}

describe('ServiceAccount controller and root CA publisher', () => {
  test('every system namespace gets default and kube-root-ca.crt at start', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.deepEqual(await names('serviceaccounts', ns), ['default'], ns);
      const cm = (await registry.get('configmaps', ns, 'kube-root-ca.crt')) as unknown as ConfigMap;
      assert.deepEqual(cm.data, { 'ca.crt': CA });
      assert.equal(cm.metadata?.annotations?.['kubernetes.io/description'], ROOT_CA_DESCRIPTION);
    }
  });

  test('a new namespace gets both; deleted ones come back, a changed CA ConfigMap is put right', async () => {
    await registry.create('namespaces', '', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team' },
    });
    await settle();
    assert.deepEqual(await names('serviceaccounts', 'team'), ['default']);
    assert.deepEqual(await names('configmaps', 'team'), ['kube-root-ca.crt']);

    const before = await registry.get('serviceaccounts', 'team', 'default');
    await registry.delete('serviceaccounts', 'team', 'default');
    await registry.delete('configmaps', 'team', 'kube-root-ca.crt');
    await settle();
    const after = await registry.get('serviceaccounts', 'team', 'default');
    assert.notEqual(after.metadata.uid, before.metadata.uid);
    assert.deepEqual(await names('configmaps', 'team'), ['kube-root-ca.crt']);

    const cm = await registry.get('configmaps', 'team', 'kube-root-ca.crt');
    await registry.update('configmaps', 'team', 'kube-root-ca.crt', {
      ...cm,
      data: { 'ca.crt': 'tampered', extra: 'x' },
    });
    await settle();
    const fixed = (await registry.get('configmaps', 'team', 'kube-root-ca.crt')) as unknown as ConfigMap;
    assert.deepEqual(fixed.data, { 'ca.crt': CA });

    // Other ServiceAccounts are the user's: deleting one brings nothing back.
    await registry.create('serviceaccounts', 'team', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'builder' },
    });
    await registry.delete('serviceaccounts', 'team', 'builder');
    await settle();
    assert.deepEqual(await names('serviceaccounts', 'team'), ['default']);
  });

  test('a terminating namespace is left alone', async () => {
    await registry.create('namespaces', '', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'gone' },
    });
    await settle();
    // A finalizer on a ConfigMap keeps the namespace Terminating while the controllers see its deletions.
    await registry.create('configmaps', 'gone', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    await registry.delete('namespaces', '', 'gone');
    await settle();
    assert.deepEqual(await names('serviceaccounts', 'gone'), []);
    assert.deepEqual(await names('configmaps', 'gone'), ['held']);
    const held = await registry.get('configmaps', 'gone', 'held');
    await registry.update('configmaps', 'gone', 'held', {
      ...held,
      metadata: { ...held.metadata, finalizers: [] },
    });
  });
});
