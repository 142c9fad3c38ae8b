// The object store on SQLite (better-sqlite3) in WAL mode: one row per object and one persisted revision
// counter. Reads are served from an in-memory copy of every object (loaded at open, updated after each
// commit), and an in-memory change history feeds watches. See docs/store.md for the guarantees.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { KubeObject } from '../api/types.js';
import { ChangeHistory, type ChangeRecord } from './history.js';
import { cloneJson } from './json-clone.js';
import {
  type ListResult,
  type ObjectKey,
  type Store,
  StoreError,
  type StoreEvent,
  type Watch,
  type WatchOptions,
} from './types.js';

export interface SqliteStoreOptions {
  /**
   * How many recent changes (across all resources) are kept in memory for watches that resume from a
   * resourceVersion. Older resume points fail with Expired (HTTP 410).
   * @default 10000
   */
  historySize?: number;
  /**
   * `NORMAL` (default): a write is durable against the podrun process dying (kill -9, crash) the moment it
   * returns, because a WAL commit is in the OS before SQLite reports it; a power loss or kernel crash can
   * lose the last few commits. `FULL`: fsync on every commit, durable against power loss too, and
   * each write then costs a disk flush.
   * @default 'NORMAL'
   */
  synchronous?: 'NORMAL' | 'FULL';
}

/** One stored object in the in-memory copy. `object` is private: it is copied before it leaves the store. */
interface Entry {
  revision: number;
  object: KubeObject;
}

/** The objects of one resource in one namespace, with a by-name sorted view rebuilt only after creates/deletes. */
interface NamespaceBucket {
  byName: Map<string, Entry>;
  sorted: Entry[] | undefined;
}

