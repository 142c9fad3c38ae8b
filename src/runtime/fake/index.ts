export type { FakeImageOptions } from './fake-images.js';
export {
  type FakeBehaviour,
  type FakeCall,
  type FakeCallOp,
  type FakeProcess,
  FakeRuntime,
  type FakeRuntimeOptions,
  type FakeScript,
  type FakeScriptContext,
} from './fake-runtime.js';
