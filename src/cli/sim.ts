/**
 * `riskscreen sim`: run the Juhe emulator until SIGINT/SIGTERM. Prints where it listens,
 * the key, openid and RSA public-key file it accepts, and the exports that point
 * riskscreen at it. Returns an `EXIT` code.
 */
import { parseArgs } from 'node:util';
import type { DestinationStream } from 'pino';
import { EXIT, type ExitCode } from './exit-codes.js';
import { createLogger } from '../log/logger.js';
import { FixtureError } from '../emulator/fixtures.js';
import {
  EMULATOR_DEFAULTS,
  EmulatorFileError,
  EmulatorOptionError,
  parseErrorRates,
  parseLatency,
  parseNotInService,
  parseWholeNumber,
  type EmulatorOptions,
} from '../emulator/options.js';
import { startEmulator, type RunningEmulator } from '../emulator/server.js';

export interface SimIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface SimControl {
  /** Stops the emulator like a signal would (for embedding and tests). */
  stop?: AbortSignal;
}

export const SIM_USAGE = `Usage: riskscreen sim [options]

Runs an offline emulator of the Juhe APIs (every documented endpoint on one origin),
with faults, rate limits and a billing ledger. It is never the real service: every
answer carries the header x-riskscreen-emulator: 1. Stops on Ctrl-C (SIGINT) or SIGTERM.

Options:
  --port N                    TCP port; 0 picks a free one (default ${EMULATOR_DEFAULTS.port})
  --host HOST                 interface to listen on (default ${EMULATOR_DEFAULTS.host})
  --key KEY                   the only key accepted; others get 10001 (default ${EMULATOR_DEFAULTS.key})
  --openid OPENID             openid whose MD5 gives the AES key; AES under another gets 10004
                              (default ${EMULATOR_DEFAULTS.openid})
  --seed S                    makes answers, injected faults and latency reproducible (default ${EMULATOR_DEFAULTS.seed})
  --latency-ms N | A-B        delay every answer N ms, or uniformly A..B ms (default 0)
  --error-rate CODE=P,...     inject documented codes with probability P per call, e.g.
                              224805=0.2,10014=0.01 (a 100xx code applies to every API, a
                              service code to its own API)
  --qps N                     per-key limit over any sliding second; over it: 10011 (default unlimited)
  --quota N                   billed calls allowed; after them every call gets 10012 (default unlimited)
  --key-expires-after N       the key is good for N calls; after them every call gets 10003, the
                              key expired (default: never)
  --same-number-window-ms N   status API: the same number again within N ms gets 224924 (default off)
  --fixtures FILE             JSON pinning answers for given numbers (see docs/emulator.md)
  --numbers FILE              numbers the emulator knows, one a line: their sha256/md5 forms are
                              answered as the numbers (also POST /__sim/numbers)
  --rsa-private-key FILE      PEM private key for mobile_status/queryRV2 (default: a fresh 2048-bit key)
  --rsa-public-key-out FILE   where to write the public key PEM (default: a new temporary directory)
  --reference-date YYYYMMDD   "today" for tenure and activation dates (default: today in China)
  --not-in-service SHARE      share of lines not in service (inactive and pre-cancel, 2:1), as 0.2
                              or 20%; the other states keep their proportions (default 0.06)
  --log-level LEVEL           pino level on stderr; debug logs every call, numbers masked
                              (default: $LOG_LEVEL or warn)
  -h, --help                  show this help

Ledger: GET /__sim/calls (JSON lines; ?from=N&limit=M), GET /__sim/stats,
POST /__sim/reset, POST /__sim/numbers, GET /__sim/info.

Exit codes: 0 stopped by SIGINT/SIGTERM, 2 a wrong flag or value, 4 a file that cannot
be read or used (--fixtures, --numbers, --rsa-private-key, --rsa-public-key-out) or an
address that cannot be listened on (--host, --port), 1 anything else.
`;

