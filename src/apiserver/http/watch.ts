// Watch over HTTP: a chunked stream of newline-delimited WatchEvents, one written per change, that lives
// until the client leaves (`res.on('close')`), `timeoutSeconds` passes, or the server shuts down (then it
// ends cleanly, and `kubectl get -w` exits 0).
import { randomInt } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { apiVersionOf, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { ApiError, internalError } from '../errors.js';
import type { Registry, RegistryWatch } from '../registry.js';
import type { Representation } from './negotiate.js';
import { queryBool, queryInt } from './query.js';
import { sendError } from './respond.js';
import { type IncludeObject, partialObjectMetadata, toTable } from './table.js';

export interface WatchRequest {
  registry: Registry;
  r: ResourceInfo;
  namespace: string | undefined;
  query: URLSearchParams;
  representation: Representation;
  include: IncludeObject;
  now: () => number;
  /** Open streams, so that the server can end them on close. */
  streams: Set<ServerResponse>;
  bookmarkIntervalMs: number;
}

/**
 * When a watcher that falls behind is dropped. Upstream's watch cache gives each watcher an input and a result
 * channel of chanSize events (suggestedWatchChannelSize: 10 to 100 for a watch without an index); a dispatch
 * that finds the input full waits for the watcher within a time budget (about 100 ms), and a watcher still
 * blocked after it is closed ("Forcing watcher close due to unresponsiveness"); its stream ends and its client
 * watches again from its last resourceVersion (or re-lists on 410). The cache can wait because it blocks its
 * dispatcher; podrun's store delivers without waiting, so a burst (a group commit of a thousand creates)
 * lands in the socket's buffer at once, even for a client that reads as fast as it can. So the socket's
 * buffer stands for the channels, and a watcher is dropped when more than 2 × 100 events wait in it and not
 * one byte reached the client during a whole WATCH_PROGRESS_BUDGET_MS; and, because podrun holds serialized
 * bytes per watcher where the cache shares one object among them, as soon as WATCH_PENDING_BYTES wait.
 */
export const WATCH_PENDING_EVENTS = 200;
export const WATCH_PENDING_BYTES = 8 * 1024 * 1024;
export const WATCH_PROGRESS_BUDGET_MS = 1000;
/** A dropped watcher's last bytes wait this long for the client to read them, then the connection goes. */
export const WATCH_CLOSE_GRACE_MS = 30_000;

// A watch without timeoutSeconds lasts between minRequestTimeout and twice that (30–60 min), as upstream.
const MIN_REQUEST_TIMEOUT_S = 1800;

function parseTimeout(query: URLSearchParams): number {
  const v = queryInt(query, 'timeoutSeconds');
  // Absent or 0 means "the server's default", as upstream; a negative timeout has already passed.
  if (v === undefined || v === 0) return MIN_REQUEST_TIMEOUT_S + randomInt(MIN_REQUEST_TIMEOUT_S);
  return Math.max(v, 0);
}

export async function serveWatch(w: WatchRequest, res: ServerResponse): Promise<void> {
  const { registry, r, query, representation } = w;
  const timeoutSeconds = parseTimeout(query);
  const bookmarks = queryBool(query, 'allowWatchBookmarks') === true;
  let first = true;
  const convert = (object: KubeObject): unknown => {
    if (representation.kind === 'table') {
      const table = toTable(r, [object], {
        version: representation.version,
        include: w.include,
        noHeaders: !first,
        now: w.now(),
      });
      first = false;
      return table;
    }
    if (representation.kind === 'metadata') return partialObjectMetadata(object, representation.version);
    return object;
  };

  let open = false;
  let ended = false;
  let corked = false;
  // Events written since the socket last had room (see WATCH_PENDING_EVENTS).
  let behind = 0;
  // Bytes handed to `res`, to tell how many have left it: written − res.writableLength (which also counts
  // the chunk framing of what waits, so a write without progress never looks like progress).
  let written = 0;
  let progressCheck: NodeJS.Timeout | undefined;
  const stopProgressCheck = () => {
    if (progressCheck) clearInterval(progressCheck);
    progressCheck = undefined;
  };
  const watchProgress = () => {
    let left = written - res.writableLength;
    progressCheck = setInterval(() => {
      const now = written - res.writableLength;
      if (now <= left) unresponsive();
      left = now;
    }, WATCH_PROGRESS_BUDGET_MS);
    progressCheck.unref();
  };
  const pending: Buffer[] = [];
  const write = (type: string, object: unknown) => {
    if (ended) return;
    // Encoded once: the chunk's length and `written` both need its bytes.
    const line = Buffer.from(`${JSON.stringify({ type, object })}\n`);
    if (!open) {
      pending.push(line);
      return;
    }
    if (!corked) {
      // The events of one turn (a group commit delivers several) leave together: one TLS record and one
      // system call rather than one per event. Same bytes, same order, same turn.
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    if (res.writableNeedDrain) behind++;
    res.write(line);
    written += line.length;
    if (res.writableLength > WATCH_PENDING_BYTES) unresponsive();
    else if (behind > WATCH_PENDING_EVENTS && !progressCheck) watchProgress();
  };
  const unresponsive = () => {
    stopProgressCheck();
    finish();
    // The stream has ended; what is already buffered may still reach a client that wakes up. One that
    // never reads loses its connection, so that the buffer is released.
    if (!res.writableFinished) {
      const grace = setTimeout(() => res.destroy(), WATCH_CLOSE_GRACE_MS);
      grace.unref();
      res.once('close', () => clearTimeout(grace));
    }
  };
  res.on('drain', () => {
    behind = 0;
    stopProgressCheck();
  });
  const uncork = () => {
    if (!corked) return;
    corked = false;
    res.uncork();
  };

  let watch: RegistryWatch | undefined;
  let timeout: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;
  const finish = () => {
    if (ended) return;
    ended = true;
    stopProgressCheck();
    watch?.stop();
    if (timeout) clearTimeout(timeout);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    w.streams.delete(res);
    uncork();
    if (!res.writableEnded) res.end();
  };
  res.on('close', finish);

  const startStream = () => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    // Headers go out now: the client waits for them before it reads any event.
    res.flushHeaders();
    open = true;
    for (const line of pending.splice(0)) {
      res.write(line);
      written += line.length;
    }
    w.streams.add(res);
  };

  try {
    watch = await registry.watch(
      r,
      w.namespace,
      {
        labelSelector: query.get('labelSelector') ?? undefined,
        fieldSelector: query.get('fieldSelector') ?? undefined,
        resourceVersion: query.get('resourceVersion') ?? undefined,
        // Each event is encoded at once and never kept.
        shared: true,
      },
      (ev) => {
        try {
          write(ev.type, convert(ev.object));
        } catch (e) {
          // A conversion that fails (a printer bug) ends this stream with an ERROR, not the store's delivery.
          write('ERROR', internalError(e).status);
          finish();
        }
      },
    );
  } catch (e) {
    if (e instanceof ApiError && e.reason === 'Expired') {
      // A resourceVersion too old for the history is reported inside the stream, as the watch cache does.
      startStream();
      write('ERROR', e.status);
      finish();
      return;
    }
    sendError(res, e);
    ended = true;
    return;
  }
  if (ended) {
    watch.stop();
    return;
  }
  startStream();
  timeout = setTimeout(finish, timeoutSeconds * 1000);
  if (bookmarks) {
    bookmarkTimer = setInterval(() => {
      write('BOOKMARK', {
        kind: r.kind,
        apiVersion: apiVersionOf(r),
        metadata: { resourceVersion: String(watch?.revision ?? 0) },
      });
    }, w.bookmarkIntervalMs);
  }
}
