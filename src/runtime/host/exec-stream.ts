// Streaming exec (`kubectl exec`): the shim's `execstream` mode runs the command in the container's
// namespaces with this process's pipes as its stdio (or a pseudo-terminal the shim relays), and a socket on
// fd 3 that carries the request in, the resize records in, and the start report and exit code out.
//
// One such shim is kept started ahead (ExecShims): perl's start and the shim's compilation (most of an exec's
// cost on the server, several ms) happen before the request, and the request only writes its spec. The spare
// has every stdio as a pipe; what a request does not use is closed or drained (an exec without stdin gets
// /dev/null from the shim, as when the pipe was not made).

import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Duplex } from 'node:stream';
import { type ContainerStream, RuntimeError, type StreamOptions, type TerminalSize } from '../types.js';
import { imageProcessEntries } from './image-container.js';
import { resolveCommand } from './mounts.js';
import type { ContainerRecord } from './records.js';
import { processEntries } from './request-specs.js';
import { encodeSpec, type SpecEntry, syscallEntries } from './spec.js';

/** How a cluster words an exec that could not start (containerd through the kubelet). */
export function execStartError(containerId: string, why: string): RuntimeError {
  return new RuntimeError(
    'RunContainerError',
    `error executing command in container: failed to exec in container: failed to start exec "${containerId}": OCI runtime exec failed: exec failed: unable to start container process: ${why}: unknown`,
  );
}

function streamSpec(
  rec: ContainerRecord,
  hostname: string | undefined,
  cmd: string[],
  tty: boolean,
  stdin: boolean,
  size: TerminalSize | undefined,
): string {
  const target = ['pid', String(rec.pid)] as const;
  const extra: SpecEntry[] = tty ? [['tty', '1']] : stdin ? [] : [['nostdin', '1']];
  if (tty && size && size.width >= 1 && size.height >= 1) {
    extra.push(['rows', String(Math.floor(size.height))], ['cols', String(Math.floor(size.width))]);
  }
  if (rec.image) return encodeSpec([...syscallEntries(), target, ...extra, ...imageProcessEntries(rec, cmd)]);
  const found = resolveCommand(
    cmd[0] ?? '',
    rec.config.envs,
    rec.config.workingDir || '/',
    rec.config.mounts,
  );
  if (!found.ok) throw execStartError(rec.id, found.message);
  return encodeSpec([
    ...syscallEntries(),
    target,
    ...extra,
    ...processEntries(rec, hostname, found.path, cmd),
  ]);
}

/** A shim in execstream mode started ahead, waiting for its spec on fd 3; one is kept ready. */
export class ExecShims {
  #spare: ChildProcess | undefined;
  #closed = false;

  constructor(
    readonly perl: string,
    readonly shim: string,
  ) {}

  /** A started shim for one exec (the spare when there is a live one); a new spare follows its end. */
  take(): ChildProcess {
    const spare = this.#spare;
    this.#spare = undefined;
    const child = spare && spare.exitCode === null && spare.signalCode === null ? spare : this.#spawn();
    // The next spare is made once this exec is over: its fork and perl's start would otherwise compete with
    // this exec for the CPU.
    child.once('close', () => this.#refill());
    return child;
  }

  /** Ends the spare (its fd 3 closing would end it too: the shim exits when nothing comes). */
  close(): void {
    this.#closed = true;
    this.#spare?.kill('SIGKILL');
    this.#spare = undefined;
  }

  #refill(): void {
    if (this.#closed || this.#spare) return;
    const spare = this.#spawn();
    spare.once('exit', () => {
      if (this.#spare === spare) this.#spare = undefined;
    });
    // An idle spare must not keep podrun's event loop alive.
    spare.unref();
    for (const s of spare.stdio) (s as (Duplex & { unref?: () => void }) | null)?.unref?.();
    this.#spare = spare;
  }

  #spawn(): ChildProcess {
    const child = spawn(this.perl, [this.shim, 'execstream'], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      env: {},
    });
    child.on('error', () => {});
    return child;
  }
}

/** Starts `cmd` in the running container `rec`; resolves once it runs, rejects when it cannot start. */
export function startExecStream(
  shims: ExecShims,
  rec: ContainerRecord,
  hostname: string | undefined,
  cmd: string[],
  options: StreamOptions,
): Promise<ContainerStream> {
  const spec = streamSpec(rec, hostname, cmd, options.tty, options.stdin, options.size);
  const child = shims.take();
  // A spare was unreferenced while idle: this exec's lifetime is the event loop's business again.
  child.ref();
  for (const s of child.stdio) (s as (Duplex & { ref?: () => void }) | null)?.ref?.();
  if (!options.stdin) child.stdin?.end();
  // Under a terminal the command's output is the pty's, on stdout; the shim's stderr carries nothing for us.
  if (options.tty) child.stderr?.resume();
  const ctl = child.stdio[3] as Duplex;
  ctl.on('error', () => {});
  child.stdin?.on('error', () => {});
  const payload = Buffer.from(spec, 'utf8');
  ctl.write(`${payload.length}\n`);
  ctl.write(payload);

  let exitCode: number | undefined;
  let report = '';
  let started = false;
  return new Promise<ContainerStream>((resolve, reject) => {
    let settleStart: ((why?: string) => void) | undefined = (why?: string) => {
      settleStart = undefined;
      if (why !== undefined) {
        reject(execStartError(rec.id, why));
        return;
      }
      started = true;
      resolve(stream);
    };
    let reported: ((code: number) => void) | undefined;
    const done = new Promise<number | undefined>((resolveDone) => {
      // The shim's report is the end: its own exit (perl tearing down) comes after and adds nothing.
      reported = resolveDone;
      child.on('close', (code, signal) => {
        if (!started)
          settleStart?.(report.trim() || `the shim ended (${signal ?? code}) before the command ran`);
        resolveDone(exitCode ?? (signal ? 128 + signalNumber(signal) : (code ?? 1)));
      });
    });
    child.on('error', (e) => settleStart?.(`cannot run ${shims.perl}: ${e.message}`));
    ctl.setEncoding('utf8');
    ctl.on('data', (text: string) => {
      report += text;
      for (;;) {
        const nl = report.indexOf('\n');
        if (nl < 0) break;
        const line = report.slice(0, nl);
        report = report.slice(nl + 1);
        if (line === 'ok') settleStart?.();
        else if (line.startsWith('err ')) settleStart?.(line.slice(4));
        else if (line.startsWith('exit ')) {
          exitCode = Number(line.slice(5));
          reported?.(exitCode);
        }
      }
    });
    const stream: ContainerStream = {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: options.tty ? null : child.stderr,
      resize(size: TerminalSize) {
        if (!options.tty || size.width < 1 || size.height < 1) return;
        ctl.write(`${Math.floor(size.height)} ${Math.floor(size.width)}\n`);
      },
      done,
      close() {
        // The shim SIGKILLs the command on SIGTERM.
        // Not once the shim has reported the end: it is exiting on its own, its command already reaped.
        if (exitCode === undefined && child.exitCode === null && child.signalCode === null)
          child.kill('SIGTERM');
      },
    };
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 9;
}
