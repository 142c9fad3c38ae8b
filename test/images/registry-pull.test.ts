// The pull client against real loopback registries (Debian's docker-registry), with images built here
// and pushed by skopeo, and small node:http fronts for what docker-registry does not do: Bearer tokens,
// redirects to another host, and a connection cut mid-blob.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { RegistryClient } from '../../src/images/registry/client.js';
import { RegistryError } from '../../src/images/registry/errors.js';
import { DockerKeyring } from '../../src/images/registry/keyring.js';
import { parsePlatform } from '../../src/images/registry/platform.js';
import { parseRegistriesConf } from '../../src/images/registry/registries-conf.js';
import { DirectoryBlobSink } from '../../src/images/registry/sink.js';
import {
  addImage,
  addIndex,
  type LayoutImage,
  push,
  type Registry,
  sha256,
  startRegistry,
  umociImage,
} from './registry-fixtures.js';

const amd64 = parsePlatform('linux/amd64');
let work: string;
let plain: Registry;
let secured: Registry;
let img: LayoutImage;
let umoci: { layout: string; manifestDigest: string };
let multi: { indexDigest: string; amd64: LayoutImage; arm64: LayoutImage };
const fronts: http.Server[] = [];
let sinkCount = 0;

function newSink(): DirectoryBlobSink {
  return new DirectoryBlobSink(join(work, `sink-${sinkCount++}`));
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'podrun-pull-'));
  const layout = join(work, 'layout');
  img = addImage(layout, work, '1.35', 'amd64');
  multi = addIndex(layout, work, 'multi');
  plain = await startRegistry(join(work, 'plain'));
  secured = await startRegistry(join(work, 'secured'), { user: 'alice', password: 's3cret' });
  push(layout, '1.35', `${plain.host}/busybox:1.35`);
  push(layout, '1.35', `${plain.host}/busybox-v2s2:1.35`, ['--format', 'v2s2']);
  push(layout, 'multi', `${plain.host}/multi:1`, ['--all']);
  push(layout, '1.35', `${secured.host}/private/busybox:1.35`, ['--dest-creds', 'alice:s3cret']);
  umoci = umociImage(work, 'u');
  push(umoci.layout, 'u', `${plain.host}/umoci/busybox:u`);
});

after(async () => {
  for (const s of fronts) s.close();
  await Promise.all([plain?.stop(), secured?.stop()]);
  rmSync(work, { recursive: true, force: true });
});

