// The host runtime's Service rules: nftables in each pod's network namespace, never in the host's, rendered by
// the proxy's renderer (src/network/proxy/nft.ts), with traffic through the VIPs checked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { renderNftRuleset } from '../../src/network/proxy/nft.js';
import type { ServiceRules } from '../../src/network/types.js';
import { createHostRuntime } from '../../src/runtime/host/index.js';
import type { PodSandboxConfig } from '../../src/runtime/types.js';
import { waitFor } from './conformance.js';
import { HOST_TEST_NETWORK } from './fixtures/network.js';
import { runtimeServiceRulesConformance } from './service-rules-conformance.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'podrun-host-services-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const holderOf = (stateDir: string, sandboxId: string): number =>
  Number(readFileSync(join(stateDir, 'sandboxes', sandboxId, 'holder'), 'utf8').split(' ')[0]);

/** `nft list table ip podrun` in a network namespace (nsenter's --net argument), or undefined. */
function listTable(netns: string | undefined): string | undefined {
  const args = ['list', 'table', 'ip', 'podrun'];
  const r = netns ? spawnSync('nsenter', [`--net=${netns}`, 'nft', ...args]) : spawnSync('nft', args);
  return r.status === 0 ? r.stdout.toString() : undefined;
}

/** What `text` lists as once applied, in a network namespace of its own that ends with the command. */
function appliedInScratch(text: string): string {
  const r = spawnSync('unshare', ['--net', 'sh', '-c', 'nft -f - && nft list table ip podrun'], {
    input: text,
  });
  assert.equal(r.status, 0, `the rendered rules do not apply: ${r.stderr.toString()}\n${text}`);
  return r.stdout.toString();
}

const hostNetnsHasNoPodTable = () =>
  assert.equal(
    listTable(undefined),
    undefined,
    "the pods' table is never made in the host's network namespace",
  );

{
  const stateDir = tempDir();
  runtimeServiceRulesConformance({
    name: 'host',
    newRuntime: () => createHostRuntime({ stateDir, ...HOST_TEST_NETWORK }),
    appliedRules: async (_rt, id) => listTable(`/proc/${holderOf(stateDir, id)}/ns/net`),
    expectedRules: async (rules) => appliedInScratch(renderNftRuleset(rules, { table: 'podrun' })),
    traffic: true,
    afterAll: hostNetnsHasNoPodTable,
  });
}

test('without nft, sandboxes are made all the same, and the missing nft is reported once', async () => {
  const logged: string[] = [];
  const stateDir = tempDir();
  // '' stands for a machine without nft.
  const noNft = await createHostRuntime({
    stateDir,
    ...HOST_TEST_NETWORK,
    nftPath: '',
    log: (m) => logged.push(m),
  });
  const config: PodSandboxConfig = {
    metadata: { name: 'no-nft', namespace: 'host', uid: 'uid-no-nft', attempt: 0 },
    hostname: 'no-nft',
    logDirectory: join(stateDir, 'logs'),
    labels: {},
    annotations: {},
    portMappings: [],
  };
  try {
    const rules: ServiceRules = { serviceCidr: '10.96.0.0/16', clusterIPs: [], ports: [] };
    await noNft.setServiceRules!(rules);
    await noNft.setServiceRules!(rules);
    const id = await noNft.runPodSandbox(config);
    assert.equal((await noNft.podSandboxStatus(id)).state, 'ready');
    // The runtime's start-up also reports what other podruns on this machine left (tests run side by side).
    const aboutNft = logged.filter((m) => /\bnft/.test(m));
    assert.equal(aboutNft.length, 1, logged.join('\n'));
    assert.match(
      aboutNft[0] ?? '',
      /nftables \(the nft command\) is not installed: Services are not reachable from pods/,
    );
  } finally {
    for (const s of await noNft.listPodSandboxes()) await noNft.removePodSandbox(s.id);
    await noNft.close?.();
  }
});

/** Host pids whose command line (as the process set it) starts with `title`. */
function processesTitled(title: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(title)) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

test('a new sandbox joins a spare network namespace made ahead with the rules in it; spares end with the runtime', async () => {
  const stateDir = tempDir();
  const rt = await createHostRuntime({ stateDir, ...HOST_TEST_NETWORK });
  const title = `podrun-netns ${realpathSync(stateDir)}`;
  try {
    const rules: ServiceRules = { serviceCidr: '10.96.0.0/16', clusterIPs: ['10.96.5.5'], ports: [] };
    await rt.setServiceRules!(rules);
    await waitFor(() => processesTitled(title).length === 2);
    const spares = new Map(processesTitled(title).map((p) => [readlinkSync(`/proc/${p}/ns/net`), p]));
    assert.ok(listTable(`/proc/${[...spares.values()][0]}/ns/net`), 'a spare has the table');
    const id = await rt.runPodSandbox({
      metadata: { name: 'spare', namespace: 'host', uid: 'uid-spare', attempt: 0 },
      hostname: 'spare',
      logDirectory: join(stateDir, 'logs'),
      labels: {},
      annotations: {},
      portMappings: [],
    });
    const netns = readlinkSync(`/proc/${holderOf(stateDir, id)}/ns/net`);
    const joined = spares.get(netns);
    assert.ok(
      joined,
      `the holder is in a spare's network namespace (${netns}; spares: ${[...spares.keys()]})`,
    );
    await waitFor(() => !processesTitled(title).includes(joined), 10_000);
    assert.equal(
      listTable(`/proc/${holderOf(stateDir, id)}/ns/net`),
      appliedInScratch(renderNftRuleset(rules, { table: 'podrun' })),
    );
    await rt.removePodSandbox(id);
  } finally {
    await rt.close?.();
  }
  await waitFor(() => processesTitled(title).length === 0, 10_000);
});
