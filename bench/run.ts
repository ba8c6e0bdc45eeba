/**
 * `npm run bench`: every benchmark in turn, each printing its own figures. Speed and
 * memory targets live here, not in timed tests. Run one alone with
 * `node --import tsx bench/<name>.ts`.
 */
import { run as emulatorThroughput } from './emulator-throughput.js';
import { run as engineEfficiency } from './engine-efficiency.js';
import { run as engineEndToEnd } from './engine-end-to-end.js';
import { run as engineMillion } from './engine-million.js';
import { run as inputPath } from './input-path.js';
import { run as inputRead } from './input-read.js';
import { run as plan } from './plan.js';
import { run as reportExport } from './report-export.js';
import { run as resultFormats } from './result-formats.js';
import { run as store } from './store.js';
import { run as web } from './web.js';

const BENCHES: Array<[string, () => Promise<void>]> = [
  ['input read', inputRead],
  ['input path', inputPath],
  ['report export', reportExport],
  ['result formats', resultFormats],
  ['emulator throughput', emulatorThroughput],
  ['engine end to end', engineEndToEnd],
  ['engine efficiency', engineEfficiency],
  ['engine million', engineMillion],
  ['store', store],
  ['plan', plan],
  ['web', web],
];

// Words pick benches by name; `--name value` options are the benches' own (`plan --rows 5000`).
const only = process.argv.slice(2).filter((word, i, all) => !word.startsWith('--') && !all[i - 1]?.startsWith('--'));
for (const [name, run] of BENCHES) {
  if (only.length > 0 && !only.some((word) => name.includes(word))) continue;
  process.stdout.write(`\n== ${name}\n`);
  await run();
}
