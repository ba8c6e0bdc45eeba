/**
 * Writing one result as an Excel workbook (.xlsx): the results sheet(s), then a summary
 * sheet. exceljs's streaming writer (public API only), no shared strings, rows committed
 * as they come, so memory stays flat for a million rows; the bytes go through a
 * temporary file renamed into place on commit, hashed and counted on the way.
 *
 * Cells. Every input column cell is a text cell holding exactly the input's string: an
 * 18-digit ID, a 19-digit card number, `00123`, `1E5`, `3/4` and `=1+1` stay text (a
 * string cell is never a formula, so nothing is neutralized and no `'` is added), and
 * the column's number format is text (`@`), so a value typed into it later stays text
 * too. The added columns are typed as result-columns.ts says: risk_score a whole number
 * (`0`), risk_confidence a number shown with two decimals (`0.00`), resale_date a real
 * date (`yyyy-mm-dd`); the others are text. An empty cell, input or added, is a cell
 * with its column's format and no value (openpyxl reads None, Excel shows a blank).
 *
 * The string cell form. exceljs writes a plain string as `t="str"` with the text in
 * `<v>`; the schema defines `str` as a *formula's* string result, and LibreOffice does
 * not apply the `_xHHHH_` unescaping to it (a control character would show as
 * `_x0001_`). A rich-text value makes exceljs write an inline string, `t="inlineStr"`
 * with `<is><r><t>text</t></r></is>`: the spec's form for a string held in the cell,
 * read as a plain text cell by Excel, LibreOffice (both unescaping `_xHHHH_` there) and
 * openpyxl (data_type 's'). So every text cell is written as one unformatted rich-text
 * run (escapeXlsxText below).
 *
 * Characters. XML 1.0 cannot hold C0 controls other than tab, LF and CR, lone
 * surrogates, U+FFFE or U+FFFF, and every reader turns a CR into LF; exceljs drops the
 * controls and DEL silently and writes a lone surrogate as U+FFFD. So those characters
 * (and CR and DEL) are written as OOXML's `_xHHHH_` escape, which Excel and LibreOffice
 * decode on reading; a literal `_x0041_`-like sequence in the text gets its `_` escaped
 * (`_x005F_x0041_`) so it reads back as itself (LibreOffice shows DEL as `_x007F_`).
 * Any other text is written as it is, `AT&amp;T` too: Excel, LibreOffice and openpyxl
 * show it as written. Only exceljs's worksheet parser (which result-xlsx-read.ts uses for
 * `--compare`) decodes `&lt;`, `&gt;`, `&amp;`, `&apos;` and `&quot;` a second time, so
 * a gone row taken from an earlier workbook reads such a cell as `AT&T`. Escaping the `&`
 * would keep that exact but make LibreOffice show `AT_x0026_amp;T`: people read the
 * workbook, so they come first.
 */
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { Writable } from 'node:stream';
import type { Cell, Row, Style, Worksheet } from 'exceljs';
import { APIS, API_IDS } from '../juhe/catalogue.js';
import { RISK_LEVELS, SIGNAL_NAMES, SIGNAL_VALUES, describeValue, type RiskLevel, type Rubric, type SignalName } from '../risk/index.js';
import { openAtomicFile, type AtomicFile } from '../shared/atomic-file.js';
import type { Plan } from '../engine/batch.js';
import { CHANGES, LEVELS_AND_UNSCORED, manifestPlan, type Change, type LevelOrUnscored } from './manifest.js';
import { typedCell, type ResultColumn } from './result-columns.js';
import { ROW_STATUSES, type RowStatus } from './result-row.js';
import { withCommit, type ResultFacts, type ResultLanguage, type ResultSink, type SinkOptions, type WrittenFile } from './result-sink.js';

/** Excel's 1,048,576 rows a sheet, less the header: data rows past this continue on the next sheet. */
export const MAX_SHEET_ROWS = 1_048_575;
/** Column widths are fitted to the header and this many first rows. */
export const WIDTH_SAMPLE_ROWS = 10_000;

export interface XlsxLimits {
  /** Data rows a results sheet holds (tests spill with a few). */
  maxSheetRows?: number;
  /** Rows held back to fit the column widths before the first is written. */
  widthSampleRows?: number;
}

/** Sheet names by language: the results sheet(s) (`结果`, `结果 2`, ...) and the summary. */
export const SHEET_NAMES: Record<ResultLanguage, { results: string; summary: string }> = {
  zh: { results: '结果', summary: '汇总' },
  en: { results: 'Results', summary: 'Summary' },
};

/** The n-th (1-based) results sheet's name. */
export function resultsSheetName(language: ResultLanguage, n: number): string {
  return n === 1 ? SHEET_NAMES[language].results : `${SHEET_NAMES[language].results} ${n}`;
}

