/**
 * The tables of the local engine's SQLite store (src/engine/sqlite-store.ts), and the
 * schema version kept in `PRAGMA user_version`. A file written by a newer riskscreen is
 * refused rather than read with the wrong idea of its tables; an older one is brought
 * up to date by the steps in MIGRATIONS, each in its own transaction.
 *
 * Times are ms on the store's clock (REAL: the default clock has fractions of a ms).
 * Every table keyed by batch is emptied by `remove`; there are no foreign keys, so an
 * insert costs one B-tree write, not a parent lookup too (the store checks the batch
 * itself where the memory store would throw).
 */
import type Database from 'better-sqlite3';

/** What this code writes and reads. Raise it with a new step in MIGRATIONS. */
export const SCHEMA_VERSION = 2;

/** MIGRATIONS[n] takes a file from version n to n + 1. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    -- The fixed part of the record (input, options, ...) as JSON: read whole, never queried.
    meta        TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT,
    times       TEXT NOT NULL,
    result_path TEXT,
    progress_at REAL NOT NULL
  );
  CREATE TABLE counters (
    batch TEXT NOT NULL,
    name  TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (batch, name)
  ) WITHOUT ROWID;
  CREATE TABLE errors (
    batch TEXT NOT NULL,
    code  TEXT NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (batch, code)
  );
  CREATE TABLE exhausted (
    batch  TEXT NOT NULL,
    api    TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (batch, api)
  );
  -- A probe per batch and API: owner NULL once it answered ("ok"), else the job
  -- probing, until when, and the session that runs it (a dead session's claim lapses).
  CREATE TABLE probes (
    batch   TEXT NOT NULL,
    api     TEXT NOT NULL,
    owner   TEXT,
    until   REAL,
    session TEXT,
    PRIMARY KEY (batch, api)
  );
  -- A rowid table on purpose: an update keeps the rowid, so holds read back in the
  -- order they were first noted, as the memory store keeps them.
  CREATE TABLE holds (
    batch TEXT NOT NULL,
    api   TEXT NOT NULL,
    code  INTEGER NOT NULL,
    until REAL NOT NULL,
    PRIMARY KEY (batch, api, code)
  );
  CREATE TABLE results (
    batch   TEXT NOT NULL,
    task    TEXT NOT NULL,
    encoded TEXT NOT NULL,
    PRIMARY KEY (batch, task)
  ) WITHOUT ROWID;
  -- No index on expires_at: it would hold the key again (WITHOUT ROWID), making the
  -- table 60% bigger and each answer's write a third slower (bench/store.ts), for
  -- purgeExpired and count, which are rare and fine as one scan.
  CREATE TABLE answers (
    api        TEXT NOT NULL,
    hash       TEXT NOT NULL,
    encoded    TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (api, hash)
  ) WITHOUT ROWID;
  CREATE TABLE inflight (
    api     TEXT NOT NULL,
    hash    TEXT NOT NULL,
    owner   TEXT NOT NULL,
    session TEXT NOT NULL,
    until   REAL NOT NULL,
    PRIMARY KEY (api, hash)
  ) WITHOUT ROWID;
  CREATE INDEX inflight_session ON inflight (session);
  CREATE TABLE gate (
    api  TEXT PRIMARY KEY,
    next REAL NOT NULL
  );
  CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    lease_until REAL NOT NULL,
    started_at  REAL NOT NULL,
    -- The kernel's start time of the process (Linux), so a pid reused after a crash is
    -- told from the process that held it. NULL where it cannot be read.
    proc_start  TEXT
  );
  -- The process working a batch (one at a time).
  CREATE TABLE batch_claims (
    batch   TEXT PRIMARY KEY,
    session TEXT NOT NULL
  );
  `,
  `
  -- Billed and maybe-billed calls per API over every batch (name 'billed.<api>' or
  -- 'maybeBilled.<api>', as the batch's counters): added in the transaction that adds
  -- them to the batch's counters, never removed with a batch. Counted from this version
  -- on: calls billed before it are not in it.
  CREATE TABLE billed_totals (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];

/** The file was written by a newer riskscreen: reading it with this one could lose data. */
export class StoreVersionError extends Error {
  readonly code = 'RISKSCREEN_STORE_VERSION';
  readonly kind = 'storage';
  constructor(
    readonly file: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(`the local store ${file} has schema version ${found}, newer than this riskscreen knows (${known}): use a newer riskscreen, or another data folder`);
    this.name = 'StoreVersionError';
  }
}

/** Create or upgrade the tables; refuse a newer file. Each step is one IMMEDIATE transaction. */
export function migrate(db: Database.Database, file: string): void {
  const check = (): number => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw new StoreVersionError(file, version, SCHEMA_VERSION);
    return version;
  };
  check();
  for (;;) {
    // Read again inside the transaction: another process may have migrated meanwhile.
    const moved = db
      .transaction(() => {
        const version = check();
        if (version === SCHEMA_VERSION) return false;
        db.exec(MIGRATIONS[version]!);
        db.pragma(`user_version = ${version + 1}`);
        return true;
      })
      .immediate();
    if (!moved) return;
  }
}
