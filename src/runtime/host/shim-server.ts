// The host runtime's long-lived helper: one `perl podrun-shim.pl serve` per runtime, which forks a child for
// every sandbox, teardown and container start. Forking a small, already compiled Perl process costs a fraction
// of a millisecond; spawning a fresh perl costs milliseconds, and spawning anything from podrun means forking
// a process of a few hundred megabytes on podrun's event loop. A start request's child stays as the
// container's shim, in its own session, so containers outlive both the server and podrun.
//
// Protocol (see mode_serve in podrun-shim.pl): requests `<id> <mode> <byte length>\n<spec>` on the server's
// stdin; reports `<id> <text>\n` on its stdout, where text is the child's one-line report (`ok ...` or
// `err ...`, with `\n` and `\\` escaped), or `!exit <wait status>` when a child ended (for a child that died
// without a report, that is the report).

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Readable, Writable } from 'node:stream';

export type ShimRequest = 'sandbox' | 'teardown' | 'start' | 'nft' | 'netns' | 'zygote' | 'mountpoints';

/**
 * A zygote made by one server (mode_zygote in the shim): a child that has joined a container's cgroups and
 * waits for the start request it will serve. Only that server can hand it a request.
 */
export interface Zygote {
  readonly server: object;
  readonly id: number;
  /** Its process (a child of the server), to end one that will not be used. */
  readonly pid: number;
}

interface Queued {
  mode: ShimRequest;
  spec: string;
  resolve: (report: string) => void;
  onExit: ((waitStatus: number) => void) | undefined;
  /** A start request: the zygote to serve it, when there is one. */
  via?: Zygote;
  /** A zygote request: hears its server and id once it is sent. */
  onSent?: (sent: { server: object; id: number }) => void;
}

/** One server process and what was sent to it: a server that dies fails its own requests only. */
interface Instance {
  child: ChildProcess;
  stdin: Writable;
  stdout: Readable;
  exited: Promise<void>;
  /** Sent, waiting for their report. */
  pending: Map<number, (report: string) => void>;
  /** Children that stay after their report (shims, holders) whose end someone wants to hear of. */
  watched: Map<number, (waitStatus: number) => void>;
  buffer: string;
  gone: boolean;
}

export interface ShimServerOptions {
  /** Requests worked on at once (default: twice the CPUs). */
  maxInFlight?: number;
  /** More arguments after `serve` (the runtime passes its in-flight lock file). */
  args?: string[];
}

/** How many urgent requests may go ahead of a waiting background one (ShimServer.#next). */
export const URGENT_BEFORE_BACKGROUND = 4;

export class ShimServer {
  readonly #perl: string;
  readonly #shim: string;
  readonly #logPath: string;
  readonly #args: string[];
  readonly #maxInFlight: number;
  #current: Instance | undefined;
  #nextId = 1;
  /** Not sent yet: container starts and teardowns first, then new sandboxes and rule updates. */
  readonly #urgent: Queued[] = [];
  readonly #sandboxes: Queued[] = [];
  /** Urgent requests sent in a row while a background one waited: see #next. */
  #passedOver = 0;
  #closed = false;

  /**
   * `logPath` receives the server's and the shims' stderr (messages after a report, perl's own errors).
   * `maxInFlight` bounds the requests being worked on at once. Their work is mostly the kernel's, under its
   * network and mount locks: with 1,000 pods created at once, a child per request all at once made every pod
   * wait for all the others (load average ~400, no pod Running for a minute). Starts go before new
   * sandboxes, so that pods already begun are finished first, but never for ever: see #next.
   */
  constructor(perl: string, shim: string, logPath: string, options: ShimServerOptions = {}) {
    this.#perl = perl;
    this.#shim = shim;
    this.#logPath = logPath;
    this.#args = options.args ?? [];
    this.#maxInFlight = Math.max(1, options.maxInFlight ?? 2 * availableParallelism());
  }

