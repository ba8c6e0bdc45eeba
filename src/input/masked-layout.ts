/**
 * A list's layout and rows as reports show them: a header cell or phone cell that holds
 * a number is masked (`138****1234`), so no report (`riskscreen inspect`, the console's
 * preview) ever shows a whole number.
 */
import { maskMobile } from '../phone/mask.js';
import type { ColumnPick } from './columns.js';
import type { InputLayout } from './layout.js';
import type { PhoneRecord } from './records.js';

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** A header cell, masked if it holds a number (a header taken from a data row, or --header yes). */
export function maskedHeaderCell(cell: string): string {
  const text = oneLine(cell);
  return /\d{7}/.test(text.normalize('NFKC').replace(/[\s\-.()]/g, '')) ? maskMobile(text.trim()) : text;
}

export function maskedLayout(layout: InputLayout): InputLayout {
  const column = (pick: ColumnPick): ColumnPick => ({ ...pick, name: pick.name === null ? null : maskedHeaderCell(pick.name) });
  return {
    ...layout,
    header: layout.header ? layout.header.map(maskedHeaderCell) : null,
    phoneColumn: column(layout.phoneColumn),
    dateColumn: layout.dateColumn ? column(layout.dateColumn) : null,
  };
}

/** The phone cell of a record, masked. */
export function maskedPhoneCell(record: PhoneRecord, layout: InputLayout): string {
  const raw = (record.fields[layout.phoneColumn.index] ?? '').trim();
  return raw === '' ? '(empty)' : maskMobile(oneLine(raw));
}