export async function runSimCommand(argv: string[], io: SimIo, control: SimControl = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        key: { type: 'string' },
        openid: { type: 'string' },
        seed: { type: 'string' },
        'latency-ms': { type: 'string' },
        'error-rate': { type: 'string' },
        qps: { type: 'string' },
        quota: { type: 'string' },
        'key-expires-after': { type: 'string' },
        'same-number-window-ms': { type: 'string' },
        fixtures: { type: 'string' },
        numbers: { type: 'string' },
        'rsa-private-key': { type: 'string' },
        'rsa-public-key-out': { type: 'string' },
        'reference-date': { type: 'string' },
        'not-in-service': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.stderr.write(`riskscreen sim: ${(err as Error).message}\n\n${SIM_USAGE}`);
    return EXIT.usage;
  }
  const flags = parsed.values;
  if (flags.help) {
    io.stdout.write(SIM_USAGE);
    return EXIT.ok;
  }

  const logLevel = flags['log-level'] ?? process.env.LOG_LEVEL ?? 'warn';
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(logLevel)) {
    io.stderr.write(`riskscreen sim: --log-level: ${JSON.stringify(logLevel)} is not one of ${levels.join(', ')}\n`);
    return EXIT.usage;
  }

  let options: EmulatorOptions;
  try {
    options = {
      ...(flags.port !== undefined ? { port: parseWholeNumber('--port', flags.port) } : {}),
      ...(flags.host !== undefined ? { host: flags.host } : {}),
      ...(flags.key !== undefined ? { key: flags.key } : {}),
      ...(flags.openid !== undefined ? { openid: flags.openid } : {}),
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      ...(flags['latency-ms'] !== undefined ? { latencyMs: parseLatency(flags['latency-ms']) } : {}),
      ...(flags['error-rate'] !== undefined ? { errorRates: parseErrorRates(flags['error-rate']) } : {}),
      ...(flags.qps !== undefined ? { qps: parseWholeNumber('--qps', flags.qps) } : {}),
      ...(flags.quota !== undefined ? { quota: parseWholeNumber('--quota', flags.quota) } : {}),
      ...(flags['key-expires-after'] !== undefined ? { keyExpiresAfter: parseWholeNumber('--key-expires-after', flags['key-expires-after']) } : {}),
      ...(flags['same-number-window-ms'] !== undefined
        ? { sameNumberWindowMs: parseWholeNumber('--same-number-window-ms', flags['same-number-window-ms']) }
        : {}),
      ...(flags.fixtures !== undefined ? { fixtures: flags.fixtures } : {}),
      ...(flags.numbers !== undefined ? { knownNumbers: flags.numbers } : {}),
      ...(flags['rsa-private-key'] !== undefined ? { rsaPrivateKeyFile: flags['rsa-private-key'] } : {}),
      ...(flags['rsa-public-key-out'] !== undefined ? { rsaPublicKeyFile: flags['rsa-public-key-out'] } : {}),
      ...(flags['reference-date'] !== undefined ? { referenceDate: flags['reference-date'] } : {}),
      ...(flags['not-in-service'] !== undefined ? { notInService: parseNotInService(flags['not-in-service']) } : {}),
      logger: createLogger({ name: 'riskscreen-sim', level: logLevel, destination: io.stderr as unknown as DestinationStream }),
    };
  } catch (err) {
    return reportStartFailure(err, io);
  }

  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator(options);
  } catch (err) {
    return reportStartFailure(err, io, options.port ?? EMULATOR_DEFAULTS.port, options.host ?? EMULATOR_DEFAULTS.host);
  }
  // Listening before the banner that says it is up: a SIGTERM sent on reading it must find a handler.
  const stopped = waitForStop(control.stop);
  io.stdout.write(banner(emulator));

  const reason = await stopped;
  await emulator.close();
  const stats = emulator.ledger.stats();
  io.stdout.write(
    `riskscreen sim: stopped (${reason}) after ${stats.calls} calls, ${stats.billed} billed, ` +
      `${stats.duplicateBilled} (endpoint, number) pairs and ${stats.duplicateBilledByApi} (API, number) questions billed more than once\n`,
  );
  return EXIT.ok;
}

