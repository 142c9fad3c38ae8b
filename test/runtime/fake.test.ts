// The fake runtime against the parts of the runtime contract it implements without running processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceRules } from '../../src/network/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import type { RuntimeService } from '../../src/runtime/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { runtimeServiceRulesConformance } from './service-rules-conformance.js';

const fakeOf = (rt: RuntimeService) => rt as FakeRuntime;

runtimeServiceRulesConformance({
  name: 'fake',
  newRuntime: async () => new FakeRuntime({ clock: new FakeClock(0) }),
  appliedRules: async (rt, id) => {
    const rules = fakeOf(rt).rulesOf(id);
    return rules === undefined ? undefined : JSON.stringify(rules);
  },
  expectedRules: async (rules) => JSON.stringify(rules),
  traffic: 'the fake runtime runs no processes',
});

test('the fake runtime records the rules, each call, and which sandboxes got them', async () => {
  const rt = new FakeRuntime({ clock: new FakeClock(0) });
  const config = (name: string) => ({
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory: '/nonexistent',
    labels: {},
    annotations: {},
    portMappings: [],
  });
  const before = await rt.runPodSandbox(config('before'));
  assert.equal(rt.serviceRules(), undefined);
  const rules: ServiceRules = { serviceCidr: '10.96.0.0/16', clusterIPs: ['10.96.0.10'], ports: [] };
  await rt.setServiceRules(rules);
  assert.deepEqual(rt.serviceRules(), rules);
  assert.deepEqual(rt.ruleHistory, [rules]);
  assert.deepEqual(rt.rulesOf(before), rules);
  assert.deepEqual(rt.callLog(['setServiceRules']), ['setServiceRules 0 ports']);
  await rt.removePodSandbox(before);
  assert.equal(rt.rulesOf(before), undefined);
});
