// Helpers for the image service tests: a counting (and optionally holding) HTTP front for a loopback
// registry, and a service opened on a fresh temp store that reads no file outside the test's directory.
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parsePlatform } from '../../src/images/registry/platform.js';
import { ImageService, type ImageServiceOptions } from '../../src/images/service.js';

export interface CountingFront {
  host: string;
  /** GET /v2/<repo>/blobs/<digest> answered so far, by digest. */
  blobGets: Map<string, number>;
  /** Holds blob answers until release() (for progress and cancellation tests). */
  hold(): void;
  release(): void;
  /** Resolves at the next blob GET that arrives while held. */
  nextHeldBlob(): Promise<string>;
  close(): Promise<void>;
}

export async function countingFront(upstreamPort: number): Promise<CountingFront> {
  const blobGets = new Map<string, number>();
  let held: (() => void)[] | undefined;
  let waiters: ((d: string) => void)[] = [];
  const server = http.createServer((req, res) => {
    const m = /\/blobs\/(sha256:[a-f0-9]{64})$/.exec(req.url ?? '');
    const go = () => {
      const up = http.request(
        {
          host: '127.0.0.1',
          port: upstreamPort,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end();
    };
    if (m && req.method === 'GET') {
      const digest = m[1] ?? '';
      blobGets.set(digest, (blobGets.get(digest) ?? 0) + 1);
      if (held) {
        held.push(go);
        for (const w of waiters) w(digest);
        waiters = [];
        return;
      }
    }
    go();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    blobGets,
    hold: () => {
      held = [];
    },
    release: () => {
      const list = held ?? [];
      held = undefined;
      for (const go of list) go();
    },
    nextHeldBlob: () => new Promise((r) => waiters.push(r)),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let serial = 0;

/** A service on its own store under `work`; registries.conf and the docker config default to absent files. */
export async function openService(
  work: string,
  opts: Partial<ImageServiceOptions> = {},
): Promise<ImageService> {
  const dir = join(work, `svc-${serial++}`);
  mkdirSync(dir, { recursive: true });
  return ImageService.open({
    root: join(dir, 'images'),
    registriesConf: join(dir, 'no-registries.conf'),
    dockerConfig: join(dir, 'no-config.json'),
    platform: parsePlatform('linux/amd64'),
    storeOptions: { gcGraceMs: 0 },
    ...opts,
  });
}
