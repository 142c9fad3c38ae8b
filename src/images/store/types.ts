// The image documents the store keeps (image-spec manifest and config, and Docker's schema2 equivalents), with
// the checks that turn a bad document into an error naming the field.
import { checkDigest, StoreError } from './digest.js';

export const mediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerZstd: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
} as const;

const layerTypes = new Set<string>([
  mediaTypes.ociLayer,
  mediaTypes.ociLayerGzip,
  mediaTypes.ociLayerZstd,
  mediaTypes.dockerLayer,
  mediaTypes.dockerLayerGzip,
  mediaTypes.dockerLayerZstd,
  // Foreign (non-distributable) layers are still tar layers once present.
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
]);

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

/** The parts of the image config podrun uses; the rest is kept as stored. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Volumes?: Record<string, object> | null;
    StopSignal?: string;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, object> | null;
  };
  rootfs: { type: string; diff_ids: string[] };
  [key: string]: unknown;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseJSON(data: Buffer, what: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new StoreError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

export function checkDescriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw new StoreError(`${where}: not an object`);
  checkDigest(v.digest, `${where}.digest`);
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) {
    throw new StoreError(`${where}.size: ${JSON.stringify(v.size)} is not a byte count`);
  }
  if (v.mediaType !== undefined && typeof v.mediaType !== 'string')
    throw new StoreError(`${where}.mediaType: not a string`);
  return v as unknown as Descriptor;
}

export function parseManifest(data: Buffer, what: string): Manifest {
  const v = parseJSON(data, what);
  if (!isObject(v)) throw new StoreError(`${what}: not a JSON object`);
  if (v.schemaVersion !== 2) {
    throw new StoreError(
      `${what}.schemaVersion: ${JSON.stringify(v.schemaVersion)} is not supported (want 2; schema1 images are refused)`,
    );
  }
  if (
    v.mediaType !== undefined &&
    v.mediaType !== mediaTypes.ociManifest &&
    v.mediaType !== mediaTypes.dockerManifest
  ) {
    throw new StoreError(`${what}.mediaType: ${JSON.stringify(v.mediaType)} is not an image manifest`);
  }
  const config = checkDescriptor(v.config, `${what}.config`);
  if (config.mediaType !== mediaTypes.ociConfig && config.mediaType !== mediaTypes.dockerConfig) {
    throw new StoreError(
      `${what}.config.mediaType: ${JSON.stringify(config.mediaType)} is not an image config type`,
    );
  }
  if (!Array.isArray(v.layers)) throw new StoreError(`${what}.layers: not a list`);
  v.layers.forEach((l, i) => {
    const d = checkDescriptor(l, `${what}.layers[${i}]`);
    if (!layerTypes.has(d.mediaType)) {
      throw new StoreError(
        `${what}.layers[${i}].mediaType: ${JSON.stringify(d.mediaType)} is not a tar layer type`,
      );
    }
  });
  return v as unknown as Manifest;
}

export function parseIndex(data: Buffer, what: string): Index {
  const v = parseJSON(data, what);
  if (!isObject(v) || !Array.isArray(v.manifests))
    throw new StoreError(`${what}: not an image index (no "manifests" list)`);
  for (const [i, m] of v.manifests.entries()) checkDescriptor(m, `${what}.manifests[${i}]`);
  return v as unknown as Index;
}

export function parseConfig(data: Buffer, what: string): ImageConfig {
  const v = parseJSON(data, what);
  if (!isObject(v)) throw new StoreError(`${what}: not a JSON object`);
  const rootfs = v.rootfs;
  if (!isObject(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw new StoreError(`${what}.rootfs: want {"type":"layers","diff_ids":[...]}`);
  }
  for (const [i, d] of rootfs.diff_ids.entries()) checkDigest(d, `${what}.rootfs.diff_ids[${i}]`);
  if (v.config !== undefined && v.config !== null && !isObject(v.config))
    throw new StoreError(`${what}.config: not an object`);
  return v as unknown as ImageConfig;
}