  /**
   * Sends one request and resolves with its report line: `ok ...` on success, `err <why>` otherwise. Never
   * rejects: a server that cannot start or that dies is reported as `err ...` too. `onExit` hears when the
   * request's child ends after its report (a holder or a shim), as long as that server runs.
   */
  request(
    mode: ShimRequest,
    spec: string,
    onExit?: (waitStatus: number) => void,
    via?: Zygote,
  ): Promise<string> {
    if (this.#closed) return Promise.resolve('err the host runtime is closed');
    return new Promise<string>((resolve) => {
      this.#enqueue({ mode, spec, resolve, onExit, via });
    });
  }

  /**
   * Makes a zygote: resolves once it has joined the groups `spec` names (`ok`) or failed (`err ...`), with its
   * handle. `onExit` hears of its end as long as no start was handed to it.
   */
  zygote(spec: string, onExit: (waitStatus: number) => void): Promise<{ report: string; zygote?: Zygote }> {
    if (this.#closed) return Promise.resolve({ report: 'err the host runtime is closed' });
    return new Promise((resolve) => {
      let sent: { server: object; id: number } | undefined;
      this.#enqueue({
        mode: 'zygote',
        spec,
        onExit,
        onSent: (z) => {
          sent = z;
        },
        resolve: (report) => {
          const pid = /^ok (\d+)$/.exec(report)?.[1];
          resolve({ report, zygote: sent && pid ? { ...sent, pid: Number(pid) } : undefined });
        },
      });
    });
  }

  #enqueue(q: Queued): void {
    // Rule updates, spare namespaces and zygotes wait with new sandboxes, behind container starts.
    const background = q.mode === 'sandbox' || q.mode === 'nft' || q.mode === 'netns' || q.mode === 'zygote';
    (background ? this.#sandboxes : this.#urgent).push(q);
    this.#pump();
  }

