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
import { availableParallelism } from 'node:os';
import type { Readable, Writable } from 'node:stream';

export type ShimRequest = 'sandbox' | 'teardown' | 'start';

interface Queued {
  mode: ShimRequest;
  spec: string;
  resolve: (report: string) => void;
  onExit: ((waitStatus: number) => void) | undefined;
}

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
  readonly #maxInFlight: number;
  #nextId = 1;
  /** Sent, waiting for their report. */
  readonly #pending = new Map<number, (report: string) => void>();
  /** Children that stay after their report (shims, holders) whose end someone wants to hear of. */
  readonly #watched = new Map<number, (waitStatus: number) => void>();
  /** Not sent yet: container starts and teardowns first, then new sandboxes. */
  readonly #urgent: Queued[] = [];
  readonly #sandboxes: Queued[] = [];
  #buffer = '';

  /**
   * `logPath` receives the server's and the shims' stderr (messages after a report, perl's own errors).
   * `maxInFlight` bounds the requests being worked on at once (default: twice the CPUs). Their work is mostly
   * the kernel's, under its network and mount locks: with 1,000 pods created at once, a child per request
   * all at once made every pod wait for all the others (load average ~400, no pod Running for a minute).
   * Starts go before new sandboxes, so that pods already begun are finished first.
   */
  constructor(perl: string, shim: string, logPath: string, options: { maxInFlight?: number } = {}) {
    this.#perl = perl;
    this.#shim = shim;
    this.#logPath = logPath;
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 2 * availableParallelism());
  }

  /**
   * Sends one request and resolves with its report line: `ok ...` on success, `err <why>` otherwise. Never
   * rejects: a server that cannot start or that dies is reported as `err ...` too. `onExit` hears when the
   * request's child ends after its report (a holder or a shim), as long as this server runs.
   */
  request(mode: ShimRequest, spec: string, onExit?: (waitStatus: number) => void): Promise<string> {
    return new Promise<string>((resolve) => {
      (mode === 'sandbox' ? this.#sandboxes : this.#urgent).push({ mode, spec, resolve, onExit });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#pending.size < this.#maxInFlight) {
      const next = this.#urgent.shift() ?? this.#sandboxes.shift();
      if (!next) return;
      let running: Running;
      try {
        running = this.#ensure();
      } catch (e) {
        next.resolve(`err cannot run ${this.#perl}: ${(e as Error).message}`);
        continue;
      }
      const id = this.#nextId++;
      if (this.#pending.size === 0) {
        // Keep podrun alive while a request is out; otherwise the server must not hold the event loop.
        running.child.ref();
        (running.stdout as Readable & { ref?: () => void }).ref?.();
      }
      this.#pending.set(id, next.resolve);
      if (next.onExit) this.#watched.set(id, next.onExit);
      running.stdin.write(`${id} ${next.mode} ${Buffer.byteLength(next.spec)}\n${next.spec}`);
    }
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
      if (text.startsWith('!exit ')) {
        const onExit = this.#watched.get(id);
        this.#watched.delete(id);
        if (!resolve) {
          onExit?.(Number(text.slice(6)));
          continue;
        }
      }
      if (!resolve) continue;
      this.#settle(id);
      if (text.startsWith('!exit ')) {
        resolve(`err the shim ended (wait status ${text.slice(6)}) without a report; see ${this.#logPath}`);
      } else {
        resolve(text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
      }
    }
    this.#pump();
  }

  #settle(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0 && this.#running) {
      this.#running.child.unref();
      (this.#running.stdout as Readable & { unref?: () => void }).unref?.();
    }
  }

  /** Fails the requests the dead server had; those not sent yet go to the next server. */
  #failAll(report: string): void {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    // Their children are orphans now: nobody reports their end any more.
    this.#watched.clear();
    for (const resolve of waiting) resolve(report);
    this.#pump();
  }
}
