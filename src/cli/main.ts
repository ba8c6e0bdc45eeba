#!/usr/bin/env node
/**
 * The `riskscreen` command line: a registry of commands, each with its own
 * `node:util parseArgs` options and `--help`. User errors print one plain line and
 * exit with a documented code; only --debug (or RISKSCREEN_DEBUG=1) shows a stack.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '../shared/config-error.js';
import { errorKindOf } from '../shared/error-kind.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { oneLine, UsageError, type CommandIo } from './io.js';

export interface LoadedCommand {
  help: string;
  run(argv: string[], io: CommandIo): Promise<number>;
}

export interface Command {
  summary: string;
  /** Loaded on use, so a worker does not load the emulator or the workbook reader. */
  load(): Promise<LoadedCommand>;
}

export const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'screen a list and write the result (local engine, or the queue with REDIS_URL)',
    load: async () => import('./run.js').then((m) => ({ help: m.RUN_HELP, run: m.runRunCommand })),
  },
  estimate: {
    summary: 'what screening a list would cost, before anything is spent',
    load: async () => import('./estimate.js').then((m) => ({ help: m.ESTIMATE_HELP, run: m.runEstimateCommand })),
  },
  submit: {
    summary: 'queue a list on the queue engine and print its batch id',
    load: async () => import('./batch-commands.js').then((m) => ({ help: m.SUBMIT_HELP, run: m.runSubmitCommand })),
  },
  status: {
    summary: 'show a batch: status, reason, counts, errors by code',
    load: async () => import('./batch-commands.js').then((m) => ({ help: m.STATUS_HELP, run: m.runStatusCommand })),
  },
  result: {
    summary: "write a finished batch's result file",
    load: async () => import('./batch-commands.js').then((m) => ({ help: m.RESULT_HELP, run: m.runResultCommand })),
  },
  cancel: {
    summary: 'stop a batch: no more calls are made for it',
    load: async () => import('./batch-commands.js').then((m) => ({ help: m.CANCEL_HELP, run: m.runCancelCommand })),
  },
  gc: {
    summary: "remove the local engine's old batches and expired answers from the data dir",
    load: async () => import('./gc.js').then((m) => ({ help: m.GC_HELP, run: m.runGcCommand })),
  },
  schedule: {
    summary: 'nightly runs: add, list, remove or run a schedule that screens an inbox folder',
    load: async () => import('./schedule-command.js').then((m) => ({ help: m.SCHEDULE_HELP, run: (argv: string[], io: CommandIo) => m.runScheduleCommand(argv, io) })),
  },
  webhook: {
    summary: 'send a signed test event to a receiver, or show delivery attempts',
    load: async () => import('./webhook-command.js').then((m) => ({ help: m.WEBHOOK_HELP, run: (argv: string[], io: CommandIo) => m.runWebhookCommand(argv, io) })),
  },
  web: {
    summary: 'serve the ops console (web page and JSON API)',
    load: async () => import('./web.js').then((m) => ({ help: m.WEB_HELP, run: m.runWebCommand })),
  },
  user: {
    summary: 'add, remove or list console accounts (in the config file)',
    load: async () => import('./accounts-command.js').then((m) => ({ help: m.USER_HELP, run: m.runUserCommand })),
  },
  token: {
    summary: 'add, remove or list API tokens for systems (in the config file)',
    load: async () => import('./accounts-command.js').then((m) => ({ help: m.TOKEN_HELP, run: m.runTokenCommand })),
  },
  worker: {
    summary: 'work on the queue engine until SIGTERM',
    load: async () => import('./worker.js').then((m) => ({ help: m.WORKER_HELP, run: (argv: string[], io: CommandIo) => m.runWorkerCommand(argv, io) })),
  },
  inspect: {
    summary: 'read a phone list and report what would be screened, before anything is spent',
    load: async () => import('./inspect.js').then((m) => ({ help: m.INSPECT_HELP, run: m.runInspectCommand })),
  },
  query: {
    summary: 'ask one Juhe API about one number (billed)',
    load: async () => import('./query.js').then((m) => ({ help: m.QUERY_HELP, run: m.runQueryCommand })),
  },
  config: {
    summary: 'show the resolved configuration and the form each API sends',
    load: async () => import('./config-command.js').then((m) => ({ help: m.CONFIG_HELP, run: m.runConfigCommand })),
  },
  rubric: {
    summary: 'print the default risk rubric, or check a rubric file',
    load: async () => import('./rubric-command.js').then((m) => ({ help: m.RUBRIC_HELP, run: m.runRubricCommand })),
  },
  sim: {
    summary: 'run the offline Juhe emulator (faults, rate limits, billing ledger)',
    load: async () => import('./sim.js').then((m) => ({ help: m.SIM_USAGE, run: (argv: string[], io: CommandIo) => m.runSimCommand(argv, io) })),
  },
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
      io.stdout.write(command ? (await command.load()).help : mainHelp());
      return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"; commands are ${Object.keys(COMMANDS).join(', ')}`);
    return await (await command.load()).run(args.slice(1), io);
  } catch (err) {
    return report(err, io, debug);
  }
}

/** Print an error the way a user should see it and choose the exit code. */
export function report(err: unknown, io: CommandIo, debug: boolean): number {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    io.stderr.write(`riskscreen: ${oneLine((err as Error).message)}\n`);
    return EXIT.usage;
  }
  if (errorKindOf(err) && err instanceof Error) {
    // Errors with a kind are a user's to act on: one plain line, no stack. Messages may
    // quote file contents (a header name); a line break there must not split the line.
    io.stderr.write(`riskscreen: ${err instanceof ConfigError ? 'configuration: ' : ''}${oneLine(err.message)}\n`);
    return exitCodeOf(err);
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
