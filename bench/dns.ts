// Benchmark of cluster DNS (issue 8, "Services and cluster DNS"): latency of a Service A lookup over UDP,
// podrun's in-process server against dnsmasq serving the same name from a hosts file. Each server runs in a
// process of its own (podrun's DNS in a Node child, as it runs inside `podrun serve`); the client sends one
// query at a time from this process and times the round trip, alternating between the servers in blocks so
// that other load on the machine falls on both alike.
//
// `npm run bench -- dns`; BENCH_DNS_QUERIES (per server, default 20,000), BENCH_DNS_SERVICES (default 1,000).
// Run alone: `node --import tsx bench/dns.ts` prints the summary.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import dnsPacket from 'dns-packet';
import { deferCleanup } from './lib/cleanup.js';
import { positiveIntFromEnv } from './lib/env.js';
import { machine } from './lib/machine.js';
import { type BenchResult, check, type Metric, renderConsole } from './lib/report.js';
import { elapsedMs, median, now, percentile } from './lib/stats.js';

export interface DnsBenchOptions {
  queries: number;
  services: number;
  log: (line: string) => void;
}

export const FULL_DNS_OPTIONS = { queries: 20_000, services: 1000 };

export function dnsOptionsFromEnv(env: NodeJS.ProcessEnv, log: (l: string) => void): DnsBenchOptions {
  return {
    queries: positiveIntFromEnv(env, 'BENCH_DNS_QUERIES', FULL_DNS_OPTIONS.queries),
    services: positiveIntFromEnv(env, 'BENCH_DNS_SERVICES', FULL_DNS_OPTIONS.services),
    log,
  };
}

const HOST = '127.0.0.1';
const NAME = 'postgres-service.default.svc.cluster.local';
const ADDRESS = '10.96.0.20';
const BLOCK = 500;
const WARMUP = 500;

function serviceIP(i: number): string {
  return `10.96.${4 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

/** Child mode: podrun's DNS server with `services` Services, printing its port. */
async function serveChild(services: number): Promise<void> {
  const { ClusterDnsIndex } = await import('../src/network/dns/cluster-index.js');
  const { startClusterDns } = await import('../src/network/dns/server.js');
  const index = new ClusterDnsIndex();
  index.apply('ADDED', { kind: 'Namespace', metadata: { name: 'default' } });
  const svc = (name: string, ip: string) => ({
    kind: 'Service' as const,
    metadata: { namespace: 'default', name },
    spec: { clusterIP: ip, clusterIPs: [ip], ports: [{ name: 'p', port: 5432, protocol: 'TCP' }] },
  });
  index.apply('ADDED', svc('postgres-service', ADDRESS));
  for (let i = 0; i < services; i++) index.apply('ADDED', svc(`svc-${i}`, serviceIP(i)));
  const server = await startClusterDns({ address: HOST, port: 0, view: index, upstream: false });
  process.stdout.write(`${server.port}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

/**
 * Child mode: the least any Node UDP server can do, a canned answer with the query's id patched in; what
 * podrun's server costs above it is its own.
 */
async function floorChild(): Promise<void> {
  const canned = dnsPacket.encode({
    type: 'response',
    id: 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [{ type: 'A', name: NAME }],
    answers: [{ type: 'A', name: NAME, ttl: 5, data: ADDRESS }],
  });
  const socket = createSocket('udp4');
  socket.on('message', (m, r) => {
    const out = Buffer.from(canned);
    out.writeUInt16BE(m.readUInt16BE(0), 0);
    socket.send(out, r.port, r.address);
  });
  socket.bind(0, HOST, () => process.stdout.write(`${socket.address().port}\n`));
  process.on('SIGTERM', () => socket.close(() => process.exit(0)));
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function startNodeChild(
  mode: 'serve' | 'floor',
  services: number,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), mode, String(services)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    lines.once('line', (l) => resolve(Number(l)));
    child.once('exit', (code) => reject(new Error(`podrun DNS child exited (${code}) before listening`)));
  });
  return { child, port };
}

