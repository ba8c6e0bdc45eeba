/** The short summary a command prints when a batch has finished. */
import type { BatchView } from '../engine/batch.js';

export function summaryText(view: BatchView, out: string | null): string {
  const c = view.counts;
  const lines = [
    `batch ${view.id}: ${view.status}${view.reason ? ` (${view.reason})` : ''}`,
    '',
    '  rows            ' + pad(c.rows),
    '    screened      ' + pad(c.rowsScreened),
    '    partial       ' + pad(c.rowsPartial),
    '    not screened  ' + pad(c.rowsNotScreened),
    '    invalid       ' + pad(c.rowsInvalid),
    `  unique numbers  ${pad(c.unique)}   duplicates ${fmt(c.duplicates)}`,
    `  questions       ${pad(c.tasks)}   answered ${fmt(c.answered)}, no record ${fmt(c.noRecord)}, failed ${fmt(c.failed)}, skipped ${fmt(c.skipped)}`,
    `  billed calls    ${pad(c.billed)}   from cache ${fmt(c.cacheHits)}${c.maybeBilled ? `, answers lost in flight (may be billed) ${fmt(c.maybeBilled)}` : ''}`,
  ];
  const errors = Object.entries(view.errorsByCode).sort((a, b) => b[1] - a[1]);
  if (errors.length > 0) lines.push(`  errors met      ${errors.map(([code, n]) => `${code}×${fmt(n)}`).join(', ')}`);
  for (const [api, why] of Object.entries(view.exhausted)) lines.push(`  exhausted       ${api}: ${why}`);
  if (out) lines.push('', `  result          ${out}`);
  return `${lines.join('\n')}\n`;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function pad(n: number): string {
  return fmt(n).padStart(9);
}
