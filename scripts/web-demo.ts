/**
 * `npm run web:demo`: the console on the embedded default, with one command. Starts the
 * Juhe emulator in this process and `riskscreen web` on the local engine (no Redis),
 * with three demo accounts (operator, viewer, admin) whose passwords are made now and
 * printed here. Its batches are kept in out/web-demo-data/ (emptied at each start).
 * Nothing real is called or billed. Port: RISKSCREEN_WEB_PORT, default 8080.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { loadOptions } from '../src/config/load.js';
import { startEmulator } from '../src/emulator/index.js';
import { startConsole } from '../src/cli/web.js';
import { hashPassword } from '../src/web/passwords.js';

const emulator = await startEmulator({ port: 0, seed: 'riskscreen-demo' });
for (const [name, value] of Object.entries(emulator.env)) process.env[name] = value;
delete process.env.REDIS_URL; // the local engine, whatever the shell says
process.env.RISKSCREEN_DATA_DIR = 'out/web-demo-data';
rmSync('out/web-demo-data', { recursive: true, force: true });
// The emulator has no account limits; the real service's are set with RISKSCREEN_RATES.
process.env.RISKSCREEN_RATES ??= 'status=200,tenure=200,tenureCmcc=200,resale=200,callDuration=200';
process.env.LOG_LEVEL ??= 'warn';

const options = loadOptions();
const accounts = [
  { name: 'demo', role: 'operator' as const },
  { name: 'viewer', role: 'viewer' as const },
  { name: 'admin', role: 'admin' as const },
];
const passwords = accounts.map(() => randomBytes(9).toString('base64url'));
options.web.users = await Promise.all(accounts.map(async (account, i) => ({ ...account, hash: await hashPassword(passwords[i]!) })));
const running = await startConsole(options, { work: true, fixedAccounts: true });

process.stderr.write(`
riskscreen web demo: the Juhe EMULATOR answers on ${emulator.url} (nothing real is called or billed)

  open ${running.url}

  ${accounts.map((account, i) => `${account.role.padEnd(9)} name ${account.name.padEnd(8)} password ${passwords[i]}`).join('\n  ')}

  a list to try: examples/sample-list.csv (3,000 rows)
  Ctrl-C stops it.
`);

const stop = async () => {
  await running.close();
  await emulator.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
