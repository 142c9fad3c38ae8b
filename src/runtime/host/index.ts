// The host runtime: podrun's embedded default. Pods are Linux processes in per-pod namespaces on the host's
// filesystem, started by a small per-container Perl shim; no daemon. See docs/host-runtime.md.

import type { Clock } from '../../util/clock.js';
import { RuntimeError, type RuntimeService } from '../types.js';
import { HostRuntime, type HostRuntimeOptions } from './runtime.js';
import { checkHostRuntimeSupport } from './support.js';

export type { HostRuntimeOptions } from './runtime.js';
export { checkHostRuntimeSupport, type SupportResult } from './support.js';

/**
 * Creates the host runtime over `stateDir`. Re-reads the state a previous podrun left there: containers still
 * running are found again, and those that exited meanwhile report their real exit status.
 */
export async function createHostRuntime(
  options: { stateDir: string; podCidr?: string; clock?: Clock } & Partial<HostRuntimeOptions>,
): Promise<RuntimeService> {
  const support = await checkHostRuntimeSupport(options.perlPath);
  if (!support.ok) throw new RuntimeError('Unsupported', `${support.problem}: ${support.hint}`);
  const runtime = new HostRuntime(options);
  await runtime.init();
  return runtime;
}
