/**
 * The outbox of a schedule: the folder its results land in, one set of files per run,
 * named after the list and the day (`list.20261206.result.csv` and its manifest). This
 * file names a new run's files, finds the run before it (to compare with) and removes
 * runs beyond the number kept.
 *
 * Only manifests count. A manifest present means every file it lists is complete
 * (src/report/manifest.ts), so a run is its manifest: a CSV without one is an earlier
 * write that never finished, free to overwrite, and a run is removed manifest first, so
 * no reader ever finds a manifest whose files are gone.
 */
import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { manifestPathOf, readManifest, type ResultManifest } from '../report/manifest.js';
import { maskNumbersIn } from '../report/masking.js';
import { stemOf } from './inbox.js';

const RESULT = '.result.csv';
/** What manifestPathOf makes of `<base>.result.csv`. */
const MANIFEST = '.result.manifest.json';

/** What a scheduled batch's manifest says about its schedule (docs/output-schema.md). */
export interface ManifestSchedule {
  name: string;
  /** yyyymmdd, in the schedule's time zone. */
  run_date: string;
  /** The list's name without extension: the outbox names start with it. */
  stem: string;
}

/**
 * The day an instant falls on where the schedule runs, as yyyymmdd: the 02:00 run in
 * Shanghai is that day's run, though it is still the day before in UTC.
 */
/**
 * The stem outbox names start with: the inbox file's, with any mobile number in it
 * masked (`客户13800138000.csv` -> `客户138xxxx8000`), so no outbox name, manifest or
 * webhook ever carries one. `x`, not `*`: a `*` in a name breaks Windows shares.
 */
export function outboxStem(fileName: string): string {
  return maskNumbersIn(stemOf(fileName)).replace(/\*/g, 'x');
}

export function runDateOf(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(iso));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}${part('month')}${part('day')}`;
}

export interface OutboxNames {
  /** `<outbox>/<stem>.<runDate>.result.csv` */
  result: string;
  /** `<outbox>/<stem>.<runDate>.result.manifest.json` */
  manifest: string;
  /** `<outbox>/<stem>.<runDate>.changes.csv` */
  changes: string;
  /** `<outbox>/<stem>.<runDate>.<suffix>.csv`, e.g. a level's file. */
  sibling(suffix: string): string;
}

/**
 * Where a run's files go: `<stem>.<runDate>`, or `<stem>.<runDate>-2`, `-3`, … when an
 * earlier run of that day (another batch) has the name; a second run the same day never
 * overwrites the first. The same batch again (an export retried) gets the name it had.
 */
export async function outboxNamesFor(outbox: string, stem: string, runDate: string, batchId: string): Promise<OutboxNames> {
  const day = `${stem}.${runDate}`;
  // The batch's own earlier name first, wherever it is: a run of that day removed since
  // may have freed a lower name, and the batch must not leave its first files behind.
  const owners = new Map<string, string | null>(); // base name -> batch id (null: unreadable)
  for (const name of await namesIn(outbox)) {
    if (!name.endsWith(MANIFEST)) continue;
    const base = name.slice(0, -MANIFEST.length);
    if (base !== day && !(base.startsWith(`${day}-`) && /^\d+$/.test(base.slice(day.length + 1)))) continue;
    owners.set(base, await batchIdOf(join(outbox, name)));
  }
  for (const [base, owner] of owners) if (owner === batchId) return namesAt(outbox, base);
  for (let n = 1; ; n++) {
    const base = n === 1 ? day : `${day}-${n}`;
    // An unreadable manifest still holds its name: it may be another run's, mid-repair.
    if (!owners.has(base)) return namesAt(outbox, base);
  }
}

export interface OutboxRun {
  batchId: string;
  /** When the batch was created (ISO): runs are ordered by it. */
  created: string;
  runDate: string;
  manifestPath: string;
  resultPath: string;
  /** Every file the manifest lists, then the manifest itself. */
  files: string[];
}

/**
 * The runs of one schedule's list in an outbox, oldest first. A manifest that cannot be
 * read or is not a scheduled run's (a file someone put there, one half-repaired by hand)
 * is passed over, never a reason to stop.
 */
export async function listRuns(outbox: string, schedule: string, stem: string): Promise<OutboxRun[]> {
  const runs = (await allRuns(outbox)).filter((run) => run.schedule.name === schedule && run.schedule.stem === stem);
  return runs.map(({ schedule: _schedule, ...run }) => run);
}

/**
 * The run to compare with: the newest run before the batch's own one (by creation), or
 * the newest run of all when the batch has none yet.
 */
export async function earlierRun(outbox: string, schedule: string, stem: string, batchId: string): Promise<OutboxRun | null> {
  const runs = await listRuns(outbox, schedule, stem);
  const own = runs.findIndex((run) => run.batchId === batchId);
  const before = own === -1 ? runs : runs.slice(0, own);
  return before.filter((run) => run.batchId !== batchId).at(-1) ?? null;
}

/**
 * Keeps the newest `keep` runs of one schedule's list and removes the rest: each run's
 * manifest first (from then on no reader trusts its files), then its files. A file also
 * listed by a run that stays (of any schedule) is left alone, and so is the run of batch
 * `protect`. Returns what was removed.
 */
export async function applyRetention(outbox: string, schedule: string, stem: string, keep: number, protect?: string): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be a whole number of runs, at least 1 (got ${keep})`);
  const all = await allRuns(outbox);
  const mine = all.filter((run) => run.schedule.name === schedule && run.schedule.stem === stem);
  // `protect`: the run just written (a webhook is about to name its files), even if newer runs finished first.
  const old = new Set(mine.slice(0, Math.max(0, mine.length - keep)).filter((run) => run.batchId !== protect));
  const staying = new Set(all.filter((run) => !old.has(run)).flatMap((run) => run.files));

  const removed: string[] = [];
  for (const run of old) {
    if (await removeFile(run.manifestPath)) removed.push(run.manifestPath);
    for (const file of run.files) {
      if (file === run.manifestPath || staying.has(file)) continue;
      if (await removeFile(file)) removed.push(file);
    }
  }
  return removed;
}

