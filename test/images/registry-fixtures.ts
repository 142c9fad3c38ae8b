// Real loopback registries and small real images for the pull tests, built offline under a temp dir:
// Debian's docker-registry (distribution 2.8), images written as OCI layouts from /bin/busybox and
// pushed with skopeo.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface Registry {
  port: number;
  host: string;
  stop(): Promise<void>;
}

export async function startRegistry(
  dir: string,
  htpasswd?: { user: string; password: string },
): Promise<Registry> {
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const port = await freePort();
  let auth = '';
  if (htpasswd) {
    const line = execFileSync('htpasswd', ['-Bbn', htpasswd.user, htpasswd.password], { encoding: 'utf8' });
    writeFileSync(join(dir, 'htpasswd'), line);
    auth = `auth:\n  htpasswd:\n    realm: podrun-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\n` +
      `http:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const proc: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: 'ignore',
  });
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    );
    if (up) break;
    if (i > 200 || proc.exitCode !== null) throw new Error(`docker-registry on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    host: `127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

export interface LayoutImage {
  tag: string;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  layerSize: number;
  diffId: string;
}

export function writeBlob(layout: string, data: Buffer | string): { digest: string; size: number } {
  const digest = sha256(data);
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(layout, 'blobs', 'sha256', digest.slice(7)), data);
  return { digest, size: Buffer.byteLength(data) };
}

/** A one-layer image: bin/busybox plus a few applet links, and a marker file naming the architecture. */
export function addImage(
  layout: string,
  work: string,
  tag: string,
  architecture: string,
  /** Merged into the config's `config` (User, Env, …): images that differ only there share the layer. */
  extraConfig: Record<string, unknown> = {},
): LayoutImage {
  const rootfs = join(work, `rootfs-${tag}-${architecture}`);
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const applet of ['sh', 'ls', 'cat']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  writeFileSync(join(rootfs, 'etc', 'arch'), `${architecture}\n`);
  const tarPath = join(work, `layer-${tag}-${architecture}.tar`);
  execFileSync('tar', [
    '--sort=name',
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '--mtime=@0',
    '-C',
    rootfs,
    '-cf',
    tarPath,
    '.',
  ]);
  const tar = readFileSync(tarPath);
  const layer = writeBlob(layout, gzipSync(tar, { level: 1 }));
  const diffId = sha256(tar);
  const config = writeBlob(
    layout,
    JSON.stringify({
      architecture,
      os: 'linux',
      config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'], ...extraConfig },
      rootfs: { type: 'layers', diff_ids: [diffId] },
    }),
  );
  const manifest = writeBlob(
    layout,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
    }),
  );
  addToIndex(layout, {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...manifest,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  return {
    tag,
    manifestDigest: manifest.digest,
    configDigest: config.digest,
    layerDigest: layer.digest,
    layerSize: layer.size,
    diffId,
  };
}

/** An index over two platform manifests, plus a BuildKit-style unknown/unknown entry that must be skipped. */
export function addIndex(
  layout: string,
  work: string,
  tag: string,
): { indexDigest: string; amd64: LayoutImage; arm64: LayoutImage } {
  const amd64 = addImage(layout, work, `${tag}-amd64`, 'amd64');
  const arm64 = addImage(layout, work, `${tag}-arm64`, 'arm64');
  const desc = (img: LayoutImage, architecture: string, variant?: string) => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: img.manifestDigest,
    size: readFileSync(join(layout, 'blobs', 'sha256', img.manifestDigest.slice(7))).length,
    platform: { os: 'linux', architecture, ...(variant ? { variant } : {}) },
  });
  const index = writeBlob(
    layout,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { ...desc(arm64, 'unknown'), platform: { os: 'unknown', architecture: 'unknown' } },
        desc(arm64, 'arm64', 'v8'),
        desc(amd64, 'amd64'),
      ],
    }),
  );
  addToIndex(layout, {
    mediaType: 'application/vnd.oci.image.index.v1+json',
    ...index,
    annotations: { 'org.opencontainers.image.ref.name': tag },
  });
  return { indexDigest: index.digest, amd64, arm64 };
}

function addToIndex(layout: string, desc: object): void {
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const path = join(layout, 'index.json');
  let index: { schemaVersion: number; manifests: object[] } = { schemaVersion: 2, manifests: [] };
  try {
    index = JSON.parse(readFileSync(path, 'utf8'));
  } catch {}
  index.manifests.push(desc);
  writeFileSync(path, JSON.stringify(index));
}

export function push(layout: string, tag: string, dest: string, extra: string[] = []): void {
  execFileSync(
    'skopeo',
    ['copy', '--quiet', '--dest-tls-verify=false', ...extra, `oci:${layout}:${tag}`, `docker://${dest}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
}

/** An image made by umoci, whose manifests carry no mediaType field; returns its manifest digest. */
export function umociImage(work: string, tag: string): { layout: string; manifestDigest: string } {
  const layout = join(work, 'umoci-layout');
  const rootfs = join(work, 'umoci-rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  execFileSync('umoci', ['init', '--layout', layout]);
  execFileSync('umoci', ['new', '--image', `${layout}:${tag}`]);
  execFileSync('umoci', ['insert', '--image', `${layout}:${tag}`, rootfs, '/']);
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[];
  };
  return { layout, manifestDigest: index.manifests[0]?.digest ?? '' };
}
