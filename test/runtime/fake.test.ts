// The fake runtime through the same conformance suite as the host runtime: every case that needs no real
// process, namespace, network or file runs; those that do are skipped with the reason. Then what only the fake
// has: its image configs and the process it records for each container.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceRules } from '../../src/network/types.js';
import { FakeRuntime } from '../../src/runtime/fake/index.js';
import type { RuntimeService } from '../../src/runtime/types.js';
import { FakeClock, systemClock } from '../../src/util/clock.js';
import { readLayoutImage } from '../support/image-fixtures.js';
import { runtimeConformance } from './conformance.js';
import { runtimeServiceRulesConformance } from './service-rules-conformance.js';

const fakeOf = (rt: RuntimeService) => rt as FakeRuntime;

runtimeConformance({
  name: 'fake',
  newRuntime: async () => new FakeRuntime({ clock: systemClock }),
  lacks: {
    processes:
      'the fake runs no process: there is no output, exit of its own, signal handling or command lookup to observe',
    namespaces: 'the fake makes no namespaces: there is no hostname, user or process isolation to observe',
    network: 'the fake makes no network: its pod addresses are never routed',
    files: 'the fake touches no files: there are no mounts, root filesystems or log files',
    cgroups: 'the fake enforces no resource limits',
  },
  images: {
    // As `podrun image load` would: the name, id and config the layout holds.
    prepareImage: async (rt, name, fixture) => {
      const image = readLayoutImage(fixture.layout);
      assert.equal(image.name, name);
      fakeOf(rt).addImage(name, { config: image.config, id: image.id, size: image.size });
    },
  },
});

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
