// A minimal Chrome DevTools Protocol client for a server started with `--inspect=127.0.0.1:0`: the soak
// benchmark asks it for the JS heap in use after a full garbage collection, which tells a leak from a heap the
// collector has not got round to shrinking (RSS alone cannot). Loopback only.
import WebSocket from 'ws';

/** The `ws://127.0.0.1:PORT/UUID` node prints on stderr when its inspector listens. */
export function inspectorUrl(stderr: string): string | undefined {
  const m = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+)/.exec(stderr);
  return m?.[1];
}

export class Inspector {
  readonly #ws: WebSocket;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (msg.error) p?.reject(new Error(`inspector: ${msg.error.message}`));
      else p?.resolve(msg.result);
    });
    ws.on('close', () => {
      for (const p of this.#pending.values()) p.reject(new Error('inspector: the connection closed'));
      this.#pending.clear();
    });
  }

  static connect(url: string): Promise<Inspector> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once('open', () => resolve(new Inspector(ws)));
      ws.once('error', reject);
    });
  }

  call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** JS heap in use after a full collection, bytes (the collection pauses the server for its length). */
  async heapAfterGc(): Promise<number> {
    await this.call('HeapProfiler.collectGarbage');
    const usage = await this.call<{ usedSize: number }>('Runtime.getHeapUsage');
    return usage.usedSize;
  }

  close(): void {
    this.#ws.close();
  }
}
