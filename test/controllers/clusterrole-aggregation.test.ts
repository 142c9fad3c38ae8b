// The ClusterRole aggregation controller: admin, edit and view get their rules from the aggregate-to-*
// roles, and a new labelled role extends them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterRole } from '../../src/api/types.js';
import { ensureBootstrapPolicy } from '../../src/apiserver/rbac/index.js';
import {
  aggregatedRules,
  ClusterRoleAggregationController,
} from '../../src/controllers/clusterrole-aggregation.js';
import { registryControllerClient } from '../../src/server/controller-client.js';
import { systemClock } from '../../src/util/clock.js';
import { newRegistry } from '../apiserver/helpers.js';

const G = 'rbac.authorization.k8s.io';

describe('ClusterRole aggregation', () => {
  test('rules of matching roles in name order, each once, never the role itself', () => {
    const role = (name: string, labels: Record<string, string>, verbs: string[]): ClusterRole => ({
      metadata: { name, labels },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs }],
    });
    const agg: ClusterRole = {
      metadata: { name: 'agg', labels: { x: 'y' } },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: 'y' } }] },
    };
    const all = [
      role('b', { x: 'y' }, ['list']),
      role('a', { x: 'y' }, ['get']),
      role('c', { x: 'y' }, ['get']),
      role('d', {}, ['delete']),
      agg,
    ];
    assert.deepEqual(
      aggregatedRules(agg, all)?.map((r) => r.verbs),
      [['get'], ['list']],
    );
    assert.equal(aggregatedRules(role('a', {}, []), all), undefined);
  });

  test('view, edit and admin are filled in, and follow a new aggregate-to-view role', async () => {
    const registry = await newRegistry();
    await ensureBootstrapPolicy(registry, () => {});
    const controller = new ClusterRoleAggregationController({
      client: registryControllerClient(registry),
      clock: systemClock,
    });
    await controller.start();
    try {
      const rules = async (name: string) =>
        ((await registry.get(`clusterroles.${G}`, undefined, name)) as unknown as ClusterRole).rules ?? [];
      const has = (rs: ClusterRole['rules'], resource: string, verb: string) =>
        (rs ?? []).some((r) => r.resources?.includes(resource) && r.verbs.includes(verb));
      for (let i = 0; i < 500 && !has(await rules('admin'), 'pods', 'delete'); i++) {
        await new Promise((r) => setTimeout(r, 10));
        await controller.settled();
      }
      assert.ok(has(await rules('view'), 'pods', 'list'));
      assert.ok(!has(await rules('view'), 'secrets', 'get'));
      assert.ok(has(await rules('edit'), 'pods', 'list'), 'edit includes view');
      assert.ok(has(await rules('edit'), 'secrets', 'get'));
      assert.ok(has(await rules('admin'), 'rolebindings', 'create'));
      assert.ok(has(await rules('admin'), 'pods', 'delete'), 'admin includes edit');

      await registry.create(`clusterroles.${G}`, undefined, {
        apiVersion: `${G}/v1`,
        kind: 'ClusterRole',
        metadata: { name: 'widgets-view', labels: { [`${G}/aggregate-to-view`]: 'true' } },
        rules: [{ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['get'] }],
      });
      // view changes, then edit (which aggregates view), then admin, each through the watch.
      for (let i = 0; i < 500 && !has(await rules('admin'), 'widgets', 'get'); i++) {
        await new Promise((r) => setTimeout(r, 10));
        await controller.settled();
      }
      assert.ok(has(await rules('view'), 'widgets', 'get'));
      assert.ok(has(await rules('admin'), 'widgets', 'get'));
    } finally {
      controller.stop();
    }
  });
});
