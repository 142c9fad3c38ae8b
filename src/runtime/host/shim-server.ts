// The host runtime's long-lived helper: one `perl podrun-shim.pl serve` per runtime, which forks a child for
// every sandbox, teardown and container start. Forking a small, already compiled Perl process costs a fraction
// of a millisecond; spawning a fresh perl costs milliseconds, and spawning anything from podrun means forking
// a process of a few hundred megabytes on podrun's event loop. A start request's child stays as the
// container's shim, in its own session, so containers outlive both the server and podrun.
//
// Protocol (see mode_serve in shim-source.ts): requests `<id> <mode> <byte length>\n<spec>` on the server's
// stdin; reports `<id> <text>\n` on its stdout, where text is the child's one-line report (`ok ...` or
// `err ...`, with `\n` and `\\` escaped), or `!exit <wait status>` when a child ended (for a child that died
// without a report, that is the report).

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

export type ShimRequest = 'sandbox' | 'teardown' | 'start';

interface Running {
  child: ChildProcess;
  stdin: Writable;
  stdout: Readable;
  exited: Promise<void>;
}

export class ShimServer {
  readonly #perl: string;
  readonly #shim: string;
  readonly #logPath: string;
  #running: Running | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, (report: string) => void>();
  #buffer = '';

  /** `logPath` receives the server's and the shims' stderr (messages after a report, perl's own errors). */
  constructor(perl: string, shim: string, logPath: string) {
    this.#perl = perl;
    this.#shim = shim;
    this.#logPath = logPath;
  }

  /**
   * Sends one request and resolves with its report line: `ok ...` on success, `err <why>` otherwise. Never
   * rejects: a server that cannot start or that dies is reported as `err ...` too.
   */
  request(mode: ShimRequest, spec: string): Promise<string> {
    let running: Running;
    try {
      running = this.#ensure();
    } catch (e) {
      return Promise.resolve(`err cannot run ${this.#perl}: ${(e as Error).message}`);
    }
    const id = this.#nextId++;
    return new Promise<string>((resolve) => {
      if (this.#pending.size === 0) {
        // Keep podrun alive while a request is out; otherwise the server must not hold the event loop.
        running.child.ref();
        (running.stdout as Readable & { ref?: () => void }).ref?.();
      }
      this.#pending.set(id, resolve);
      running.stdin.write(`${id} ${mode} ${Buffer.byteLength(spec)}\n${spec}`);
    });
  }

  /** Closes the server's stdin and waits for it to exit. Shims of running containers stay. */
  async close(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    running.child.ref();
    (running.stdout as Readable & { ref?: () => void }).ref?.();
    running.stdin.end();
    await running.exited;
  }

  #ensure(): Running {
    if (this.#running) return this.#running;
    const errFd = openSync(this.#logPath, 'a');
    let child: ChildProcess;
    try {
      // Its own session: a Ctrl-C in podrun's terminal must not take the server down before podrun has stopped
      // the pods (tearing down sandboxes needs it).
      child = spawn(this.#perl, [this.#shim, 'serve'], {
        detached: true,
        stdio: ['pipe', 'pipe', errFd],
        env: {},
      });
    } finally {
      closeSync(errFd);
    }
    const { stdin, stdout } = child;
    if (!stdin || !stdout) throw new Error('the shim server has no pipes');
    stdin.on('error', () => {
      // the server died; 'exit' reports it to the pending requests
    });
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => this.#onData(chunk));
    const exited = new Promise<void>((resolve) => {
      child.on('error', (e) => {
        if (this.#running?.child === child) this.#running = undefined;
        this.#failAll(`err cannot run ${this.#perl}: ${e.message}`);
        resolve();
      });
      // 'close', not 'exit': reports still in the pipe are read first.
      child.on('close', (code, signal) => {
        if (this.#running?.child === child) this.#running = undefined;
        this.#failAll(
          `err the shim server exited (${signal ?? `status ${code}`}) before reporting; see ${this.#logPath}`,
        );
        resolve();
      });
    });
    child.unref();
    (stdout as Readable & { unref?: () => void }).unref?.();
    this.#running = { child, stdin, stdout, exited };
    return this.#running;
  }

  #onData(chunk: string): void {
    this.#buffer += chunk;
    for (let nl = this.#buffer.indexOf('\n'); nl >= 0; nl = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + 1);
      const sp = line.indexOf(' ');
      const id = Number(line.slice(0, sp));
      const text = line.slice(sp + 1);
      const resolve = this.#pending.get(id);
      if (!resolve) continue; // the exit of a shim whose start was reported long ago
      this.#settle(id);
      if (text.startsWith('!exit ')) {
        resolve(`err the shim ended (wait status ${text.slice(6)}) without a report; see ${this.#logPath}`);
      } else {
        resolve(text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
      }
    }
  }

  #settle(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0 && this.#running) {
      this.#running.child.unref();
      (this.#running.stdout as Readable & { unref?: () => void }).unref?.();
    }
  }

  #failAll(report: string): void {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const resolve of waiting) resolve(report);
  }
}