/** A front server on its own port; returns `127.0.0.1:port`. */
async function front(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  fronts.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  return `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

/** Forwards a request to the plain registry as it came (minus Authorization), streaming the answer. */
function forward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  hooks?: { onBody?: (up: http.IncomingMessage) => boolean },
): void {
  const headers = { ...req.headers, host: plain.host };
  delete headers.authorization;
  const up = http.request(
    { host: '127.0.0.1', port: plain.port, path: req.url, method: req.method, headers },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      if (hooks?.onBody?.(r)) return;
      r.pipe(res);
    },
  );
  up.end();
}

test('pulls an OCI image by tag: manifest, config and layer verified into the sink', async () => {
  const sink = newSink();
  const client = new RegistryClient({ sink, platform: amd64 });
  const r = await client.pull(`${plain.host}/busybox:1.35`);
  assert.equal(r.reference, `${plain.host}/busybox:1.35`);
  assert.equal(r.digest, img.manifestDigest);
  assert.equal(r.repoDigest, `${plain.host}/busybox@${img.manifestDigest}`);
  assert.equal(r.config.digest, img.configDigest);
  assert.deepEqual(JSON.parse(r.configBytes.toString()).rootfs.diff_ids, [img.diffId]);
  assert.deepEqual(
    r.layers.map((l) => l.digest),
    [img.layerDigest],
  );
  assert.equal(sha256(readFileSync(sink.blobPath(img.layerDigest))), img.layerDigest);
  assert.equal(await sink.hasBlob(img.manifestDigest), true);
  assert.equal(await sink.hasBlob(img.configDigest), true);
});

test('pulls by digest, and a Docker schema2 image', async () => {
  const client = new RegistryClient({ sink: newSink(), platform: amd64 });
  const byDigest = await client.pull(`${plain.host}/busybox@${img.manifestDigest}`);
  assert.equal(byDigest.manifestDigest, img.manifestDigest);
  assert.equal(byDigest.reference, `${plain.host}/busybox@${img.manifestDigest}`);
  const v2 = await client.pull(`${plain.host}/busybox-v2s2:1.35`);
  assert.equal(v2.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(v2.config.mediaType, 'application/vnd.docker.container.image.v1+json');
  assert.notEqual(v2.digest, img.manifestDigest);
  // skopeo keeps the gzip layer bytes, so the layer blob is the same one.
  assert.deepEqual(
    v2.layers.map((l) => l.digest),
    [img.layerDigest],
  );
});

test('pulls an image built by umoci, whose manifest has no mediaType', async () => {
  const r = await new RegistryClient({ sink: newSink(), platform: amd64 }).pull(
    `${plain.host}/umoci/busybox:u`,
  );
  assert.equal(r.digest, umoci.manifestDigest);
  assert.equal(r.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  assert.equal(r.layers.length, 1);
});

test('picks the platform from an index; unknown/unknown is skipped; no match is not found', async () => {
  const onAmd = await new RegistryClient({ sink: newSink(), platform: amd64 }).pull(`${plain.host}/multi:1`);
  assert.equal(onAmd.digest, multi.indexDigest);
  assert.equal(onAmd.repoDigest, `${plain.host}/multi@${multi.indexDigest}`);
  assert.equal(onAmd.manifestDigest, multi.amd64.manifestDigest);
  const onArm = await new RegistryClient({ sink: newSink(), platform: parsePlatform('linux/aarch64') }).pull(
    `${plain.host}/multi:1`,
  );
  assert.equal(onArm.manifestDigest, multi.arm64.manifestDigest);
  await assert.rejects(
    new RegistryClient({ sink: newSink(), platform: parsePlatform('linux/s390x') }).pull(
      `${plain.host}/multi:1`,
    ),
    (err: unknown) =>
      err instanceof RegistryError &&
      err.reason === 'NotFound' &&
      /no match for platform in manifest: not found$/.test(err.message),
  );
});

test('a wrong tag is not found, worded as containerd', async () => {
  const client = new RegistryClient({ sink: newSink(), platform: amd64 });
  const ref = `${plain.host}/busybox:nope`;
  await assert.rejects(client.pull(ref), (err: unknown) => {
    assert.ok(err instanceof RegistryError);
    assert.equal(err.reason, 'NotFound');
    assert.equal(err.message, `failed to resolve reference "${ref}": ${ref}: not found`);
    return true;
  });
});

test('Basic auth: refused without or with a wrong credential, pulls with the right one from a Secret', async () => {
  const ref = `${secured.host}/private/busybox:1.35`;
  const refused = `failed to resolve reference "${ref}": unexpected status from HEAD request to http://${secured.host}/v2/private/busybox/manifests/1.35: 401 Unauthorized`;
  await assert.rejects(new RegistryClient({ sink: newSink(), platform: amd64 }).pull(ref), {
    reason: 'Unauthorized',
    message: refused,
  });
  await assert.rejects(
    new RegistryClient({ sink: newSink(), platform: amd64 }).pull(ref, {
      credentials: [{ username: 'alice', password: 'wrong' }],
    }),
    { reason: 'Unauthorized', message: refused },
  );
  const keyring = new DockerKeyring();
  const auths = {
    auths: { [`http://${secured.host}/v2/`]: { auth: Buffer.from('alice:s3cret').toString('base64') } },
  };
  keyring.addSecret({
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify(auths)).toString('base64') },
  });
  const r = await new RegistryClient({ sink: newSink(), platform: amd64, keyring }).pull(ref);
  assert.equal(r.manifestDigest, img.manifestDigest);
  // Like the kubelet, every credential is tried; the errors are aggregated when all fail.
  await assert.rejects(
    new RegistryClient({ sink: newSink(), platform: amd64 }).pull(ref, {
      credentials: [
        { username: 'alice', password: 'wrong' },
        { username: 'bob', password: 'wrong' },
      ],
    }),
    { reason: 'Unauthorized', message: `[${refused}, ${refused}]` },
  );
  const second = await new RegistryClient({ sink: newSink(), platform: amd64 }).pull(ref, {
    credentials: [
      { username: 'alice', password: 'wrong' },
      { username: 'alice', password: 's3cret' },
    ],
  });
  assert.equal(second.manifestDigest, img.manifestDigest);
});

