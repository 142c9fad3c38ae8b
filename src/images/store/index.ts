// The local image store's entry points (see docs/images.md, "The local store").
export { BlobStore, BlobWriter } from './blobs.js';
export { chainIDs, StoreError, sha256Of } from './digest.js';
export { type LayerRecord, type LayerSource, LayerStore } from './layers.js';
export { type LoadOptions, loadArchive } from './load.js';
export { type Normalizer, type ParsedRef, parseRef } from './names.js';
export {
  lowerDirs,
  mountRootfs,
  type PreparedRootfs,
  prepareRootfs,
  type RootfsMount,
  unmountRootfs,
  volatileOption,
} from './rootfs.js';
export {
  type AddImageOptions,
  type GcResult,
  type ImageRecord,
  ImageStore,
  type RemoveResult,
  type StoreOptions,
  type Usage,
} from './store.js';
export type { Descriptor, ImageConfig, Manifest } from './types.js';
export { mediaTypes } from './types.js';
export { defaultUnpackLimits, type UnpackLimits } from './unpack.js';
