// `npm run bench [-- NAME...]`: runs every benchmark (or the named ones), prints a summary and rewrites
// their blocks in the results section of docs/benchmarks.md. Names: apiserver, host-pod-startup (or host),
// host-services (or services), host-startup-services (or startup-services), service-traffic (or traffic), dns,
// image-pod-startup (or images), image-pull (or pull), kubectl-exec (or exec),
// kubectl-port-forward (or port-forward), soak (not run by default: it takes an hour; name it).
// Sizes come from the environment (see docs/benchmarks.md); `--no-write` leaves the document alone.
import { join } from 'node:path';
import { apiserverOptionsFromEnv, runApiserverBench } from './apiserver.js';
import { dnsOptionsFromEnv, runDnsBench } from './dns.js';
import { execOptionsFromEnv, runExecBench } from './exec.js';
import { hostOptionsFromEnv, runHostBench } from './host-pod-startup.js';
import { runServicesBench, servicesOptionsFromEnv } from './host-services.js';
import { runStartupServicesBench, startupServicesOptionsFromEnv } from './host-startup-services.js';
import { imageStartupOptionsFromEnv, runImageStartupBench } from './image-pod-startup.js';
import { imagePullOptionsFromEnv, runImagePullBench } from './image-pull.js';
import { runCleanups } from './lib/cleanup.js';
import { type BenchResult, renderConsole, updateResultsDoc } from './lib/report.js';
import { REPO_ROOT } from './lib/server.js';
import { portForwardOptionsFromEnv, runPortForwardBench } from './port-forward.js';
import { runTrafficBench, trafficOptionsFromEnv } from './service-traffic.js';
import { runSoakBench, soakOptionsFromEnv } from './soak.js';

const BENCHMARKS: Record<string, (log: (l: string) => void) => Promise<BenchResult>> = {
  apiserver: (log) => runApiserverBench(apiserverOptionsFromEnv(process.env, log)),
  'host-pod-startup': (log) => runHostBench(hostOptionsFromEnv(process.env, log)),
  dns: (log) => runDnsBench(dnsOptionsFromEnv(process.env, log)),
  'host-services': (log) => runServicesBench(servicesOptionsFromEnv(process.env, log)),
  'host-startup-services': (log) => runStartupServicesBench(startupServicesOptionsFromEnv(process.env, log)),
  'service-traffic': (log) => runTrafficBench(trafficOptionsFromEnv(process.env, log)),
  'image-pod-startup': (log) => runImageStartupBench(imageStartupOptionsFromEnv(process.env, log)),
  'image-pull': (log) => runImagePullBench(imagePullOptionsFromEnv(process.env, log)),
  'kubectl-exec': (log) => runExecBench(execOptionsFromEnv(process.env, log)),
  'kubectl-port-forward': (log) => runPortForwardBench(portForwardOptionsFromEnv(process.env, log)),
  soak: (log) => runSoakBench(soakOptionsFromEnv(process.env, log)),
};
/** Run only when named: an hour at full size. */
const ON_REQUEST = new Set(['soak']);
const ALIASES: Record<string, string> = {
  host: 'host-pod-startup',
  api: 'apiserver',
  services: 'host-services',
  'startup-services': 'host-startup-services',
  traffic: 'service-traffic',
  images: 'image-pod-startup',
  pull: 'image-pull',
  exec: 'kubectl-exec',
  'port-forward': 'kubectl-port-forward',
};

const args = process.argv.slice(2);
const write = !args.includes('--no-write');
const names = args.filter((a) => !a.startsWith('--')).map((a) => ALIASES[a] ?? a);
const unknown = names.filter((n) => !(n in BENCHMARKS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`,
  );
  process.exit(2);
}
const selected = names.length > 0 ? names : Object.keys(BENCHMARKS).filter((n) => !ON_REQUEST.has(n));

// On a signal the cleanups run at once (the benchmark in progress then fails, its server gone) and the process
// exits 130 as soon as they are done; the results document is not touched.
let cleanedUp: Promise<void> | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (cleanedUp) return;
    process.stderr.write(`\n${signal}: stopping the servers and removing what the benchmarks created\n`);
    cleanedUp = runCleanups((line) => process.stderr.write(`${line}\n`));
    void cleanedUp.then(() => process.exit(130));
  });
}

const results: BenchResult[] = [];
for (const name of selected) {
  if (cleanedUp) break;
  const log = (line: string) => process.stderr.write(`[${name}] ${line}\n`);
  log('start');
  results.push(await BENCHMARKS[name]!(log));
}

if (cleanedUp) {
  // Interrupted: what was measured is incomplete; print it, but leave the document alone.
  process.stdout.write(`\n${results.map(renderConsole).join('\n\n')}\n`);
  await cleanedUp;
  process.exit(130);
}
process.stdout.write(`\n${results.map(renderConsole).join('\n\n')}\n`);
if (write) {
  const doc = join(REPO_ROOT, 'docs', 'benchmarks.md');
  await updateResultsDoc(doc, results);
  process.stdout.write(`\nresults written to ${doc}\n`);
}
const failed =
  results.some((r) => r.problem !== undefined && r.available) ||
  results.some((r) => r.metrics.some((m) => m.verdict === 'FAIL'));
process.exit(failed ? 1 : 0);
