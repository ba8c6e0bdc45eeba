/**
 * The inbox of a schedule: a folder other people (or systems) drop lists into. This file
 * decides which files are complete — safe to take — and moves them out of the way once
 * taken (to `taken/`) or refused (to `rejected/`, with a note saying why).
 *
 * A file copied into a folder appears before its last byte does, and nothing in the file
 * system says "done". Two ways to know: the sender drops a marker `NAME.ready` after the
 * file (certain), or the file has not changed for a while (a guess, good enough for a
 * copy that runs at full speed). Files that copy programs use for a copy in flight
 * (`.part`, `.filepart`, …) are never taken, and a file is looked at once more just before
 * it is taken, so a slow copy is left for the next look rather than screened half-way.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { openAtomicFile } from '../shared/atomic-file.js';
import { errnoWords } from '../shared/errno-words.js';

/** The marker a sender drops beside `NAME` when `NAME` is complete: `NAME.ready`. */
export const MARKER_SUFFIX = '.ready';
/** The note written beside a rejected file: `rejected/NAME.error.txt`. */
export const ERROR_NOTE_SUFFIX = '.error.txt';
export const TAKEN_DIR = 'taken';
export const REJECTED_DIR = 'rejected';

/**
 * Names copy programs, editors and browsers give a file while it is being written (or
 * as a lock beside it), and our own files; compared in lower case.
 */
const TEMPORARY_ENDINGS = [
  '.part',
  '.tmp',
  '.partial',
  '.filepart', // WinSCP
  '.crdownload', // Chrome
  '.download', // Safari
  '.swp', // vim
  '~', // editors' backups
  MARKER_SUFFIX,
  ERROR_NOTE_SUFFIX,
];

/** The inbox folder cannot be read: missing, not a folder, no permission. */
export class InboxError extends Error {
  readonly code = 'RISKSCREEN_INBOX';
  readonly kind = 'config';
  constructor(
    readonly dir: string,
    problem: string,
  ) {
    super(`inbox ${dir}: ${problem}`);
    this.name = 'InboxError';
  }
}

/** Whether a name is a file in flight, a lock, a marker or our own note: never taken. */
export function isTemporaryName(name: string): boolean {
  if (name.startsWith('.')) return true; // hidden files, and our own temporary files (atomic-file.ts)
  if (name.startsWith('~$')) return true; // Office lock files
  const lower = name.toLowerCase();
  return TEMPORARY_ENDINGS.some((ending) => lower.endsWith(ending));
}

export interface InboxFile {
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  /** The path of `NAME.ready` when the sender dropped one. */
  marker: string | null;
}

export interface ScanOptions {
  /** How long a file must stay unchanged to count as complete (without a marker). */
  settleMs: number;
  /** Only a marker completes a file (the sender always drops one). */
  markers: boolean;
  now?: number;
}

export interface InboxScan {
  /** Ready to take, by name. */
  complete: InboxFile[];
  /** Not (yet) complete, by name; temporary names are in neither list. */
  waiting: InboxFile[];
  /** When the first waiting file would be complete if nothing touches it; null when none would (or only a marker can). */
  settlesAt: number | null;
}

/** The files directly in `dir` (not in its subfolders, not symlinks), complete or waiting. */
export async function scanInbox(dir: string, options: ScanOptions): Promise<InboxScan> {
  const now = options.now ?? Date.now();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new InboxError(dir, errnoWords(err));
  }
  names.sort(byName);
  const markers = markersOf(dir, names);

  const complete: InboxFile[] = [];
  const waiting: InboxFile[] = [];
  let settlesAt: number | null = null;
  for (const name of names) {
    if (isTemporaryName(name)) continue;
    const path = join(dir, name);
    let stats;
    try {
      // lstat: a symlink could point anywhere (outside the inbox, at a file still being
      // written elsewhere); taking only files that really are here keeps the rules simple.
      stats = await lstat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // gone since readdir
      throw new InboxError(dir, `${name}: ${errnoWords(err)}`);
    }
    if (!stats.isFile()) continue; // taken/, rejected/, other folders, symlinks, sockets
    const file: InboxFile = {
      name,
      path,
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      ctimeMs: stats.ctimeMs,
      ino: stats.ino,
      marker: markers.get(name) ?? null,
    };
    if (file.marker) {
      // A marker older than its file marks an earlier file of that name (its marker left
      // behind by a crash between moving it and removing the marker): not this one.
      const marker = await lstat(file.marker).catch(() => null);
      if (marker && marker.mtimeMs >= file.mtimeMs) {
        complete.push(file);
        continue;
      }
      file.marker = null;
    }
    if (options.markers) {
      waiting.push(file);
      continue;
    }
    // ctime too: a copy that keeps the original's (old) mtime still changes ctime when it
    // sets it, so a file copied just now is not mistaken for one that settled long ago.
    const settles = Math.max(file.mtimeMs, file.ctimeMs) + options.settleMs;
    if (now >= settles) {
      complete.push(file);
    } else {
      waiting.push(file);
      settlesAt = settlesAt === null ? settles : Math.min(settlesAt, settles);
    }
  }
  return { complete, waiting, settlesAt };
}

/**
 * Looked at again just before it is taken: a file still being written (its size or time
 * moved since the scan, or a new file under the same name) is left for the next look.
 */
