// Which podrun a benchmark runs: bin/podrun's own choice between the compiled dist/ and the source.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { podrunForm as decide } from '../../bin/dist-current.mjs';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What bin/podrun runs here (bin/dist-current.mjs decides for both). The fake-runtime server follows the
 * same choice, so that every part of a benchmark measures the same code.
 */
export function podrunForm(env: NodeJS.ProcessEnv = process.env): 'dist' | 'source' {
  return decide(REPO_ROOT, env);
}
