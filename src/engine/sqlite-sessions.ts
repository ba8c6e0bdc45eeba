/**
 * Who holds what in a SQLite store shared by several processes. Each open store is a
 * session: a row with its pid, hostname and a lease it renews on a timer. Inflight
 * locks, probe claims and batch claims carry the session that took them, so when a
 * process dies (kill -9, a crash, a power cut) what it held is free as soon as anyone can
 * tell it is dead, not when a lock's TTL runs out: at once on the same host (its pid is
 * gone), after the lease otherwise.
 *
 * On this host a session is alive while its process is: its pid exists (ESRCH: gone;
 * EPERM: someone else's live process) with the kernel start time it registered (Linux),
 * so a pid reused after a crash is not taken for the dead process, and a live process
 * whose event loop stalled past its lease keeps what it holds. Where the start time
 * cannot be read, and for sessions on other hosts, the lease decides.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';

interface SessionRow {
  pid: number;
  host: string;
  lease_until: number;
  proc_start: string | null;
}

export class SqliteSessions {
  /** This process's session. */
  readonly id = `s${randomBytes(8).toString('hex')}`;
  private readonly host = hostname();
  /** Sessions seen dead by their pid: a pid that is gone never comes back for that session. */
  private readonly gone = new Set<string>();
  private readonly select: Database.Statement<[string], SessionRow>;
  private readonly others: Database.Statement<[string], { id: string }>;
  private readonly insert: Database.Statement<[string, number, string, number, number, string | null]>;
  private readonly renewLease: Database.Statement<[number, string]>;
  private readonly dropRows: Database.Statement<[string]>[];

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number,
    private readonly leaseMs: number,
  ) {
    this.select = db.prepare('SELECT pid, host, lease_until, proc_start FROM sessions WHERE id = ?');
    this.others = db.prepare('SELECT id FROM sessions WHERE id <> ?');
    this.insert = db.prepare('INSERT OR REPLACE INTO sessions (id, pid, host, lease_until, started_at, proc_start) VALUES (?, ?, ?, ?, ?, ?)');
    this.renewLease = db.prepare('UPDATE sessions SET lease_until = ? WHERE id = ?');
    this.dropRows = [
      db.prepare('DELETE FROM inflight WHERE session = ?'),
      // A claim only: an answered probe ("ok", owner NULL) stays answered.
      db.prepare('DELETE FROM probes WHERE session = ? AND owner IS NOT NULL'),
      db.prepare('DELETE FROM batch_claims WHERE session = ?'),
      db.prepare('DELETE FROM sessions WHERE id = ?'),
    ];
  }

  /** Add this session's row (call inside a write transaction). */
  register(): void {
    const now = this.now();
    this.insert.run(this.id, process.pid, this.host, now + this.leaseMs, now, processStart(process.pid));
  }

  /**
   * Push the lease on, and drop what dead sessions left (call inside a write
   * transaction). If another process found this session's lease run out and dropped
   * it, the row comes back: what it held is gone, but it is alive again from now on.
   */
  renew(): void {
    const now = this.now();
    if (this.renewLease.run(now + this.leaseMs, this.id).changes === 0) this.register();
    this.reap();
  }

  /** Drop the rows of every dead session (call inside a write transaction). */
  reap(): void {
    for (const { id } of this.others.all(this.id)) if (!this.isAlive(id)) this.drop(id);
  }

  /** Whether any other process has the store open now. */
  anyOtherAlive(): boolean {
    return this.others.all(this.id).some(({ id }) => this.isAlive(id));
  }

  /** Drop this session's row, locks and claims (call inside a write transaction). */
  end(): void {
    this.drop(this.id);
  }

  isAlive(session: string | null): boolean {
    if (session === null) return false;
    if (session === this.id) return true;
    if (this.gone.has(session)) return false;
    const row = this.select.get(session);
    if (!row) return false;
    if (row.host === this.host) {
      const start = row.proc_start === null ? null : processStart(row.pid);
      if (!pidExists(row.pid) || (start !== null && start !== row.proc_start)) {
        this.gone.add(session);
        return false;
      }
      if (start !== null) return true;
    }
    return row.lease_until > this.now();
  }

  /** The process behind a session, for "worked by pid … on …". */
  describe(session: string): { pid: number; host: string } | undefined {
    const row = this.select.get(session);
    return row ? { pid: row.pid, host: row.host } : undefined;
  }

  private drop(session: string): void {
    for (const statement of this.dropRows) statement.run(session);
  }
}

/**
 * When the kernel started the process (field 22 of /proc/<pid>/stat, in clock ticks
 * since boot), or null where there is no /proc (not Linux) or no such process.
 */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but is not ours to signal.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
