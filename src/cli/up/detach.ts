// `podrun up --detach` and `podrun down`: a `podrun serve` in the background for the state directory, started
// in a session of its own (so the terminal's Ctrl-C and hang-up do not reach it) with its output in
// STATE_DIR/serve.log, and stopped with SIGTERM, which makes it stop every pod in the kubelet's order first.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runningServer } from '../../server/podrun.js';
import type { ImagesMode } from '../../server/runtimes.js';
import { ensureStateDir, stateLayout } from '../../server/state-dir.js';

export interface ServeSettings {
  stateDir: string;
  runtime: string;
  images: ImagesMode;
  registriesConf: string;
  imagePullSyncFs: boolean;
  backoffInitial: number;
  backoffMax: number;
  serviceCidr: string;
}

/** Written next to serve.json by `up --detach`: which server it left running, so later commands can say so. */
function markerPath(stateDir: string): string {
  return join(stateDir, 'detached.json');
}

export function serveLog(stateDir: string): string {
  return join(stateDir, 'serve.log');
}

/** Whether the server running on the state dir (pid) is one `podrun up --detach` left there. */
export function startedDetached(stateDir: string, pid: number): boolean {
  try {
    return (JSON.parse(readFileSync(markerPath(stateDir), 'utf8')) as { pid?: number }).pid === pid;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `podrun serve` for the state dir in the background and waits until it serves. Returns its pid. */
export async function startDetachedServe(s: ServeSettings, timeoutMs = 60_000): Promise<number> {
  await ensureStateDir(s.stateDir);
  const log = serveLog(s.stateDir);
  const fd = openSync(log, 'a', 0o600);
  const args = [
    ...process.execArgv,
    process.argv[1]!,
    'serve',
    '--port',
    '0',
    '--state-dir',
    s.stateDir,
    '--runtime',
    s.runtime,
    '--images',
    s.images,
    '--registries-conf',
    s.registriesConf,
    '--backoff-initial',
    `${s.backoffInitial}ms`,
    '--backoff-max',
    `${s.backoffMax}ms`,
    '--service-cidr',
    s.serviceCidr,
    ...(s.imagePullSyncFs ? ['--image-pull-sync-fs'] : []),
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.unref();
  const pid = child.pid ?? 0;
  const layout = stateLayout(s.stateDir);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const running = await runningServer(layout.serveInfo);
    if (running?.pid === pid && existsSync(layout.kubeconfig)) break;
    const tail = () => readFileSync(log, 'utf8').trimEnd().split('\n').slice(-10).join('\n');
    if (exited)
      throw new Error(`the background podrun serve ended (${exited}); the end of ${log}:\n${tail()}`);
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGTERM');
      throw new Error(`the background podrun serve did not start within ${timeoutMs / 1000}s; see ${log}`);
    }
    await sleep(100);
  }
  await writeFile(markerPath(s.stateDir), JSON.stringify({ pid }), { mode: 0o600 });
  return pid;
}

/**
 * Stops the server of the state dir (SIGTERM: its pods stop first) and waits until it has exited. Returns
 * its pid, or undefined when none ran. Throws when it still runs after `timeoutMs`.
 */
export async function stopServe(stateDir: string, timeoutMs: number): Promise<number | undefined> {
  const running = await runningServer(stateLayout(stateDir).serveInfo);
  if (!running) {
    await rm(markerPath(stateDir), { force: true });
    return undefined;
  }
  process.kill(running.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(running.pid)) {
    if (Date.now() > deadline) {
      throw new Error(
        `podrun serve (pid ${running.pid}) still runs ${timeoutMs / 1000}s after SIGTERM: its pods are slow to stop; run podrun down again to wait longer (its log: ${serveLog(stateDir)})`,
      );
    }
    await sleep(200);
  }
  await rm(markerPath(stateDir), { force: true });
  return running.pid;
}
