// Fixture builders for the image store tests: layer tars made with GNU tar (pax format with xattrs), OCI
// layouts written from them, and hand-made tar headers for archives GNU tar refuses to write.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function sh(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd, input: opts.input });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Sets an xattr (node has no setxattr; python3 does). `value` is hex. */
export function setxattr(path: string, name: string, hexValue: string): void {
  sh('python3', [
    '-c',
    'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3]), follow_symlinks=False)',
    path,
    name,
    hexValue,
  ]);
}

export function getxattr(path: string, name: string): string | undefined {
  const r = spawnSync(
    'python3',
    [
      '-c',
      'import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).hex())',
      path,
      name,
    ],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? r.stdout : undefined;
}

export type Compression = 'gzip' | 'zstd' | 'none';

export interface BuiltLayer {
  /** The blob as stored (compressed or not). */
  blob: Buffer;
  diffID: string;
  mediaType: string;
}

/** Tars `rootDir` (GNU tar, pax, with xattrs, numeric owners) and compresses it. */
export function tarLayer(work: string, rootDir: string, compression: Compression, name: string): BuiltLayer {
  const tarPath = join(work, `${name}.tar`);
  sh('tar', [
    '--xattrs',
    '--xattrs-include=*',
    '--format=pax',
    '--numeric-owner',
    '--sort=name',
    '-C',
    rootDir,
    '-cf',
    tarPath,
    '.',
  ]);
  const plain = readFileSync(tarPath);
  const diffID = sha256(plain);
  if (compression === 'gzip') {
    sh('gzip', ['-n', '-k', '-f', tarPath]);
    return {
      blob: readFileSync(`${tarPath}.gz`),
      diffID,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    };
  }
  if (compression === 'zstd') {
    sh('zstd', ['-q', '-19', '-f', tarPath, '-o', `${tarPath}.zst`]);
    return {
      blob: readFileSync(`${tarPath}.zst`),
      diffID,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
    };
  }
  return { blob: plain, diffID, mediaType: 'application/vnd.oci.image.layer.v1.tar' };
}

export interface Layout {
  dir: string;
  manifestDigest: string;
  configDigest: string;
  layers: BuiltLayer[];
}

function putBlob(dir: string, data: Buffer): string {
  const d = sha256(data);
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(dir, 'blobs', 'sha256', d.slice(7)), data);
  return d;
}

/** Writes an OCI image layout with one image made of `layers`. */
export function writeLayout(
  dir: string,
  layers: BuiltLayer[],
  opts: {
    refName?: string;
    diffIDs?: string[];
    config?: Record<string, unknown>;
    extraIndexAnnotations?: Record<string, string>;
  } = {},
): Layout {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/bin/sh'], ...opts.config },
      rootfs: { type: 'layers', diff_ids: opts.diffIDs ?? layers.map((l) => l.diffID) },
    }),
  );
  const configDigest = putBlob(dir, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: layers.map((l) => ({
        mediaType: l.mediaType,
        digest: putBlob(dir, l.blob),
        size: l.blob.length,
      })),
    }),
  );
  const manifestDigest = putBlob(dir, manifest);
  const annotations: Record<string, string> = { ...opts.extraIndexAnnotations };
  if (opts.refName !== undefined) annotations['org.opencontainers.image.ref.name'] = opts.refName;
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifestDigest,
          size: manifest.length,
          annotations,
        },
      ],
    }),
  );
  return { dir, manifestDigest, configDigest, layers };
}

/** One ustar header block (+ data) for archives GNU tar will not write, e.g. names with "..". */
export function ustarEntry(
  name: string,
  type: string,
  opts: { data?: Buffer; linkname?: string; mode?: number } = {},
): Buffer {
  const data = opts.data ?? Buffer.alloc(0);
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s, off, len, 'utf8');
  const oct = (n: number, off: number, len: number) =>
    put(`${n.toString(8).padStart(len - 1, '0')}\0`, off, len);
  put(name, 0, 100);
  oct(opts.mode ?? 0o644, 100, 8);
  oct(0, 108, 8);
  oct(0, 116, 8);
  oct(type === '0' ? data.length : 0, 124, 12);
  oct(0, 136, 12);
  h.fill(0x20, 148, 156);
  put(type, 156, 1);
  put(opts.linkname ?? '', 157, 100);
  put('ustar\x0000', 257, 8);
  let sum = 0;
  for (const c of h) sum += c;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, type === '0' ? data : Buffer.alloc(0), type === '0' ? pad : Buffer.alloc(0)]);
}

export function ustarArchive(entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}

/**
 * An OCI layout made with umoci from a busybox-static rootfs (images.md §7), tag `t`:
 *   1. bin/busybox, bin/sh and bin/wget -> busybox, opt/lower-file, etc/passwd
 *   2. a whiteout of /bin/wget
 *   3. /opt made opaque, holding opt/upper-file
 *   4. (raw tar) data/file with a hardlink data/file-link, dev/null-copy (char 1:3), data/fifo
 */
export function busyboxLayout(work: string): string {
  const rootfs = join(work, 'bb-rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  mkdirSync(join(rootfs, 'opt'));
  mkdirSync(join(rootfs, 'etc'));
  writeFileSync(join(rootfs, 'bin', 'busybox'), readFileSync('/bin/busybox'), { mode: 0o755 });
  sh('ln', ['-s', 'busybox', join(rootfs, 'bin', 'sh')]);
  sh('ln', ['-s', 'busybox', join(rootfs, 'bin', 'wget')]);
  writeFileSync(join(rootfs, 'opt', 'lower-file'), 'lower\n');
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0::/:/bin/sh\napp:x:1000:1000::/:/bin/sh\n');
  const opt = join(work, 'bb-opt');
  mkdirSync(opt);
  writeFileSync(join(opt, 'upper-file'), 'upper\n');
  const extra = join(work, 'bb-extra');
  mkdirSync(join(extra, 'data'), { recursive: true });
  mkdirSync(join(extra, 'dev'));
  writeFileSync(join(extra, 'data', 'file'), 'linked\n');
  sh('ln', [join(extra, 'data', 'file'), join(extra, 'data', 'file-link')]);
  sh('mknod', [join(extra, 'dev', 'null-copy'), 'c', '1', '3']);
  sh('mkfifo', [join(extra, 'data', 'fifo')]);
  const extraTar = join(work, 'bb-extra.tar');
  sh('tar', ['--format=pax', '--numeric-owner', '-C', extra, '-cf', extraTar, '.']);
  const L = join(work, 'bb-layout');
  sh('umoci', ['init', '--layout', L]);
  sh('umoci', ['new', '--image', `${L}:t`]);
  sh('umoci', ['insert', '--image', `${L}:t`, rootfs, '/']);
  sh('umoci', ['insert', '--image', `${L}:t`, '--whiteout', '/bin/wget']);
  sh('umoci', ['insert', '--image', `${L}:t`, '--opaque', opt, '/opt']);
  sh('umoci', ['raw', 'add-layer', '--image', `${L}:t`, extraTar]);
  sh('umoci', ['config', '--image', `${L}:t`, '--config.entrypoint', '/bin/sh', '--config.user', 'app']);
  return L;
}
