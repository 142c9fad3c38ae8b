// podrun with the fake runtime: the API server, controllers, scheduler and kubelet exactly as `podrun serve`
// runs them, but containers are records that start and exit at once, so no process, namespace or file of a
// pod's is made. What it spends is podrun's own control plane alone (the host benchmark's part (e)).
// Usage: node --import tsx bench/lib/fake-runtime-child.ts STATE_DIR MAX_PODS
// Writes STATE_DIR/kubeconfig when ready; exits on SIGTERM/SIGINT.
import { FakeRuntime } from '../../src/runtime/fake/fake-runtime.js';
import { startPodrun } from '../../src/server/podrun.js';
import { systemClock } from '../../src/util/clock.js';

const [stateDir, maxPods] = process.argv.slice(2);
if (!stateDir || !maxPods) {
  process.stderr.write('usage: fake-runtime-child.ts STATE_DIR MAX_PODS\n');
  process.exit(2);
}
// The benchmark pod's init containers run `true`: they exit as soon as they start.
const exitAtOnce = { exitAfterMs: 0 };
const podrun = await startPodrun({
  stateDir,
  runtimeService: new FakeRuntime({
    clock: systemClock,
    scripts: { 'init-1': exitAtOnce, 'init-2': exitAtOnce, 'init-3': exitAtOnce },
  }),
  images: 'host',
  maxPods: Number(maxPods),
  log: (m) => process.stderr.write(`${m}\n`),
});
const stop = async () => {
  await podrun.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