export async function unchangedSince(file: InboxFile): Promise<boolean> {
  try {
    const stats = await lstat(file.path);
    return stats.isFile() && stats.size === file.size && stats.mtimeMs === file.mtimeMs && stats.ino === file.ino;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * A short digest of what makes a file this file: the same file looked at again has the
 * same identity, a new file dropped under the same name (new inode, time or size) does not.
 */
export function fileIdentity(file: InboxFile): string {
  return createHash('sha256')
    .update([file.name, file.size, file.mtimeMs, file.ino].join('\0'))
    .digest('hex')
    .slice(0, 32);
}

/** `list.final.csv` -> `list.final`; a name without extension is its own stem. */
export function stemOf(name: string): string {
  const ext = extOf(name);
  return ext ? name.slice(0, -ext.length) : name;
}

/** `list.final.csv` -> `.csv`, spelled as given (`.CSV` stays `.CSV`); `''` when there is none. */
export function extOf(name: string): string {
  return extname(name);
}

/**
 * `list.csv` -> `taken/list.<batchId>.csv`: out of the inbox so it is never taken twice,
 * and named after the batch that screened it. Retried after a crash (the file already
 * moved), it answers the same path.
 */
export async function moveToTaken(inbox: string, file: InboxFile, batchId: string): Promise<string> {
  const target = join(inbox, TAKEN_DIR, `${stemOf(file.name)}.${batchId}${extOf(file.name)}`);
  await mkdir(join(inbox, TAKEN_DIR), { recursive: true });
  try {
    await rename(file.path, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !(await exists(target))) throw err;
  }
  await removeMarker(inbox, file);
  return target;
}

/**
 * A file that cannot be screened (not a list, no phone column, …) goes to `rejected/`,
 * never overwriting an earlier rejected file, with a note beside it that says what is
 * wrong and what to do. Left in the inbox it would be refused again at every look.
 *
 * The note is written first, then the file moved: a crash between the two leaves the
 * file in the inbox, and the tick that comes back writes the same note again under the
 * same `target` (the caller records it, see rejectedPathFor) and moves the file.
 */
export async function moveToRejected(
  inbox: string,
  file: InboxFile,
  problem: string,
  at: Date,
  target?: string,
): Promise<{ path: string; errorFile: string }> {
  const path = target ?? (await rejectedPathFor(inbox, file.name, at));
  await mkdir(dirname(path), { recursive: true });
  const errorFile = `${path}${ERROR_NOTE_SUFFIX}`;
  const note = await openAtomicFile(errorFile);
  try {
    await note.write(errorNote(file.name, problem, at));
    await note.commit();
  } catch (err) {
    await note.abort();
    throw err;
  }
  try {
    await rename(file.path, path);
  } catch (err) {
    // Moved already, by the run that died after the move.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !(await exists(path))) throw err;
  }
  await removeMarker(inbox, file);
  return { path, errorFile };
}

/** Where a rejected file goes: `rejected/<name>`, or a name with the time when that one is taken. */
export async function rejectedPathFor(inbox: string, name: string, at: Date): Promise<string> {
  const dir = join(inbox, REJECTED_DIR);
  return freeRejectedName(dir, name, at);
}

/** The note beside a rejected file, for the person who dropped it (CRLF: it is often opened on Windows). */
export function errorNote(name: string, problem: string, at: Date): string {
  return [
    `File: ${name}`,
    `Rejected at: ${at.toISOString()}`,
    `Problem: ${problem}`,
    '',
    'Fix the file and drop it into the inbox again; nothing was screened and nothing was billed.',
    '',
  ].join('\r\n');
}

/** `rejected/list.csv`, else `rejected/list.<yyyymmdd-hhmmss>.csv`, else `…-2.csv`, `…-3.csv`, … */
async function freeRejectedName(dir: string, name: string, at: Date): Promise<string> {
  const first = join(dir, name);
  if (!(await taken(first))) return first;
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, '').replace(/[-:]/g, '').replace('T', '-'); // yyyymmdd-hhmmss
  const stem = stemOf(name);
  const ext = extOf(name);
  for (let n = 1; ; n++) {
    const candidate = join(dir, `${stem}.${stamp}${n === 1 ? '' : `-${n}`}${ext}`);
    if (!(await taken(candidate))) return candidate;
  }
}

/** A rejected name is taken when the file or its note is there (a note never describes another file). */
async function taken(path: string): Promise<boolean> {
  return (await exists(path)) || (await exists(`${path}${ERROR_NOTE_SUFFIX}`));
}

/** After the move: a marker left alone would be harmless (it marks nothing) but confusing. */
async function removeMarker(inbox: string, file: InboxFile): Promise<void> {
  await rm(file.marker ?? join(inbox, `${file.name}${MARKER_SUFFIX}`), { force: true });
}

/** Each file's marker among the names of a folder; `.ready` in any case (`LIST.CSV.READY` from Windows tools). */
function markersOf(dir: string, names: string[]): Map<string, string> {
  const markers = new Map<string, string>();
  for (const name of names) {
    if (name.length > MARKER_SUFFIX.length && name.toLowerCase().endsWith(MARKER_SUFFIX)) {
      markers.set(name.slice(0, -MARKER_SUFFIX.length), join(dir, name));
    }
  }
  return markers;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** By code point, the same on every machine (localeCompare depends on the locale). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