/** Light fills and dark text per level (Excel's own "light red / yellow / green fill" presets). */
export const LEVEL_COLOURS: Record<RiskLevel, { fill: string; font: string }> = {
  high: { fill: 'FFFFC7CE', font: 'FF9C0006' },
  medium: { fill: 'FFFFEB9C', font: 'FF9C5700' },
  low: { fill: 'FFC6EFCE', font: 'FF006100' },
};

const ESCAPED = /_(?=x[0-9A-Fa-f]{4}_)|[\u0000-\u0008\u000B-\u001F\u007F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A string as an XLSX text cell holds it: the characters XML cannot carry (or that
 * exceljs would drop or change, see above) as `_xHHHH_`, and the `_` of a literal
 * `_xHHHH_` as `_x005F_`. unescapeXlsxText is the inverse.
 */
export function escapeXlsxText(text: string): string {
  return text.replace(ESCAPED, (ch) => `_x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`);
}

/** Decodes every `_xHHHH_`, as Excel does when it reads a string. */
export function unescapeXlsxText(text: string): string {
  return text.includes('_x') ? text.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : text;
}

/** A text cell's value: one rich-text run, so exceljs writes an inline string (see the file's comment). */
function textValue(text: string): { richText: { text: string }[] } {
  return { richText: [{ text: escapeXlsxText(text) }] };
}

/** How wide a string shows: CJK and full-width characters count as two; a multi-line cell by its longest line. */
export function displayWidth(text: string): number {
  let widest = 0;
  let width = 0;
  for (const ch of text) {
    if (ch === '\n' || ch === '\r') {
      widest = Math.max(widest, width);
      width = 0;
      continue;
    }
    width += isWide(ch.codePointAt(0)!) ? 2 : 1;
  }
  return Math.max(widest, width);
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

const MIN_WIDTH = 6;
const MAX_WIDTH = 60;

/** `1` -> `A`, `27` -> `AA`. */
function columnLetter(n: number): string {
  let letters = '';
  for (let rest = n; rest > 0; rest = Math.floor((rest - 1) / 26)) letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  return letters;
}

/**
 * The workbook's bytes on their way to the temporary file: hashed and counted, and
 * written one chunk at a time (the zip waits on `write()`'s answer, so a slow disk slows
 * the zip rather than filling memory). A write error is kept and thrown by the sink.
 */
class HashingOutput extends Writable {
  readonly hash = createHash('sha256');
  bytes = 0;
  failed: Error | null = null;
  /** Rejects with the first write error (the zip, waiting for `finish`, would wait for ever). */
  readonly failure: Promise<never>;
  private discarding = false;

  constructor(private readonly file: AtomicFile) {
    super({ highWaterMark: 256 * 1024 });
    this.failure = new Promise<never>((_, reject) => {
      this.on('error', (err) => {
        this.failed ??= err;
        reject(this.failed);
      });
    });
    this.failure.catch(() => undefined);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.discarding) return callback();
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.file.write(chunk).then(
      () => callback(),
      (err: Error) => {
        this.failed ??= err;
        callback(err);
      },
    );
  }

  /** After abort: whatever the zip still sends goes nowhere. */
  discard(): void {
    this.discarding = true;
  }
}

/**
 * Pacing. exceljs's streaming writer ignores backpressure: a committed row's XML is
 * queued in memory for the zip, which compresses it on libuv's thread pool one 64 KB
 * chunk per turn of the event loop. A writer that commits rows without letting the loop
 * turn queues the whole sheet (measured: 1.6 MB a thousand rows). So the sink turns the
 * loop after every ~16 KB of sheet XML (about the time the pool takes to compress it),
 * which keeps the queue near empty, and, should the queue grow all the same (a busy
 * pool, a slow machine), waits for it to shrink: the queued XML is in Buffers, which
 * `process.memoryUsage().arrayBuffers` counts. A slow disk is waited for too (the
 * output's `drain`).
 */
const XML_BETWEEN_TURNS = 16 * 1024;
const XML_BETWEEN_CHECKS = 1024 * 1024;
/** Buffers beyond those there when the sink opened that make it wait for the zip. */
const QUEUE_LIMIT = 48 * 1024 * 1024;
/** About the XML of a cell besides its text: `<c r="AB12" s="3" t="inlineStr"><is><r><t></t></r></is></c>`. */
const CELL_XML = 48;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function openXlsxSink(options: SinkOptions, limits: XlsxLimits = {}): Promise<ResultSink> {
  const maxSheetRows = limits.maxSheetRows ?? MAX_SHEET_ROWS;
  const widthSampleRows = limits.widthSampleRows ?? WIDTH_SAMPLE_ROWS;
  if (!(Number.isInteger(maxSheetRows) && maxSheetRows >= 1 && maxSheetRows <= MAX_SHEET_ROWS)) throw new RangeError(`maxSheetRows must be 1 to ${MAX_SHEET_ROWS}`);
  const { path, columns, language } = options;

  // Loaded on demand: exceljs is a large library and most results are CSV.
  const { default: ExcelJS } = await import('exceljs');
  const file = await openAtomicFile(path);
  const output = new HashingOutput(file);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: false });
  workbook.creator = 'riskscreen';
  workbook.lastModifiedBy = 'riskscreen';

  // One style object per column (and per level for risk_level), shared by every cell:
  // exceljs looks a style up by object identity first, so a million rows cost no more
  // style work than one.
  const levelAt = columns.findIndex((column) => column.origin === 'added' && column.name === 'risk_level');
  const cellStyles = columns.map(columnStyle);
  // One shared object per column (exceljs caches styles by identity): a cell with line
  // breaks wraps, or Excel shows its lines run together.
  const wrappedStyles = cellStyles.map((style) => ({ ...style, alignment: { ...style.alignment, wrapText: true, vertical: 'top' } }) as Partial<Style>);
  const levelStyles = Object.fromEntries(
    RISK_LEVELS.map((level) => [level, { ...cellStyles[levelAt], ...levelStyle(level) } as Partial<Style>]),
  ) as Record<RiskLevel, Partial<Style>>;
  const headerStyle: Partial<Style> = {
    numFmt: '@',
    font: { bold: true },
    fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } },
    alignment: { vertical: 'middle' },
  };
  const lastColumn = columnLetter(Math.max(columns.length, 1));

  const sample: (readonly string[])[] = [];
  let widths: number[] | null = null;
  const sheets: { name: string; rows: number }[] = [];
  let sheet: Worksheet | null = null;
  let sheetRows = 0;
  let rows = 0;
  let sinceTurn = 0;
  let sinceCheck = 0;
  let baseline = process.memoryUsage().arrayBuffers;
  let state: 'open' | 'finished' | 'committed' | 'aborted' = 'open';
  /** A row that failed half-written: the file is not committed after it. */
  let broken: unknown = null;

  const check = () => {
    if (output.failed) throw output.failed;
    if (broken) throw broken;
    if (state !== 'open') throw new Error(`${basename(path)}: the workbook is already ${state}`);
  };

  const openSheet = () => {
    const name = resultsSheetName(language, sheets.length + 1);
    // The views are given when the sheet is made: the streaming writer writes them at
    // once. The filter is written when the sheet is committed.
    const ws = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.autoFilter = `A1:${lastColumn}1`;
    ws.columns = columns.map((_, i) => ({ width: widths![i]!, style: cellStyles[i]! }));
    const header = ws.addRow(columns.map((column) => textValue(column.name)));
    header.eachCell({ includeEmpty: true }, (cell) => {
      cell.style = headerStyle;
    });
    header.commit();
    sheets.push({ name, rows: 0 });
    sheet = ws;
    sheetRows = 0;
  };

  /** Writes a row; returns about how many bytes of sheet XML it made. */
  const put = (row: readonly string[]): number => {
    if (!sheet || sheetRows === maxSheetRows) {
      sheet?.commit();
      openSheet();
    }
    const written: Row = sheet!.addRow([]);
    let xml = 40;
    let lines = 1;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      const raw = row[i] ?? '';
      xml += CELL_XML + raw.length;
      if (raw.length > EXCEL_CELL_CHARACTERS) longCells++;
      if (raw.includes('\n')) lines = Math.max(lines, raw.split('\n').length);
      const cell: Cell = written.getCell(i + 1);
      cell.value = valueOf(column, raw);
      cell.style = i === levelAt && isLevel(raw) ? levelStyles[raw] : raw.includes('\n') ? wrappedStyles[i]! : cellStyles[i]!;
    }
    // A note with line breaks (Alt+Enter in Excel) gets a row as high as its lines;
    // nothing fits the height on opening, and the lines would be drawn over the row above.
    if (lines > 1) written.height = Math.min(lines, MAX_ROW_LINES) * ROW_LINE_POINTS;
    written.commit();
    sheetRows++;
    rows++;
    sheets[sheets.length - 1]!.rows = sheetRows;
    return xml;
  };

  /** After a row: lets the zip take what was committed (see "Pacing" above). */
  const pace = async (xml: number) => {
    sinceTurn += xml;
    sinceCheck += xml;
    if (sinceTurn < XML_BETWEEN_TURNS) return;
    sinceTurn = 0;
    await turn();
    if (output.writableNeedDrain && !output.failed) await Promise.race([once(output, 'drain'), once(output, 'error')]);
    if (sinceCheck >= XML_BETWEEN_CHECKS) {
      sinceCheck = 0;
      // Wait while the queue is over its limit and shrinking. Buffers that do not shrink
      // are not the zip's (other parts of the process): counted in the baseline after.
      let queued = process.memoryUsage().arrayBuffers - baseline;
      let stalled = 0;
      while (queued > QUEUE_LIMIT && stalled < 20 && !output.failed) {
        await sleep(5);
        const now = process.memoryUsage().arrayBuffers - baseline;
        stalled = now < queued ? 0 : stalled + 1;
        queued = now;
      }
      if (stalled >= 20) baseline += queued;
    }
    if (output.failed) throw output.failed;
  };

  const startWriting = async () => {
    widths = fitWidths(columns, sample);
    const held = sample.splice(0);
    for (const row of held) await pace(put(row));
  };

  const typedColumns = columns.filter((column) => column.origin === 'added' && column.type !== 'text');
  let longCells = 0;
  const warnings: string[] = [];
  const sink: ResultSink = withCommit({
    format: 'xlsx',
    warnings,
    async writeRows(batch) {
      check();
      try {
        for (const row of batch) {
          if (!widths) {
            // Typed now, though written later: a cell not of its type fails this call, not the finish.
            for (const column of typedColumns) typedCell(column, row[column.index] ?? '');
            // A copy: the caller may reuse its arrays.
            sample.push([...row]);
            if (sample.length >= widthSampleRows) await startWriting();
            continue;
          }
          await pace(put(row));
        }
      } catch (err) {
        broken = err;
        throw err;
      }
    },

    async finish(facts): Promise<WrittenFile> {
      try {
        check();
        if (!widths) await startWriting();
        if (!sheet) openSheet();
        sheet!.commit();
        writeSummary(workbook.addWorksheet(SHEET_NAMES[language].summary), { facts, options, rows, sheets, maxSheetRows });
        await Promise.race([workbook.commit(), output.failure]);
        if (output.failed) throw output.failed;
        await file.finish();
        state = 'finished';
        if (longCells > 0) {
          warnings.push(`${basename(path)}: ${longCells} cells are longer than Excel's ${EXCEL_CELL_CHARACTERS.toLocaleString('en-US')} characters; Excel will offer to repair the workbook and cut them (LibreOffice reads them whole; CSV, JSON Lines and Parquet have no such limit)`);
        }
      } catch (err) {
        await sink.abort();
        throw err;
      }
      return { path, name: basename(path), rows, bytes: output.bytes, sha256: output.hash.digest('hex'), sheets: sheets.map((s) => ({ ...s })) };
    },

    async publish() {
      if (state !== 'finished') throw new Error(`the workbook ${path} is not finished (${state})`);
      await file.publish();
      state = 'committed';
    },

    async abort() {
      if (state === 'committed') return;
      state = 'aborted';
      output.discard();
      await file.abort();
    },
  });
  return sink;
}