async function startDnsmasq(hostsFile: string): Promise<{ child: ChildProcess; port: number }> {
  const port = await freeUdpPort();
  const child = spawn(
    'dnsmasq',
    [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      `--port=${port}`,
      `--listen-address=${HOST}`,
      '--bind-interfaces',
      '--no-resolv',
      '--no-hosts',
      `--addn-hosts=${hostsFile}`,
      '--pid-file=',
      '--user=root',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const failed = new Promise<never>((_, reject) =>
    child.once('error', (e) => reject(new Error(`dnsmasq did not start: ${e.message}`))),
  );
  // Ready when it answers.
  const client = new Client(port);
  try {
    for (let i = 0; i < 100; i++) {
      if (child.exitCode !== null) throw new Error(`dnsmasq exited (${child.exitCode}): ${stderr.trim()}`);
      const ok = await Promise.race([client.lookup(200).then((r) => r !== undefined), failed]);
      if (ok) return { child, port };
    }
  } finally {
    client.close();
  }
  throw new Error(`dnsmasq never answered on ${HOST}:${port}: ${stderr.trim()}`);
}

function randomCase(name: string): string {
  let out = '';
  for (const c of name) out += Math.random() < 0.5 ? c.toUpperCase() : c;
  return out;
}

/** One query at a time over UDP; checks every answer. */
class Client {
  private readonly socket: Socket = createSocket('udp4');
  private id = 0;
  private pending: ((m: Buffer) => void) | undefined;

  /** `mixedCase`: each query spells the name with a random mix of cases, so no two questions are alike. */
  constructor(
    private readonly port: number,
    private readonly mixedCase = false,
  ) {
    this.socket.on('message', (m) => this.pending?.(m));
  }

  /** The round trip in ms, or undefined after `timeoutMs` without a reply. */
  lookup(timeoutMs = 2000): Promise<number | undefined> {
    this.id = (this.id + 1) & 0xffff;
    const id = this.id;
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name: this.mixedCase ? randomCase(NAME) : NAME }],
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        resolve(undefined);
      }, timeoutMs);
      let start = now();
      this.pending = (m) => {
        const ms = elapsedMs(start);
        if (m.readUInt16BE(0) !== id) return;
        clearTimeout(timer);
        this.pending = undefined;
        const answer = dnsPacket.decode(m).answers?.[0];
        if (answer?.type !== 'A' || answer.data !== ADDRESS)
          reject(new Error(`wrong answer from port ${this.port}`));
        else resolve(ms);
      };
      start = now();
      this.socket.send(query, this.port, HOST);
    });
  }

  close(): void {
    this.socket.close();
  }
}

function us(value: number): string {
  return Number.isFinite(value) ? `${(value * 1000).toFixed(0)} µs` : 'n/a';
}

