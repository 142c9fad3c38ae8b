// The end of a test that kills and restarts podrun: on success its state directory goes; on a failure midway
// a podrun on the state directory adopts whatever still runs and stops it, and the directory is kept.
import { rmSync } from 'node:fs';
import type { Kubectl } from './kubectl.js';
import { type Serve, startServe } from './serve.js';

export async function endRestartTest(
  stateDir: string,
  state: { serve: Serve | undefined; kubectl: Kubectl | undefined; clean: boolean },
): Promise<void> {
  if (!state.clean) {
    let serve = state.serve;
    if (!serve || serve.child.exitCode !== null || serve.child.signalCode !== null) {
      serve = await startServe({ stateDir }).catch(() => undefined);
    }
    await serve?.stop(90_000).catch(() => serve?.kill9());
    process.stderr.write(`e2e: state dir kept for inspection: ${stateDir}\n`);
  } else {
    rmSync(stateDir, { recursive: true, force: true });
  }
  if (state.kubectl) rmSync(state.kubectl.cacheDir, { recursive: true, force: true });
}
