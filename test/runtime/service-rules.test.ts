// The host runtime's bookkeeping of Service rules per sandbox (service-rules.ts), with the shim replaced by a
// function whose answers the test releases: what a sandbox ends with when changes and new sandboxes overlap.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ServiceRules } from '../../src/network/types.js';
import type { SandboxRecord } from '../../src/runtime/host/records.js';
import { PodServiceRules } from '../../src/runtime/host/service-rules.js';

const work = mkdtempSync(join(tmpdir(), 'podrun-service-rules-'));
after(() => rmSync(work, { recursive: true, force: true }));

const rules = (tag: number): ServiceRules => ({
  serviceCidr: '10.96.0.0/16',
  clusterIPs: [`10.96.0.${tag}`],
  ports: [],
});

const sandbox = (id: string): SandboxRecord => ({
  id,
  config: {
    metadata: { name: id, namespace: 'ns', uid: `uid-${id}`, attempt: 0 },
    hostname: id,
    logDirectory: '',
    labels: {},
    annotations: {},
    portMappings: [],
  },
  createdAt: 0,
  state: 'ready',
  ip: '10.244.0.2',
  veth: 'v',
  holder: { pid: 1, start: '1' },
  bootId: 'b',
});

/** A PodServiceRules whose applies wait for the test: each reads the rules file when it is sent, as nft does. */
function harness(nft = '/usr/sbin/nft', retryFirstMs = 10_000) {
  const dir = mkdtempSync(join(work, 'h-'));
  const installed = new Map<string, string>();
  const pending: { id: string; text: string; answer: (report: string) => void }[] = [];
  const logged: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const r = new PodServiceRules({
    dir,
    nft: nft || undefined,
    render: (rules) => JSON.stringify(rules),
    log: (m) => logged.push(m),
    live: () => true,
    retryFirstMs,
    apply: (sb, entries) => {
      const file = entries.find((e) => e[0] === 'nftfile')?.[1] ?? '';
      const text = readFileSync(file, 'utf8');
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise((resolve) =>
        pending.push({
          id: sb.id,
          text,
          answer: (report) => {
            inFlight--;
            if (report === 'ok') installed.set(sb.id, text);
            resolve(report);
          },
        }),
      );
    },
  });
  /** Answers the oldest pending apply (after letting queued work reach it). */
  const answer = async (report = 'ok') => {
    for (let i = 0; i < 20 && pending.length === 0; i++) await new Promise((res) => setImmediate(res));
    const p = pending.shift();
    assert.ok(p, 'an apply is pending');
    p.answer(report);
    return p;
  };
  /** Waits (on real timers) until an apply is pending: for the retries. */
  const waitPending = async () => {
    for (let i = 0; i < 200 && pending.length === 0; i++) await new Promise((res) => setTimeout(res, 1));
  };
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
  };
  return { r, installed, pending, logged, answer, settle, waitPending, maxInFlight: () => maxInFlight };
}

