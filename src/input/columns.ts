/**
 * Finding the phone column and the date column of a list, without being told:
 *
 * - Phone column, by name first, in tiers: an exact mobile name (mobile, 手机号, ...),
 *   an exact generic phone name (phone, tel, 电话, 联系电话, ...), a name containing a
 *   mobile word (客户手机号1), a name containing a phone word (not landline or fax).
 *   Several columns in the best tier: the one with the most valid numbers wins. A named
 *   column without a single valid number in the sample (a 电话 column of "手机"/"座机"
 *   types) is passed over for one that has some.
 * - Phone column, by content otherwise: the column with the most valid mobile numbers,
 *   provided they are most of its non-empty values. Failing that, the column where
 *   most values look like numbers that were damaged (scientific notation, unallocated
 *   prefixes), so an Excel-mangled list is reported row by row rather than refused.
 *   Columns whose name says they hold ids (订单号, 会员编号, member_no, ...) come last.
 *   When a second column holds at least half as many numbers as the best one, nothing
 *   says which is the phone column: the caller refuses to guess
 *   (INPUT_AMBIGUOUS_PHONE_COLUMN) rather than spend API calls on order numbers.
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
const NOT_MOBILE_WORDS = [
  '固定', '固话', '座机', '传真', '办公', '家庭', '住宅', '单位', '公司', 'fax', 'landline', 'office', 'home',
];
/** Words of header names of id columns, which can hold 11-digit numbers starting with 1. */
const ID_WORDS = [
  '编号', '单号', '订单', '账号', '帐号', '会员', '卡号', '工号', '学号', '序号', '流水', '证件', '身份证', '客户号',
  '用户号', '代码', '编码',
];
/** The same in English, as whole words (`order_id`, `MemberNo`, `Card No.`). */
const ID_TOKENS = new Set([
  'id', 'no', 'nr', 'uid', 'uuid', 'sn', 'seq', 'serial', 'code', 'order', 'orderid', 'orderno', 'account', 'acct',
  'accountid', 'member', 'memberid', 'memberno', 'card', 'cardno', 'ref', 'invoice', 'ticket', 'imei', 'imsi', 'iccid',
  'qq', 'userid', 'custid', 'customerid', 'sku', 'pk',
]);

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

/** Whether a header name says its column holds ids (order, member, card numbers), not phones. */
export function isIdColumnName(name: string | null | undefined): boolean {
  if (!name || phoneNameTier(name) !== undefined) return false;
  const text = name.normalize('NFKC');
  if (ID_WORDS.some((word) => text.includes(word))) return true;
  const words = text
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((word) => ID_TOKENS.has(word));
}

/** A column that could be the phone column, with what its sample values look like. */
export interface ColumnCandidate {
  /** 0-based. */
  index: number;
  name: string | null;
  valid: number;
  damaged: number;
  nonEmpty: number;
}

export interface ContentRanking {
  /** The column most of whose values are mobile numbers (`valid`), or damaged ones (`damaged`). */
  best: ColumnCandidate | undefined;
  by: 'valid' | 'damaged' | null;
  /** Other columns of the best's rank holding at least half as many: the choice is ambiguous. */
  rivals: ColumnCandidate[];
}

function candidate(content: readonly ColumnContent[], header: readonly string[] | null, index: number): ColumnCandidate {
  const column = content[index] ?? { valid: 0, damaged: 0, nonEmpty: 0 };
  return { index, name: header?.[index] ?? null, valid: column.valid, damaged: column.damaged, nonEmpty: column.nonEmpty };
}

/**
 * The phone column by what its values look like. A column qualifies when most of its
 * non-empty values (more than half) are valid mobile numbers; failing any, when most
 * look like damaged ones. Among the qualifying columns, those named like id columns
 * come last; the one with the most wins (the leftmost on a tie), and any other of its
 * rank holding at least half as many is a rival.
 */
export function rankPhoneColumnsByContent(content: readonly ColumnContent[], header: readonly string[] | null): ContentRanking {
  const pass = (by: 'valid' | 'damaged', score: (column: ColumnCandidate) => number): ContentRanking | undefined => {
    const qualifying = content
      .map((_, index) => candidate(content, header, index))
      .filter((column) => score(column) > 0 && score(column) * 2 > column.nonEmpty);
    if (qualifying.length === 0) return undefined;
    const named = qualifying.filter((column) => !isIdColumnName(column.name));
    const pool = (named.length > 0 ? named : qualifying).sort((a, b) => score(b) - score(a) || a.index - b.index);
    const best = pool[0]!;
    return { best, by, rivals: pool.slice(1).filter((column) => score(column) * 2 >= score(best)) };
  };
  return (
    pass('valid', (column) => column.valid) ??
    pass('damaged', (column) => column.valid + column.damaged) ?? { best: undefined, by: null, rivals: [] }
  );
}

export type PhoneColumnChoice =
  | { kind: 'pick'; pick: ColumnPick }
  | { kind: 'ambiguous'; candidates: ColumnCandidate[] }
  | { kind: 'none' };

/**
 * The phone column of a list without `--column`: by name, else by content (see the top
 * of this file). `header` is null for a list without a header row.
 */
export function choosePhoneColumn(header: readonly string[] | null, content: readonly ColumnContent[]): PhoneColumnChoice {
  const pick = (column: ColumnCandidate, source: ColumnSource): PhoneColumnChoice => ({
    kind: 'pick',
    pick: { index: column.index, name: header?.[column.index] ?? null, source },
  });
  const ranking = rankPhoneColumnsByContent(content, header);
  const named = header ? namedPhoneColumns(header, content) : [];
  if (named.length > 0) {
    const withNumbers = named.find((column) => column.valid > 0);
    if (withNumbers) return pick(withNumbers, 'name');
    // No named column holds a single valid number: a column that is mostly numbers wins,
    // unless a named one is full of damaged numbers (then the user must say which).
    if (ranking.by === 'valid' && ranking.best) {
      const damaged = named.find((column) => column.damaged > 0 && column.damaged * 2 > column.nonEmpty);
      if (damaged) return { kind: 'ambiguous', candidates: [damaged, ranking.best, ...ranking.rivals] };
      if (ranking.rivals.length > 0) return { kind: 'ambiguous', candidates: [ranking.best, ...ranking.rivals] };
      return pick(ranking.best, 'content');
    }
    return pick(named[0]!, 'name');
  }
  if (!ranking.best) return { kind: 'none' };
  if (ranking.rivals.length > 0) return { kind: 'ambiguous', candidates: [ranking.best, ...ranking.rivals] };
  return pick(ranking.best, 'content');
}

/** The columns with a phone name, best first: by tier, then the most valid numbers, then leftmost. */
function namedPhoneColumns(header: readonly string[], content: readonly ColumnContent[]): ColumnCandidate[] {
  const named: (ColumnCandidate & { tier: number })[] = [];
  header.forEach((name, index) => {
    const tier = phoneNameTier(name);
    if (tier !== undefined) named.push({ ...candidate(content, header, index), tier });
  });
  return named.sort((a, b) => a.tier - b.tier || b.valid - a.valid || a.index - b.index);
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
