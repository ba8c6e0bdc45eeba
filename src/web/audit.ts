/**
 * The audit log: who logged in (or failed to), uploaded (file name, sha256, rows),
 * started, cancelled and downloaded what, from which address. pino lines with their own
 * `audit: true` binding, so they can be routed apart; never a phone number (nothing
 * logged here holds one: file names, batch ids, counts).
 */
import type { Logger } from 'pino';

export type AuditEvent =
  | { event: 'login'; user: string }
  | { event: 'login_failed'; user: string; why: 'unknown_or_wrong_password' | 'throttled' }
  | { event: 'logout'; user: string }
  | { event: 'upload'; user: string; upload: string; file: string; bytes: number; sha256: string }
  | { event: 'start'; user: string; batch: string; file: string; sha256: string; rows: number; profile: string; plan?: string; maxCalls: number | null }
  | { event: 'cancel'; user: string; batch: string }
  | { event: 'download'; user: string; batch: string; kind: string; format: string; encoding: string; language: string; compare: string | null };

export interface Audit {
  record(entry: AuditEvent, address: string): void;
}

export function createAudit(logger: Logger): Audit {
  const audit = logger.child({ audit: true });
  return {
    record(entry, address) {
      audit.info({ ...entry, address }, `audit: ${entry.event}`);
    },
  };
}