/** Listen errors that mean the host is wrong: no such name, no such local address, not an address. */
const HOST_ERRORS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EINVAL', 'EADDRNOTAVAIL']);
/** Listen errors that mean the port is wrong: taken, or privileged. */
const PORT_ERRORS = new Set(['EADDRINUSE', 'EACCES']);

function reportStartFailure(err: unknown, io: SimIo, port?: number, host?: string): ExitCode {
  if (err instanceof EmulatorFileError) {
    io.stderr.write(`riskscreen sim: ${err.message}\n`);
    return EXIT.config;
  }
  if (err instanceof EmulatorOptionError) {
    io.stderr.write(`riskscreen sim: ${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof FixtureError) {
    io.stderr.write(`riskscreen sim: --fixtures: ${err.message}\n`);
    return EXIT.config;
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code !== undefined && HOST_ERRORS.has(code)) {
    io.stderr.write(`riskscreen sim: --host: cannot listen on ${JSON.stringify(host ?? '?')} (${code}: not a local address or a name that resolves to one)\n`);
    return EXIT.config;
  }
  if (code !== undefined && PORT_ERRORS.has(code)) {
    const why = code === 'EADDRINUSE' ? 'already in use' : 'not allowed for this user';
    io.stderr.write(`riskscreen sim: --port: cannot listen on port ${port ?? '?'} (${code}: ${why})\n`);
    return EXIT.config;
  }
  io.stderr.write(`riskscreen sim: ${(err as Error).message ?? String(err)}\n`);
  return EXIT.internal;
}

function banner(emulator: RunningEmulator): string {
  const { options } = emulator;
  const latency =
    options.latency.minMs === options.latency.maxMs ? `${options.latency.minMs} ms` : `${options.latency.minMs}-${options.latency.maxMs} ms`;
  const rates = Object.entries(options.errorRatesGiven).map(([code, p]) => `${code}=${p}`).join(',') || 'none';
  return [
    `riskscreen Juhe EMULATOR (not the real service) listening on ${emulator.url}`,
    `  key:            ${emulator.key}`,
    `  openid:         ${emulator.openid}`,
    `  RSA public key: ${emulator.rsaPublicKeyFile}`,
    `  seed ${options.seed}; latency ${latency}; error rates ${rates}; qps ${options.qps ?? 'unlimited'}; ` +
      `quota ${options.quota ?? 'unlimited'}; known numbers ${emulator.knownNumbers}; same-number window ${options.sameNumberWindowMs === undefined ? 'off' : `${options.sameNumberWindowMs} ms`}; ` +
      `reference date ${options.referenceDate}` +
      (options.notInService === undefined ? '' : `; lines not in service ${formatShare(options.notInService)}`),
    'Point riskscreen at it:',
    `  export JUHE_BASE_URL=${emulator.env.JUHE_BASE_URL}`,
    `  export JUHE_KEY=${emulator.env.JUHE_KEY}`,
    `  export JUHE_OPENID=${emulator.env.JUHE_OPENID}`,
    `  export JUHE_RSA_PUBLIC_KEY_FILE=${emulator.env.JUHE_RSA_PUBLIC_KEY_FILE}`,
    `Ledger: ${emulator.url}/__sim/calls  ${emulator.url}/__sim/stats  POST ${emulator.url}/__sim/reset  POST ${emulator.url}/__sim/numbers`,
    'Stop with Ctrl-C.',
    '',
  ].join('\n');
}

/** 0.2 -> `20%`. */
function formatShare(share: number): string {
  return `${Number((share * 100).toFixed(4))}%`;
}

/** Resolves with what stopped it: a signal, or the caller's abort. */
function waitForStop(stop: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve) => {
    const finish = (reason: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      stop?.removeEventListener('abort', onAbort);
      resolve(reason);
    };
    const onInt = (): void => finish('SIGINT');
    const onTerm = (): void => finish('SIGTERM');
    const onAbort = (): void => finish('stopped');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    if (stop?.aborted) return finish('stopped');
    stop?.addEventListener('abort', onAbort, { once: true });
  });
}
