// Benchmark of image pulls (the image service, src/images/service.ts): a cold pull of a multi-layer image
// from a loopback docker-registry, podrun's ImageService (download, verify, store, unpack every layer)
// against `skopeo copy docker://… dir:…` (download and verify only), median of N runs each, alternating;
// then 100 concurrent pullImage calls of one image on an empty store, counting blob GETs at a front.
//
// `npm run bench -- image-pull`; BENCH_PULL_RUNS (default 5), BENCH_PULL_LAYER_MB (size of each of the 4
// random layers, default 8), BENCH_PULL_CONCURRENT (default 100).
// Run alone: `node --import tsx bench/image-pull.ts` prints the summary.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ImageService } from '../src/images/service.js';
import { deferCleanup } from './lib/cleanup.js';
import { positiveIntFromEnv } from './lib/env.js';
import { machine } from './lib/machine.js';
import { type BenchResult, check, renderConsole } from './lib/report.js';
import { elapsedMs, median, ms, now } from './lib/stats.js';

export interface ImagePullBenchOptions {
  runs: number;
  layerMB: number;
  concurrent: number;
  log: (line: string) => void;
}

export const FULL_PULL_OPTIONS = { runs: 5, layerMB: 8, concurrent: 100 };
const RANDOM_LAYERS = 4;
const TARGET_RATIO = 1.2;

export function imagePullOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  log: (l: string) => void,
): ImagePullBenchOptions {
  return {
    runs: positiveIntFromEnv(env, 'BENCH_PULL_RUNS', FULL_PULL_OPTIONS.runs),
    layerMB: positiveIntFromEnv(env, 'BENCH_PULL_LAYER_MB', FULL_PULL_OPTIONS.layerMB),
    concurrent: positiveIntFromEnv(env, 'BENCH_PULL_CONCURRENT', FULL_PULL_OPTIONS.concurrent),
    log,
  };
}

const run = promisify(execFile);

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

function blob(layout: string, data: Buffer | string): { digest: string; size: number } {
  const digest = sha256(data);
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)), data);
  return { digest, size: Buffer.byteLength(data) };
}

function tarOf(work: string, dir: string, name: string): Buffer {
  const out = join(work, `${name}.tar`);
  execFileSync('tar', [
    '--sort=name',
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '--mtime=@0',
    '-C',
    dir,
    '-cf',
    out,
    '.',
  ]);
  return readFileSync(out);
}