type ScheduledRun = OutboxRun & { schedule: ManifestSchedule };

/** Every scheduled run in the outbox (of any schedule), oldest first. */
async function allRuns(outbox: string): Promise<ScheduledRun[]> {
  const runs: ScheduledRun[] = [];
  for (const name of await namesIn(outbox)) {
    if (!name.endsWith(MANIFEST) || name.startsWith('.')) continue;
    const manifestPath = join(outbox, name);
    let manifest: ResultManifest;
    try {
      manifest = await readManifest(manifestPath);
    } catch {
      continue;
    }
    const run = runOf(outbox, manifestPath, manifest);
    if (run) runs.push(run);
  }
  return runs.sort(
    (a, b) => (Date.parse(a.created) || 0) - (Date.parse(b.created) || 0) || byText(a.created, b.created) || byText(a.batchId, b.batchId),
  );
}

/** A scheduled run, or null when the manifest is not one (or not a whole one). */
function runOf(outbox: string, manifestPath: string, manifest: ResultManifest): ScheduledRun | null {
  const m = manifest as (Partial<ResultManifest> & { schedule?: Partial<ManifestSchedule> }) | null;
  const schedule = m?.schedule;
  const batchId = m?.batch?.id;
  const created = m?.times?.created;
  const result = m?.result?.file;
  if (!schedule || typeof schedule !== 'object') return null;
  const { name, run_date: runDate, stem } = schedule;
  if (typeof name !== 'string' || typeof runDate !== 'string' || typeof stem !== 'string') return null;
  if (typeof batchId !== 'string' || typeof created !== 'string' || !isPlainName(result)) return null;

  const listed = [result, ...Object.values(m?.files?.levels ?? {}).map((f) => f?.file), m?.files?.changes?.file];
  // Only plain names in the outbox itself: a manifest is never a way to reach (and, at
  // retention, remove) a file elsewhere.
  const files = [...new Set(listed.filter(isPlainName).map((file) => join(outbox, file)))];
  return { batchId, created, runDate, manifestPath, resultPath: join(outbox, result), files: [...files, manifestPath], schedule: { name, run_date: runDate, stem } };
}

function isPlainName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && basename(name) === name && !name.includes('\\');
}

function namesAt(outbox: string, base: string): OutboxNames {
  const at = (suffix: string) => join(outbox, `${base}.${suffix}.csv`);
  const result = join(outbox, `${base}${RESULT}`);
  return { result, manifest: manifestPathOf(result), changes: at('changes'), sibling: at };
}

/** The batch id a manifest names, or null when it cannot be read. */
async function batchIdOf(path: string): Promise<string | null> {
  try {
    const id = (await readManifest(path))?.batch?.id;
    return typeof id === 'string' ? id : null;
  } catch {
    return null;
  }
}

/** The names in a folder; none when it does not exist yet (nothing was written there). */
async function namesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort(byText);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Removes a file; false when it was already gone. A folder in its place is an error, never removed. */
async function removeFile(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** By code point, the same on every machine. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
