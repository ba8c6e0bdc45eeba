/**
 * `npm run bench`: every benchmark in turn, each printing its own figures. Speed and
 * memory targets live here, not in timed tests. Run one alone with
 * `node --import tsx bench/<name>.ts`.
 */
import { run as emulatorThroughput } from './emulator-throughput.js';

const BENCHES: Array<[string, () => Promise<void>]> = [['emulator throughput', emulatorThroughput]];

const only = process.argv.slice(2);
for (const [name, run] of BENCHES) {
  if (only.length > 0 && !only.some((word) => name.includes(word))) continue;
  process.stdout.write(`\n== ${name}\n`);
  await run();
}
