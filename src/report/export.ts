/**
 * Writing a batch's result where the user wants it (`run --out`, `result --out`), in
 * the form asked for: encoding, masked numbers, one file per level, and the changes
 * since an earlier result. Reads the batch's own result file (written by the report
 * job) and never changes it.
 *
 * Order, so a reader never trusts a half-written set: the old manifest at the target is
 * removed first; every CSV is written to a temporary file and renamed; the manifest is
 * written last. Manifest present means every file it lists is complete.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { RiskLevel } from '../risk/index.js';
import { rank } from '../risk/index.js';
import { earlierRows, readEarlierResult, type EarlierResult } from './earlier-result.js';
import {
  CHANGES,
  LEVELS_AND_UNSCORED,
  UNSCORED,
  manifestFile,
  manifestPathOf,
  readManifest,
  removeManifest,
  writeManifest,
  type Change,
  type LevelOrUnscored,
  type OutputOptions,
  type ResultManifest,
} from './manifest.js';
import { joinHash, maskCell, maskNumbersIn } from './masking.js';
import { openAtomicFile } from '../shared/atomic-file.js';
import { errnoWords } from '../shared/errno-words.js';
import { readCsvRows } from './csv-rows.js';
import { openResultCsv, type ResultCsv, type WrittenFile } from './result-csv.js';
import { ADDED_COLUMNS } from './result-row.js';

export const DEFAULT_OUTPUT: OutputOptions = { encoding: 'utf8-bom', mask: false, split: false, compare: null };

export interface ExportRequest {
  /** The batch's result file; its manifest must be beside it. */
  source: string;
  /** `output.compare` already read (see {@link prepareExport}); read here when absent. */
  earlier?: EarlierResult | null;
  /** Where the result goes; the manifest and other files go beside it. */
  out: string;
  output: OutputOptions;
  /** Key of `mobile_hash`; asked for only when masking or comparing with a masked file. */
  joinKey: () => Buffer;
  /** Where the per-level and changes files go (`high`, `changes`...); beside `out` by default (siblingPath). */
  siblingOf?: (suffix: string) => string;
  /** Recorded in the manifest when a schedule writes to its outbox. */
  schedule?: ResultManifest['schedule'];
}

export interface Exported {
  manifest: ResultManifest;
  manifestPath: string;
  /** Every file written, the result first and the manifest last. */
  paths: string[];
  /** Things worth telling the user (e.g. a comparison that matched no number at all). */
  warnings: string[];
}

export class ResultNotReadyError extends Error {
  readonly code = 'RISKSCREEN_RESULT_NOT_READY';
  readonly kind = 'not_ready';
  constructor(source: string) {
    super(`the batch result ${source} has no manifest: it is not complete (the report has not finished)`);
    this.name = 'ResultNotReadyError';
  }
}

export class ExportTargetError extends Error {
  readonly code = 'RISKSCREEN_EXPORT_TARGET';
  readonly kind = 'usage';
  constructor(
    readonly target: string,
    problem: string,
  ) {
    super(`--out ${target}: ${problem}`);
    this.name = 'ExportTargetError';
  }
}

/**
 * Refuses an `--out` that would destroy something it needs: the batch result itself,
 * the list being screened, or the earlier result being compared with. Cheap, so a
 * command checks it before anything is screened or billed.
 */
export function checkExportTarget(out: string, output: Pick<OutputOptions, 'compare'>, others: { source?: string; input?: string }): void {
  const target = resolve(out);
  const stem = manifestPathOf(target);
  if (others.source && (target === resolve(others.source) || stem === manifestPathOf(resolve(others.source)))) {
    throw new ExportTargetError(out, 'is the batch result itself; write the copy somewhere else');
  }
  if (others.input && target === resolve(others.input)) {
    throw new ExportTargetError(out, 'is the list being screened; the result would overwrite it');
  }
  if (output.compare && target === resolve(output.compare)) {
    throw new ExportTargetError(out, 'is also the --compare file; the earlier result would be overwritten while it is read');
  }
}

