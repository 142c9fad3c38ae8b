export {
  type FakeBehaviour,
  type FakeCall,
  type FakeCallOp,
  FakeRuntime,
  type FakeRuntimeOptions,
  type FakeScript,
  type FakeScriptContext,
} from './fake-runtime.js';
