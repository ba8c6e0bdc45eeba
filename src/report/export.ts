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
import { basename, dirname, join, resolve } from 'node:path';
import type { RiskLevel, Rubric } from '../risk/index.js';
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
  type ManifestFile,
  type OutputOptions,
  type ResultManifest,
} from './manifest.js';
import { joinHash, maskCell, maskNumbersIn } from './masking.js';
import { openAtomicFile } from '../shared/atomic-file.js';
import { errnoWords } from '../shared/errno-words.js';
import { readCsvRows } from './csv-rows.js';
import { unneutralizeRow } from './csv-safety.js';
import { openSink } from './open-sink.js';
import { dateOf, inputKeys, isoDay, resultColumns, typedCell, type ResultColumn } from './result-columns.js';
import { siblingPath } from './result-format.js';
import type { ResultFacts, ResultSink, SinkOptions, WrittenFile } from './result-sink.js';
import { ADDED_COLUMNS, RESULT_SCHEMA_VERSION } from './result-row.js';

export { siblingPath } from './result-format.js';

export const DEFAULT_OUTPUT: OutputOptions = { encoding: 'utf8-bom', mask: false, split: false, compare: null, format: 'csv', language: 'zh' };

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
  /** The rubric the batch was scored with: a workbook's summary sheet lists its rules. */
  rubric?: Rubric | null;
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

