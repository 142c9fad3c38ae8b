// The shim's source: podrun-shim.pl beside this module, read where the module is (src/ under tsx, dist/ in the
// built package, where `npm run build` copies it next to the compiled JS). The runtime writes it to
// `<stateDir>/bin/podrun-shim.pl` at start-up.

import { readFileSync } from 'node:fs';
import { RuntimeError } from '../types.js';

const SHIM_URL = new URL('./podrun-shim.pl', import.meta.url);
let cached: string | undefined;

export function shimSource(): string {
  if (cached === undefined) {
    try {
      cached = readFileSync(SHIM_URL, 'utf8');
    } catch (e) {
      throw new RuntimeError(
        'Unsupported',
        `the host runtime's shim ${SHIM_URL.pathname} cannot be read (${(e as Error).message}): this podrun is incomplete; rebuild it with \`npm run build\`, or reinstall it`,
      );
    }
  }
  return cached;
}
