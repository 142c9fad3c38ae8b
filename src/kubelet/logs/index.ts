export {
  CriLineSplitter,
  type CriLogMessage,
  formatCriLogLine,
  formatCriTime,
  type LogStream,
  MAX_CRI_LINE_BYTES,
  parseCriLine,
  parseCriTime,
} from './cri.js';
export { LogManager, type LogManagerDeps, runtimeContainerId } from './manager.js';
export { containerLogPath, podLogDirectory, rotatedLogPath } from './paths.js';
export { type FollowHooks, type ReadLogOptions, readLogs } from './reader.js';
export { removeContainerLogs } from './remove.js';
export { type LogTarget, selectLogTarget } from './select.js';
