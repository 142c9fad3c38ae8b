// Measures how long `nft -f` takes to install a generated ruleset in a fresh netns, and how big the text is.
// Not a test (timings vary with the machine): `npx tsx test/network/proxy/measure-apply.ts` as root.
import { performance } from 'node:perf_hooks';
import { applyNftRuleset } from '../../../src/network/proxy/apply.js';
import { renderNftRuleset } from '../../../src/network/proxy/nft.js';
import { addNetns, deleteNetns, netnsPath } from './netns.js';
import { syntheticRules } from './synthetic.js';

const NS = `pxm${process.pid}`;
const RUNS = 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

await addNetns(NS);
try {
  for (const [services, perService, emptyEvery] of [
    [100, 2, 0],
    [100, 2, 10],
    [1000, 2, 10],
  ] as const) {
    const rules = syntheticRules(services, perService, emptyEvery);
    const endpoints = rules.ports.reduce((n, p) => n + p.endpoints.length, 0);
    const t0 = performance.now();
    const text = renderNftRuleset(rules, { table: 'podrun' });
    const renderMs = performance.now() - t0;
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await applyNftRuleset(text, { netnsPath: netnsPath(NS) });
      times.push(performance.now() - t);
    }
    console.log(
      `${services} services, ${endpoints} endpoints (${emptyEvery ? `1/${emptyEvery} empty, 1/${emptyEvery} ClientIP` : 'all with endpoints'}): ` +
        `${text.length} bytes, ${text.split('\n').length} lines; render ${renderMs.toFixed(1)} ms; ` +
        `nsenter + nft -f: first ${times[0]!.toFixed(1)} ms, median of ${RUNS} ${median(times).toFixed(1)} ms`,
    );
  }
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await applyNftRuleset('', { netnsPath: netnsPath(NS) });
    times.push(performance.now() - t);
  }
  console.log(`empty input (process start-up only): median ${median(times).toFixed(1)} ms`);
} finally {
  await deleteNetns(NS);
}
