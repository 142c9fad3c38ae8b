// Picks the runtime by name. Only this file knows which runtimes exist.
import { createHostRuntime } from '../runtime/host/index.js';
import type { RuntimeService } from '../runtime/types.js';
import type { Clock } from '../util/clock.js';

export type RuntimeName = 'host' | 'docker';
export const RUNTIME_NAMES: readonly RuntimeName[] = ['host', 'docker'];

export class RuntimeUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeUnavailableError';
  }
}

export async function openRuntime(
  name: RuntimeName,
  stateDir: string,
  clock: Clock,
  log: (message: string) => void,
): Promise<RuntimeService> {
  switch (name) {
    case 'host':
      return createHostRuntime({ stateDir, clock, log: (m) => log(`host runtime: ${m}`) });
    case 'docker':
      throw new RuntimeUnavailableError(
        'the docker runtime is not part of this version of podrun yet; use --runtime host (the default)',
      );
  }
}
