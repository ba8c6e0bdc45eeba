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
 *
 * A run is always written as CSV: `<base>.result.csv` and `<base>.result.manifest.json`
 * are the run (its name, what the next run compares with). A schedule's other formats
 * are more exports of the same batch under the same base name, each with its own
 * manifest (`<base>.result.xlsx` and `<base>.result.xlsx.manifest.json`, `<base>.high.xlsx`
 * ...), written before the CSV, so the run's manifest appears only once they are whole,
 * and removed with the run, before its own manifest.
 */
import { readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { manifestPathOf, readManifest, type ResultManifest } from '../report/manifest.js';
import { maskNumbersIn } from '../report/masking.js';
import { FORMAT_EXTENSIONS, RESULT_FORMATS, type ResultFormat } from '../report/result-format.js';
import { stemOf } from './inbox.js';

/** What manifestPathOf makes of `<base>.result.csv`: a run's manifest (another format's ends `.result.xlsx.manifest.json`). */
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

/** One format's files of a run. */
export interface OutboxFormatNames {
  /** `<outbox>/<base>.result.<ext>` */
  result: string;
  /** Where manifestPathOf puts the result's manifest: `<base>.result.manifest.json` for CSV, `<base>.result.xlsx.manifest.json` for the others. */
  manifest: string;
  /** `<outbox>/<base>.changes.<ext>` */
  changes: string;
  /** `<outbox>/<base>.<suffix>.<ext>`, e.g. a level's file. */
  sibling(suffix: string): string;
}

/** A run's names: its CSV files (the run itself) at the top, any format's from {@link OutboxNames.inFormat}. */
export interface OutboxNames extends OutboxFormatNames {
  /** `<stem>.<runDate>` or `<stem>.<runDate>-N`: every file of the run starts with it. */
  base: string;
  /** The files of the run in `format` (`csv`: the names above). */
  inFormat(format: ResultFormat): OutboxFormatNames;
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
  /**
   * The run's other formats found beside it (`<base>.result.xlsx.manifest.json`, ...), in
   * the order of RESULT_FORMATS: each with every file its manifest lists, then the
   * manifest. A manifest that cannot be read is listed alone (its files are not known).
   */
  formats: OutboxRunFormat[];
}

export interface OutboxRunFormat {
  format: Exclude<ResultFormat, 'csv'>;
  manifestPath: string;
  files: string[];
}

/** The formats a run may have beside its CSV. */
const EXTRA_FORMATS = RESULT_FORMATS.filter((format): format is Exclude<ResultFormat, 'csv'> => format !== 'csv');

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
 * Keeps the newest `keep` runs of one schedule's list and removes the rest. Each
 * manifest goes before the files it lists (from then on no reader trusts them): first
 * the run's other formats (each manifest, then its files), then the run's own manifest,
 * then its CSVs. The run's manifest goes only once its other formats are gone, so a
 * removal cut short there (a file that cannot be removed) leaves the run listed, and the
 * next retention finishes it: the other formats' files are also found by name, since
 * their manifest may be gone already. A file also listed by a run that stays (of any schedule) is left alone,
 * and so is the run of batch `protect`. Returns what was removed.
 */
export async function applyRetention(outbox: string, schedule: string, stem: string, keep: number, protect?: string): Promise<string[]> {
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be a whole number of runs, at least 1 (got ${keep})`);
  const all = await allRuns(outbox);
  const mine = all.filter((run) => run.schedule.name === schedule && run.schedule.stem === stem);
  // `protect`: the run just written (a webhook is about to name its files), even if newer runs finished first.
  const old = new Set(mine.slice(0, Math.max(0, mine.length - keep)).filter((run) => run.batchId !== protect));
  const staying = new Set(all.filter((run) => !old.has(run)).flatMap(runFiles));

  const removed: string[] = [];
  const removeSet = async (manifestPath: string, files: readonly string[]) => {
    if (await removeFile(manifestPath)) removed.push(manifestPath);
    for (const file of files) {
      if (file === manifestPath || staying.has(file)) continue;
      if (await removeFile(file)) removed.push(file);
    }
  };
  const present = new Set(await namesIn(outbox));
  for (const run of old) {
    // A file the run's own manifest also lists (a hand-made manifest may) waits for that manifest to go first.
    const own = new Set(run.files);
    for (const extra of run.formats) await removeSet(extra.manifestPath, extra.files.filter((file) => !own.has(file)));
    // What an earlier removal cut short left of another format: its manifest went first, so
    // nothing lists those files now; they are found by the names a run's files have.
    for (const file of leftoversOf(outbox, basename(run.manifestPath).slice(0, -MANIFEST.length), present)) {
      if (own.has(file) || staying.has(file)) continue;
      if (await removeFile(file)) removed.push(file);
    }
    await removeSet(run.manifestPath, run.files);
  }
  return removed;
}

/** The parts a run's files are named with: `<base>.<part>.<ext>`. */
const RUN_PARTS = ['result', 'changes', 'high', 'medium', 'low', 'unscored'] as const;

/** Files at a run's base name in a format other than CSV, whether or not a manifest lists them. */
function leftoversOf(outbox: string, base: string, present: ReadonlySet<string>): string[] {
  const files: string[] = [];
  for (const format of RESULT_FORMATS) {
    if (format === 'csv') continue;
    for (const ext of FORMAT_EXTENSIONS[format]) for (const part of RUN_PARTS) if (present.has(`${base}.${part}${ext}`)) files.push(join(outbox, `${base}.${part}${ext}`));
  }
  return files;
}

/** Every file of a run: its other formats' and its own. */
function runFiles(run: OutboxRun): string[] {
  return [...run.formats.flatMap((extra) => extra.files), ...run.files];
}

type ScheduledRun = OutboxRun & { schedule: ManifestSchedule };

/** Every scheduled run in the outbox (of any schedule), oldest first. */
async function allRuns(outbox: string): Promise<ScheduledRun[]> {
  const runs: ScheduledRun[] = [];
  const names = await namesIn(outbox);
  const present = new Set(names);
  for (const name of names) {
    if (!name.endsWith(MANIFEST) || name.startsWith('.')) continue;
    const manifestPath = join(outbox, name);
    let manifest: ResultManifest;
    try {
      manifest = await readManifest(manifestPath);
    } catch {
      continue;
    }
    const run = runOf(outbox, manifestPath, manifest);
    if (run) runs.push({ ...run, formats: await extraFormatsOf(outbox, name.slice(0, -MANIFEST.length), present) });
  }
  return runs.sort(
    (a, b) => (Date.parse(a.created) || 0) - (Date.parse(b.created) || 0) || byText(a.created, b.created) || byText(a.batchId, b.batchId),
  );
}

/**
 * The other formats' manifests at a run's base name, with the files each lists. Found by
 * name: whichever formats the schedule writes now, a run keeps the ones it was written in.
 */
async function extraFormatsOf(outbox: string, base: string, present: ReadonlySet<string>): Promise<OutboxRunFormat[]> {
  const found: OutboxRunFormat[] = [];
  for (const format of EXTRA_FORMATS) {
    const manifestPath = formatNamesAt(outbox, base, format).manifest;
    if (!present.has(basename(manifestPath))) continue;
    let files: string[] = [];
    try {
      files = listedFiles(outbox, await readManifest(manifestPath));
    } catch {
      // Unreadable: it still goes with its run; the files it would list are not known.
    }
    found.push({ format, manifestPath, files: [...files, manifestPath] });
  }
  return found;
}

/** The files a manifest lists: plain names in the outbox itself, each once. */
function listedFiles(outbox: string, manifest: ResultManifest): string[] {
  const m = manifest as Partial<ResultManifest> | null;
  const listed = [m?.result?.file, ...Object.values(m?.files?.levels ?? {}).map((f) => f?.file), m?.files?.changes?.file];
  // Only plain names in the outbox itself: a manifest is never a way to reach (and, at
  // retention, remove) a file elsewhere.
  return [...new Set(listed.filter(isPlainName).map((file) => join(outbox, file)))];
}

/** A scheduled run, or null when the manifest is not one (or not a whole one). */
function runOf(outbox: string, manifestPath: string, manifest: ResultManifest): Omit<ScheduledRun, 'formats'> | null {
  const m = manifest as (Partial<ResultManifest> & { schedule?: Partial<ManifestSchedule> }) | null;
  const schedule = m?.schedule;
  const batchId = m?.batch?.id;
  const created = m?.times?.created;
  const result = m?.result?.file;
  if (!schedule || typeof schedule !== 'object') return null;
  const { name, run_date: runDate, stem } = schedule;
  if (typeof name !== 'string' || typeof runDate !== 'string' || typeof stem !== 'string') return null;
  if (typeof batchId !== 'string' || typeof created !== 'string' || !isPlainName(result)) return null;

  const files = listedFiles(outbox, manifest);
  return { batchId, created, runDate, manifestPath, resultPath: join(outbox, result), files: [...files, manifestPath], schedule: { name, run_date: runDate, stem } };
}

function isPlainName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && basename(name) === name && !name.includes('\\');
}

function namesAt(outbox: string, base: string): OutboxNames {
  return { ...formatNamesAt(outbox, base, 'csv'), base, inFormat: (format) => formatNamesAt(outbox, base, format) };
}

/** `<base>.result.<ext>`, its manifest, `<base>.<suffix>.<ext>`: the extension the format is written with. */
function formatNamesAt(outbox: string, base: string, format: ResultFormat): OutboxFormatNames {
  const ext = FORMAT_EXTENSIONS[format][0]!;
  const at = (suffix: string) => join(outbox, `${base}.${suffix}${ext}`);
  const result = at('result');
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
