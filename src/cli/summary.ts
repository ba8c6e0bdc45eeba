/** The short summary a command prints when a batch has finished. */
import { basename } from 'node:path';
import { planOf, type BatchView } from '../engine/batch.js';
import { API_IDS } from '../juhe/catalogue.js';
import type { Exported } from '../report/export.js';
import { CHANGES, LEVELS_AND_UNSCORED, type ManifestFile, type ResultManifest, type RowCounts } from '../report/manifest.js';
import { ROW_STATUSES } from '../report/result-row.js';
import { MAX_SHEET_ROWS } from '../report/result-xlsx.js';

/**
 * The batch in a few lines. With the files written (`run`, `result`), rows are shown by
 * row status and risk level, followed by every path written.
 */
export function summaryText(view: BatchView, out: string | null, exported?: Exported): string {
  const c = view.counts;
  const lines = [`batch ${view.id}: ${view.status}${view.reason ? ` (${view.reason})` : ''}`, ''];
  if (exported) lines.push(...levelTable(exported.manifest.rows), '');
  else {
    lines.push(
      '  rows            ' + pad(c.rows),
      '    screened      ' + pad(c.rowsScreened),
      '    partial       ' + pad(c.rowsPartial),
      '    not screened  ' + pad(c.rowsNotScreened),
      '    invalid       ' + pad(c.rowsInvalid),
    );
  }
  const staged = planOf(view.options) === 'staged';
  lines.push(
    `  unique numbers  ${pad(c.unique)}   duplicates ${fmt(c.duplicates)}`,
    `  questions       ${pad(c.tasks)}   answered ${fmt(c.answered)}, no record ${fmt(c.noRecord)}, failed ${fmt(c.failed)}, skipped ${fmt(c.skipped)}${staged ? `, decided ${fmt(c.decided)}` : ''}`,
    `  billed calls    ${pad(c.billed)}   from cache ${fmt(c.cacheHits)}${c.maybeBilled ? `, answers lost in flight (may be billed) ${fmt(c.maybeBilled)}` : ''}`,
    planLine(view),
  );
  const errors = Object.entries(view.errorsByCode).sort((a, b) => b[1] - a[1]);
  if (errors.length > 0) lines.push(`  errors met      ${errors.map(([code, n]) => `${code}×${fmt(n)}`).join(', ')}`);
  for (const [api, why] of Object.entries(view.exhausted)) lines.push(`  exhausted       ${api}: ${why}`);
  const changes = exported?.manifest.changes;
  if (changes) {
    lines.push(`  changes         ${CHANGES.map((change) => `${change.replace('_', ' ')} ${fmt(changes[change])}`).join(', ')} (vs ${changes.compared_with.name})`);
  }
  if (exported) {
    lines.push('', '  files written');
    const sheets = sheetsByFile(exported.manifest);
    for (const path of exported.paths) {
      lines.push(`    ${path}`);
      const of = sheets.get(basename(path));
      if (of && of.length > 1) {
        lines.push(`      rows continue over ${of.length} sheets (Excel holds ${fmt(MAX_SHEET_ROWS)} a sheet): ${of.map((sheet) => `${sheet.name} ${fmt(sheet.rows)}`).join(', ')}`);
      }
    }
    for (const warning of exported.warnings) lines.push('', `  warning: ${warning}`);
  } else if (out) lines.push('', `  result          ${out}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The plan, and under `staged` the calls it saved by API: the questions not asked
 * because the number's line status answer had already decided its level.
 */
export function planLine(view: Pick<BatchView, 'options' | 'counts'>): string {
  const c = view.counts;
  if (planOf(view.options) === 'all') return `  plan            ${'all'.padStart(9)}   every API asked at once`;
  const byApi = API_IDS.filter((api) => c[`decided.${api}`] > 0).map((api) => `${api} ${fmt(c[`decided.${api}`])}`);
  if (c.decided === 0) return `  plan            ${'staged'.padStart(9)}   saved no call: no line status answer decided a level (or the rubric lets none)`;
  const saved = `saved ${fmt(c.decided)} call${c.decided === 1 ? '' : 's'}${byApi.length > 0 ? ` (${byApi.join(', ')})` : ''}`;
  return `  plan            ${'staged'.padStart(9)}   ${saved}: not asked, line status had decided the level`;
}

/** A workbook's results sheets, by file name, for every file the manifest lists. */
function sheetsByFile(manifest: ResultManifest): Map<string, NonNullable<ManifestFile['sheets']>> {
  const files: ManifestFile[] = [manifest.result, ...Object.values(manifest.files.levels ?? {}), ...(manifest.files.changes ? [manifest.files.changes] : [])];
  return new Map(files.flatMap((file) => (file.sheets ? [[file.file, file.sheets] as const] : [])));
}

/** Rows by row status (lines) and level (columns), with totals. */
export function levelTable(rows: RowCounts): string[] {
  const width = 10;
  const head = ['  rows          ', ...LEVELS_AND_UNSCORED.map((level) => level.padStart(width)), 'total'.padStart(width)].join('');
  const line = (name: string, cells: number[]) => [`  ${name.padEnd(14)}`, ...cells.map((n) => fmt(n).padStart(width))].join('');
  return [
    head,
    ...ROW_STATUSES.map((status) => {
      const byLevel = rows.by_status_and_level[status];
      return line(status.replace('_', ' '), [...LEVELS_AND_UNSCORED.map((level) => byLevel[level]), rows.by_status[status]]);
    }),
    line('all', [...LEVELS_AND_UNSCORED.map((level) => rows.by_level[level]), rows.total]),
  ];
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function pad(n: number): string {
  return fmt(n).padStart(9);
}
