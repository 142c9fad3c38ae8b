// Streaming exec (`kubectl exec`): the shim's `execstream` mode runs the command in the container's
// namespaces with this process's pipes as its stdio (or a pseudo-terminal the shim relays), and a socket on
// fd 3 that carries the request in, the resize records in, and the start report and exit code out.

import { spawn } from 'node:child_process';
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
  size: TerminalSize | undefined,
): string {
  const target = ['pid', String(rec.pid)] as const;
  const extra: SpecEntry[] = tty ? [['tty', '1']] : [];
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

/** Starts `cmd` in the running container `rec`; resolves once it runs, rejects when it cannot start. */
export function startExecStream(
  perl: string,
  shim: string,
  rec: ContainerRecord,
  hostname: string | undefined,
  cmd: string[],
  options: StreamOptions,
): Promise<ContainerStream> {
  const spec = streamSpec(rec, hostname, cmd, options.tty, options.size);
  const child = spawn(perl, [shim, 'execstream'], {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', options.tty ? 'ignore' : 'pipe', 'pipe'],
    env: {},
  });
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
    const done = new Promise<number | undefined>((resolveDone) => {
      child.on('close', (code, signal) => {
        if (!started)
          settleStart?.(report.trim() || `the shim ended (${signal ?? code}) before the command ran`);
        resolveDone(exitCode ?? (signal ? 128 + signalNumber(signal) : (code ?? 1)));
      });
    });
    child.on('error', (e) => settleStart?.(`cannot run ${perl}: ${e.message}`));
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
        else if (line.startsWith('exit ')) exitCode = Number(line.slice(5));
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
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      },
    };
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 9;
}
