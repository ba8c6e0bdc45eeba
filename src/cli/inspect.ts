/**
 * `riskscreen inspect <file>`: reads a phone list the way a batch would, queues
 * nothing, calls nothing, and says what it found: format, encoding, delimiter, header,
 * the phone and date columns and how each was chosen, the counts, and the first invalid
 * rows (numbers masked). The dry run ops use before uploading a batch.
 */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadOptions } from '../config/load.js';
import { isBatchId } from '../engine/batch.js';
import { createLogger } from '../log/logger.js';
import { openBatchSession } from '../../workers/sessions.js';
import { CARRIERS, CARRIER_NAMES } from '../phone/carrier.js';
import { NUMBER_KINDS } from '../phone/prefixes.js';
import type { ColumnPick } from '../input/columns.js';
import { maskedLayout, maskedPhoneCell } from '../input/masked-layout.js';
import { INVALID_REASONS, INVALID_REASON_CODES } from '../input/normalize.js';
import { formatBytes, type InputOptions } from '../input/options.js';
import { scanPhoneList, type PhoneListScan } from '../input/reader.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { INPUT_FLAGS, inputOptionsFrom } from './input-flags.js';
import { oneLine, UsageError, type CommandIo } from './io.js';

/** Invalid rows shown in the report. */
const SHOWN_INVALID_ROWS = 10;