interface Watcher {
  groupResource: string;
  namespace: string | undefined;
  listener: (event: StoreEvent) => void;
  /** Changes committed but not yet handed to the listener, delivered in order from `head`. */
  queue: ChangeRecord[];
  head: number;
  scheduled: boolean;
  stopped: boolean;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS objects (
  group_resource TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  revision INTEGER NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (group_resource, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS store_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO store_meta (key, value) VALUES ('revision', 0);
`;

/**
 * Opens (creating if needed) the store kept in the SQLite file at `path`; ':memory:' for tests.
 * The caller chooses the location (the API server keeps it under its state directory).
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  return new SqliteStore(path, options);
}

class SqliteStore implements Store {
  readonly #db: Database.Database;
  readonly #history: ChangeHistory;
  readonly #watchers = new Map<string, Set<Watcher>>();
  #revision: number;
  #closed = false;

  readonly #objects = new Map<string, Map<string, NamespaceBucket>>();

  readonly #selectRevision: Database.Statement<[], number>;
  readonly #bumpRevision: Database.Statement<[number]>;
  readonly #insert: Database.Statement<[string, string, string, number, string]>;
  readonly #update: Database.Statement<[number, string, string, string, string]>;
  readonly #remove: Database.Statement<[string, string, string]>;

  constructor(path: string, options: SqliteStoreOptions) {
    this.#db = openDatabase(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);

    this.#selectRevision = this.#db
      .prepare<[], number>("SELECT value FROM store_meta WHERE key = 'revision'")
      .pluck();
    this.#bumpRevision = this.#db.prepare("UPDATE store_meta SET value = ? WHERE key = 'revision'");
    this.#insert = this.#db.prepare(
      'INSERT INTO objects (group_resource, namespace, name, revision, value) VALUES (?, ?, ?, ?, ?)',
    );
    this.#update = this.#db.prepare(
      'UPDATE objects SET revision = ?, value = ? WHERE group_resource = ? AND namespace = ? AND name = ?',
    );
    this.#remove = this.#db.prepare(
      'DELETE FROM objects WHERE group_resource = ? AND namespace = ? AND name = ?',
    );

    this.#revision = this.#selectRevision.get() ?? 0;
    const rows = this.#db
      .prepare<
        [],
        { group_resource: string; namespace: string; name: string; revision: number; value: string }
      >('SELECT group_resource, namespace, name, revision, value FROM objects')
      .all();
    for (const row of rows) {
      this.#put(
        { groupResource: row.group_resource, namespace: row.namespace, name: row.name },
        { revision: row.revision, object: JSON.parse(row.value) as KubeObject },
      );
    }
    this.#history = new ChangeHistory(options.historySize ?? 10_000, this.#revision);
  }

  revision(): number {
    return this.#revision;
  }

  async get(key: ObjectKey): Promise<KubeObject | undefined> {
    this.#assertOpen();
    const entry = this.#entry(key);
    return entry ? cloneJson(entry.object) : undefined;
  }

  async list(
    groupResource: string,
    namespace?: string,
    where?: (object: Readonly<KubeObject>) => boolean,
  ): Promise<ListResult> {
    this.#assertOpen();
    const buckets = this.#objects.get(groupResource);
    const items: KubeObject[] = [];
    if (buckets) {
      // Sorted by namespace, then name, like etcd's /registry/<resource>/<namespace>/<name> keys.
      const namespaces = namespace === undefined ? [...buckets.keys()].sort() : [namespace];
      for (const ns of namespaces) {
        const bucket = buckets.get(ns);
        if (!bucket) continue;
        for (const entry of sortedEntries(bucket)) {
          if (!where || where(entry.object)) items.push(cloneJson(entry.object));
        }
      }
    }
    return { items, revision: this.#revision };
  }

  async create(key: ObjectKey, object: KubeObject): Promise<KubeObject> {
    this.#assertOpen();
    if (this.#entry(key)) {
      throw new StoreError('AlreadyExists', `${key.groupResource} "${key.name}" already exists`);
    }
    const record = this.#db
      .transaction((): ChangeRecord => {
        const revision = this.#nextRevision();
        const json = stamp(object, revision);
        this.#insert.run(key.groupResource, key.namespace, key.name, revision, json);
        return { type: 'ADDED', ...recordKey(key), revision, object: JSON.parse(json) as KubeObject };
      })
      .immediate();
    this.#put(key, { revision: record.revision, object: record.object });
    this.#committed(record);
    return cloneJson(record.object);
  }

  async update(key: ObjectKey, object: KubeObject, expectedRevision?: number): Promise<KubeObject> {
    this.#assertOpen();
    const current = this.#entry(key);
    if (!current) throw notFound(key);
    if (expectedRevision !== undefined && current.revision !== expectedRevision) throw conflict(key);
    const record = this.#db
      .transaction((): ChangeRecord => {
        const revision = this.#nextRevision();
        const json = stamp(object, revision);
        this.#update.run(revision, json, key.groupResource, key.namespace, key.name);
        return { type: 'MODIFIED', ...recordKey(key), revision, object: JSON.parse(json) as KubeObject };
      })
      .immediate();
    // Replaced in place: the bucket's sorted view holds the same Entry and stays valid.
    current.revision = record.revision;
    current.object = record.object;
    this.#committed(record);
    return cloneJson(record.object);
  }

  async delete(key: ObjectKey, expectedRevision?: number): Promise<KubeObject> {
    this.#assertOpen();
    const current = this.#entry(key);
    if (!current) throw notFound(key);
    if (expectedRevision !== undefined && current.revision !== expectedRevision) throw conflict(key);
    const record = this.#db
      .transaction((): ChangeRecord => {
        // The deletion takes a revision of its own, so the counter moves even though no row remains.
        const revision = this.#nextRevision();
        this.#remove.run(key.groupResource, key.namespace, key.name);
        const object = {
          ...current.object,
          metadata: { ...current.object.metadata, resourceVersion: String(revision) },
        };
        return { type: 'DELETED', ...recordKey(key), revision, object };
      })
      .immediate();
    this.#drop(key);
    this.#committed(record);
    return cloneJson(record.object);
  }

  watch(options: WatchOptions, listener: (event: StoreEvent) => void): Watch {
    this.#assertOpen();
    const after = options.afterRevision ?? 0;
    const watcher: Watcher = {
      groupResource: options.groupResource,
      namespace: options.namespace,
      listener,
      queue: [],
      head: 0,
      scheduled: false,
      stopped: false,
    };
    if (after > 0) {
      const from = this.#history.resumableFrom;
      if (after < from) {
        // Upstream watch cache wording: it prints the oldest revision kept minus one, i.e. `from`.
        // `oldestRevision` is, as the contract says, the oldest revision in history (from + 1; when the
        // history is empty, the next revision to be written).
        throw new StoreError('Expired', `too old resource version: ${after} (${from})`, from + 1);
      }
      watcher.queue = this.#history.after(after, (r) => matches(watcher, r));
    }
    let set = this.#watchers.get(options.groupResource);
    if (!set) {
      set = new Set();
      this.#watchers.set(options.groupResource, set);
    }
    set.add(watcher);
    // History is delivered after watch() returns, so the listener may already use the returned handle.
    if (watcher.queue.length > 0) this.#schedule(watcher);
    return {
      stop: () => {
        watcher.stopped = true;
        watcher.queue = [];
        watcher.head = 0;
        const current = this.#watchers.get(options.groupResource);
        current?.delete(watcher);
        if (current && current.size === 0) this.#watchers.delete(options.groupResource);
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const set of this.#watchers.values()) {
      for (const watcher of set) {
        watcher.stopped = true;
        watcher.queue = [];
      }
    }
    this.#watchers.clear();
    this.#db.close();
  }

  #entry(key: ObjectKey): Entry | undefined {
    return this.#objects.get(key.groupResource)?.get(key.namespace)?.byName.get(key.name);
  }

  #put(key: ObjectKey, entry: Entry): void {
    let buckets = this.#objects.get(key.groupResource);
    if (!buckets) {
      buckets = new Map();
      this.#objects.set(key.groupResource, buckets);
    }
    let bucket = buckets.get(key.namespace);
    if (!bucket) {
      bucket = { byName: new Map(), sorted: undefined };
      buckets.set(key.namespace, bucket);
    }
    bucket.byName.set(key.name, entry);
    bucket.sorted = undefined;
  }

  #drop(key: ObjectKey): void {
    const buckets = this.#objects.get(key.groupResource);
    const bucket = buckets?.get(key.namespace);
    if (!buckets || !bucket) return;
    bucket.byName.delete(key.name);
    bucket.sorted = undefined;
    if (bucket.byName.size === 0) buckets.delete(key.namespace);
    if (buckets.size === 0) this.#objects.delete(key.groupResource);
  }

  #nextRevision(): number {
    // Read inside the transaction, not from the cache, so that the counter in the file is the authority.
    const revision = (this.#selectRevision.get() ?? 0) + 1;
    this.#bumpRevision.run(revision);
    return revision;
  }

  /** Called after COMMIT: the change is durable, so it may be seen by watchers. */
  #committed(record: ChangeRecord): void {
    this.#revision = record.revision;
    this.#history.push(record);
    const set = this.#watchers.get(record.groupResource);
    if (!set) return;
    for (const watcher of set) {
      if (!matches(watcher, record)) continue;
      watcher.queue.push(record);
      this.#schedule(watcher);
    }
  }

  #schedule(watcher: Watcher): void {
    if (watcher.scheduled) return;
    watcher.scheduled = true;
    queueMicrotask(() => this.#drain(watcher));
  }

  /**
   * Delivers a watcher's queued changes in revision order. Delivery runs in a microtask, never inside a
   * write, so a listener cannot hold up the writer that produced the change, and a listener that writes
   * to the store does not see its own change delivered before the ones queued ahead of it.
   */
  #drain(watcher: Watcher): void {
    watcher.scheduled = false;
    while (!watcher.stopped && watcher.head < watcher.queue.length) {
      const record = watcher.queue[watcher.head++]!;
      const event: StoreEvent = {
        type: record.type,
        groupResource: record.groupResource,
        object: cloneJson(record.object),
        revision: record.revision,
      };
      try {
        watcher.listener(event);
      } catch (err) {
        // One broken listener must not stop the others nor the store; it is reported and keeps its watch.
        process.emitWarning(
          `store watch listener for ${watcher.groupResource} threw at revision ${record.revision}: ${String(err)}`,
          'PodrunStoreWarning',
        );
      }
    }
    if (watcher.head >= watcher.queue.length) {
      watcher.queue = [];
      watcher.head = 0;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('store is closed');
  }
}

function sortedEntries(bucket: NamespaceBucket): Entry[] {
  if (!bucket.sorted) {
    const names = [...bucket.byName.keys()].sort();
    bucket.sorted = names.map((name) => bucket.byName.get(name)!);
  }
  return bucket.sorted;
}

function recordKey(key: ObjectKey): { groupResource: string; namespace: string } {
  return { groupResource: key.groupResource, namespace: key.namespace };
}

function openDatabase(path: string): Database.Database {
  try {
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    return new Database(path);
  } catch (err) {
    throw new Error(
      `cannot open the object store at ${path}: ${(err as Error).message}; check that the state directory is writable`,
      { cause: err },
    );
  }
}

function matches(watcher: Watcher, record: ChangeRecord): boolean {
  return (
    record.groupResource === watcher.groupResource &&
    (watcher.namespace === undefined || watcher.namespace === record.namespace)
  );
}

/** The object as JSON text with metadata.resourceVersion set; the caller's object is left untouched. */
function stamp(object: KubeObject, revision: number): string {
  return JSON.stringify({ ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } });
}

function notFound(key: ObjectKey): StoreError {
  return new StoreError('NotFound', `${key.groupResource} "${key.name}" not found`);
}

function conflict(key: ObjectKey): StoreError {
  return new StoreError(
    'Conflict',
    `Operation cannot be fulfilled on ${key.groupResource} "${key.name}": the object has been modified; please apply your changes to the latest version and try again`,
  );
}
