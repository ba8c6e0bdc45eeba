/**
 * Makes the pictures of a result workbook in docs/, as a spreadsheet program shows it:
 * screens examples/crm-export.csv on the local engine against the emulator into a
 * workbook, has LibreOffice print it to PDF (headless, each sheet on one page), and cuts
 * PNGs out of the pages with pdftoppm: docs/workbook-input.png (the left of the results
 * sheet: the list's own columns), docs/workbook-levels.png (its right end: the score,
 * the coloured levels, the reasons) and docs/workbook-summary.png (the summary sheet).
 * Needs Debian's libreoffice-calc-nogui and poppler-utils; not part of the tests (CI
 * has no LibreOffice).
 *
 *     npx tsx scripts/workbook-picture.ts
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../src/cli/main.js';
import { startEmulator } from '../src/emulator/index.js';

const work = resolve('out/workbook-picture');
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'home'), { recursive: true });
const emulator = await startEmulator({ port: 0, seed: 'riskscreen-demo' });
for (const [name, value] of Object.entries(emulator.env)) process.env[name] = value;
delete process.env.REDIS_URL;
process.env.RISKSCREEN_DATA_DIR = join(work, 'data');
process.env.LOG_LEVEL = 'warn';
const book = join(work, 'result.xlsx');
let code: number;
try {
  code = await main(['run', 'examples/crm-export.csv', '--column', '手机号', '--out', book, '--rate', 'status=500,tenure=500,tenureCmcc=500,resale=500,callDuration=500', '--quiet']);
} finally {
  await emulator.close();
}
if (code !== 0) throw new Error(`riskscreen run exited ${code}`);
// LibreOffice wants a writable profile folder; the one in HOME is made on first use.
execFileSync('soffice', ['--headless', '--convert-to', 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}', '--outdir', work, book], { env: { ...process.env, HOME: join(work, 'home') }, stdio: 'inherit' });
const pdf = join(work, 'result.pdf');
const DPI = 80;
const pageWidth = Math.round((Number(/Page +1 size:\s+([\d.]+)/.exec(execFileSync('pdfinfo', ['-f', '1', '-l', '1', pdf], { encoding: 'utf8' }))![1]) * DPI) / 72);
const cut = (page: number, x: number, y: number, width: number, height: number, to: string) => {
  const stem = join(work, `cut-${page}-${x}`);
  execFileSync('pdftoppm', ['-png', '-singlefile', '-r', String(DPI), '-f', String(page), '-l', String(page), '-x', String(x), '-y', String(y), '-W', String(width), '-H', String(height), pdf, stem]);
  copyFileSync(`${stem}.png`, to);
  process.stdout.write(`wrote ${to}\n`);
};
cut(1, 0, 0, 1500, 560, 'docs/workbook-input.png');
cut(1, Math.max(0, pageWidth - 1480), 0, 1480, 560, 'docs/workbook-levels.png');
cut(2, 0, 0, 960, 1000, 'docs/workbook-summary.png');