  /** Closes the server's stdin and waits for it to exit. Shims and holders stay. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const q of [...this.#urgent.splice(0), ...this.#sandboxes.splice(0)])
      q.resolve('err the host runtime is closed');
    const current = this.#current;
    if (!current) return;
    current.child.ref();
    (current.stdout as Readable & { ref?: () => void }).ref?.();
    current.stdin.end();
    await current.exited;
  }

  #pump(): void {
    // Requests sent in one pump (several reports came in one read) leave in one write.
    let corked: Instance | undefined;
    try {
      while (!this.#closed) {
        const inFlight = this.#current?.pending.size ?? 0;
        if (inFlight >= this.#maxInFlight) return;
        const next = this.#next();
        if (!next) return;
        let server: Instance;
        try {
          server = this.#ensure();
        } catch (e) {
          next.resolve(`err cannot run ${this.#perl}: ${(e as Error).message}`);
          continue;
        }
        const id = this.#nextId++;
        if (server.pending.size === 0) {
          // Keep podrun alive while a request is out; otherwise the server must not hold the event loop.
          server.child.ref();
          (server.stdout as Readable & { ref?: () => void }).ref?.();
        }
        server.pending.set(id, next.resolve);
        if (next.onExit) server.watched.set(id, next.onExit);
        next.onSent?.({ server, id });
        let mode: string = next.mode;
        // A zygote of an earlier server is gone with it: then the start is served as any other.
        if (next.via && next.via.server === server) {
          mode = `${next.mode}@${next.via.id}`;
          // Its end is reported as this request's from now on.
          server.watched.delete(next.via.id);
        }
        if (!corked) {
          corked = server;
          server.stdin.cork();
        }
        server.stdin.write(`${id} ${mode} ${Buffer.byteLength(next.spec)}\n${next.spec}`);
      }
    } finally {
      corked?.stdin.uncork();
    }
  }

  /**
   * Container starts and teardowns first, except that a waiting sandbox (or rule update, spare namespace,
   * zygote) goes after at most URGENT_BEFORE_BACKGROUND of them in a row. Strict order starved new pods:
   * with 1,000 pods in crash loops on a loaded machine, restarts came faster than the server finished them,
   * and 139 new pods waited for their sandbox for as long as a soak ran (38 minutes, never served).
   */
  #next(): Queued | undefined {
    if (this.#sandboxes.length === 0) {
      this.#passedOver = 0;
      return this.#urgent.shift();
    }
    if (this.#urgent.length > 0 && this.#passedOver < URGENT_BEFORE_BACKGROUND) {
      this.#passedOver++;
      return this.#urgent.shift();
    }
    this.#passedOver = 0;
    return this.#sandboxes.shift();
  }

  #ensure(): Instance {
    if (this.#current && !this.#current.gone) return this.#current;
    const errFd = openSync(this.#logPath, 'a');
    let child: ChildProcess;
    try {
      // Its own session: a Ctrl-C in podrun's terminal must not take the server down before podrun has stopped
      // the pods (tearing down sandboxes needs it).
      child = spawn(this.#perl, [this.#shim, 'serve', ...this.#args], {
        detached: true,
        stdio: ['pipe', 'pipe', errFd],
        env: {},
      });
    } finally {
      closeSync(errFd);
    }
    const { stdin, stdout } = child;
    if (!stdin || !stdout) throw new Error('the shim server has no pipes');
    let resolveExited = () => {};
    const server: Instance = {
      child,
      stdin,
      stdout,
      exited: new Promise<void>((resolve) => {
        resolveExited = resolve;
      }),
      pending: new Map(),
      watched: new Map(),
      buffer: '',
      gone: false,
    };
    stdin.on('error', () => {
      // the server died; 'close' or 'error' reports it to its pending requests
    });
    stdout.setEncoding('utf8');
    stdout.on('data', (chunk: string) => this.#onData(server, chunk));
    // A failed spawn emits 'error' and then 'close'; a server that ran emits 'close' once every holder of its
    // report pipe has let go, so reports still in the pipe are read first. Either way, once.
    child.on('error', (e) => this.#gone(server, `err cannot run ${this.#perl}: ${e.message}`, resolveExited));
    child.on('close', (code, signal) =>
      this.#gone(
        server,
        `err the shim server exited (${signal ?? `status ${code}`}) before reporting; see ${this.#logPath}`,
        resolveExited,
      ),
    );
    child.unref();
    (stdout as Readable & { unref?: () => void }).unref?.();
    this.#current = server;
    return server;
  }

  #onData(server: Instance, chunk: string): void {
    server.buffer += chunk;
    for (let nl = server.buffer.indexOf('\n'); nl >= 0; nl = server.buffer.indexOf('\n')) {
      const line = server.buffer.slice(0, nl);
      server.buffer = server.buffer.slice(nl + 1);
      const sp = line.indexOf(' ');
      const id = Number(line.slice(0, sp));
      const text = line.slice(sp + 1);
      const resolve = server.pending.get(id);
      if (text.startsWith('!exit ')) {
        const onExit = server.watched.get(id);
        server.watched.delete(id);
        if (!resolve) {
          onExit?.(Number(text.slice(6)));
          continue;
        }
      }
      if (!resolve) continue;
      this.#settle(server, id);
      if (text.startsWith('!exit ')) {
        resolve(`err the shim ended (wait status ${text.slice(6)}) without a report; see ${this.#logPath}`);
      } else {
        resolve(text.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)));
      }
    }
    this.#pump();
  }

  #settle(server: Instance, id: number): void {
    server.pending.delete(id);
    // Once close() has begun, the server holds the event loop until it has exited: a report that arrives
    // after close() (a zygote's or a spare namespace's, made in the background) must not let go of it, or
    // podrun's `await close()` is left pending with nothing to wake it.
    if (server.pending.size === 0 && !this.#closed) {
      server.child.unref();
      (server.stdout as Readable & { unref?: () => void }).unref?.();
    }
  }

  /** Fails the requests this server had; those not sent yet go to the next server. */
  #gone(server: Instance, report: string, resolveExited: () => void): void {
    if (server.gone) return;
    server.gone = true;
    if (this.#current === server) this.#current = undefined;
    const waiting = [...server.pending.values()];
    server.pending.clear();
    // Its children are orphans now: nobody reports their end any more.
    server.watched.clear();
    for (const resolve of waiting) resolve(report);
    resolveExited();
    this.#pump();
  }
}