function isLevel(value: string): value is RiskLevel {
  return (RISK_LEVELS as readonly string[]).includes(value);
}

/** A cell's value for exceljs: text as an inline string, numbers and dates typed, empty as none. */
function valueOf(column: ResultColumn, raw: string): ReturnType<typeof textValue> | number | Date | null {
  if (column.origin === 'input') return raw === '' ? null : textValue(raw);
  const typed = typedCell(column, raw);
  return typeof typed === 'string' ? textValue(typed) : typed;
}

function columnStyle(column: ResultColumn): Partial<Style> {
  switch (column.type) {
    case 'integer':
      return { numFmt: '0' };
    case 'decimal':
      return { numFmt: '0.00' };
    case 'date':
      return { numFmt: 'yyyy-mm-dd' };
    case 'text':
      return { numFmt: '@' };
  }
}

function levelStyle(level: RiskLevel): Partial<Style> {
  return {
    fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: LEVEL_COLOURS[level].fill } },
    font: { color: { argb: LEVEL_COLOURS[level].font } },
  };
}

/** Widths from the header (bold, with the filter's button) and the sampled rows, as shown. */
function fitWidths(columns: readonly ResultColumn[], sample: readonly (readonly string[])[]): number[] {
  return columns.map((column, i) => {
    let widest = displayWidth(column.name) + 3;
    for (const row of sample) {
      const raw = row[i] ?? '';
      if (raw === '') continue;
      const shown = column.type === 'date' ? 10 : column.type === 'decimal' ? displayWidth(Number(raw).toFixed(2)) : displayWidth(raw);
      if (shown > widest) widest = shown;
    }
    return Math.min(MAX_WIDTH, Math.max(MIN_WIDTH, widest + 2));
  });
}

