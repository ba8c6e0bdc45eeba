/**
 * `riskscreen web`: the ops console and its JSON API. With REDIS_URL on the queue
 * engine (workers in this process too unless --no-worker), else on the local engine in
 * this process. Stops on SIGINT/SIGTERM: no new requests, event streams closed, the
 * workers given RISKSCREEN_SHUTDOWN_TIMEOUT_MS to finish their calls.
 */
import { parseArgs } from 'node:util';
import { configFileOf, loadOptions } from '../config/load.js';
import type { Options } from '../config/options.js';
import { createLogger } from '../log/logger.js';
import { openConsoleEngine } from '../web/console-engine.js';
import { buildConsoleServer, type ConsoleServer } from '../web/server.js';
import { EXIT } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';

export const WEB_HELP = `Usage: riskscreen web [--host H] [--port N] [--no-worker] [--config FILE]

Serve the ops console (a web page: upload a list, see its preview and cost, start,
watch, cancel, download the results) and its JSON API (docs/http-api.md).

With REDIS_URL it uses the queue engine: batches live in Redis, survive a restart of
the console, and are worked by riskscreen worker processes, and by this process too
unless --no-worker. Without REDIS_URL it runs the local engine in this process: batches
are kept in the data dir, worked here only, and a batch running when the console stops
goes on when it starts again.

Accounts: riskscreen user add NAME --role operator (people), riskscreen token add NAME
--role operator (systems). No page or API answers without one.

Options:
  --host H        address to listen on (default 127.0.0.1; RISKSCREEN_WEB_HOST)
  --port N        port (default 8080; RISKSCREEN_WEB_PORT; 0 picks a free one)
  --no-worker     queue engine only: serve the console, leave the work to riskscreen worker
  --config FILE   config file (accounts, web options)
  -h, --help      show this help

Exit codes: 0 stopped, 2 bad command line, 4 configuration, 7 Redis unreachable.
`;

export interface RunningConsole {
  url: string;
  server: ConsoleServer;
  close(): Promise<void>;
}

/** Starts the console (for the command, the demo and the tests). */
export async function startConsole(
  options: Options,
  settings: { work: boolean; configFile?: string; /** The accounts of `options` only, never read again (the demo, tests). */ fixedAccounts?: boolean },
): Promise<RunningConsole> {
  const logger = createLogger({ level: options.log.level });
  const engine = await openConsoleEngine(options, logger, { work: settings.work });
  let server: ConsoleServer;
  try {
    const config = configFileOf(settings.configFile ? { configFile: settings.configFile } : {});
    server = await buildConsoleServer({
      options,
      engine,
      logger,
      accountsFile: settings.fixedAccounts ? null : config.path,
      reloadAccounts: () => (settings.fixedAccounts ? options.web : loadOptions(settings.configFile ? { configFile: settings.configFile } : {}).web),
    });
    await server.app.listen({ host: options.web.host, port: options.web.port });
  } catch (err) {
    await engine.close();
    throw err;
  }
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.web.port;
  const host = options.web.host.includes(':') ? `[${options.web.host}]` : options.web.host;
  return {
    url: `${options.web.tlsCert ? 'https' : 'http'}://${host}:${port}`,
    server,
    async close() {
      await server.close();
      await engine.close();
    },
  };
}

export async function runWebCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'no-worker': { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(WEB_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`web takes no arguments (got ${positionals.join(' ')})`);
  const options = loadOptions({
    ...(values.config ? { configFile: values.config } : {}),
    overrides: { 'web.host': { value: values.host, flag: '--host' }, 'web.port': { value: values.port, flag: '--port' } },
  });
  if (values['no-worker'] && !options.engine.redisUrl) throw new UsageError('--no-worker: only with the queue engine (REDIS_URL); the local engine works in this process');
  const running = await startConsole(options, { work: !values['no-worker'], ...(values.config ? { configFile: values.config } : {}) });
  // Listening before the line that says it is up (a SIGTERM sent on reading it must find a handler).
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const engineWords = options.engine.redisUrl ? `queue engine${values['no-worker'] ? ', no worker in this process' : ''}` : 'local engine, in this process';
  io.stderr.write(`riskscreen web: the console is at ${running.url} (${engineWords})\n`);
  if (options.web.users.length === 0 && options.web.tokens.length === 0) {
    io.stderr.write('riskscreen web: warning: no accounts yet, nobody can log in: riskscreen user add NAME --role operator\n');
  }
  await stopped;
  io.stderr.write('riskscreen web: stopping\n');
  await running.close();
  return EXIT.ok;
}
