// Manifest and index documents: the media types containerd accepts (core/images/mediatypes.go) and the
// Accept header it sends (all four plus */*; without the OCI types distribution answers 404 for OCI
// images, without the list type it silently answers the amd64 child).
import { digestProblem } from '../digest.js';
import { RegistryError } from './errors.js';

export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
} as const;

export const manifestAccept = [
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.ociIndex,
  '*/*',
].join(', ');

/** containerd's `MaxManifestSize` (4*1048*1048, sic). */
export const maxManifestSize = 4 * 1048 * 1048;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  urls?: string[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

const layerTypes = new Set([
  'application/vnd.docker.image.rootfs.diff.tar.gzip',
  'application/vnd.docker.image.rootfs.diff.tar',
  'application/vnd.docker.image.rootfs.diff.tar.zstd',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  'application/vnd.oci.image.layer.v1.tar',
  'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

export function isLayerMediaType(t: string): boolean {
  return layerTypes.has(t);
}

/**
 * Parses a manifest or index. The kind comes from the Content-Type, else the document's `mediaType`
 * (umoci omits it), else its shape. Schema 1 and unknown types are refused as containerd v2 refuses them.
 */
export function parseManifest(
  body: Buffer,
  contentType: string | undefined,
  where: string,
): ImageIndex | ImageManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new RegistryError('InvalidManifest', `${where}: manifest is not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null)
    throw new RegistryError('InvalidManifest', `${where}: manifest is not a JSON object`);
  const ct = contentType?.split(';')[0]?.trim();
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  let mediaType =
    declared ?? (ct && ct !== 'application/json' && ct !== 'application/octet-stream' ? ct : undefined);
  if (mediaType === undefined)
    mediaType = Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  if (mediaType.startsWith('application/vnd.docker.distribution.manifest.v1')) {
    throw new RegistryError(
      'UnsupportedMediaType',
      `${where}: media type ${JSON.stringify(mediaType)} is no longer supported since containerd v2.0, please rebuild the image as ${JSON.stringify(MediaType.dockerManifest)} or ${JSON.stringify(MediaType.ociManifest)}`,
    );
  }
  if (mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList) {
    if (!Array.isArray(doc.manifests))
      throw new RegistryError('InvalidManifest', `${where}: index has no manifests list`);
    return {
      kind: 'index',
      mediaType,
      manifests: (doc.manifests as unknown[]).map((d, i) => descriptor(d, `${where}: manifests[${i}]`)),
    };
  }
  if (mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest) {
    if (!Array.isArray(doc.layers))
      throw new RegistryError('InvalidManifest', `${where}: manifest has no layers list`);
    return {
      kind: 'manifest',
      mediaType,
      config: descriptor(doc.config, `${where}: config`),
      layers: (doc.layers as unknown[]).map((d, i) => descriptor(d, `${where}: layers[${i}]`)),
    };
  }
  throw new RegistryError(
    'UnsupportedMediaType',
    `${where}: unsupported manifest media type ${JSON.stringify(mediaType)}`,
  );
}

function descriptor(v: unknown, where: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null || typeof d.digest !== 'string' || typeof d.size !== 'number') {
    throw new RegistryError(
      'InvalidManifest',
      `${where}: a descriptor needs a digest string and a size number`,
    );
  }
  // The digest names files and picks the hash: only well-formed sha256/384/512 digests get that far.
  const problem = digestProblem(d.digest);
  if (problem !== undefined) {
    throw new RegistryError('InvalidManifest', `${where}: digest ${JSON.stringify(d.digest)}: ${problem}`);
  }
  if (!Number.isSafeInteger(d.size) || d.size < 0) {
    throw new RegistryError('InvalidManifest', `${where}: size ${d.size} is not a byte count`);
  }
  return { ...d, mediaType: typeof d.mediaType === 'string' ? d.mediaType : '' } as Descriptor;
}