// ---------------------------------------------------------------------------
// The summary sheet: two columns, key and value, in sections.

interface SummaryFacts {
  facts: ResultFacts;
  options: SinkOptions;
  /** Data rows in this file. */
  rows: number;
  sheets: readonly { name: string; rows: number }[];
  maxSheetRows: number;
}

type Words = typeof EN;

const EN = {
  title: 'riskscreen result',
  batch: 'Batch',
  batchId: 'Batch id',
  status: 'Status',
  reason: 'Reason',
  profile: 'Profile',
  plan: 'Plan (--plan)',
  plans: {
    staged: 'staged: line status first; the other APIs only when its answer leaves the level open',
    all: 'all: every API of the profile at once',
  } as Record<Plan, string>,
  apis: 'APIs asked',
  maxCalls: 'Call limit (--max-calls)',
  none: 'none',
  noLimit: 'no limit',
  input: 'Input file',
  fileName: 'File name',
  sha256: 'SHA-256',
  bytes: 'Bytes',
  inputColumns: 'Input columns (the first columns of the result)',
  phoneColumn: 'Phone column',
  column: (n: number, name: string | null) => `column ${n}${name ? ` (${name})` : ''}`,
  times: 'Times (UTC)',
  time: {
    created: 'Created',
    ingest_started: 'Ingest started',
    screening_started: 'Screening started',
    reporting_started: 'Reporting started',
    result_written: 'Batch result written',
    files_written: 'This file written',
  } as Record<string, string>,
  notYet: '—',
  thisFile: 'This file',
  part: 'Holds',
  parts: {
    result: 'the whole result: one row per input row',
    level: 'the rows of one risk level (--split)',
    changes: 'the rows that changed since the earlier result (--compare)',
  } as Record<SinkOptions['part'], string>,
  rowsHere: 'Rows in this file',
  sheetRows: (name: string) => `Sheet "${name}"`,
  spill: (max: number) => `A sheet holds at most ${max.toLocaleString('en')} rows (Excel's limit); the rows continue on the next sheet, with the header repeated.`,
  rowsByStatus: 'Rows of the batch by status',
  total: 'Total',
  statuses: { screened: 'screened', partial: 'partial', invalid: 'invalid', not_screened: 'not_screened' } as Record<RowStatus, string>,
  rowsByLevel: 'Rows of the batch by risk level',
  levels: { high: 'high', medium: 'medium', low: 'low', unscored: 'unscored (invalid number)' } as Record<LevelOrUnscored, string>,
  changes: 'Changes since the earlier result',
  changeNames: { new: 'new', level_up: 'level up', level_down: 'level down', unchanged: 'unchanged', gone: 'gone (earlier file only)' } as Record<Change, string>,
  comparedWith: 'Compared with',
  calls: 'Calls',
  billed: (api: string) => `Billed calls: ${api}`,
  billedTotal: 'Billed calls: total',
  cacheHits: (api: string) => `Cache hits (not billed): ${api}`,
  cacheHitsTotal: 'Cache hits: total',
  maybeBilled: (api: string) => `Maybe billed (answer lost in flight): ${api}`,
  maybeBilledTotal: 'Maybe billed: total',
  saved: (api: string) => `Saved by staging (not asked: line status decided the level): ${api}`,
  savedTotal: 'Saved by staging: total',
  apiTitle: (api: (typeof API_IDS)[number]) => `${APIS[api].titleEn} (${api})`,
  rubric: 'Risk rubric',
  rubricName: 'Name',
  rubricDigest: 'Digest (sha256)',
  rubricUnknown: 'The rules of this rubric are not at hand; name and digest identify it.',
  thresholds: 'Levels',
  thresholdsText: (medium: number, high: number) => `score 0-${medium - 1} low, ${medium}-${high - 1} medium, ${high}-100 high`,
  minConfidence: 'Never low below confidence',
  minConfidenceText: (min: number) => `${min}: a row whose answered signals carry less of the weight is at least medium`,
  signalTitle: (signal: SignalName) => `Points: ${SIGNAL_WORDS_EN[signal]}`,
  value: (signal: SignalName, value: string) => `${describeValue(signal, value)} [${value}]`,
  otherValues: 'other values +0',
  missing: (points: number) => `missing ${signed(points)}`,
  weight: (weight: number) => `weight ${weight}`,
  hardRule: (name: string) => `Rule ${name}`,
  hardRuleText: (signal: SignalName, values: readonly string[], level: string) =>
    `${SIGNAL_WORDS_EN[signal]} is ${values.join(' or ')}: level ${level} whatever the points`,
  scoreNote: 'How the score is made',
  scoreNoteText: 'each signal adds its points (or its missing points), clamped to 0-100; the rules can only raise the level, and the score is raised to the level\'s lowest',
  legend: 'Level colours (risk_level cells)',
  legendText: { high: 'high risk: red', medium: 'medium risk: amber', low: 'low risk: green' } as Record<RiskLevel, string>,
};