const OPTIONS = {
  ...INPUT_FLAGS,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

export const INSPECT_HELP = `Usage: riskscreen inspect [options] <file | batch>

Read a phone list (CSV, TXT or XLSX) as a batch would, and report what was found:
format, encoding, delimiter, header, phone and date columns, counts (rows, valid,
invalid by reason, duplicates, unique numbers, by carrier and kind) and the first
invalid rows, numbers masked. Nothing is queued and no API is called. Given a batch id,
it reads the list stored with that batch (in the data dir), with the batch's input
options: the queue engine's batch with REDIS_URL, else the local engine's.

Options:
  --encoding NAME        text encoding of a CSV/TXT file: utf-8, utf-16le, utf-16be,
                         gb18030, gbk, ... (default: auto, detected from the bytes)
  --column NAME|NUMBER   the phone column, by header name or 1-based number
                         (default: found by name, else by content)
  --date-column NAME|NUMBER|none
                         the date column of the resale check (default: found by name:
                         注册日期, reg_date, date, ...; none: no date column)
  --since YYYYMMDD       batch default date for rows without one (default: none)
  --sheet NAME|NUMBER    the sheet of an .xlsx workbook (default: the first)
  --header auto|yes|no   whether the first row is a header (default: auto)
  --delimiter D          comma, tab, semicolon, pipe or none (default: detected)
  --json                 print the report as JSON
  -h, --help             print this help

Exit codes:
  0  the file reads as a phone list (invalid rows do not change this; with no
     valid row at all, a warning on stderr)
  1  unexpected error (riskscreen --debug shows the stack trace)
  2  bad command line or option
  3  the file cannot be read as a phone list (the message names file, line and problem)

See docs/input.md for what is accepted and how it is detected.
`;

/**
 * Runs `riskscreen inspect`. `argv` holds the arguments after the command name. Writes
 * the report to `io.stdout` and a user's error to `io.stderr` as one line, no stack
 * trace, and returns the exit code. An unexpected error (a bug) is thrown, for the
 * main command's error report (which shows the stack with --debug).
 */
export async function runInspectCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return usage(io, error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(INSPECT_HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) return usage(io, 'which file? Give the path of a phone list');
  if (positionals.length > 1) return usage(io, `one file at a time (got ${positionals.length}: ${positionals.join(' ')})`);
  let file = positionals[0]!;
  let options: InputOptions = inputOptionsFrom(values);
  if (isBatchId(file) && !existsSync(file)) ({ file, options } = await storedList(file, options));

  // A file or option problem is thrown as it is: main prints it as one line, with its exit code.
  const scan = await scanPhoneList(file, options, { keepInvalid: SHOWN_INVALID_ROWS });
  const warnings = scanWarnings(scan);
  for (const warning of warnings) io.stderr.write(`riskscreen: warning: ${oneLine(warning)}\n`);
  io.stdout.write(values.json ? `${JSON.stringify(jsonReport(scan, warnings), null, 2)}\n` : textReport(scan));
  return EXIT.ok;
}

/** The list stored with a batch, read with the batch's input options (flags given here win). */
async function storedList(id: string, given: InputOptions): Promise<{ file: string; options: InputOptions }> {
  const options = loadOptions();
  const session = await openBatchSession(options, createLogger({ level: options.log.level }));
  try {
    const view = await session.stores.batches.get(id);
    if (!view) throw new UsageError(`no batch ${id} (${session.kind === 'queue' ? 'REDIS_URL is set: the queue engine was asked' : `looked in the local store ${session.stores.file}`})`);
    const flags = Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
    return { file: view.input.path, options: { ...view.options.input, ...flags } };
  } finally {
    await session.close();
  }
}

/** What is worth a warning though the file reads (exit 0 all the same). */
function scanWarnings(scan: PhoneListScan): string[] {
  const warnings: string[] = [];
  if (scan.counts.valid === 0) {
    const column = describeColumn(maskedLayout(scan.layout).phoneColumn);
    warnings.push(`${scan.layout.file}: no row has a valid mobile number: nothing would be screened (phone column ${column}; pass --column to choose another)`);
  }
  if (scan.layout.encodingAlternative) {
    warnings.push(
      `${scan.layout.file}: read as ${scan.layout.encoding}, but the bytes also read as ${scan.layout.encodingAlternative}: if names look wrong, pass --encoding ${scan.layout.encodingAlternative}`,
    );
  }
  return warnings;
}

function usage(io: CommandIo, problem: string): ExitCode {
  io.stderr.write(`riskscreen inspect: ${oneLine(problem)} (see riskscreen inspect --help)\n`);
  return EXIT.usage;
}


function jsonReport(scan: PhoneListScan, warnings: string[]) {
  const { layout, counts } = scan;
  return {
    file: layout.file,
    layout: maskedLayout(layout),
    counts,
    fingerprint: scan.fingerprint,
    warnings,
    firstInvalid: scan.firstInvalid.map((record) => ({
      index: record.index,
      line: record.line,
      value: maskedPhoneCell(record, layout),
      reason: record.reason,
    })),
    firstDateWarnings: scan.firstDateWarnings.map((record) => ({ index: record.index, line: record.line })),
  };
}

const number = new Intl.NumberFormat('en-US');
const DELIMITER_NAMES: Record<string, string> = { ',': 'comma', '\t': 'tab', ';': 'semicolon', '|': 'pipe', none: 'none (one field per line)' };
const SOURCE_WORDS: Record<string, string> = {
  bom: 'from the byte order mark',
  detected: 'detected',
  option: 'from the option',
  name: 'by name',
  content: 'by content',
};

function textReport(scan: PhoneListScan): string {
  const { counts } = scan;
  const layout = maskedLayout(scan.layout);
  const out: string[] = [];
  const row = (label: string, value: string) => out.push(`  ${label.padEnd(14)}${value}`);

  out.push(`${layout.file}`);
  row('format', `${layout.format === 'xlsx' ? 'xlsx workbook' : 'text'}, ${formatBytes(layout.bytes)}`);
  if (layout.sheet) row('sheet', `${layout.sheet.position} "${layout.sheet.name}"`);
  if (layout.encoding) {
    const also = layout.encodingAlternative ? `; the bytes also read as ${layout.encodingAlternative}` : '';
    row('encoding', `${layout.encoding} (${SOURCE_WORDS[layout.encodingSource ?? 'detected']}${also})`);
  }
  if (layout.delimiter) row('delimiter', `${DELIMITER_NAMES[layout.delimiter]} (${SOURCE_WORDS[layout.delimiterSource ?? 'detected']})`);
  row(
    'header',
    layout.header
      ? `line ${layout.headerLine}: ${oneLine(layout.header.join(' | '))} (${SOURCE_WORDS[layout.headerSource]})`
      : `none (${SOURCE_WORDS[layout.headerSource]})`,
  );
  row('phone column', describeColumn(layout.phoneColumn));
  row('date column', layout.dateColumn ? describeColumn(layout.dateColumn) : 'none');
  row('since', layout.since ?? 'none');
  out.push('');

  const count = (label: string, value: number, note = '') =>
    out.push(`  ${label.padEnd(22)}${number.format(value).padStart(10)}${note ? `  ${note}` : ''}`);
  count('rows', counts.rows);
  count('valid', counts.valid, `unique ${number.format(counts.unique)}, duplicates ${number.format(counts.duplicates)}`);
  count('invalid', counts.invalid);
  for (const reason of INVALID_REASON_CODES) {
    const value = counts.invalidByReason[reason];
    if (value > 0) count(`  ${reason}`, value, INVALID_REASONS[reason]);
  }
  count('date warnings', counts.dateWarnings, counts.dateWarnings > 0 ? 'date cell not a date: the batch default applies' : '');
  count('blank lines', counts.blankLines, 'not rows');
  out.push('');
  out.push('  unique numbers by carrier (by prefix: a prior, numbers can be ported)');
  for (const carrier of CARRIERS) count(`  ${carrier} ${CARRIER_NAMES[carrier].en}`, counts.byCarrier[carrier]);
  out.push('  unique numbers by kind');
  for (const kind of NUMBER_KINDS) count(`  ${kind}`, counts.byKind[kind]);

  if (scan.firstInvalid.length > 0) {
    out.push('');
    out.push(`  first invalid rows${counts.invalid > scan.firstInvalid.length ? ` (${scan.firstInvalid.length} of ${number.format(counts.invalid)})` : ''}`);
    for (const record of scan.firstInvalid) {
      out.push(`    line ${String(record.line).padEnd(8)}${maskedPhoneCell(record, layout).padEnd(16)}${record.reason}`);
    }
  }
  if (scan.firstDateWarnings.length > 0) {
    out.push('');
    out.push(`  first date warnings on lines ${scan.firstDateWarnings.map((record) => record.line).join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

function describeColumn(column: ColumnPick): string {
  const name = column.name === null ? '' : ` "${oneLine(column.name)}"`;
  return `${column.index + 1}${name} (${SOURCE_WORDS[column.source]})`;
}
