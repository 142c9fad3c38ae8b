// Which podrun a benchmark runs: bin/podrun's own choice between the compiled dist/ and the source.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { distIsCurrent } from '../../bin/dist-current.mjs';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What bin/podrun runs here, decided as it decides: the compiled dist/ when it is current (or PODRUN_USE_DIST
 * is set), else the TypeScript source through tsx (also when PODRUN_FROM_SOURCE is set). The fake-runtime
 * server follows the same choice, so that every part of a benchmark measures the same code.
 */
export function podrunForm(env: NodeJS.ProcessEnv = process.env): 'dist' | 'source' {
  if (env.PODRUN_USE_DIST) return 'dist';
  if (env.PODRUN_FROM_SOURCE) return 'source';
  if (!existsSync(join(REPO_ROOT, 'src', 'cli', 'main.ts'))) return 'dist';
  const built = existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'));
  return built && distIsCurrent(REPO_ROOT) ? 'dist' : 'source';
}
