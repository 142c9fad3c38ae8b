// npm run build: compiles src/ into dist/ (tsconfig.build.json), copies the Perl shim beside the module that
// loads it, then stamps dist/ with the sources as they were when the build started (size and time of each), so
// that bin/podrun knows whether dist/ is current (bin/dist-current.mjs). A failed build leaves no stamp:
// bin/podrun then runs the source.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_STAMP, sourceManifest } from '../bin/dist-current.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', BUILD_STAMP);
// Taken before compiling: a source file changed while tsc runs makes the stamp stale, not the other way.
const sources = sourceManifest(root);
rmSync(stamp, { force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
const shim = join('runtime', 'host', 'podrun-shim.pl');
mkdirSync(dirname(join(root, 'dist', shim)), { recursive: true });
copyFileSync(join(root, 'src', shim), join(root, 'dist', shim));
writeFileSync(stamp, `${JSON.stringify({ sources })}\n`);
