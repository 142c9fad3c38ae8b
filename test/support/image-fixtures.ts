// Small real images for runtime tests, built offline under a temp dir: OCI layouts whose layers are made from
// /bin/busybox (busybox-static) with GNU tar, each layout holding one image named by its
// `io.containerd.image.name` annotation (what containerd's import and podrun's loadImage name it by).
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ImageProcessConfig } from '../../src/runtime/image-process.js';
import { sha256, writeBlob } from '../images/registry-fixtures.js';

/** The `config` of an OCI image config, as far as a runtime reads it. */
export type ImageConfigFields = ImageProcessConfig;

export interface ImageFixture {
  /** An OCI image layout directory (oci-layout, index.json, blobs/sha256/…) holding this image alone. */
  layout: string;
  /** The reference the layout names it by (`conformance/app:1`), as written (not normalised). */
  name: string;
  /** The image id: `sha256:<digest of the config blob>`. */
  id: string;
  manifestDigest: string;
  /** The image config's `config` (Entrypoint, Cmd, Env, User, WorkingDir, Volumes). */
  config: ImageConfigFields;
  /** containerd's size of an image: the config, the manifest and the compressed layers. */
  size: number;
  layers: number;
}

/** Fills a layer's directory. */
export type LayerWriter = (dir: string) => void;

const goArch = (): string =>
  ({ x64: 'amd64', arm64: 'arm64', ia32: '386' })[process.arch as string] ?? process.arch;

/** Writes an OCI layout at `<work>/<slug>-layout` with one image of these layers (lowest first) and config. */
export function buildImage(
  work: string,
  name: string,
  config: ImageConfigFields,
  layers: LayerWriter[],
): ImageFixture {
  const slug = name.replace(/[^a-z0-9]+/g, '-');
  const layout = join(work, `${slug}-layout`);
  const layerDescs: { mediaType: string; digest: string; size: number }[] = [];
  const diffIds: string[] = [];
  layers.forEach((write, i) => {
    const dir = join(work, `${slug}-layer${i}`);
    mkdirSync(dir, { recursive: true });
    write(dir);
    const tarPath = `${dir}.tar`;
    execFileSync('tar', [
      '--sort=name',
      '--numeric-owner',
      '--mtime=@0',
      '--format=pax',
      '-C',
      dir,
      '-cf',
      tarPath,
      '.',
    ]);
    const tar = readFileSync(tarPath);
    diffIds.push(sha256(tar));
    const blob = writeBlob(layout, gzipSync(tar, { level: 1 }));
    layerDescs.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...blob });
  });
  const configBlob = writeBlob(
    layout,
    JSON.stringify({
      architecture: goArch(),
      os: 'linux',
      config,
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const manifest = writeBlob(
    layout,
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
      layers: layerDescs,
    }),
  );
  const tag = name.slice(name.lastIndexOf(':') + 1);
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return {
    layout,
    name,
    id: configBlob.digest,
    manifestDigest: manifest.digest,
    config,
    size: configBlob.size + manifest.size + layerDescs.reduce((n, l) => n + l.size, 0),
    layers: layerDescs.length,
  };
}

/** What a layout says of its one image: name, id and config, read from its index, manifest and config blobs. */
export function readLayoutImage(layout: string): {
  name: string;
  id: string;
  config: ImageConfigFields;
  size: number;
} {
  const blob = (digest: string) =>
    readFileSync(join(layout, 'blobs', 'sha256', digest.slice('sha256:'.length)));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: { digest: string; size: number; annotations?: Record<string, string> }[];
  };
  const desc = index.manifests[0];
  if (!desc) throw new Error(`${layout}/index.json lists no image`);
  const name =
    desc.annotations?.['io.containerd.image.name'] ?? desc.annotations?.['org.opencontainers.image.ref.name'];
  if (!name) throw new Error(`${layout}/index.json: the image has no name annotation`);
  const manifest = JSON.parse(blob(desc.digest).toString('utf8')) as {
    config: { digest: string; size: number };
    layers: { size: number }[];
  };
  const config = JSON.parse(blob(manifest.config.digest).toString('utf8')) as { config?: ImageConfigFields };
  return {
    name,
    id: manifest.config.digest,
    config: config.config ?? {},
    size: manifest.config.size + desc.size + manifest.layers.reduce((n, l) => n + l.size, 0),
  };
}

/** bin/busybox with a link for each of its applets, and the directories a process expects. */
export function busyboxRoot(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  const applets = execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) if (applet !== 'busybox') symlinkSync('busybox', join(dir, 'bin', applet));
  for (const d of ['etc', 'root', 'tmp', 'proc', 'sys', 'dev']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
}

/** The user `app` (uid 1000, gid 1000, member of `extra` 2000) with its home /home/app. */
export function appUser(dir: string): void {
  writeFileSync(
    join(dir, 'etc', 'passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n',
  );
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:app\n');
  mkdirSync(join(dir, 'home', 'app'), { recursive: true });
  chownSync(join(dir, 'home', 'app'), 1000, 1000);
}

/**
 * `conformance/app:1`: busybox, the user `app`, and a config with every field a runtime applies:
 * Entrypoint `/bin/echo entrypoint`, Cmd `from-cmd`, Env (PATH replaced, two more), User `app`,
 * WorkingDir `/home/app`, Volumes `/data` (holding `seed.txt` in the image).
 */
export function appImage(work: string): ImageFixture {
  return buildImage(
    work,
    'conformance/app:1',
    {
      Entrypoint: ['/bin/echo', 'entrypoint'],
      Cmd: ['from-cmd'],
      Env: ['PATH=/bin:/usr/bin', 'IMAGE_ONLY=image', 'SHARED=image'],
      User: 'app',
      WorkingDir: '/home/app',
      Volumes: { '/data': {} },
    },
    [
      (dir) => {
        busyboxRoot(dir);
        appUser(dir);
        mkdirSync(join(dir, 'data'));
        writeFileSync(join(dir, 'data', 'seed.txt'), 'seeded by the image\n');
      },
    ],
  );
}

/**
 * `conformance/layered:1`: two layers; the lower one has /etc/kept and /etc/removed, the upper one whites out
 * /etc/removed (`etc/.wh.removed`) and adds /etc/upper. Its config has no Entrypoint and no Cmd.
 */
export function layeredImage(work: string): ImageFixture {
  return buildImage(work, 'conformance/layered:1', { Env: ['PATH=/bin'] }, [
    (dir) => {
      busyboxRoot(dir);
      writeFileSync(join(dir, 'etc', 'kept'), 'kept\n');
      writeFileSync(join(dir, 'etc', 'removed'), 'removed\n');
    },
    (dir) => {
      mkdirSync(join(dir, 'etc'), { recursive: true });
      writeFileSync(join(dir, 'etc', '.wh.removed'), '');
      writeFileSync(join(dir, 'etc', 'upper'), 'upper\n');
    },
  ]);
}

/**
 * `conformance/removable:1`: busybox with User `1000` (numeric: ImageStatus reports uid 1000) and Cmd
 * `/bin/true`, for cases that remove their image.
 */
export function removableImage(work: string): ImageFixture {
  return buildImage(work, 'conformance/removable:1', { Cmd: ['/bin/true'], User: '1000' }, [busyboxRoot]);
}
