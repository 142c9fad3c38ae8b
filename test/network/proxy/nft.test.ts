import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyNftRuleset } from '../../../src/network/proxy/apply.js';
import { CommandError, runChecked } from '../../../src/network/proxy/exec.js';
import { renderNftRuleset } from '../../../src/network/proxy/nft.js';
import { nameHash, nftComment } from '../../../src/network/proxy/nft-names.js';
import type { ServiceRules } from '../../../src/network/types.js';
import { addNetns, deleteNetns, netnsPath } from './netns.js';
import { syntheticRules } from './synthetic.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const NS = `pxn${process.pid}`;

const example: ServiceRules = {
  serviceCidr: '10.96.0.0/12',
  clusterIPs: ['10.96.0.10', '10.96.0.20', '10.96.0.21', '10.96.0.40'],
  ports: [
    {
      service: 'default/pg',
      clusterIP: '10.96.0.20',
      protocol: 'TCP',
      port: 5432,
      endpoints: [
        { ip: '10.244.0.7', port: 5432 },
        { ip: '10.244.0.8', port: 15432 },
      ],
    },
    {
      service: 'default/redis-service:redis',
      clusterIP: '10.96.0.21',
      protocol: 'TCP',
      port: 6379,
      endpoints: [],
    },
    {
      service: 'kube-system/kube-dns:dns',
      clusterIP: '10.96.0.10',
      protocol: 'UDP',
      port: 53,
      endpoints: [{ ip: '10.244.0.1', port: 53 }],
    },
    {
      service: 'kube-system/kube-dns:dns-tcp',
      clusterIP: '10.96.0.10',
      protocol: 'TCP',
      port: 53,
      endpoints: [{ ip: '10.244.0.1', port: 53 }],
    },
    {
      service: 'default/sticky:http',
      clusterIP: '10.96.0.40',
      protocol: 'TCP',
      port: 80,
      endpoints: [
        { ip: '10.244.0.9', port: 8080 },
        { ip: '10.244.0.10', port: 8080 },
      ],
      affinityTimeoutSeconds: 10800,
    },
  ],
};

const empty: ServiceRules = { serviceCidr: '10.96.0.0/12', clusterIPs: [], ports: [] };

function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
  assert.equal(actual, readFileSync(path, 'utf8'), `differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`);
}

