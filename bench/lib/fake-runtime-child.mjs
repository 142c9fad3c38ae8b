// podrun with the fake runtime: the API server, controllers, scheduler and kubelet exactly as `podrun serve`
// runs them, but containers are records that start and exit at once, so no process, namespace or file of a
// pod's is made. What it spends is podrun's own control plane alone (the host benchmark's part (e)).
// Plain JavaScript, so that it runs the compiled dist/ without tsx's loader, as bin/podrun does when dist/ is
// current; given `src`, it is started with `--import tsx` and runs the TypeScript.
// Usage: node [--import tsx] bench/lib/fake-runtime-child.mjs STATE_DIR MAX_PODS dist|src
// Writes STATE_DIR/kubeconfig when ready; exits on SIGTERM/SIGINT.
const [stateDir, maxPods, from] = process.argv.slice(2);
if (!stateDir || !maxPods || (from !== 'dist' && from !== 'src')) {
  process.stderr.write('usage: fake-runtime-child.mjs STATE_DIR MAX_PODS dist|src\n');
  process.exit(2);
}
const base = new URL(`../../${from}/`, import.meta.url);
const { FakeRuntime } = await import(new URL('runtime/fake/fake-runtime.js', base).href);
const { startPodrun } = await import(new URL('server/podrun.js', base).href);
const { systemClock } = await import(new URL('util/clock.js', base).href);
const { kubeDnsIP } = await import(new URL('apiserver/service-ip/config.js', base).href);

// The benchmark pod's init containers run `true`: they exit as soon as they start.
const exitAtOnce = { exitAfterMs: 0 };
const podrun = await startPodrun({
  stateDir,
  runtimeService: new FakeRuntime({
    clock: systemClock,
    scripts: { 'init-1': exitAtOnce, 'init-2': exitAtOnce, 'init-3': exitAtOnce },
  }),
  images: 'host',
  // As `podrun serve` on the host runtime, whose cluster DNS runs: ClusterFirst pods get it. Without one,
  // every container start would record MissingClusterDNS (on the pod and the node), writes the host run
  // never makes.
  clusterDNS: [kubeDnsIP()],
  maxPods: Number(maxPods),
  log: (m) => process.stderr.write(`${m}\n`),
});
const stop = async () => {
  await podrun.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
