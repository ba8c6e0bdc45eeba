/**
 * Finding the phone column and the date column of a list, without being told:
 *
 * - Phone column, by name first, in tiers: an exact mobile name (mobile, 手机号, ...),
 *   an exact generic phone name (phone, tel, 电话, 联系电话, ...), a name containing a
 *   mobile word (客户手机号1), a name containing a phone word (not landline or fax).
 *   Several columns in the best tier: the one with the most valid numbers wins.
 * - Phone column, by content otherwise: the column with the most valid mobile numbers,
 *   provided they are most of its non-empty values. Failing that, the column where
 *   most values look like numbers that were damaged (scientific notation, unallocated
 *   prefixes), so an Excel-mangled list is reported row by row rather than refused.
 * - Date column, by name only (注册日期, reg_date, date, ...): dates by content would
 *   pick up birthdays and order dates.
 *
 * `--column` and `--date-column` override, by header name or 1-based number.
 */
import { normalizeMobile, type InvalidReason } from './normalize.js';
import type { ColumnChoice } from './options.js';

export type ColumnSource = 'name' | 'content' | 'option';

export interface ColumnPick {
  /** 0-based. */
  index: number;
  /** The header cell, or null without a header. */
  name: string | null;
  source: ColumnSource;
}

/** Header names normalized by `headerKey`, best tier first. */
const PHONE_NAMES: readonly (readonly string[])[] = [
  [
    'mobile', 'mobileno', 'mobilenumber', 'mobilephone', 'mobilephoneno', 'mobilephonenumber', 'mobilenum',
    'cellphone', 'cellphoneno', 'cellphonenumber', 'cell', 'cellno', 'cellnumber', 'msisdn',
    '手机', '手机号', '手机号码', '移动电话', '移动电话号码', '客户手机', '客户手机号', '客户手机号码',
    '联系手机', '联系人手机', '联系人手机号', '用户手机号', '用户手机号码', '会员手机号',
  ],
  [
    'phone', 'phoneno', 'phonenumber', 'phonenum', 'tel', 'telno', 'telnumber', 'telephone', 'telephoneno',
    'telephonenumber', 'contactnumber', 'contactphone',
    '电话', '电话号码', '联系电话', '联系方式', '联系号码', '号码', '用户号码', '客户号码', '客户电话',
    '联系人电话', '联系人号码', '服务号码',
  ],
];
const PHONE_WORDS_MOBILE = ['手机', 'mobile', 'cellphone', 'msisdn'];
const PHONE_WORDS_GENERIC = ['电话', 'phone'];
/** Names that contain a phone word but are not the mobile: landlines, fax, office lines. */
const NOT_MOBILE_WORDS = ['固定', '固话', '座机', '传真', '办公', 'fax', 'landline', 'office', 'home'];

const DATE_NAMES: readonly (readonly string[])[] = [
  [
    '注册日期', '注册时间', '入网日期', '入网时间', '开户日期', '开户时间', '激活日期', '激活时间', '开卡日期',
    '开卡时间', '登记日期', '办理日期', '起始日期', '放号日期',
    'regdate', 'registerdate', 'registrationdate', 'registereddate', 'signupdate', 'opendate',
    'activationdate', 'activatedate', 'since', 'sincedate', 'startdate',
  ],
  ['date', '日期'],
];

/** What the phone column's values look like, in the sample of rows read before deciding. */
export interface ColumnContent {
  valid: number;
  /** Refused, but shaped like a damaged phone number. */
  damaged: number;
  nonEmpty: number;
}

const DAMAGED: ReadonlySet<InvalidReason> = new Set<InvalidReason>(['scientific_notation', 'unallocated_prefix', 'masked']);

/** Lower case, full-width folded, without spaces and punctuation: `Mobile_No.` -> `mobileno`. */
export function headerKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/[\s_\-.:()[\]*#/\\'"]/g, '');
}

/** The tier (0 best) of a phone column name, or undefined if it is not one. */
export function phoneNameTier(name: string): number | undefined {
  const key = headerKey(name);
  if (key === '') return undefined;
  const exact = PHONE_NAMES.findIndex((names) => names.includes(key));
  if (exact !== -1) return exact;
  if (NOT_MOBILE_WORDS.some((word) => key.includes(word))) return undefined;
  if (PHONE_WORDS_MOBILE.some((word) => key.includes(word))) return PHONE_NAMES.length;
  if (PHONE_WORDS_GENERIC.some((word) => key.includes(word))) return PHONE_NAMES.length + 1;
  return undefined;
}