/** An OCI layout with busybox plus RANDOM_LAYERS layers of random data, tagged `bench`. */
export function buildImage(work: string, layerMB: number): { layout: string; bytes: number; layers: number } {
  const layout = join(work, 'layout');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const tars: Buffer[] = [];
  const base = join(work, 'rootfs-0');
  mkdirSync(join(base, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(base, 'bin', 'busybox'));
  for (const a of ['sh', 'ls', 'cat']) symlinkSync('busybox', join(base, 'bin', a));
  tars.push(tarOf(work, base, 'layer-0'));
  for (let i = 1; i <= RANDOM_LAYERS; i++) {
    const dir = join(work, `rootfs-${i}`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', `${i}.bin`), randomBytes(layerMB * 1024 * 1024));
    tars.push(tarOf(work, dir, `layer-${i}`));
  }
  const layers = tars.map((t) => blob(layout, gzipSync(t, { level: 1 })));
  const config = blob(
    layout,
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256(t)) },
    }),
  );
  const manifest = blob(
    layout,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
    }),
  );
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'org.opencontainers.image.ref.name': 'bench' },
        },
      ],
    }),
  );
  return { layout, bytes: layers.reduce((a, l) => a + l.size, config.size), layers: layers.length };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export async function startRegistry(dir: string): Promise<{ port: number; proc: ChildProcess }> {
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const port = await freePort();
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const proc = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) return { port, proc };
    if (i > 200 || proc.exitCode !== null) throw new Error(`docker-registry on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A pass-through front counting blob GETs per digest. */
async function countingFront(
  port: number,
): Promise<{ host: string; gets: Map<string, number>; server: http.Server }> {
  const gets = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
    if (m && req.method === 'GET') gets.set(m[1] ?? '', (gets.get(m[1] ?? '') ?? 0) + 1);
    const up = http.request(
      { host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    up.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { host: `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`, gets, server };
}

async function openService(dir: string, durable = true): Promise<ImageService> {
  return ImageService.open({
    root: join(dir, 'images'),
    registriesConf: join(dir, 'no-registries.conf'),
    dockerConfig: join(dir, 'no-config.json'),
    storeOptions: { durable },
  });
}

export async function runImagePullBench(o: ImagePullBenchOptions): Promise<BenchResult> {
  const started = now();
  const full =
    o.runs >= FULL_PULL_OPTIONS.runs &&
    o.layerMB >= FULL_PULL_OPTIONS.layerMB &&
    o.concurrent >= FULL_PULL_OPTIONS.concurrent;
  const result: BenchResult = {
    id: 'image-pull',
    title: 'Image pull: cold pull against skopeo, and shared downloads',
    issue: 'image service (CRI ImageService of the host runtime)',
    available: true,
    setup: [],
    metrics: [],
    notes: [],
    machine: machine(),
    durationMs: 0,
  };
  const dir = await mkdtemp(join(tmpdir(), 'podrun-bench-pull-'));
  let registry: ChildProcess | undefined;
  let front: http.Server | undefined;
  const stopAll = async () => {
    front?.closeAllConnections();
    front?.close();
    if (registry && registry.exitCode === null) {
      const r = registry;
      await new Promise<void>((res) => {
        r.once('exit', () => res());
        r.kill('SIGTERM');
      });
    }
    await rm(dir, { recursive: true, force: true });
  };
  const undo = deferCleanup(stopAll);
  try {
    for (const tool of ['/usr/bin/docker-registry', 'skopeo']) {
      try {
        execFileSync(tool === 'skopeo' ? 'skopeo' : tool, ['--version'], { stdio: 'ignore' });
      } catch {
        result.available = false;
        result.problem = `${tool} is not installed (apt-get install docker-registry skopeo)`;
        return result;
      }
    }
    const image = buildImage(dir, o.layerMB);
    const reg = await startRegistry(join(dir, 'registry'));
    registry = reg.proc;
    const host = `127.0.0.1:${reg.port}`;
    const ref = `${host}/bench:1`;
    await run('skopeo', [
      'copy',
      '--quiet',
      '--dest-tls-verify=false',
      `oci:${image.layout}:bench`,
      `docker://${ref}`,
    ]);
    const mb = (image.bytes / 1e6).toFixed(1);
    o.log(`image ${ref}: ${image.layers} layers, ${mb} MB compressed`);
    result.setup.push(
      `Image: busybox plus ${RANDOM_LAYERS} layers of ${o.layerMB} MiB random data (gzip -1), ${image.layers} layers, ${mb} MB as served, on Debian's docker-registry on ${host}.`,
      `podrun: \`ImageService.open\` on an empty store, then \`pullImage\` (download, digest checks, store, unpack every layer with \`sync -f\`), in this process. skopeo: \`skopeo copy --src-tls-verify=false docker://… dir:…\` into an empty directory (download and verify, no unpacking), process start included. ${o.runs} runs each, alternating; the median counts${full ? '' : ' — **quick run**: targets are checked only at full size'}.`,
    );

    const podrunMs: number[] = [];
    const unsyncedMs: number[] = [];
    const skopeoMs: number[] = [];
    const podrun = async (runDir: string, durable: boolean) => {
      const t = now();
      const svc = await openService(runDir, durable);
      await svc.pullImage({ image: ref });
      const took = elapsedMs(t);
      await svc.close();
      return took;
    };
    for (let i = 0; i < o.runs; i++) {
      const runDir = join(dir, `run-${i}`);
      mkdirSync(runDir, { recursive: true });
      const kinds = ['podrun', 'skopeo', 'unsynced'] as const;
      // Rotated each run, so that whatever the disk still flushes from one falls on each in turn.
      for (let k = 0; k < kinds.length; k++) {
        const who = kinds[(k + i) % kinds.length];
        if (who === 'podrun') podrunMs.push(await podrun(join(runDir, 'podrun'), true));
        else if (who === 'unsynced') unsyncedMs.push(await podrun(join(runDir, 'unsynced'), false));
        else {
          const t = now();
          await run('skopeo', [
            'copy',
            '--quiet',
            '--src-tls-verify=false',
            `docker://${ref}`,
            `dir:${join(runDir, 'skopeo')}`,
          ]);
          skopeoMs.push(elapsedMs(t));
        }
      }
      await rm(runDir, { recursive: true, force: true });
      o.log(
        `run ${i + 1}: podrun ${ms(podrunMs[i] ?? Number.NaN)}, podrun without layer flush ${ms(unsyncedMs[i] ?? Number.NaN)}, skopeo ${ms(skopeoMs[i] ?? Number.NaN)}`,
      );
    }
    const p = median(podrunMs);
    const u = median(unsyncedMs);
    const s = median(skopeoMs);
    const ratio = p / s;
    result.metrics.push(
      { name: 'cold pull, podrun ImageService (median)', value: ms(p) },
      { name: 'cold pull, skopeo copy to dir: (median)', value: ms(s) },
      {
        name: 'podrun / skopeo',
        value: `${ratio.toFixed(2)}x`,
        target: `<= ${TARGET_RATIO}x`,
        verdict: check(ratio <= TARGET_RATIO, full),
      },
      {
        name: "cold pull, podrun with the store's layer flush off (median)",
        value: `${ms(u)} (${(u / s).toFixed(2)}x skopeo)`,
        note: 'durable: false; what the sync -f per layer costs',
      },
    );

    const counted = await countingFront(reg.port);
    front = counted.server;
    const cdir = join(dir, 'concurrent');
    mkdirSync(cdir, { recursive: true });
    const svc = await openService(cdir);
    const t = now();
    const ids = await Promise.all(
      Array.from({ length: o.concurrent }, () => svc.pullImage({ image: `${counted.host}/bench:1` })),
    );
    const concurrentMs = elapsedMs(t);
    await svc.close();
    const gets = [...counted.gets.values()];
    const once = gets.length === image.layers + 1 && gets.every((n) => n === 1) && new Set(ids).size === 1;
    result.metrics.push(
      {
        name: `${o.concurrent} concurrent pulls of one image: blob GETs`,
        value: `${gets.reduce((a, n) => a + n, 0)} GETs for ${gets.length} blobs (${image.layers} layers + config)`,
        target: 'each blob downloaded once',
        verdict: check(once, true),
      },
      { name: `${o.concurrent} concurrent pulls, wall time`, value: ms(concurrentMs) },
    );
    result.notes.push(
      'podrun does more than skopeo here: it fsyncs each blob, unpacks each layer into its own directory (gunzip, tar, file writes, diff_id check) and flushes it with `sync -f` before committing it; skopeo only writes the blobs, unflushed. Layers are unpacked while the upper ones still download (3 downloads at a time, bottom first).',
    );
    return result;
  } catch (err) {
    result.problem = (err as Error).message;
    return result;
  } finally {
    await stopAll();
    undo();
    result.durationMs = elapsedMs(started);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runImagePullBench(
    imagePullOptionsFromEnv(process.env, (l) => process.stderr.write(`[image-pull] ${l}\n`)),
  );
  process.stdout.write(`${renderConsole(r)}\n`);
}