describe('Service rules per sandbox', () => {
  test('a change while an update of the sandbox is under way is applied after it: the sandbox ends with the newest', async () => {
    const h = harness();
    const a = sandbox('a');
    await h.r.created(a, { version: 0, spare: undefined }, undefined);
    const first = h.r.set(rules(1), [a]);
    await h.settle();
    assert.equal(h.pending.length, 1);
    // The update under way read rules 1; rules 2 arrive before it is done.
    const second = h.r.set(rules(2), [a]);
    const one = await h.answer();
    assert.equal(one.text, JSON.stringify(rules(1)));
    const again = await h.answer();
    assert.equal(again.text, JSON.stringify(rules(2)));
    await Promise.all([first, second]);
    assert.equal(h.installed.get('a'), JSON.stringify(rules(2)));
    assert.equal(h.pending.length, 0, 'and nothing more is sent');
  });

  test('a sandbox whose holder applied older rules than the current ones is brought up to date before it is ready', async () => {
    const h = harness();
    await h.r.set(rules(1), []);
    const made = h.r.sandboxEntries();
    assert.equal(made.version, 1);
    assert.deepEqual(
      made.entries.map((e) => e[0]),
      ['nft', 'nftfile'],
    );
    // While the holder was being made, the rules changed.
    await h.r.set(rules(2), []);
    const b = sandbox('b');
    let ready = false;
    const created = h.r.created(b, made, undefined).then(() => {
      ready = true;
    });
    await h.settle();
    assert.equal(ready, false, 'not ready while behind');
    const p = await h.answer();
    assert.equal(p.text, JSON.stringify(rules(2)));
    await created;
    assert.equal(h.installed.get('b'), JSON.stringify(rules(2)));
  });

  test('no entries before the first change, and a sandbox made with the current rules needs no update', async () => {
    const h = harness();
    assert.deepEqual(h.r.sandboxEntries(), { entries: [], version: 0, spare: undefined });
    await h.r.set(rules(1), []);
    const made = h.r.sandboxEntries();
    await h.r.created(sandbox('c'), made, undefined);
    await h.settle();
    assert.equal(h.pending.length, 0);
  });

  test('a failure is logged, holds up no other sandbox, and the failed one is tried again at the next change', async () => {
    const h = harness();
    const [a, b] = [sandbox('a'), sandbox('b')];
    await h.r.created(a, { version: 0, spare: undefined }, undefined);
    await h.r.created(b, { version: 0, spare: undefined }, undefined);
    const set1 = h.r.set(rules(1), [a, b]);
    await h.answer('err nft -f failed: syntax error');
    await h.answer('ok');
    await set1;
    assert.equal(h.installed.get('a'), undefined);
    assert.equal(h.installed.get('b'), JSON.stringify(rules(1)));
    assert.equal(h.logged.length, 1);
    assert.match(
      h.logged[0] ?? '',
      /could not be applied in pod ns\/a .*tried again in 10 s or at the next change: nft -f failed: syntax error/,
    );
    const set2 = h.r.set(rules(2), [a, b]);
    await h.answer();
    await h.answer();
    await set2;
    assert.equal(h.installed.get('a'), JSON.stringify(rules(2)));
    h.r.close();
  });

  test('a failed apply is tried again after a delay that doubles, without waiting for a change', async () => {
    const h = harness('/usr/sbin/nft', 5);
    const a = sandbox('a');
    await h.r.created(a, { version: 0, spare: undefined }, undefined);
    const set1 = h.r.set(rules(2), [a]);
    await h.answer('err the holder did not answer');
    await set1;
    assert.match(h.logged[0] ?? '', /tried again in 0.005 s/);
    await h.waitPending();
    await h.answer('err still not');
    await h.settle();
    assert.match(h.logged[1] ?? '', /tried again in 0.01 s/);
    await h.waitPending();
    const third = await h.answer('ok');
    assert.equal(third.text, JSON.stringify(rules(2)));
    assert.equal(h.installed.get('a'), JSON.stringify(rules(2)));
    await new Promise((res) => setTimeout(res, 30));
    assert.equal(h.pending.length, 0, 'nothing more once it has them');
    h.r.close();
  });

  test('a holder whose nft failed is reported and gets the rules at the next change', async () => {
    const h = harness();
    await h.r.set(rules(1), []);
    const a = sandbox('a');
    await h.r.created(a, { version: 1, spare: undefined }, 'nft -f /x failed (exit status 1): oops');
    assert.match(h.logged[0] ?? '', /pod ns\/a .*oops/);
    assert.equal(h.pending.length, 0);
    const set2 = h.r.set(rules(2), [a]);
    await h.answer();
    await set2;
    assert.equal(h.installed.get('a'), JSON.stringify(rules(2)));
  });

  test('updates go to at most two sandboxes at once', async () => {
    const h = harness();
    const all = ['a', 'b', 'c', 'd', 'e'].map(sandbox);
    for (const s of all) await h.r.created(s, { version: 0, spare: undefined }, undefined);
    const set = h.r.set(rules(1), all);
    for (let i = 0; i < all.length; i++) await h.answer();
    await set;
    assert.equal(h.maxInFlight(), 2);
    for (const s of all) assert.equal(h.installed.get(s.id), JSON.stringify(rules(1)));
  });

  test('a forgotten (stopped) sandbox gets nothing more', async () => {
    const h = harness();
    const a = sandbox('a');
    await h.r.created(a, { version: 0, spare: undefined }, undefined);
    h.r.forget('a');
    await h.r.set(rules(1), []);
    await h.settle();
    assert.equal(h.pending.length, 0);
  });

  test('without nft nothing is applied, and that is said once', async () => {
    const h = harness('');
    const a = sandbox('a');
    await h.r.created(a, { version: 0, spare: undefined }, undefined);
    await h.r.set(rules(1), [a]);
    await h.r.set(rules(2), [a]);
    assert.deepEqual(h.r.sandboxEntries().entries, []);
    assert.equal(h.pending.length, 0);
    assert.equal(h.logged.length, 1);
    assert.match(h.logged[0] ?? '', /nftables \(the nft command\) is not installed/);
  });
});