export function dateNameTier(name: string): number | undefined {
  const key = headerKey(name);
  const tier = DATE_NAMES.findIndex((names) => names.includes(key));
  return tier === -1 ? undefined : tier;
}

/** Whether a header row names a known phone or date column. */
export function hasKnownColumnName(cells: readonly string[]): boolean {
  return cells.some((cell) => phoneNameTier(cell) !== undefined || dateNameTier(cell) !== undefined);
}

/** The header cell matching a name given by the user: exactly, then ignoring case, then by `headerKey`. */
export function findHeaderName(header: readonly string[], name: string): number {
  const wanted = name.trim();
  const exact = header.findIndex((cell) => cell.trim() === wanted);
  if (exact !== -1) return exact;
  const lower = wanted.toLowerCase();
  const caseless = header.findIndex((cell) => cell.trim().toLowerCase() === lower);
  if (caseless !== -1) return caseless;
  const key = headerKey(wanted);
  return key === '' ? -1 : header.findIndex((cell) => headerKey(cell) === key);
}

/** Counts, per column, the valid and damaged numbers among `rows`. */
export function measureColumns(rows: readonly (readonly string[])[]): ColumnContent[] {
  const width = rows.reduce((max, fields) => Math.max(max, fields.length), 0);
  const content: ColumnContent[] = Array.from({ length: width }, () => ({ valid: 0, damaged: 0, nonEmpty: 0 }));
  for (const fields of rows) {
    fields.forEach((value, index) => {
      const check = normalizeMobile(value);
      if (!check.ok && check.reason === 'empty') return;
      const column = content[index]!;
      column.nonEmpty++;
      if (check.ok) column.valid++;
      else if (DAMAGED.has(check.reason)) column.damaged++;
    });
  }
  return content;
}

/** The phone column by header name, or undefined. `content` breaks ties inside a tier. */
export function phoneColumnByName(header: readonly string[], content: readonly ColumnContent[]): ColumnPick | undefined {
  let best: { index: number; tier: number; valid: number } | undefined;
  header.forEach((name, index) => {
    const tier = phoneNameTier(name);
    if (tier === undefined) return;
    const valid = content[index]?.valid ?? 0;
    if (!best || tier < best.tier || (tier === best.tier && valid > best.valid)) best = { index, tier, valid };
  });
  return best && { index: best.index, name: header[best.index] ?? null, source: 'name' };
}

/** The phone column by what its values look like, or undefined. */
export function phoneColumnByContent(content: readonly ColumnContent[]): number | undefined {
  const pick = (score: (column: ColumnContent) => number): number | undefined => {
    let best: number | undefined;
    content.forEach((column, index) => {
      const value = score(column);
      // "Most values are phone numbers": more than half of the non-empty ones.
      if (value === 0 || value * 2 <= column.nonEmpty) return;
      if (best === undefined || value > score(content[best]!)) best = index;
    });
    return best;
  };
  return pick((column) => column.valid) ?? pick((column) => column.valid + column.damaged);
}

export function dateColumnByName(header: readonly string[]): ColumnPick | undefined {
  let best: { index: number; tier: number } | undefined;
  header.forEach((name, index) => {
    const tier = dateNameTier(name);
    if (tier !== undefined && (!best || tier < best.tier)) best = { index, tier };
  });
  return best && { index: best.index, name: header[best.index] ?? null, source: 'name' };
}

/**
 * A column the user chose. Returns the 0-based index, or a description of why it is not
 * there (for INPUT_COLUMN_NOT_FOUND).
 */
export function columnByOption(
  choice: ColumnChoice,
  header: readonly string[] | null,
  width: number,
): { index: number } | { missing: string } {
  if (choice.by === 'number') {
    if (choice.index < width) return { index: choice.index };
    return { missing: `there is no column ${choice.index + 1}: the rows have ${width} column${width === 1 ? '' : 's'}` };
  }
  if (!header) return { missing: `there is no column named "${choice.name}": the file has no header row` };
  const index = findHeaderName(header, choice.name);
  if (index !== -1) return { index };
  const names = header.filter((cell) => cell.trim() !== '').map((cell) => `"${cell}"`).join(', ');
  return { missing: `there is no column named "${choice.name}" (the header has ${names})` };
}
