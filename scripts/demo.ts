/**
 * `npm run demo`: the README's first command. Starts the Juhe emulator in this process,
 * screens the bundled sample list (examples/sample-list.csv: duplicates, +86, full-width
 * digits, invalid rows, every carrier) on the local engine (no Redis), writes
 * out/demo-result.csv and prints the summary, keeping its batch in out/demo-data/ (emptied
 * at each start). Needs nothing but Node.
 */
import { rmSync } from 'node:fs';
import { startEmulator } from '../src/emulator/index.js';
import { main } from '../src/cli/main.js';

const emulator = await startEmulator({ port: 0, seed: 'riskscreen-demo' });
process.stderr.write(`riskscreen demo: Juhe EMULATOR on ${emulator.url} (no real service is called, nothing is billed)\n`);
for (const [name, value] of Object.entries(emulator.env)) process.env[name] = value;
delete process.env.REDIS_URL; // the local engine, whatever the shell says
// Its own data dir, emptied first: the demo pays for its list each time (on the emulator),
// and nothing leaks into a real riskscreen-data/.
process.env.RISKSCREEN_DATA_DIR = 'out/demo-data';
rmSync('out/demo-data', { recursive: true, force: true });
process.env.LOG_LEVEL ??= 'warn';
let code = 1;
try {
  // The emulator has no account limits; the real service's are set with RISKSCREEN_RATES.
  code = await main(['run', 'examples/sample-list.csv', '--out', 'out/demo-result.csv', '--rate', 'status=500,tenure=500,tenureCmcc=500,resale=500,callDuration=500']);
} finally {
  await emulator.close();
}
const stats = emulator.ledger.stats();
process.stdout.write(`\nemulator ledger: ${stats.calls.toLocaleString('en-US')} calls, ${stats.billed.toLocaleString('en-US')} billed\n`);
process.exitCode = code;