describe('renderNftRuleset', () => {
  before(() => addNetns(NS));
  after(() => deleteNetns(NS));

  test('golden: services with endpoints, without, UDP and ClientIP affinity', () => {
    golden('example.nft', renderNftRuleset(example, { table: 'podrun' }));
  });

  test('golden: no services at all still drops the service CIDR', () => {
    golden(
      'empty.nft',
      renderNftRuleset(empty, { table: 'podrun-3f2a9c1d', comment: 'podrun-proxy owner=1:2' }),
    );
  });

  test('chain names carry kube-proxy hashes', () => {
    // pkg/proxy/nftables/proxier_test.go: service-ULMVA6XW-ns1/svc1/tcp/p80, endpoint-5OJB2KTY-…__10.180.0.1/80
    assert.equal(nameHash('ns1/svc1/tcp/p80'), 'ULMVA6XW');
    assert.equal(nameHash('ns1/svc1/tcp/p80__10.180.0.1/80'), '5OJB2KTY');
    const text = renderNftRuleset(
      {
        serviceCidr: '172.30.0.0/16',
        clusterIPs: ['172.30.0.41'],
        ports: [
          {
            service: 'ns1/svc1:p80',
            clusterIP: '172.30.0.41',
            protocol: 'TCP',
            port: 80,
            endpoints: [{ ip: '10.180.0.1', port: 80 }],
          },
        ],
      },
      { table: 'podrun' },
    );
    assert.match(text, /chain svc-ULMVA6XW-ns1\/svc1\/tcp\/p80 \{/);
    assert.match(text, /chain ep-5OJB2KTY-ns1\/svc1\/tcp\/p80__10\.180\.0\.1\/80 \{/);
  });

  test('long names are cut with their hash kept; comments lose quotes and stay within 128 characters', () => {
    const long = 'n'.repeat(63);
    const text = renderNftRuleset(
      {
        ...empty,
        clusterIPs: ['10.96.0.5'],
        ports: [
          {
            service: `${long}/${long}:${long}`,
            clusterIP: '10.96.0.5',
            protocol: 'SCTP',
            port: 9,
            endpoints: [{ ip: '10.244.0.9', port: 9 }],
          },
        ],
      },
      { table: 'podrun' },
    );
    for (const m of text.matchAll(/chain (\S+) \{/g)) assert.ok(m[1]!.length <= 64, m[1]);
    assert.match(text, /meta l4proto sctp dnat to 10\.244\.0\.9:9/);
    assert.equal(nftComment('a "quoted"\nname\\'), '"a _quoted__name_"');
    assert.equal(nftComment('x'.repeat(300)).length, 130);
  });

  test('bad rules are refused naming the culprit, before nft sees them', () => {
    const port = example.ports[0]!;
    assert.throws(() => renderNftRuleset(example, { table: 'pod run' }), /nft table name "pod run"/);
    assert.throws(
      () =>
        renderNftRuleset({ ...empty, ports: [{ ...port, clusterIP: '10.96.0.300' }] }, { table: 'podrun' }),
      /ports\[0\] \(default\/pg\)\.clusterIP "10\.96\.0\.300" is not an IPv4 address/,
    );
    assert.throws(
      () =>
        renderNftRuleset(
          { ...empty, ports: [{ ...port, endpoints: [{ ip: '10.244.0.7', port: 0 }] }] },
          { table: 'podrun' },
        ),
      /endpoints\[0\]\.port 0 is not a port number/,
    );
    assert.throws(
      () =>
        renderNftRuleset(
          { ...empty, ports: [port, { ...port, service: 'default/other' }] },
          { table: 'podrun' },
        ),
      /default\/other and default\/pg both use the VIP port 10\.96\.0\.20 \. tcp \. 5432/,
    );
  });

  test('nft accepts the rulesets (nft -c, in a netns)', async () => {
    for (const rules of [example, empty, syntheticRules(100, 2, 10)]) {
      await applyNftRuleset(renderNftRuleset(rules, { table: 'podrun' }), {
        netnsPath: netnsPath(NS),
        checkOnly: true,
      });
    }
  });

  test('applying twice is the same as once, and replaces what was there', async () => {
    const opts = { netnsPath: netnsPath(NS) };
    await applyNftRuleset(renderNftRuleset(example, { table: 'podrun' }), opts);
    await applyNftRuleset(renderNftRuleset(example, { table: 'podrun' }), opts);
    const tables = (await runChecked('nft', ['list', 'tables'], opts)).stdout;
    assert.equal(tables, 'table ip podrun\n');
    await applyNftRuleset(renderNftRuleset(empty, { table: 'podrun' }), opts);
    const listed = (await runChecked('nft', ['list', 'table', 'ip', 'podrun'], opts)).stdout;
    assert.doesNotMatch(listed, /svc-|10\.96\.0\.20/);
  });

  test('a refused transaction fails with the command, its exit code and nft stderr, and changes nothing', async () => {
    const opts = { netnsPath: netnsPath(NS) };
    await applyNftRuleset(renderNftRuleset(example, { table: 'podrun' }), opts);
    const broken = renderNftRuleset(example, { table: 'podrun' }).replace(
      'dnat to 10.244.0.7:5432',
      'dnat to',
    );
    const err = await applyNftRuleset(broken, opts).then(
      () => assert.fail('nft accepted a broken ruleset'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CommandError);
    assert.equal(err.command, `nsenter --net=${netnsPath(NS)} nft -f -`);
    assert.equal(err.exitCode, 1);
    assert.match(err.stderr, /Error: syntax error/);
    assert.match(err.message, /^Command failed with exit code 1: nsenter/);
    const listed = (await runChecked('nft', ['list', 'table', 'ip', 'podrun'], opts)).stdout;
    assert.match(listed, /dnat to 10\.244\.0\.7:5432/);
  });

  test('a missing netns is reported the same way', async () => {
    await assert.rejects(
      applyNftRuleset('', { netnsPath: '/run/netns/pxn-does-not-exist' }),
      (e: unknown) => {
        assert.ok(e instanceof CommandError);
        assert.notEqual(e.exitCode, 0);
        assert.match(e.stderr, /pxn-does-not-exist/);
        return true;
      },
    );
  });
});
