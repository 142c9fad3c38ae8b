// The SQLite file of the object store: where it is opened (private, as it holds every Secret), its tables,
// and the migration of an older layout.
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensureParentDirsSync, ensurePrivateFileSync, makeFilesPrivateSync } from '../util/private-files.js';

// Objects live in a rowid table. A WITHOUT ROWID table keeps rows in an index b-tree, where a row over about
// 1 KB spills into overflow pages: every pod and most events did, which made each write touch several pages.
// Here a row up to about 4 KB stays in its leaf, and new rows append to the same leaf, so a group commit of
// new events writes few pages. Rows are found by their rowid, which the in-memory copy keeps: the store is
// the file's only writer and checks keys itself, so an index on the key would only add a page to each write.
const OBJECTS_TABLE = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
  id INTEGER PRIMARY KEY,
  group_resource TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  revision INTEGER NOT NULL,
  value TEXT NOT NULL
);`;
export const SCHEMA = `${OBJECTS_TABLE('objects')}
DROP INDEX IF EXISTS objects_by_key;
CREATE TABLE IF NOT EXISTS store_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO store_meta (key, value) VALUES ('revision', 0);
`;

/**
 * Moves the objects of a store written by an earlier podrun (a WITHOUT ROWID table keyed by group_resource,
 * namespace, name) into the current layout, in one transaction: an interrupted migration leaves the old
 * table as it was.
 */
export function migrateObjectsTable(db: Database.Database): void {
  const sql = db
    .prepare<[], string>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'objects'")
    .pluck()
    .get();
  if (!sql || !/WITHOUT\s+ROWID/i.test(sql)) return;
  db.transaction(() => {
    db.exec(`DROP TABLE IF EXISTS objects_rowid;
${OBJECTS_TABLE('objects_rowid')}
INSERT INTO objects_rowid (group_resource, namespace, name, revision, value)
  SELECT group_resource, namespace, name, revision, value FROM objects ORDER BY revision;
DROP TABLE objects;
ALTER TABLE objects_rowid RENAME TO objects;`);
  }).immediate();
}

export function openDatabase(path: string): Database.Database {
  try {
    if (path === ':memory:' || path === '') return new Database(path);
    ensureParentDirsSync(dirname(path));
    // The store holds every Secret. SQLite gives the -wal and -shm files the database file's mode, so a
    // 0600 database (created so, or made so if an older run left it 0644) keeps all three private.
    ensurePrivateFileSync(path);
    makeFilesPrivateSync([`${path}-wal`, `${path}-shm`, `${path}-journal`]);
    return new Database(path);
  } catch (err) {
    throw new Error(
      `cannot open the object store at ${path}: ${(err as Error).message}; check that the state directory is writable`,
      { cause: err },
    );
  }
}
