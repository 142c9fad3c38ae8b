// The object store on SQLite (better-sqlite3) in WAL mode: one row per object and one persisted revision
// counter. Reads are served from an in-memory copy of every object (loaded at open, updated after each
// commit), and an in-memory change history feeds watches. Writes are group-committed: the writes made in one
// turn of the event loop share one transaction, committed before the next turn (setImmediate), and each
// write's promise resolves after that commit. See docs/store.md for the guarantees.
import type Database from 'better-sqlite3';
import type { KubeObject } from '../api/types.js';
import { ChangeHistory, type ChangeRecord } from './history.js';
import { cloneJson, deepFreeze, frozenJsonCopy } from './json-clone.js';
import { OwnerCount } from './owner-count.js';
import { migrateObjectsTable, openDatabase, SCHEMA } from './sqlite-schema.js';
import {
  type ListResult,
  MAX_OBJECT_BYTES,
  type ObjectKey,
  ObjectTooLargeError,
  type ResultOptions,
  type Store,
  StoreError,
  type StoreEvent,
  type Watch,
  type WatchOptions,
} from './types.js';

export interface SqliteStoreOptions {
  /**
   * How many recent changes (across all resources) are kept in memory for watches that resume from a
   * resourceVersion, at most (beyond 1,000 of them, those older than 75 s go: history.ts). Older resume
   * points fail with Expired (HTTP 410).
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
  /** The object's row in the `objects` table. */
  rowid: number;
}

/** The objects of one resource in one namespace, with a by-name sorted view rebuilt only after creates/deletes. */
interface NamespaceBucket {
  byName: Map<string, Entry>;
  sorted: Entry[] | undefined;
}

/** A write checked and given its revision, waiting for the group commit. */
interface PendingWrite {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  key: ObjectKey;
  revision: number;
  /** Set by the commit: the row written (ADDED, MODIFIED). */
  rowid?: number;
  /** The row's value (ADDED, MODIFIED). */
  json: string | undefined;
  /** The object as stored (for DELETED: as it was, stamped with the deletion's revision). */
  object: KubeObject;
  /** The writer takes the stored object itself (ResultOptions.shared) rather than a copy. */
  shared: boolean;
  resolve: (object: KubeObject) => void;
  reject: (error: unknown) => void;
}

/** The newest state of a key with pending writes, which the next conditional write is checked against. */
interface PendingState {
  revision: number;
  /** Undefined when the newest pending write deletes the key. */
  object: KubeObject | undefined;
}

/** The most writes one group commit carries; more are committed in further transactions. */
const MAX_BATCH = 256;