export async function runDnsBench(o: DnsBenchOptions): Promise<BenchResult> {
  const started = now();
  const full = o.queries >= FULL_DNS_OPTIONS.queries && o.services >= FULL_DNS_OPTIONS.services;
  const result: BenchResult = {
    id: 'dns',
    title: 'Cluster DNS: Service A lookup latency',
    issue: '8 (Services and cluster DNS)',
    available: true,
    setup: [
      `podrun's DNS server (src/network/dns, in a Node child process) and dnsmasq (\`--no-resolv --addn-hosts\`), both on ${HOST}, each holding ${o.services + 1} service names; the name asked is \`${NAME}\` A.`,
      `One client, one query in flight, ${o.queries} timed queries per server after ${WARMUP} untimed ones, alternating servers every ${BLOCK} queries; "every question new" spells the name in random case each time, so podrun cannot reuse an encoded answer${full ? '' : ' — **quick run**: targets are checked only at full size'}.`,
    ],
    metrics: [],
    notes: [],
    machine: machine(),
    durationMs: 0,
  };
  const dir = await mkdtemp(join(tmpdir(), 'podrun-bench-dns-'));
  const children: ChildProcess[] = [];
  const undo = deferCleanup(async () => {
    await Promise.all(children.map(stop));
    await rm(dir, { recursive: true, force: true });
  });
  try {
    const hostsFile = join(dir, 'hosts');
    const lines = [`${ADDRESS} ${NAME}`];
    for (let i = 0; i < o.services; i++) lines.push(`${serviceIP(i)} svc-${i}.default.svc.cluster.local`);
    await writeFile(hostsFile, `${lines.join('\n')}\n`);

    const podrun = await startNodeChild('serve', o.services);
    children.push(podrun.child);
    const floor = await startNodeChild('floor', 0);
    children.push(floor.child);
    let dnsmasq: { child: ChildProcess; port: number };
    try {
      dnsmasq = await startDnsmasq(hostsFile);
    } catch (err) {
      result.available = false;
      result.problem = (err as Error).message;
      return result;
    }
    children.push(dnsmasq.child);
    o.log(`podrun DNS on :${podrun.port}, dnsmasq on :${dnsmasq.port}`);

    const clients = {
      podrun: new Client(podrun.port),
      dnsmasq: new Client(dnsmasq.port),
      floor: new Client(floor.port),
      // Every question new (as 0x20-randomizing resolvers ask): podrun decodes, looks up and encodes each time.
      fresh: new Client(podrun.port, true),
    };
    const samples: Record<keyof typeof clients, number[]> = { podrun: [], dnsmasq: [], floor: [], fresh: [] };
    let lost = 0;
    for (const c of Object.values(clients)) for (let i = 0; i < WARMUP; i++) await c.lookup();
    while (samples.podrun.length < o.queries) {
      for (const key of ['podrun', 'dnsmasq', 'floor', 'fresh'] as const) {
        for (let i = 0; i < BLOCK && samples[key].length < o.queries; i++) {
          const t = await clients[key].lookup();
          if (t === undefined) lost++;
          else samples[key].push(t);
        }
      }
    }
    for (const c of Object.values(clients)) c.close();

    const pMed = median(samples.podrun);
    const dMed = median(samples.dnsmasq);
    const pP99 = percentile(samples.podrun, 99);
    const dP99 = percentile(samples.dnsmasq, 99);
    const ratio = pMed / dMed;
    const metrics: Metric[] = [
      { name: 'podrun DNS, median', value: us(pMed), target: '< 1 ms', verdict: check(pMed < 1, full) },
      { name: 'podrun DNS, p99', value: us(pP99) },
      { name: 'dnsmasq, median', value: us(dMed) },
      { name: 'dnsmasq, p99', value: us(dP99) },
      {
        name: 'median podrun / dnsmasq',
        value: `${ratio.toFixed(2)}×`,
        target: '≤ 1.5×',
        verdict: check(ratio <= 1.5, full),
      },
      { name: 'p99 podrun / dnsmasq', value: `${(pP99 / dP99).toFixed(2)}×` },
      { name: 'Node UDP floor (canned answer), median', value: us(median(samples.floor)) },
      { name: 'Node UDP floor, p99', value: us(percentile(samples.floor, 99)) },
      { name: 'podrun DNS, every question new, median', value: us(median(samples.fresh)) },
      { name: 'podrun DNS, every question new, p99', value: us(percentile(samples.fresh, 99)) },
    ];
    result.metrics.push(...metrics);
    if (lost > 0) result.notes.push(`${lost} queries got no answer within 2 s (left out of the figures).`);
    return result;
  } catch (err) {
    result.problem = (err as Error).message;
    return result;
  } finally {
    await Promise.all(children.map(stop));
    await rm(dir, { recursive: true, force: true });
    undo();
    result.durationMs = elapsedMs(started);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === 'serve') {
    await serveChild(Number(process.argv[3] ?? FULL_DNS_OPTIONS.services));
  } else if (process.argv[2] === 'floor') {
    await floorChild();
  } else {
    const r = await runDnsBench(dnsOptionsFromEnv(process.env, (l) => process.stderr.write(`[dns] ${l}\n`)));
    process.stdout.write(`${renderConsole(r)}\n`);
  }
}