export async function exportResult(request: ExportRequest): Promise<Exported> {
  const { source, out } = request;
  const output = completeOutput(request.output);
  const { format } = output;
  const sibling = request.siblingOf ?? ((suffix: string) => siblingPath(out, suffix, format));
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
  if (format === 'csv' && !earlier && !output.mask && !output.split && output.encoding === base.result.encoding) {
    return copyResult(source, out, { ...base, ...stamp }, output, manifestPath);
  }

  const columns = base.input.columns;
  const phoneAt = base.input.phone_column.number - 1;
  const mobileAt = columns + ADDED_COLUMNS.indexOf('mobile');
  const levelAt = columns + ADDED_COLUMNS.indexOf('risk_level');
  const keyOf = (mobile: string) => (earlier?.keyBy === 'mobile_hash' ? joinHash(joinKey(), mobile) : mobile);

  const sinks: ResultSink[] = [];
  const open = async (path: string, header: string[], part: SinkOptions['part'], level?: LevelOrUnscored) => {
    const sink = await openSink(format, { path, columns: resultColumns(header, columns), encoding: output.encoding, language: output.language, part, ...(level ? { level } : {}) });
    sinks.push(sink);
    return sink;
  };
  try {
    let sourceHeader: string[] | null = null;
    let header: string[] = [];
    let main: ResultSink | null = null;
    const levelFiles = new Map<LevelOrUnscored, ResultSink>();
    let changesFile: ResultSink | null = null;
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

    for await (const { row: written } of readCsvRows(source)) {
      // The cells as the input had them: the batch's CSV neutralized them against formulas.
      const row = unneutralizeRow(written);
      if (!sourceHeader) {
        sourceHeader = row;
        header = [...row];
        if (output.mask) header.splice(mobileAt + 1, 0, 'mobile_hash');
        if (earlier) header.push('change');
        main = await open(out, header, 'result');
        if (output.split) {
          for (const level of LEVELS_AND_UNSCORED) levelFiles.set(level, await open(sibling(level), header, 'level', level));
        }
        if (earlier) changesFile = await open(sibling('changes'), header, 'changes');
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
      const gone = await writeGone(earlier, header, changesFile, { mask: output.mask, phoneAt, joinKey, inputColumns: columns, typed: format !== 'csv' });
      changeCounts.gone = gone.gone;
      if (gone.blanked > 0) {
        warnings.push(`${gone.blanked} cells of ${earlier.name}'s risk_score, risk_confidence or resale_date were not numbers or dates: its gone rows have them empty`);
      }
      if (matched === 0 && earlier.levels.size > 0 && rows > base.rows.by_status.invalid) {
        warnings.push(
          earlier.keyBy === 'mobile_hash'
            ? `no number of ${earlier.name} matched this result: if it was masked with another RISKSCREEN_SECRET, its mobile_hash values cannot match`
            : `no number of ${earlier.name} is in this result`,
        );
      }
    }

    const { result: _result, files: _files, ...rest } = base;
    if (base.schema_version === '1.0' && format !== 'csv') {
      warnings.push(
        `batch ${base.batch.id} was reported before schema 1.1: an input cell that itself began with ' and a formula character (such as '=1+1) comes back without its '`,
      );
    }
    const draft: ResultFacts['manifest'] = {
      ...rest,
      // This export's files follow this version's schema, whatever the batch was reported under.
      schema_version: RESULT_SCHEMA_VERSION,
      ...(earlier ? { changes: { ...changeCounts, compared_with: { name: earlier.name, sha256: earlier.sha256 } } } : {}),
      ...stamp,
      options: { ...base.options, output },
      times: { ...base.times, files_written: new Date().toISOString() },
    };
    const facts: ResultFacts = { manifest: draft, rubric: request.rubric ?? null };
    const written: WrittenFile[] = [];
    // Every file finished before any is renamed into place: one that fails (a cell not of
    // its type, a full disk) leaves every earlier file of this export unreplaced.
    for (const sink of sinks) written.push(await sink.finish(facts));
    for (const sink of sinks) await sink.publish();
    for (const sink of sinks) warnings.push(...(sink.warnings ?? []));
    const [result, ...others] = written;
    const levels: Partial<Record<LevelOrUnscored, ManifestFile>> = {};
    let at = 0;
    if (output.split) for (const level of LEVELS_AND_UNSCORED) levels[level] = manifestFile(others[at++]!);
    const changes = earlier ? manifestFile(others[at++]!) : undefined;

    const manifest: ResultManifest = {
      ...draft,
      result: { ...manifestFile(result!), format, encoding: output.encoding, masked: output.mask },
      files: { ...(output.split ? { levels } : {}), ...(changes ? { changes } : {}) },
    };
    await writeManifest(manifestPath, orderedLike(base, manifest));
    return { manifest, manifestPath, paths: [...written.map((file) => file.path), manifestPath], warnings };
  } catch (err) {
    for (const sink of sinks) await sink.abort();
    throw err;
  }
}

/**
 * The output options with every field set: a caller that predates formats gets a CSV, a
 * workbook's words in Chinese. The encoding is a CSV's alone: another format records
 * the default, whatever was asked, so its manifest never claims an encoding it has not.
 */
export function completeOutput(output: OutputOptions): Required<OutputOptions> {
  const format = output.format ?? 'csv';
  return {
    ...output,
    encoding: format === 'csv' ? output.encoding : DEFAULT_OUTPUT.encoding,
    format,
    language: output.language ?? DEFAULT_OUTPUT.language!,
  };
}

/** The manifest's keys in the order of the batch's own (`result` and `files` near the top), whatever order it was built in. */
function orderedLike(base: ResultManifest, manifest: ResultManifest): ResultManifest {
  const ordered: Record<string, unknown> = {};
  for (const key of Object.keys(base)) if (key in manifest) ordered[key] = manifest[key as keyof ResultManifest];
  for (const key of Object.keys(manifest)) if (!(key in ordered)) ordered[key] = manifest[key as keyof ResultManifest];
  return ordered as unknown as ResultManifest;
}

/** The result as it is, in the form asked for: a byte copy (the common case, and fast). */
async function copyResult(source: string, out: string, base: ResultManifest, output: Required<OutputOptions>, manifestPath: string): Promise<Exported> {
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
    result: { ...base.result, file: basename(out), format: 'csv' },
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
  file: ResultSink,
  how: { mask: boolean; phoneAt: number; joinKey: () => Buffer; inputColumns: number; typed: boolean },
): Promise<{ gone: number; blanked: number }> {
  const keyAt = earlier.header.lastIndexOf(earlier.keyBy);
  const byName = new Map<string, number>();
  earlier.header.forEach((name, i) => byName.set(name, i));
  // A JSON Lines or Parquet result names its input columns by their keys (`column_2`, `name_3`): match by those.
  const names = earlier.format === 'jsonl' || earlier.format === 'parquet' ? [...inputKeys(header.slice(0, how.inputColumns)), ...header.slice(how.inputColumns)] : header;
  const sources = names.map((name, i) => (earlier.header[i] === name ? i : (byName.get(name) ?? -1)));
  // A typed format needs the earlier file's typed cells to fit (an earlier file that went
  // through pandas may say `55.0`): made to fit where the value is plain, else left empty.
  const typedAt = how.typed ? resultColumns(header, how.inputColumns).filter((column) => column.origin === 'added' && column.type !== 'text') : [];
  let blanked = 0;
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
    for (const column of typedAt) {
      const fitted = fitCell(column, shaped[column.index] ?? '');
      if (fitted === null) blanked++;
      shaped[column.index] = fitted ?? '';
    }
    pending.push(shaped);
    if (pending.length >= 1_000) {
      await file.writeRows(pending);
      pending = [];
    }
  }
  await file.writeRows(pending);
  return { gone, blanked };
}

/** A typed cell as its type wants it (`55.0` -> `55`, `0.8` -> `0.80`, `20240131.0` -> `20240131`), or null when it is not one. */
function fitCell(column: ResultColumn, cell: string): string | null {
  try {
    typedCell(column, cell);
    return cell;
  } catch {
    const text = cell.trim();
    const number = Number(text);
    if (text === '' || !Number.isFinite(number)) return column.type === 'date' ? dateCell(text) : null;
    if (column.type === 'integer') return Number.isInteger(number) ? String(number) : null;
    if (column.type === 'decimal') return number.toFixed(2);
    return dateCell(Number.isInteger(number) ? String(number) : text);
  }
}

function dateCell(text: string): string | null {
  try {
    return isoDay(dateOf('resale_date', text)).replaceAll('-', '');
  } catch {
    return null;
  }
}

function fresh() {
  return { main: [] as string[][], levels: new Map<LevelOrUnscored, string[][]>(), changes: [] as string[][] };
}

