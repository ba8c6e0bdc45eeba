/**
 * Writes examples/sample-list.csv: a few thousand synthetic numbers with the messy
 * cases ops really upload (duplicates, +86, full-width digits, spaces and dashes,
 * Excel's ".0" and scientific notation, landlines, short numbers, letters, empty
 * cells) across every carrier and kind. Deterministic: the same file every run.
 *
 *   npx tsx scripts/make-sample-list.ts [rows]
 */
import { writeFileSync } from 'node:fs';
import { allPrefixes } from '../src/phone/prefixes.js';

const rows = Number(process.argv[2] ?? 3000);
let state = 20261122;
/** mulberry32: small, seeded, good enough for test data. */
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const prefixes = allPrefixes();
// Weight ordinary mobile prefixes far above MVNO, IoT and satellite ones, as in real lists.
const weighted = prefixes.flatMap((p) => Array<typeof p>(p.kind === 'mobile' ? 12 : 1).fill(p));
function number(): string {
  const prefix = pick(weighted).prefix;
  let digits = prefix;
  while (digits.length < 11) digits += String(Math.floor(random() * 10));
  return digits;
}

const FULL_WIDTH = '０１２３４５６７８９';
const messes: Array<(n: string) => string> = [
  (n) => `+86${n}`,
  (n) => `+86 ${n.slice(0, 3)} ${n.slice(3, 7)} ${n.slice(7)}`,
  (n) => `0086${n}`,
  (n) => `86${n}`,
  (n) => [...n].map((d) => FULL_WIDTH[Number(d)]).join(''),
  (n) => `${n.slice(0, 3)}-${n.slice(3, 7)}-${n.slice(7)}`,
  (n) => `${n}.0`,
  (n) => ` ${n} `,
  (n) => `(${n.slice(0, 3)}) ${n.slice(3)}`,
];
const invalids: Array<() => string> = [
  () => '',
  () => '010-62345678',
  () => '0755 8888 1234',
  () => `1.${number().slice(1, 6)}E+10`,
  () => number().slice(0, 9),
  () => `${number()}5`,
  () => `138abc${number().slice(6)}`,
  () => `100${number().slice(3)}`,
  () => 'unknown',
];
const names = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨磊', '赵敏', '黄勇', '周杰', '吴霞', 'Li, Ming', '"Quoted" Name'];
const formatDate = (d: Date, style: number): string => {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  const pad = (v: number) => String(v).padStart(2, '0');
  if (style === 0) return `${y}${pad(m)}${pad(day)}`;
  if (style === 1) return `${y}-${pad(m)}-${pad(day)}`;
  return `${y}/${m}/${day}`;
};

const seen: string[] = [];
const lines = ['手机号,姓名,注册日期,备注'];
const csvCell = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
for (let i = 0; i < rows; i++) {
  const roll = random();
  let phone: string;
  if (roll < 0.06) {
    phone = pick(invalids)();
  } else if (roll < 0.12 && seen.length > 0) {
    phone = pick(seen); // a duplicate, possibly written differently below
  } else {
    phone = number();
    seen.push(phone);
  }
  if (roll >= 0.06 && random() < 0.12) phone = pick(messes)(phone);
  const registered = new Date(Date.UTC(2015, 0, 1) + Math.floor(random() * 3650) * 86_400_000);
  const date = random() < 0.9 ? formatDate(registered, Math.floor(random() * 3)) : '';
  lines.push([phone, pick(names), date, `row ${i + 1}`].map(csvCell).join(','));
}
writeFileSync(new URL('../examples/sample-list.csv', import.meta.url), `${lines.join('\r\n')}\r\n`);
process.stdout.write(`wrote examples/sample-list.csv: ${rows} rows\n`);
