// PortForward's dial inside a pod's network namespace. Node cannot setns(2) (it is multithreaded), so one
// small helper per sandbox runs in the pod's network namespace (`nsenter --net=/proc/<holder>/ns/net node -e
// …`), connects there on request and hands the connected socket back over its IPC channel
// (process.send(msg, handle)): the parent then owns a socket in the pod's network, and traffic flows without
// a relay process. The helper holds the namespace open, so it is stopped with the sandbox.
//
// What moves is the bare TCP handle, not a net.Socket: the parent wraps it itself, so that a caller that
// consumes each chunk at once (port-forward, which copies it into the frame it sends) has it read into one
// reused buffer (`onread`), with no allocation per read.
import { type ChildProcess, spawn } from 'node:child_process';
import { Socket } from 'node:net';
import type { PortForwardReader } from '../types.js';
import { isSameProcess } from './proc.js';

/**
 * The memory every onread connection is read into. One is enough for all: libuv reads one socket at a time
 * on the event loop and calls the reader before the next read, and readers consume the chunk at once. 256 KiB
 * per read keeps the frames sent on large (fewer messages for the client to take apart) without holding
 * more than that.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** The helper, as plain CommonJS for `node -e`. Sockets are paused before connecting, so no byte is read
 * (and lost) in the helper before the handle moves to the parent. */
const HELPER = `
const net = require('net');
const dial = (id, port, hosts, errors) => {
  const host = hosts.shift();
  const s = net.connect({ host, port });
  s.pause();
  s.once('connect', () => {
    s.removeAllListeners('error');
    process.send({ id, ok: true }, s._handle, {}, () => s.destroy());
  });
  s.once('error', (e) => {
    const family = host.includes(':') ? 'tcp6' : 'tcp4';
    const what = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'EADDRNOTAVAIL' ? 'cannot assign requested address' : e.code === 'ENETUNREACH' ? 'network is unreachable' : e.message;
    errors.push('dial ' + family + ' ' + (host.includes(':') ? '[' + host + ']' : host) + ':' + port + ': connect: ' + what);
    if (hosts.length > 0) dial(id, port, hosts, errors);
    else process.send({ id, ok: false, errors });
  });
};
process.on('message', (m) => dial(m.id, m.port, ['127.0.0.1', '::1'], []));
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
`;

interface HelperMessage {
  ready?: boolean;
  id?: number;
  ok?: boolean;
  errors?: string[];
}

interface Helper {
  child: ChildProcess;
  ready: Promise<void>;
  pending: Map<
    number,
    { port: number; onData?: PortForwardReader; resolve: (s: Socket) => void; reject: (e: Error) => void }
  >;
}

export interface NetnsTarget {
  /** The sandbox's id, for messages. */
  sandboxId: string;
  /** A process in the pod's network namespace (the holder) and its start time, against pid reuse. */
  pid: number;
  start: string;
}

export class NetnsDialer {
  readonly #helpers = new Map<string, Helper>();
  readonly #nsenter: string;
  #seq = 0;

  constructor(nsenter = '/usr/bin/nsenter') {
    this.#nsenter = nsenter;
  }

  /**
   * A socket connected to `port` on the pod's localhost (127.0.0.1, then ::1), as containerd dials. With
   * `onData`, what it reads goes there instead of to 'data' events (see RuntimeService.portForward).
   */
  async dial(target: NetnsTarget, port: number, onData?: PortForwardReader): Promise<Socket> {
    const helper = await this.#helper(target);
    const id = ++this.#seq;
    return new Promise<Socket>((resolve, reject) => {
      helper.pending.set(id, { port, onData, resolve, reject });
      helper.child.send({ id, port }, (e) => {
        if (!e) return;
        helper.pending.delete(id);
        reject(new Error(`asking the dialer of sandbox ${target.sandboxId} to connect: ${e.message}`));
      });
    });
  }

  /** Stops the sandbox's helper (the sandbox stopped): its namespace is no longer held. */
  forget(sandboxId: string): void {
    const h = this.#helpers.get(sandboxId);
    if (!h) return;
    this.#helpers.delete(sandboxId);
    h.child.kill('SIGKILL');
  }

  close(): void {
    for (const id of [...this.#helpers.keys()]) this.forget(id);
  }

  async #helper(target: NetnsTarget): Promise<Helper> {
    const existing = this.#helpers.get(target.sandboxId);
    if (existing && existing.child.exitCode === null && existing.child.signalCode === null) {
      await existing.ready;
      return existing;
    }
    if (!isSameProcess(target.pid, target.start)) {
      throw new Error(`the network namespace of sandbox ${target.sandboxId} is gone (its holder ended)`);
    }
    const child = spawn(
      this.#nsenter,
      [`--net=/proc/${target.pid}/ns/net`, '--', process.execPath, '-e', HELPER],
      { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: {} },
    );
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-2000);
    });
    const pending: Helper['pending'] = new Map();
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: HelperMessage, handle: unknown) => {
        if (m.ready) return resolve();
        const waiter = m.id === undefined ? undefined : pending.get(m.id);
        if (!waiter || m.id === undefined) return;
        pending.delete(m.id);
        if (m.ok && handle) waiter.resolve(wrapHandle(handle, waiter.onData));
        else {
          // containerd's words (sandbox_portforward_linux.go), which the kubelet wraps for kubectl.
          const [v4, v6] = m.errors ?? ['the dialer sent no socket'];
          waiter.reject(
            new Error(
              `failed to connect to localhost:${waiter.port} inside namespace ${JSON.stringify(target.sandboxId)}, IPv4: ${v4} IPv6 ${v6 ?? ''} `,
            ),
          );
        }
      });
      child.once('error', (e) => reject(new Error(`starting ${this.#nsenter}: ${e.message}`)));
      child.once('exit', (code, signal) => {
        const why = new Error(
          `the dialer in the network namespace of sandbox ${target.sandboxId} ended (${signal ?? `exit ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`,
        );
        reject(why);
        for (const w of pending.values()) w.reject(why);
        pending.clear();
        if (this.#helpers.get(target.sandboxId)?.child === child) this.#helpers.delete(target.sandboxId);
      });
    });
    // The helper must not keep podrun alive, nor a test's process.
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
    const helper: Helper = { child, ready, pending };
    this.#helpers.set(target.sandboxId, helper);
    await ready;
    return helper;
  }
}

/** The net.Socket for a TCP handle received from the helper. */
function wrapHandle(handle: unknown, onData: PortForwardReader | undefined): Socket {
  // The handle is a TCPWrap, which Node's typings do not name, and they give `onread` only to connect's
  // options, though the constructor takes it too (net.js).
  const options: {
    handle: unknown;
    readable: boolean;
    writable: boolean;
    onread?: { buffer: Uint8Array | (() => Uint8Array); callback: (n: number, buf: Uint8Array) => boolean };
  } = { handle, readable: true, writable: true };
  if (onData) {
    options.onread = {
      // A reader's own buffers: Node asks for the next one after each read (net.js, onStreamRead).
      buffer: onData.buffer ?? READ_BUFFER,
      callback: (n: number, buf: Uint8Array) => onData((buf as Buffer).subarray(0, n)),
    };
  }
  return new Socket(options as ConstructorParameters<typeof Socket>[0]);
}