test('Bearer auth through a token server; a refused credential is unauthorized; tokens are cached', async () => {
  let tokenRequests = 0;
  const tokenHost = await front((req, res) => {
    tokenRequests++;
    const url = new URL(req.url ?? '/', 'http://x');
    const ok = req.headers.authorization === `Basic ${Buffer.from('bob:pw').toString('base64')}`;
    if (
      !ok ||
      url.searchParams.get('scope') !== 'repository:busybox:pull' ||
      url.searchParams.get('service') !== 'test-registry'
    ) {
      res.writeHead(401).end('{"details":"bad credentials"}');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: 'tok-1', expires_in: 300 }));
  });
  const realm = `http://${tokenHost}/token`;
  const registry = await front((req, res) => {
    if (req.headers.authorization !== 'Bearer tok-1') {
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="${realm}",service="test-registry",scope="repository:busybox:pull"`,
        })
        .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    forward(req, res);
  });
  const ref = `${registry}/busybox:1.35`;
  await assert.rejects(
    new RegistryClient({ sink: newSink(), platform: amd64 }).pull(ref, {
      credentials: [{ username: 'bob', password: 'nope' }],
    }),
    {
      reason: 'Unauthorized',
      message: `failed to resolve reference "${ref}": failed to authorize: failed to fetch oauth token: unexpected status from GET request to ${realm}?service=test-registry&scope=repository%3Abusybox%3Apull: 401 Unauthorized`,
    },
  );
  tokenRequests = 0;
  let clock = 0;
  const client = new RegistryClient({ sink: newSink(), platform: amd64, now: () => clock });
  const bob = { credentials: [{ username: 'bob', password: 'pw' }] };
  const r = await client.pull(ref, bob);
  assert.equal(r.manifestDigest, img.manifestDigest);
  assert.equal(tokenRequests, 1);
  assert.equal((await client.resolve(ref, bob)).digest, img.manifestDigest);
  assert.equal(tokenRequests, 1);
  clock += 301_000; // past expires_in
  assert.equal((await client.resolve(ref, bob)).repoDigest, `${registry}/busybox@${img.manifestDigest}`);
  assert.equal(tokenRequests, 2);
});

test('a token refused again with insufficient_scope is "pull access denied", as on Docker Hub', async () => {
  const tokenHost = await front((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"anon"}');
  });
  const challenge = `Bearer realm="http://${tokenHost}/token",service="hub",scope="repository:nonexist:pull"`;
  const registry = await front((req, res) => {
    if (req.url === '/v2/') {
      res.writeHead(401, { 'www-authenticate': challenge }).end();
      return;
    }
    res.writeHead(401, { 'www-authenticate': `${challenge},error="insufficient_scope"` }).end();
  });
  await assert.rejects(
    new RegistryClient({ sink: newSink(), platform: amd64 }).pull(`${registry}/nonexist`),
    {
      reason: 'Unauthorized',
      message: `failed to resolve reference "${registry}/nonexist:latest": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
    },
  );
});

test('a mirror from registries.conf serves an image named after another registry', async () => {
  const conf = parseRegistriesConf(`
[[registry]]
prefix = "docker.io/library"
location = "registry.invalid/library"
[[registry.mirror]]
location = "${plain.host}"
`);
  const client = new RegistryClient({ sink: newSink(), platform: amd64, registries: conf });
  const r = await client.pull('busybox:1.35');
  assert.equal(r.reference, 'docker.io/library/busybox:1.35');
  assert.equal(r.repoDigest, `docker.io/library/busybox@${img.manifestDigest}`);
  assert.deepEqual(r.source, { registry: plain.host, repository: 'busybox', insecure: false, mirror: true });
  const blocked = parseRegistriesConf(`[[registry]]\nprefix = "${plain.host}"\nblocked = true\n`);
  await assert.rejects(
    new RegistryClient({ sink: newSink(), registries: blocked }).pull(`${plain.host}/busybox:1.35`),
    {
      reason: 'Blocked',
      message: `${plain.host}/busybox:1.35: registry ${plain.host} is blocked in registries.conf`,
    },
  );
});

test('blob redirects to another host are followed without the registry Authorization', async () => {
  const seen: (string | undefined)[] = [];
  const blobHost = await front((req, res) => {
    seen.push(req.headers.authorization);
    forward(req, res);
  });
  const registry = await front((req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('carol:pw').toString('base64')}`) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="front"' }).end();
      return;
    }
    if (req.url?.includes('/blobs/')) {
      res.writeHead(307, { location: `http://${blobHost}${req.url}` }).end();
      return;
    }
    forward(req, res);
  });
  const r = await new RegistryClient({ sink: newSink(), platform: amd64 }).pull(`${registry}/busybox:1.35`, {
    credentials: [{ username: 'carol', password: 'pw' }],
  });
  assert.equal(r.manifestDigest, img.manifestDigest);
  assert.equal(seen.length, 2); // config and layer
  assert.deepEqual(seen, [undefined, undefined]);
});

test('a download cut mid-blob resumes with Range and still verifies', async () => {
  const ranges: (string | undefined)[] = [];
  let cut = false;
  const registry = await front((req, res) => {
    if (req.url?.endsWith(`/blobs/${img.layerDigest}`)) {
      ranges.push(req.headers.range);
      if (!cut) {
        cut = true;
        forward(req, res, {
          onBody: (up) => {
            let sent = 0;
            up.on('data', (chunk: Buffer) => {
              if (sent >= img.layerSize / 2) return;
              sent += chunk.length;
              res.write(chunk, () => {
                if (sent >= img.layerSize / 2) res.socket?.destroy();
              });
            });
            return true;
          },
        });
        return;
      }
    }
    forward(req, res);
  });
  const sink = newSink();
  const r = await new RegistryClient({ sink, platform: amd64 }).pull(`${registry}/busybox:1.35`);
  assert.equal(r.manifestDigest, img.manifestDigest);
  assert.equal(ranges.length, 2);
  assert.equal(ranges[0], undefined);
  assert.match(ranges[1] ?? '', /^bytes=[1-9][0-9]*-$/);
  assert.equal(sha256(readFileSync(sink.blobPath(img.layerDigest))), img.layerDigest);
});

