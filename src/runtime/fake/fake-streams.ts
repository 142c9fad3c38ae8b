// The fake runtime's streaming exec and attach. Exec runs a test's handler (FakeRuntimeOptions.execStream)
// with the client's streams, or answers from the execSync handler; attach joins a per-container hub that a
// test writes output into (FakeRuntime.emitOutput) and reads the stdin it got from.

import { PassThrough, Writable } from 'node:stream';
import type { ContainerStream, ExecResult, StreamOptions, TerminalSize } from '../types.js';
import type { FakeExecIO } from './fake-types.js';

export type FakeExecHandler = (
  containerName: string,
  cmd: string[],
  io: FakeExecIO,
) => number | Promise<number>;

/** Starts a fake exec. The handler may throw a RuntimeError, which is a command that cannot start. */
export async function fakeExec(
  name: string,
  cmd: string[],
  options: StreamOptions,
  handler: FakeExecHandler | undefined,
  execSync: (name: string, cmd: string[]) => Promise<ExecResult>,
): Promise<ContainerStream> {
  const stdin = options.stdin ? new PassThrough() : null;
  const stdout = new PassThrough();
  const stderr = options.tty ? null : new PassThrough();
  const resizes: TerminalSize[] = options.tty && options.size ? [options.size] : [];
  const abort = new AbortController();
  const io: FakeExecIO = {
    stdin,
    stdout,
    stderr: stderr ?? stdout,
    tty: options.tty,
    resizes,
    signal: abort.signal,
  };
  const run = handler
    ? Promise.resolve().then(() => handler(name, cmd, io))
    : execSync(name, cmd).then((r) => {
        stdout.write(r.stdout);
        (stderr ?? stdout).write(r.stderr);
        return r.exitCode;
      });
  // A handler that fails before the next turn of the event loop is a command that could not start.
  let failure: { error: unknown } | undefined;
  run.catch((error: unknown) => {
    failure ??= { error };
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (failure) throw failure.error;
  // close() is a SIGKILL: the exec ends with 137 whatever the handler does.
  const killed = new Promise<number>((resolve) => abort.signal.addEventListener('abort', () => resolve(137)));
  const done = Promise.race([run.catch(() => 137), killed]).then((code) => {
    stdout.end();
    stderr?.end();
    return code;
  });
  return {
    stdin,
    stdout,
    stderr,
    resize(size) {
      if (options.tty && size.width >= 1 && size.height >= 1) resizes.push(size);
    },
    done,
    close() {
      abort.abort();
    },
  };
}

/** One container's attach side: output goes to every attachment; stdin is kept for the test to read. */
export class FakeAttachHub {
  readonly stdin: Buffer[] = [];
  stdinClosed = false;
  readonly resizes: TerminalSize[] = [];
  readonly #clients = new Set<{ stdout: PassThrough | null; stderr: PassThrough | null; end: () => void }>();

  constructor(
    readonly acceptsStdin: boolean,
    readonly tty: boolean,
  ) {}

  emit(stream: 'stdout' | 'stderr', data: string | Buffer): void {
    for (const c of this.#clients) {
      const out = stream === 'stdout' || this.tty ? c.stdout : c.stderr;
      out?.write(data);
    }
  }

  /** The container exited: every attachment ends. */
  end(): void {
    for (const c of [...this.#clients]) c.end();
  }

  attach(options: StreamOptions): ContainerStream {
    const stdout = options.stdout ? new PassThrough() : null;
    const stderr = options.stderr && !this.tty ? new PassThrough() : null;
    let finish: (v: undefined) => void = () => {};
    const done = new Promise<undefined>((resolve) => {
      finish = resolve;
    });
    const client = {
      stdout,
      stderr,
      end: () => {
        this.#clients.delete(client);
        stdout?.end();
        stderr?.end();
        finish(undefined);
      },
    };
    this.#clients.add(client);
    const stdin =
      options.stdin && this.acceptsStdin
        ? new Writable({
            write: (chunk: Buffer, _enc, cb) => {
              this.stdin.push(Buffer.from(chunk));
              cb();
            },
            final: (cb) => {
              this.stdinClosed = true;
              cb();
            },
          })
        : null;
    return {
      stdin,
      stdout,
      stderr,
      resize: (size) => {
        if (this.tty && size.width >= 1 && size.height >= 1) this.resizes.push(size);
      },
      done,
      close: client.end,
    };
  }
}