/**
 * Everything about an export that can fail before the batch has run: the target, the
 * `--compare` file (read whole: every later problem with it would cost a night's calls),
 * and the key a masked or hashed comparison needs. Returns the earlier result to pass on.
 */
export async function prepareExport(out: string, output: OutputOptions, joinKey: () => Buffer, input?: string): Promise<EarlierResult | null> {
  checkExportTarget(out, output, input ? { input } : {});
  await checkWritableTarget(out);
  const earlier = output.compare ? await readEarlierResult(output.compare) : null;
  if (output.mask || earlier?.keyBy === 'mobile_hash') joinKey();
  return earlier;
}

/**
 * The target's folder exists (it is made when missing, as `mkdir -p` would) and a file
 * can be made in it (a probe file, made and removed: `access(W_OK)` says yes to root on
 * any folder, and nothing of a read-only file system), and the target is not itself a
 * folder. Checked before any call, so a wrong --out costs nothing.
 */
export async function checkWritableTarget(out: string): Promise<void> {
  const target = resolve(out);
  const folder = dirname(target);
  await mkdir(folder, { recursive: true }).catch(() => undefined);
  const folderStat = await stat(folder).catch((err: NodeJS.ErrnoException) => err);
  if (folderStat instanceof Error) throw new ExportTargetError(out, `its folder ${folder} cannot be used: ${errnoWords(folderStat)}`);
  if (!folderStat.isDirectory()) throw new ExportTargetError(out, `${folder} is not a folder`);
  const targetStat = await stat(target).catch(() => null);
  if (targetStat?.isDirectory()) throw new ExportTargetError(out, 'is a folder; give a file name (e.g. --out result.csv)');
  const probe = join(folder, `.riskscreen-write-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
  } catch (err) {
    throw new ExportTargetError(out, `no file can be written in ${folder}: ${errnoWords(err)}`);
  }
  await rm(probe, { force: true });
}

/** `result.csv` -> `result.high.csv`, `result.changes.csv`. */
export function siblingPath(out: string, suffix: string): string {
  const ext = extname(out);
  const stem = ext.toLowerCase() === '.csv' ? basename(out, ext) : basename(out);
  return join(dirname(out), `${stem}.${suffix}.csv`);
}

export async function exportResult(request: ExportRequest): Promise<Exported> {
  const { source, out, output } = request;
  const sibling = request.siblingOf ?? ((suffix: string) => siblingPath(out, suffix));
  const stamp = request.schedule ? { schedule: request.schedule } : {};
  let key: Buffer | undefined;
  const joinKey = () => (key ??= request.joinKey());
  checkExportTarget(out, output, { source });
  const sourceManifestPath = manifestPathOf(source);
  if (!existsSync(sourceManifestPath)) throw new ResultNotReadyError(source);
  const base = await readManifest(sourceManifestPath);
  const earlier = request.earlier !== undefined ? request.earlier : output.compare ? await readEarlierResult(output.compare) : null;
  // Only now, with everything read that could fail: the old files are about to be replaced.
  const manifestPath = manifestPathOf(out);
  await removeManifest(manifestPath);
  if (!earlier && !output.mask && !output.split && output.encoding === base.result.encoding) {
    return copyResult(source, out, { ...base, ...stamp }, output, manifestPath);
  }

  const columns = base.input.columns;
  const phoneAt = base.input.phone_column.number - 1;
  const mobileAt = columns + ADDED_COLUMNS.indexOf('mobile');
  const levelAt = columns + ADDED_COLUMNS.indexOf('risk_level');
  const keyOf = (mobile: string) => (earlier?.keyBy === 'mobile_hash' ? joinHash(joinKey(), mobile) : mobile);

  const writers: ResultCsv[] = [];
  const open = async (path: string, header: string[]) => {
    const writer = await openResultCsv(path, header, output.encoding);
    writers.push(writer);
    return writer;
  };
  try {
    let sourceHeader: string[] | null = null;
    let header: string[] = [];
    let main: ResultCsv | null = null;
    const levelFiles = new Map<LevelOrUnscored, ResultCsv>();
    let changesFile: ResultCsv | null = null;
    const changeCounts = Object.fromEntries(CHANGES.map((c) => [c, 0])) as Record<Change, number>;
    let matched = 0;
    let rows = 0;
    let batch: { main: string[][]; levels: Map<LevelOrUnscored, string[][]>; changes: string[][] } = fresh();

    /** The source row as the output shows it: masked and with mobile_hash, if asked. */
    const shape = (row: string[]): string[] => {
      const mobile = row[mobileAt] ?? '';
      const shaped = [...row];
      if (output.mask) {
        for (let c = 0; c < columns; c++) shaped[c] = maskNumbersIn(shaped[c]!);
        shaped[phoneAt] = maskCell(row[phoneAt] ?? '');
        shaped[mobileAt] = maskCell(mobile);
        shaped.splice(mobileAt + 1, 0, mobile ? joinHash(joinKey(), mobile) : '');
      }
      return shaped;
    };
    const flush = async () => {
      await main!.writeRows(batch.main);
      for (const [level, levelRows] of batch.levels) await levelFiles.get(level)!.writeRows(levelRows);
      if (changesFile) await changesFile.writeRows(batch.changes);
      batch = fresh();
    };

    for await (const { row } of readCsvRows(source)) {
      if (!sourceHeader) {
        sourceHeader = row;
        header = [...row];
        if (output.mask) header.splice(mobileAt + 1, 0, 'mobile_hash');
        if (earlier) header.push('change');
        main = await open(out, header);
        if (output.split) {
          for (const level of LEVELS_AND_UNSCORED) levelFiles.set(level, await open(sibling(level), header));
        }
        if (earlier) changesFile = await open(sibling('changes'), header);
        continue;
      }
      rows++;
      const shaped = shape(row);
      const mobile = row[mobileAt] ?? '';
      const level = (row[levelAt] ?? '') as RiskLevel | '';
      if (earlier) {
        const key = mobile ? keyOf(mobile) : '';
        const before = key ? earlier.levels.get(key) : undefined;
        const change: Change | '' = key ? changeOf(before, level) : '';
        if (before !== undefined) {
          matched++;
          earlier.levels.markSeen(key);
        }
        if (change) changeCounts[change]++;
        shaped.push(change);
        if (change && change !== 'unchanged') batch.changes.push(shaped);
      }
      batch.main.push(shaped);
      if (output.split) {
        const key: LevelOrUnscored = level || UNSCORED;
        const list = batch.levels.get(key) ?? [];
        list.push(shaped);
        batch.levels.set(key, list);
      }
      if (batch.main.length >= 1_000) await flush();
    }
    if (!main) throw new ResultNotReadyError(source);
    await flush();
    if (rows !== base.rows.total) {
      throw new Error(`the batch result ${source} has ${rows} rows but its manifest says ${base.rows.total}: it changed after it was written`);
    }

    const warnings: string[] = [];
    if (earlier && changesFile) {
      changeCounts.gone = await writeGone(earlier, header, changesFile, { mask: output.mask, phoneAt, joinKey });
      if (matched === 0 && earlier.levels.size > 0 && rows > base.rows.by_status.invalid) {
        warnings.push(
          earlier.keyBy === 'mobile_hash'
            ? `no number of ${earlier.name} matched this result: if it was masked with another RISKSCREEN_SECRET, its mobile_hash values cannot match`
            : `no number of ${earlier.name} is in this result`,
        );
      }
    }

    const written: WrittenFile[] = [];
    for (const writer of writers) written.push(await writer.commit());
    const [result, ...rest] = written;
    const levels: Partial<Record<LevelOrUnscored, ReturnType<typeof manifestFile>>> = {};
    let at = 0;
    if (output.split) for (const level of LEVELS_AND_UNSCORED) levels[level] = manifestFile(rest[at++]!);
    const changes = earlier ? manifestFile(rest[at++]!) : undefined;

    const manifest: ResultManifest = {
      ...base,
      result: { ...manifestFile(result!), encoding: output.encoding, masked: output.mask },
      files: { ...(output.split ? { levels } : {}), ...(changes ? { changes } : {}) },
      ...(earlier ? { changes: { ...changeCounts, compared_with: { name: earlier.name, sha256: earlier.sha256 } } } : {}),
      ...stamp,
      options: { ...base.options, output },
      times: { ...base.times, files_written: new Date().toISOString() },
    };
    await writeManifest(manifestPath, manifest);
    return { manifest, manifestPath, paths: [...written.map((file) => file.path), manifestPath], warnings };
  } catch (err) {
    for (const writer of writers) await writer.abort();
    throw err;
  }
}

/** The result as it is, in the form asked for: a byte copy (the common case, and fast). */
async function copyResult(source: string, out: string, base: ResultManifest, output: OutputOptions, manifestPath: string): Promise<Exported> {
  const file = await openAtomicFile(out);
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(source)) {
      bytes += (chunk as Buffer).length;
      await file.write(chunk as Buffer);
    }
    if (bytes !== base.result.bytes) {
      throw new Error(`the batch result ${source} has ${bytes} bytes but its manifest says ${base.result.bytes}: it changed after it was written`);
    }
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
  const manifest: ResultManifest = {
    ...base,
    result: { ...base.result, file: basename(out) },
    files: {},
    options: { ...base.options, output },
    times: { ...base.times, files_written: new Date().toISOString() },
  };
  await writeManifest(manifestPath, manifest);
  return { manifest, manifestPath, paths: [out, manifestPath], warnings: [] };
}

/** What became of a number since the earlier result. */
export function changeOf(before: RiskLevel | '' | undefined, now: RiskLevel | ''): Change {
  if (before === undefined) return 'new';
  // '' (no level) sorts below low; a valid number always has a level, so it is rare.
  const diff = (now ? rank(now) : -1) - (before ? rank(before) : -1);
  return diff > 0 ? 'level_up' : diff < 0 ? 'level_down' : 'unchanged';
}

/**
 * The earlier file's rows whose number is in no row of this result, once per number,
 * with change `gone`; columns matched by position where the headers agree, else by name.
 */
async function writeGone(
  earlier: EarlierResult,
  header: readonly string[],
  file: ResultCsv,
  how: { mask: boolean; phoneAt: number; joinKey: () => Buffer },
): Promise<number> {
  const keyAt = earlier.header.lastIndexOf(earlier.keyBy);
  const byName = new Map<string, number>();
  earlier.header.forEach((name, i) => byName.set(name, i));
  const sources = header.map((name, i) => (earlier.header[i] === name ? i : (byName.get(name) ?? -1)));
  const mobileAt = header.lastIndexOf('mobile');
  const hashAt = header.lastIndexOf('mobile_hash');
  const changeAt = header.length - 1;
  let gone = 0;
  let pending: string[][] = [];
  for await (const { row } of earlierRows(earlier)) {
    const key = row[keyAt] ?? '';
    // Seen in this result, or already written as gone: skip. (Marking it keeps each gone number to one row.)
    if (!key || !earlier.levels.has(key) || earlier.levels.isSeen(key)) continue;
    earlier.levels.markSeen(key);
    gone++;
    const shaped = sources.map((from) => (from >= 0 ? (row[from] ?? '') : ''));
    const mobile = /^1\d{10}$/.test(shaped[mobileAt] ?? '') ? shaped[mobileAt]! : '';
    if (how.mask) {
      // Every column (an earlier file's columns land where their names say) but the hash,
      // whose hex digits can look like a number.
      for (let c = 0; c < shaped.length; c++) if (c !== hashAt) shaped[c] = maskNumbersIn(shaped[c]!);
      shaped[how.phoneAt] = maskCell(shaped[how.phoneAt] ?? '');
      if (mobile) {
        shaped[mobileAt] = maskCell(mobile);
        if (hashAt >= 0) shaped[hashAt] = joinHash(how.joinKey(), mobile);
      }
    }
    shaped[changeAt] = 'gone';
    pending.push(shaped);
    if (pending.length >= 1_000) {
      await file.writeRows(pending);
      pending = [];
    }
  }
  await file.writeRows(pending);
  return gone;
}

function fresh() {
  return { main: [] as string[][], levels: new Map<LevelOrUnscored, string[][]>(), changes: [] as string[][] };
}

