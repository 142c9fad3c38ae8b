// The kubelet's volume manager and what callers need with it.
export { DATA_DIR_NAME } from './atomic-writer.js';
export { VolumeError, type VolumeFailure } from './errors.js';
export { VolumeManager, type VolumeManagerOptions } from './manager.js';
export { podVolumesDir, volumeDir } from './paths.js';