interface Watcher {
  /** Changes at or below this revision are not delivered (a watch may start after a future revision). */
  after: number;
  groupResource: string;
  namespace: string | undefined;
  accept: WatchOptions['accept'];
  /** Gets the stored (frozen) object, not a copy. */
  shared: boolean;
  listener: (event: StoreEvent) => void;
  /** Changes committed but not yet handed to the listener, delivered in order from `head`. */
  queue: ChangeRecord[];
  head: number;
  scheduled: boolean;
  stopped: boolean;
}

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
  readonly #owners = new OwnerCount();

  /** Writes waiting for the group commit, in revision order. */
  #queue: PendingWrite[] = [];
  /** By keyString: the state the queued writes leave a key in. */
  readonly #pending = new Map<string, PendingState>();
  /** Group-resources with queued writes: a list of one of them commits first. */
  readonly #pendingResources = new Set<string>();
  /** The last revision given to a write (committed or queued). */
  #assigned: number;
  #commitScheduled = false;

  readonly #selectRevision: Database.Statement<[], number>;
  readonly #bumpRevision: Database.Statement<[number]>;
  readonly #commitBatch: Database.Transaction<(batch: readonly PendingWrite[]) => void>;
  readonly #insert: Database.Statement<[string, string, string, number, string]>;
  readonly #update: Database.Statement<[number, string, number]>;
  readonly #remove: Database.Statement<[number]>;

  constructor(path: string, options: SqliteStoreOptions) {
    this.#db = openDatabase(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
    this.#db.pragma('busy_timeout = 5000');
    migrateObjectsTable(this.#db);
    this.#db.exec(SCHEMA);

    this.#selectRevision = this.#db
      .prepare<[], number>("SELECT value FROM store_meta WHERE key = 'revision'")
      .pluck();
    this.#bumpRevision = this.#db.prepare("UPDATE store_meta SET value = ? WHERE key = 'revision'");
    this.#insert = this.#db.prepare(
      'INSERT INTO objects (group_resource, namespace, name, revision, value) VALUES (?, ?, ?, ?, ?)',
    );
    this.#update = this.#db.prepare('UPDATE objects SET revision = ?, value = ? WHERE id = ?');
    this.#remove = this.#db.prepare('DELETE FROM objects WHERE id = ?');

    this.#revision = this.#selectRevision.get() ?? 0;
    const rows = this.#db
      .prepare<
        [],
        {
          id: number;
          group_resource: string;
          namespace: string;
          name: string;
          revision: number;
          value: string;
        }
      >('SELECT id, group_resource, namespace, name, revision, value FROM objects ORDER BY id')
      .all();
    for (const row of rows) {
      this.#put(
        { groupResource: row.group_resource, namespace: row.namespace, name: row.name },
        { revision: row.revision, object: deepFreeze(JSON.parse(row.value) as KubeObject), rowid: row.id },
      );
    }
    this.#assigned = this.#revision;
    this.#history = new ChangeHistory(options.historySize ?? 10_000, this.#revision);
    this.#commitBatch = this.#db.transaction((batch: readonly PendingWrite[]) => {
      // The counter in the file is the authority: a revision already used there is never handed out again.
      const stored = this.#selectRevision.get() ?? 0;
      if (stored !== this.#revision) {
        throw new Error(
          `the object store's revision counter is ${stored} in the file but ${this.#revision} in memory: another process wrote to it; only one podrun may use a state directory`,
        );
      }
      // Rows this batch inserted, by keyString: a later write of the same key in the batch goes to them.
      const inserted = new Map<string, number>();
      for (const w of batch) {
        const { groupResource, namespace, name } = w.key;
        if (w.type === 'ADDED') {
          const { lastInsertRowid } = this.#insert.run(groupResource, namespace, name, w.revision, w.json!);
          w.rowid = Number(lastInsertRowid);
          inserted.set(keyString(w.key), w.rowid);
          continue;
        }
        const ks = keyString(w.key);
        const rowid = inserted.get(ks) ?? this.#entry(w.key)?.rowid;
        if (rowid === undefined) throw new Error(`object store: no row for ${ks.replaceAll('\u0000', '/')}`);
        if (w.type === 'MODIFIED') {
          this.#update.run(w.revision, w.json!, rowid);
          w.rowid = rowid;
        } else {
          this.#remove.run(rowid);
          inserted.delete(ks);
        }
      }
      // Deletions take a revision too, so the counter moves even when the last write left no row.
      this.#bumpRevision.run(batch[batch.length - 1]!.revision);
    });
  }

  revision(): number {
    this.#commitPending();
    return this.#revision;
  }

  dependentCount(uid: string): number {
    // Queued writes are committed first, as a list would, so the count includes them.
    if (this.#queue.length > 0) this.#commitPending();
    return this.#owners.get(uid);
  }

  async get(key: ObjectKey, options?: ResultOptions): Promise<KubeObject | undefined> {
    this.#assertOpen();
    // A read never sees a write before its commit; a key with a queued write is committed first.
    if (this.#pending.has(keyString(key))) this.#commitPending();
    const entry = this.#entry(key);
    if (!entry) return undefined;
    return options?.shared ? entry.object : cloneJson(entry.object);
  }

  async list(
    groupResource: string,
    namespace?: string,
    where?: (object: Readonly<KubeObject>) => boolean,
    options?: ResultOptions,
  ): Promise<ListResult> {
    this.#assertOpen();
    if (this.#pendingResources.has(groupResource)) this.#commitPending();
    const buckets = this.#objects.get(groupResource);
    const items: KubeObject[] = [];
    const shared = options?.shared === true;
    if (buckets) {
      // Sorted by namespace, then name, like etcd's /registry/<resource>/<namespace>/<name> keys.
      const namespaces = namespace === undefined ? [...buckets.keys()].sort() : [namespace];
      for (const ns of namespaces) {
        const bucket = buckets.get(ns);
        if (!bucket) continue;
        for (const entry of sortedEntries(bucket)) {
          if (!where || where(entry.object)) items.push(shared ? entry.object : cloneJson(entry.object));
        }
      }
    }
    return { items, revision: this.#revision };
  }

  async create(key: ObjectKey, object: KubeObject, options?: ResultOptions): Promise<KubeObject> {
    this.#assertOpen();
    if (this.#current(key)) {
      throw new StoreError('AlreadyExists', `${key.groupResource} "${key.name}" already exists`);
    }
    return this.#enqueue('ADDED', key, object, options?.shared === true);
  }

  async update(
    key: ObjectKey,
    object: KubeObject,
    expectedRevision?: number,
    options?: ResultOptions,
  ): Promise<KubeObject> {
    this.#assertOpen();
    const current = this.#current(key);
    if (!current) throw notFound(key);
    if (expectedRevision !== undefined && current.revision !== expectedRevision) throw conflict(key);
    return this.#enqueue('MODIFIED', key, object, options?.shared === true, current.object);
  }

  async delete(key: ObjectKey, expectedRevision?: number, options?: ResultOptions): Promise<KubeObject> {
    this.#assertOpen();
    const current = this.#current(key);
    if (!current) throw notFound(key);
    if (expectedRevision !== undefined && current.revision !== expectedRevision) throw conflict(key);
    return this.#enqueue('DELETED', key, current.object, options?.shared === true);
  }

  /**
   * Gives the write its revision and queues it for the group commit. Conditions were checked against the
   * newest state, queued writes included, so a batch commits exactly what one transaction per write would.
   */
  #enqueue(
    type: PendingWrite['type'],
    key: ObjectKey,
    object: KubeObject,
    shared: boolean,
    /** A MODIFIED write's current version, whose unchanged parts the stored copy shares. */
    previous?: KubeObject,
  ): Promise<KubeObject> {
    const revision = this.#assigned + 1;
    let json: string | undefined;
    let stored: KubeObject;
    if (type === 'DELETED') {
      stored = deepFreeze({ ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } });
    } else {
      // Serialized and copied now: the caller may change its object once the call returns. The copy is what
      // parsing the row back gives (as after a restart), made without parsing.
      const stamped = stamp(object, revision);
      json = JSON.stringify(stamped);
      // Refused before it takes a revision, as etcd refuses the request before it reaches the log.
      const bytes = Buffer.byteLength(json, 'utf8');
      if (bytes > MAX_OBJECT_BYTES) return Promise.reject(new ObjectTooLargeError(bytes));
      // Frozen: shared watchers get this very object (WatchOptions.shared).
      stored = frozenJsonCopy(stamped, json, previous);
    }
    this.#assigned = revision;
    this.#pending.set(keyString(key), { revision, object: type === 'DELETED' ? undefined : stored });
    this.#pendingResources.add(key.groupResource);
    return new Promise<KubeObject>((resolve, reject) => {
      this.#queue.push({ type, key, revision, json, object: stored, shared, resolve, reject });
      // A turn that writes a lot does not hold all of it: a full batch is committed at once.
      if (this.#queue.length >= MAX_BATCH) this.#commitPending();
      else this.#scheduleCommit();
    });
  }

  /**
   * Commits what is queued once the current turn of the event loop has run its callbacks and microtasks
   * (setImmediate). A commit costs about as much as the writes it carries, and one turn brings the writes of
   * many pod workers, HTTP requests and event batches: with 1,000 pods started over HTTP, podrun's CPU per
   * pod fell by a fifth against committing after a few microtasks.
   */
  #scheduleCommit(): void {
    if (this.#commitScheduled) return;
    this.#commitScheduled = true;
    setImmediate(() => {
      this.#commitScheduled = false;
      this.#commitPending();
    });
  }

  /**
   * Commits every queued write in one transaction, then applies them to the in-memory copy, tells watchers
   * and resolves each write, in revision order. When the transaction fails, every write in it fails.
   */
  #commitPending(): void {
    if (this.#queue.length === 0 || this.#closed) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#pending.clear();
    this.#pendingResources.clear();
    try {
      this.#commitBatch.immediate(batch);
    } catch (err) {
      this.#assigned = this.#revision;
      for (const w of batch) w.reject(err);
      return;
    }
    for (const w of batch) {
      if (w.type === 'ADDED') {
        this.#put(w.key, { revision: w.revision, object: w.object, rowid: w.rowid! });
      } else if (w.type === 'MODIFIED') {
        // Replaced in place: the bucket's sorted view holds the same Entry and stays valid.
        const entry = this.#entry(w.key)!;
        this.#owners.add(entry.object, -1);
        this.#owners.add(w.object, 1);
        entry.revision = w.revision;
        entry.object = w.object;
      } else {
        this.#drop(w.key);
      }
      this.#committed({ type: w.type, ...recordKey(w.key), revision: w.revision, object: w.object });
      w.resolve(w.shared ? w.object : cloneJson(w.object));
    }
  }

  /** The key's newest state, queued writes included; undefined when absent. */
  #current(key: ObjectKey): { revision: number; object: KubeObject } | undefined {
    const pending = this.#pending.get(keyString(key));
    if (pending) return pending.object ? { revision: pending.revision, object: pending.object } : undefined;
    return this.#entry(key);
  }

  watch(options: WatchOptions, listener: (event: StoreEvent) => void): Watch {
    this.#assertOpen();
    // A watch starts after every write made before it, as with one transaction per write.
    this.#commitPending();
    const after = options.afterRevision ?? 0;
    const watcher: Watcher = {
      after,
      groupResource: options.groupResource,
      namespace: options.namespace,
      accept: options.accept,
      shared: options.shared === true,
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
    this.#commitPending();
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
    const before = bucket.byName.get(key.name);
    if (before) this.#owners.add(before.object, -1);
    this.#owners.add(entry.object, 1);
    bucket.byName.set(key.name, entry);
    bucket.sorted = undefined;
  }

  #drop(key: ObjectKey): void {
    const buckets = this.#objects.get(key.groupResource);
    const bucket = buckets?.get(key.namespace);
    if (!buckets || !bucket) return;
    const entry = bucket.byName.get(key.name);
    if (entry) this.#owners.add(entry.object, -1);
    bucket.byName.delete(key.name);
    bucket.sorted = undefined;
    if (bucket.byName.size === 0) buckets.delete(key.namespace);
    if (buckets.size === 0) this.#objects.delete(key.groupResource);
  }

  /** Called after COMMIT: the change is durable, so it may be seen by watchers. */
  #committed(record: ChangeRecord): void {
    this.#revision = record.revision;
    this.#history.push(record);
    const set = this.#watchers.get(record.groupResource);
    if (!set) return;
    for (const watcher of set) {
      if (record.revision <= watcher.after || !matches(watcher, record)) continue;
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
      try {
        if (watcher.accept && !watcher.accept(record.type, record.object, record.revision)) continue;
        watcher.listener({
          type: record.type,
          groupResource: record.groupResource,
          object: watcher.shared ? record.object : cloneJson(record.object),
          revision: record.revision,
        });
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

function keyString(key: ObjectKey): string {
  return `${key.groupResource}\u0000${key.namespace}\u0000${key.name}`;
}

function recordKey(key: ObjectKey): { groupResource: string; namespace: string } {
  return { groupResource: key.groupResource, namespace: key.namespace };
}

function matches(watcher: Watcher, record: ChangeRecord): boolean {
  return (
    record.groupResource === watcher.groupResource &&
    (watcher.namespace === undefined || watcher.namespace === record.namespace)
  );
}

/** The object with metadata.resourceVersion set; the caller's object is left untouched. */
function stamp(object: KubeObject, revision: number): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
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
