#!/usr/bin/env node
/**
 * The `riskscreen` command line: a registry of commands, each with its own
 * `node:util parseArgs` options and `--help`. User errors print one plain line and
 * exit with a documented code; only --debug (or RISKSCREEN_DEBUG=1) shows a stack.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { runConfigCommand, CONFIG_HELP } from './config-command.js';
import { EXIT } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';
import { runQueryCommand, QUERY_HELP } from './query.js';
import { runSimCommand, SIM_USAGE } from '../emulator/cli.js';
import { runInspectCommand, INSPECT_HELP } from './inspect.js';
import { runRunCommand, RUN_HELP } from './run.js';
import {
  runCancelCommand,
  runResultCommand,
  runStatusCommand,
  runSubmitCommand,
  CANCEL_HELP,
  RESULT_HELP,
  STATUS_HELP,
  SUBMIT_HELP,
} from './batch-commands.js';
import { runWorkerCommand, WORKER_HELP } from './worker.js';
import { runEstimateCommand, ESTIMATE_HELP } from './estimate.js';

export interface Command {
  summary: string;
  help: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  run: { summary: 'screen a list and write the result (local engine, or the queue with REDIS_URL)', help: RUN_HELP, run: runRunCommand },
  estimate: { summary: 'what screening a list would cost, before anything is spent', help: ESTIMATE_HELP, run: runEstimateCommand },
  submit: { summary: 'queue a list on the queue engine and print its batch id', help: SUBMIT_HELP, run: runSubmitCommand },
  status: { summary: 'show a batch: status, reason, counts, errors by code', help: STATUS_HELP, run: runStatusCommand },
  result: { summary: "write a finished batch's result file", help: RESULT_HELP, run: runResultCommand },
  cancel: { summary: 'stop a batch: no more calls are made for it', help: CANCEL_HELP, run: runCancelCommand },
  worker: { summary: 'work on the queue engine until SIGTERM', help: WORKER_HELP, run: (argv, io) => runWorkerCommand(argv, io) },
  query: { summary: 'ask one Juhe API about one number (billed)', help: QUERY_HELP, run: runQueryCommand },
  config: { summary: 'show the resolved configuration and the form each API sends', help: CONFIG_HELP, run: runConfigCommand },
  inspect: { summary: 'read a phone list and report what would be screened, before anything is spent', help: INSPECT_HELP, run: runInspectCommand },
  sim: { summary: 'run the offline Juhe emulator (faults, rate limits, billing ledger)', help: SIM_USAGE, run: (argv, io) => runSimCommand(argv, io) },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 2;
  return `riskscreen: batch risk screening of Chinese mobile numbers against Juhe data APIs

Usage: riskscreen <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(width)}${command.summary}`)
  .join('\n')}

Run "riskscreen <command> --help" for a command's options.

Global options:
  --debug        show stack traces for unexpected errors (or RISKSCREEN_DEBUG=1)
  -v, --version  print the version
  -h, --help     show this help

Exit codes: 0 ok, 1 unexpected error, 2 bad command line, 3 input file problem,
4 configuration problem, 5 Juhe key/account refused, 6 stopped by a limit (quota,
--max-calls), 7 a needed service is unreachable, 130 interrupted.
`;
}

export async function main(argv: string[], io: CommandIo = process): Promise<number> {
  const debug = argv.includes('--debug') || process.env.RISKSCREEN_DEBUG === '1';
  const args = argv.filter((arg) => arg !== '--debug');
  try {
    const { positionals, values } = parseArgs({
      args,
      allowPositionals: true,
      strict: false,
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
    });
    const name = args[0];
    if (!name || (name.startsWith('-') && values.help)) {
      io.stdout.write(mainHelp());
      return name ? EXIT.ok : EXIT.usage;
    }
    if (name === '--version' || name === '-v' || (values.version && positionals.length === 0)) {
      io.stdout.write(`${version()}\n`);
      return EXIT.ok;
    }
    if (name === 'help') {
      const topic = args[1];
      const command = topic ? COMMANDS[topic] : undefined;
      io.stdout.write(command ? command.help : mainHelp());
      return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"; commands are ${Object.keys(COMMANDS).join(', ')}`);
    return await command.run(args.slice(1), io);
  } catch (err) {
    return report(err, io, debug);
  }
}

/** Print an error the way a user should see it and choose the exit code. */
export function report(err: unknown, io: CommandIo, debug: boolean): number {
  const code = (err as { code?: unknown })?.code;
  if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
    io.stderr.write(`riskscreen: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  if (err instanceof ConfigError) {
    io.stderr.write(`riskscreen: configuration: ${err.message}\n`);
    return EXIT.config;
  }
  const exitCode = (err as { exitCode?: unknown })?.exitCode;
  if (typeof exitCode === 'number' && err instanceof Error) {
    // Errors that know their exit code (input files, ...) are user errors: one line.
    io.stderr.write(`riskscreen: ${err.message}\n`);
    return exitCode;
  }
  io.stderr.write(`riskscreen: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
  if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  else io.stderr.write('riskscreen: run again with --debug for details\n');
  return EXIT.internal;
}

function version(): string {
  // src/cli/main.ts when run from source, dist/src/cli/main.js when built.
  for (const up of ['../../package.json', '../../../package.json']) {
    const url = new URL(up, import.meta.url);
    if (existsSync(url)) {
      const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'riskscreen') return pkg.version;
    }
  }
  return 'unknown';
}

// Run directly (`tsx src/cli/main.ts ...`, `node dist/src/cli/main.js ...`).
if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2));

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
