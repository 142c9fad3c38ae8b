export { type ContainerInstance, ProberManager, type ProberManagerDeps } from './manager.js';
export { INITIAL_RESULT, probeTiming } from './spec.js';