const SIGNAL_WORDS_EN: Record<SignalName, string> = {
  line_status: 'line status',
  tenure: 'tenure',
  resale: 'resale check (二次放号)',
  call_minutes: 'call minutes (busier direction)',
  number_kind: 'number kind',
};

const SIGNAL_WORDS_ZH: Record<SignalName, string> = {
  line_status: '在网状态',
  tenure: '在网时长',
  resale: '二次放号',
  call_minutes: '通话分钟（主被叫较多者）',
  number_kind: '号码类型',
};

/** The signals' values in Chinese; the value itself (as the result's columns show it) follows in brackets. */
const VALUE_WORDS_ZH: Record<string, string> = {
  'line_status:normal': '正常使用',
  'line_status:suspended': '停机',
  'line_status:unavailable': '在网但不可用',
  'line_status:inactive': '不在网（销号或未启用）',
  'line_status:pre_cancel': '预销号',
  'tenure:0-3': '在网 ≤3 个月',
  'tenure:3-6': '在网 3-6 个月',
  'tenure:6-12': '在网 6-12 个月',
  'tenure:12-24': '在网 12-24 个月',
  'tenure:24+': '在网 24 个月以上',
  'tenure:left_network': '已离网',
  'resale:recycled': '该日期后已二次放号',
  'resale:not_recycled': '该日期后未二次放号',
  'resale:no_activation_date': '无启用日期',
  'number_kind:mobile': '普通手机号',
  'number_kind:mvno': '虚拟运营商号码',
  'number_kind:iot': '物联网号码',
  'number_kind:satellite': '卫星号码',
};

