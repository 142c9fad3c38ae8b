// Small real images for tests, written as an OCI layout under a temp dir: layers from files given inline (and
// optionally the host's static busybox with all its applets), whiteouts, and an image config.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256, writeBlob } from '../images/registry-fixtures.js';

export interface LayerSpec {
  /** Path (relative, no leading slash) → content. */
  files?: Record<string, string>;
  /** /bin/busybox (busybox-static) with a link per applet in /bin. */
  busybox?: boolean;
  /** Paths deleted from lower layers (written as `.wh.<name>`). */
  whiteouts?: string[];
}

export interface LayoutImageSpec {
  /** The `org.opencontainers.image.ref.name` annotation: a full name (`example.com/app:1`). */
  name: string;
  layers: LayerSpec[];
  /** The image config's `config` (Entrypoint, Cmd, Env, User, WorkingDir, Volumes…). */
  config?: Record<string, unknown>;
}

let seq = 0;

function layerTar(work: string, spec: LayerSpec): Buffer {
  const root = join(work, `layer-${process.pid}-${seq++}`);
  mkdirSync(root, { recursive: true });
  if (spec.busybox) {
    mkdirSync(join(root, 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'));
    const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    for (const a of applets) {
      if (a !== 'busybox' && !existsSync(join(root, 'bin', a))) symlinkSync('busybox', join(root, 'bin', a));
    }
  }
  for (const [path, content] of Object.entries(spec.files ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const path of spec.whiteouts ?? []) {
    const dir = dirname(path);
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, `.wh.${path.slice(dir === '.' ? 0 : dir.length + 1)}`), '');
  }
  const tarPath = `${root}.tar`;
  execFileSync('tar', [
    '--sort=name',
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '--mtime=@0',
    '-C',
    root,
    '-cf',
    tarPath,
    '.',
  ]);
  return readFileSync(tarPath);
}

/** Writes the images into the OCI layout at `layout` (created or added to). */
export function buildLayout(layout: string, work: string, images: LayoutImageSpec[]): void {
  mkdirSync(layout, { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const indexPath = join(layout, 'index.json');
  const index = existsSync(indexPath)
    ? (JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: unknown[] })
    : { schemaVersion: 2, manifests: [] as unknown[] };
  for (const image of images) {
    const layers = image.layers.map((l) => {
      const tar = layerTar(work, l);
      return { diffId: sha256(tar), blob: writeBlob(layout, gzipSync(tar, { level: 1 })) };
    });
    const config = writeBlob(
      layout,
      JSON.stringify({
        architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
        os: 'linux',
        config: image.config ?? {},
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      }),
    );
    const manifest = writeBlob(
      layout,
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l.blob })),
      }),
    );
    index.manifests.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      annotations: { 'org.opencontainers.image.ref.name': image.name },
    });
  }
  writeFileSync(indexPath, JSON.stringify(index));
}