test('a blob download that stalls is dropped after the progress timeout and resumed', async () => {
  let stalled = false;
  const ranges: (string | undefined)[] = [];
  const registry = await front((req, res) => {
    if (req.url?.endsWith(`/blobs/${img.layerDigest}`)) {
      ranges.push(req.headers.range);
      if (!stalled) {
        stalled = true;
        forward(req, res, {
          onBody: (up) => {
            let sent = 0;
            up.on('data', (chunk: Buffer) => {
              if (sent >= img.layerSize / 2) return; // then nothing more, and the socket stays open
              sent += chunk.length;
              res.write(chunk);
            });
            return true;
          },
        });
        return;
      }
    }
    forward(req, res);
  });
  const sink = newSink();
  const r = await new RegistryClient({ sink, platform: amd64, progressTimeoutMs: 300 }).pull(
    `${registry}/busybox:1.35`,
  );
  assert.equal(r.manifestDigest, img.manifestDigest);
  assert.equal(ranges.length, 2);
  assert.match(ranges[1] ?? '', /^bytes=[1-9][0-9]*-$/);
  assert.equal(sha256(readFileSync(sink.blobPath(img.layerDigest))), img.layerDigest);
});

test('two concurrent pulls of one image download each blob once', async () => {
  const blobGets = new Map<string, number>();
  const registry = await front((req, res) => {
    if (req.url?.includes('/blobs/')) blobGets.set(req.url, (blobGets.get(req.url) ?? 0) + 1);
    forward(req, res);
  });
  const client = new RegistryClient({ sink: newSink(), platform: amd64 });
  const [a, b] = await Promise.all([
    client.pull(`${registry}/busybox:1.35`),
    client.pull(`${registry}/busybox:1.35`),
  ]);
  assert.equal(a.manifestDigest, b.manifestDigest);
  assert.equal(blobGets.get(`/v2/busybox/blobs/${img.layerDigest}`), 1);
  assert.equal(client.downloadsStarted, 1);
});

test('a corrupt blob fails the digest check; a registry that is down is unavailable', async () => {
  const registry = await front((req, res) => {
    if (req.url?.endsWith(`/blobs/${img.layerDigest}`)) {
      const body = Buffer.alloc(img.layerSize, 1);
      res.writeHead(200, { 'content-length': String(body.length) }).end(body);
      return;
    }
    forward(req, res);
  });
  await assert.rejects(
    new RegistryClient({ sink: newSink(), platform: amd64 }).pull(`${registry}/busybox:1.35`),
    {
      reason: 'DigestMismatch',
    },
  );
  const down = await startRegistry(join(work, 'down'));
  await down.stop();
  await assert.rejects(
    new RegistryClient({ sink: newSink(), platform: amd64 }).pull(`${down.host}/busybox:1.35`),
    {
      reason: 'Unavailable',
      message: `failed to resolve reference "${down.host}/busybox:1.35": failed to do request: Head "http://${down.host}/v2/busybox/manifests/1.35": dial tcp ${down.host}: connect: connection refused`,
    },
  );
});

test('HEAD refused with 405 falls back to GET; an oversized manifest is refused before reading it', async () => {
  const heads: string[] = [];
  const noHead = await front((req, res) => {
    if (req.method === 'HEAD') {
      heads.push(req.url ?? '');
      res.writeHead(405).end();
      return;
    }
    forward(req, res);
  });
  const r = await new RegistryClient({ sink: newSink(), platform: amd64 }).pull(`${noHead}/busybox:1.35`);
  assert.equal(r.manifestDigest, img.manifestDigest);
  assert.deepEqual(heads, ['/v2/busybox/manifests/1.35']);
  const huge = await front((req, res) => {
    if (req.url?.includes('/manifests/')) {
      res.writeHead(200, {
        'content-length': String(4 * 1048 * 1048 + 1),
        'docker-content-digest': img.manifestDigest,
      });
      res.end();
      return;
    }
    forward(req, res);
  });
  await assert.rejects(
    new RegistryClient({ sink: newSink(), platform: amd64 }).pull(`${huge}/busybox:1.35`),
    {
      reason: 'ManifestTooLarge',
    },
  );
});