const ZH: Words = {
  title: 'riskscreen 结果',
  batch: '批次',
  batchId: '批次号',
  status: '状态',
  reason: '原因',
  profile: '配置（profile）',
  plan: '查询计划（--plan）',
  plans: {
    staged: '分步（staged）：先查在网状态，其结果不能确定风险等级时才查其他接口',
    all: '全部（all）：同时查询配置中的所有接口',
  },
  apis: '查询的接口',
  maxCalls: '调用上限（--max-calls）',
  none: '无',
  noLimit: '不限',
  input: '输入文件',
  fileName: '文件名',
  sha256: 'SHA-256',
  bytes: '字节数',
  inputColumns: '输入列数（结果的前几列）',
  phoneColumn: '号码列',
  column: (n, name) => `第 ${n} 列${name ? `（${name}）` : ''}`,
  times: '时间（UTC）',
  time: {
    created: '创建',
    ingest_started: '开始读入',
    screening_started: '开始查询',
    reporting_started: '开始出结果',
    result_written: '批次结果写成',
    files_written: '本文件写成',
  },
  notYet: '—',
  thisFile: '本文件',
  part: '内容',
  parts: {
    result: '全部结果：每个输入行一行',
    level: '单一风险等级的行（--split）',
    changes: '与之前结果相比有变化的行（--compare）',
  },
  rowsHere: '本文件行数',
  sheetRows: (name) => `工作表「${name}」`,
  spill: (max) => `每张工作表最多 ${max.toLocaleString('en')} 行（Excel 的上限），其余行接在下一张工作表中，表头重复。`,
  rowsByStatus: '批次行数（按状态）',
  total: '合计',
  statuses: { screened: '已查询（screened）', partial: '部分查询（partial）', invalid: '无效号码（invalid）', not_screened: '未查询（not_screened）' },
  rowsByLevel: '批次行数（按风险等级）',
  levels: { high: '高（high）', medium: '中（medium）', low: '低（low）', unscored: '未评分：无效号码（unscored）' },
  changes: '与之前结果相比',
  changeNames: { new: '新增（new）', level_up: '等级上升（level_up）', level_down: '等级下降（level_down）', unchanged: '未变（unchanged）', gone: '已不在（gone，仅之前的文件有）' },
  comparedWith: '对比的文件',
  calls: '调用',
  billed: (api) => `计费调用：${api}`,
  billedTotal: '计费调用：合计',
  cacheHits: (api) => `缓存命中（不计费）：${api}`,
  cacheHitsTotal: '缓存命中：合计',
  maybeBilled: (api) => `可能已计费（应答途中丢失）：${api}`,
  maybeBilledTotal: '可能已计费：合计',
  saved: (api) => `分步查询省下（未查询：在网状态已确定等级）：${api}`,
  savedTotal: '分步查询省下：合计',
  apiTitle: (api) => `${APIS[api].titleZh}（${api}）`,
  rubric: '风险评分规则',
  rubricName: '名称',
  rubricDigest: '摘要（sha256）',
  rubricUnknown: '此处没有该规则的内容；名称和摘要可识别它。',
  thresholds: '等级',
  thresholdsText: (medium, high) => `0-${medium - 1} 分为低，${medium}-${high - 1} 分为中，${high}-100 分为高`,
  minConfidence: '置信度低于此值不评为低',
  minConfidenceText: (min) => `${min}：已答信号的权重占比低于此值的行至少为中`,
  signalTitle: (signal) => `加分：${SIGNAL_WORDS_ZH[signal]}`,
  value: (signal, value) => (signal === 'call_minutes' ? `通话 ${value} 分钟` : `${VALUE_WORDS_ZH[`${signal}:${value}`] ?? value} [${value}]`),
  otherValues: '其他值 +0',
  missing: (points) => `缺失 ${signed(points)}`,
  weight: (weight) => `权重 ${weight}`,
  hardRule: (name) => `规则 ${name}`,
  hardRuleText: (signal, values, level) => `${SIGNAL_WORDS_ZH[signal]}为 ${values.join(' 或 ')} 时：不论分数，等级为${level === 'high' ? '高' : '中'}（${level}）`,
  scoreNote: '分数如何得出',
  scoreNoteText: '各信号按其值加分（缺失时加缺失分），总分限于 0-100；规则只会提高等级，分数随之提到该等级的最低分',
  legend: '等级颜色（risk_level 单元格）',
  legendText: { high: '高风险：红色', medium: '中风险：黄色', low: '低风险：绿色' },
};

