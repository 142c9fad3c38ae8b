// The API server's public surface for the wiring in `podrun serve`.
export { bindPod } from './binding.js';
export { ApiError } from './errors.js';
export { createEventRecorder, type EventRecorderOptions, type RecordingEventRecorder } from './events.js';
export { type ApiServer, type ApiServerOptions, startApiServer, writeKubeconfig } from './http/server.js';
export {
  createRegistry,
  type DeleteOptions,
  type ListOptions,
  type PatchOptions,
  Registry,
  type RegistryOptions,
  type WriteOptions,
} from './registry.js';
