/**
 * A list as a CRM exports it, the one the result-format tests screen: a customer code,
 * the phone, an 18-digit ID number, a 19-digit bank card, a 5-digit branch code with
 * leading zeros, a free-text note holding what spreadsheets love to change (`1E5`, `3/4`,
 * `=1+1`, `0012`, `TRUE`, Chinese text, a line break) and a date. Deterministic.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';

export const CRM_HEADER = ['客户编号', '手机号', '身份证号', '银行卡号', '网点代码', '备注', '开户日期'];

/** Notes that a double click in a spreadsheet would turn into numbers, dates or formulas. */
export const TRICKY_NOTES = [
  '1E5',
  '3/4',
  '=1+1',
  "'=1+1",
  '+1',
  '-0',
  '@home',
  '0012',
  'TRUE',
  '2024-01-01',
  '1,234',
  '张三 VIP 客户',
  '第一行\n第二行',
  '  spaced  ',
  '=HYPERLINK("http://evil.example","click")',
  '',
];

const PREFIXES = ['138', '139', '186', '133', '189', '150', '177', '199', '130', '181'];

export interface CrmList {
  path: string;
  header: string[];
  /** The data rows, every cell as written to the file. */
  rows: string[][];
}

/** `count` rows (50 by default): every 10th phone cell is not a mobile number, so invalid rows are in it too. */
export function writeCrmList(dir: string, name = 'crm.csv', count = 50): CrmList {
  const rows: string[][] = [];
  for (let i = 0; i < count; i++) {
    const phone = i % 10 === 9 ? `010-6${String(1000000 + i).slice(1)}` : `${PREFIXES[i % PREFIXES.length]}${String(10_000_000 + i * 7_919_37).slice(-8)}`;
    const id = `110101${1960 + (i % 40)}${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}${String(100 + i).slice(-3)}${i % 7 === 0 ? 'X' : String(i % 10)}`;
    const card = `62220${String(20_2400_0000_0000 + i * 1_234_567).padStart(14, '0')}`;
    rows.push([
      `C${String(i + 1).padStart(6, '0')}`,
      phone,
      id,
      card,
      String(i * 37).padStart(5, '0'),
      TRICKY_NOTES[i % TRICKY_NOTES.length]!,
      `${2020 + (i % 5)}/${1 + (i % 12)}/${1 + (i % 28)}`,
    ]);
  }
  const path = join(dir, name);
  writeFileSync(path, stringify([CRM_HEADER, ...rows], { record_delimiter: 'windows', quoted_match: /[\r\n]/ }));
  return { path, header: CRM_HEADER, rows };
}