function signed(n: number): string {
  return n >= 0 ? `+${n}` : String(n);
}

/** High first, unscored last. */
function levelOrder(level: LevelOrUnscored): number {
  return level === 'unscored' ? 3 : 2 - RISK_LEVELS.indexOf(level);
}

/** The most characters Excel holds in a cell. */
const EXCEL_CELL_CHARACTERS = 32_767;

/** The height of one line of 11-point text, in points. */
const ROW_LINE_POINTS = 15;
/** A row grows for at most this many lines of a cell (Excel's limit is 409 points). */
const MAX_ROW_LINES = 20;

type SummaryLine = { heading: string } | { key: string; value: string | number; level?: RiskLevel };

function writeSummary(ws: Worksheet, summary: SummaryFacts): void {
  const lines = summaryLines(summary);
  const keyStyle: Partial<Style> = { numFmt: '@', alignment: { vertical: 'top' } };
  const textStyle: Partial<Style> = { numFmt: '@', alignment: { vertical: 'top', wrapText: true } };
  const countStyle: Partial<Style> = { numFmt: '#,##0', alignment: { vertical: 'top', horizontal: 'left' } };
  const headingStyle: Partial<Style> = { numFmt: '@', font: { bold: true, size: 12 }, fill: { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } } };
  const keys = lines.map((line) => ('key' in line ? displayWidth(line.key) : 0));
  const values = lines.map((line) => ('value' in line ? displayWidth(String(line.value)) : 0));
  // The streaming writer writes the column widths with the first row: they are known first.
  const valueWidth = Math.min(100, Math.max(24, ...values) + 2);
  ws.columns = [
    { width: Math.min(60, Math.max(16, ...keys) + 2), style: { numFmt: '@' } },
    { width: valueWidth, style: { numFmt: '@' } },
  ];
  // Nothing fits row heights to wrapped text on opening (LibreOffice draws the lines over
  // the next row), so a long value's row gets the height of its lines.
  const heightOf = (value: string) => Math.ceil(displayWidth(value) / (valueWidth - 2)) * ROW_LINE_POINTS;
  const title = ws.addRow([textValue(summary.options.language === 'zh' ? ZH.title : EN.title)]);
  title.getCell(1).style = { numFmt: '@', font: { bold: true, size: 14 } };
  title.commit();
  for (const line of lines) {
    if ('heading' in line) {
      ws.addRow([]).commit();
      const row = ws.addRow([textValue(line.heading), null]);
      row.getCell(1).style = headingStyle;
      row.getCell(2).style = headingStyle;
      row.commit();
      continue;
    }
    const row = ws.addRow([line.key === '' ? null : textValue(line.key), typeof line.value === 'number' ? line.value : textValue(line.value)]);
    if (typeof line.value === 'string' && heightOf(line.value) > ROW_LINE_POINTS) row.height = heightOf(line.value);
    const coloured = line.level ? levelStyle(line.level) : {};
    row.getCell(1).style = { ...keyStyle, ...coloured };
    row.getCell(2).style = { ...(typeof line.value === 'number' ? countStyle : textStyle), ...coloured };
    row.commit();
  }
  ws.commit();
}

function summaryLines(summary: SummaryFacts): SummaryLine[] {
  const { facts, options, rows, sheets, maxSheetRows } = summary;
  const { manifest, rubric } = facts;
  const w = options.language === 'zh' ? ZH : EN;
  const lines: SummaryLine[] = [];
  const heading = (text: string) => lines.push({ heading: text });
  const add = (key: string, value: string | number, level?: RiskLevel) => lines.push(level ? { key, value, level } : { key, value });

  heading(w.batch);
  add(w.batchId, manifest.batch.id);
  add(w.status, manifest.batch.status);
  add(w.reason, manifest.batch.reason ?? w.none);
  add(w.profile, manifest.batch.profile);
  add(w.plan, w.plans[manifestPlan(manifest)]);
  add(w.apis, manifest.batch.apis.join(', ') || w.none);
  add(w.maxCalls, manifest.batch.max_calls ?? w.noLimit);

  heading(w.input);
  add(w.fileName, manifest.input.name);
  add(w.sha256, manifest.input.sha256);
  add(w.bytes, manifest.input.bytes);
  add(w.inputColumns, manifest.input.columns);
  add(w.phoneColumn, w.column(manifest.input.phone_column.number, manifest.input.phone_column.name));

  heading(w.times);
  for (const [key, value] of Object.entries(manifest.times)) add(w.time[key] ?? key, value ?? w.notYet);

  heading(w.thisFile);
  add(w.part, options.part === 'level' && options.level ? `${w.parts.level}: ${w.levels[options.level]}` : w.parts[options.part]);
  add(w.rowsHere, rows);
  for (const sheet of sheets) add(w.sheetRows(sheet.name), sheet.rows);
  if (sheets.length > 1) add('', w.spill(maxSheetRows));

  heading(w.rowsByStatus);
  add(w.total, manifest.rows.total);
  for (const status of ROW_STATUSES) add(w.statuses[status], manifest.rows.by_status[status]);

  heading(w.rowsByLevel);
  for (const level of [...LEVELS_AND_UNSCORED].sort((a, b) => levelOrder(a) - levelOrder(b))) add(w.levels[level], manifest.rows.by_level[level]);

  if (manifest.changes) {
    heading(w.changes);
    add(w.comparedWith, `${manifest.changes.compared_with.name} (sha256 ${manifest.changes.compared_with.sha256})`);
    for (const change of CHANGES) add(w.changeNames[change], manifest.changes[change]);
  }

  heading(w.calls);
  const { calls } = manifest;
  for (const api of API_IDS) add(w.billed(w.apiTitle(api)), calls.billable_by_api[api] ?? 0);
  add(w.billedTotal, calls.billable_total);
  for (const api of API_IDS) add(w.cacheHits(w.apiTitle(api)), calls.cache_hits_by_api[api] ?? 0);
  add(w.cacheHitsTotal, calls.cache_hits_total);
  for (const api of API_IDS) if ((calls.maybe_billed_by_api[api] ?? 0) > 0) add(w.maybeBilled(w.apiTitle(api)), calls.maybe_billed_by_api[api]!);
  add(w.maybeBilledTotal, calls.maybe_billed_total);
  // Under the staged plan every API's saving, as billed calls are; under `all` nothing was saved.
  if (manifestPlan(manifest) === 'staged') for (const api of API_IDS) add(w.saved(w.apiTitle(api)), calls.saved_by_staging_by_api?.[api] ?? 0);
  add(w.savedTotal, calls.saved_by_staging_total ?? 0);

  heading(w.rubric);
  add(w.rubricName, manifest.rubric.name);
  add(w.rubricDigest, manifest.rubric.digest);
  if (rubric) writeRubric(add, w, rubric);
  else add('', w.rubricUnknown);

  heading(w.legend);
  for (const level of [...RISK_LEVELS].reverse()) add(w.levels[level], w.legendText[level], level);
  return lines;
}

function writeRubric(add: (key: string, value: string | number) => void, w: Words, rubric: Rubric): void {
  add(w.thresholds, w.thresholdsText(rubric.levels.medium, rubric.levels.high));
  add(w.minConfidence, w.minConfidenceText(rubric.minConfidenceForLow));
  for (const signal of SIGNAL_NAMES) {
    const spec = rubric.signals[signal];
    const scored = SIGNAL_VALUES[signal].filter((value) => (spec.points[value] ?? 0) !== 0);
    const parts = scored.map((value) => `${w.value(signal, value)} ${signed(spec.points[value]!)}`);
    if (scored.length < SIGNAL_VALUES[signal].length) parts.push(w.otherValues);
    parts.push(w.missing(spec.missing), w.weight(spec.weight));
    add(w.signalTitle(signal), parts.join('; '));
  }
  for (const rule of rubric.hardRules) add(w.hardRule(rule.name), w.hardRuleText(rule.signal, rule.in, rule.level));
  add(w.scoreNote, w.scoreNoteText);
}
