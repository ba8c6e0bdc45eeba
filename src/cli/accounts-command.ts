/**
 * `riskscreen user ...` and `riskscreen token ...`: the console's accounts, kept in the
 * config file (`web.users`, `web.tokens`). A user's password is read from a hidden
 * prompt (twice) or, for scripts, from stdin with --password-stdin; only its scrypt hash
 * is written. A token is printed once and only its sha256 is kept. A running console
 * reads the file again when it changes: no restart is needed.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { configFileOf, loadOptions } from '../config/load.js';
import { putAccount, removeAccount } from '../config/config-file-edit.js';
import { WEB_ROLES, type WebRole } from '../config/options.js';
import { accountName } from '../config/validate.js';
import { hashPassword, newToken, tokenDigest } from '../web/passwords.js';
import { EXIT } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';

export const USER_HELP = `Usage: riskscreen user add NAME --role viewer|operator|admin [--password-stdin]
       riskscreen user remove NAME
       riskscreen user list

Console accounts, kept in the config file (--config FILE, RISKSCREEN_CONFIG, or
./riskscreen.config.json, made when missing and readable by its owner only). add asks
for the password twice (hidden), or reads it from stdin with --password-stdin; only an
scrypt hash is written. Adding a name again replaces it (a new password or role). A
running riskscreen web reads the file again when it changes.

Roles: viewer sees batches and counts, never a number or a file; operator uploads,
starts, cancels and downloads; admin also sees the queue dashboard.

Options:
  --role ROLE        viewer, operator or admin (add: required)
  --password-stdin   read the password from stdin (one line), for scripts
  --config FILE      the config file to write
  -h, --help         show this help

Exit codes: 0 done, 2 bad command line (or no such account to remove), 4 the config file
cannot be read or written.
`;

export const TOKEN_HELP = `Usage: riskscreen token add NAME --role viewer|operator|admin
       riskscreen token remove NAME
       riskscreen token list

API tokens for systems that call the console's API (docs/http-api.md) with
Authorization: Bearer <token>. add prints the token once: keep it, it cannot be shown
again (only its sha256 is written to the config file). Adding a name again makes a new
token and the old one stops working.

Options:
  --role ROLE        viewer, operator or admin (add: required)
  --config FILE      the config file to write
  -h, --help         show this help

Exit codes: 0 done, 2 bad command line (or no such token to remove), 4 the config file
cannot be read or written.
`;

/** Shortest password `user add` accepts. */
const MIN_PASSWORD = 10;

function roleOf(value: string | undefined): WebRole {
  if (value === undefined) throw new UsageError(`--role: which role? one of ${WEB_ROLES.join(', ')}`);
  if (!(WEB_ROLES as readonly string[]).includes(value)) throw new UsageError(`--role: one of ${WEB_ROLES.join(', ')} (got ${JSON.stringify(value)})`);
  return value as WebRole;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

function nameArg(positionals: string[], command: string): string {
  if (positionals.length !== 2) throw new UsageError(`${command} ${positionals[0]} needs exactly one NAME (see riskscreen ${command} --help)`);
  try {
    return accountName('NAME', positionals[1]);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The accounts of the config file; none when there is no file yet (add makes it). */
function accountsIn(config: string | undefined): { users: Array<{ name: string; role: string }>; tokens: Array<{ name: string; role: string }> } {
  const { path } = configFileOf(config ? { configFile: config } : {});
  return existsSync(path) ? loadOptions({ configFile: path, env: {} }).web : { users: [], tokens: [] };
}

/** The config file, checked to load as it is now: a broken file is not written over. */
function configFile(config: string | undefined): string {
  const { path } = configFileOf(config ? { configFile: config } : {});
  if (existsSync(path)) loadOptions({ configFile: path, env: {} });
  return path;
}

const KINDS = {
  user: { list: 'users', help: USER_HELP, none: 'no console users yet (riskscreen user add NAME --role operator)' },
  token: { list: 'tokens', help: TOKEN_HELP, none: 'no API tokens yet (riskscreen token add NAME --role operator)' },
} as const;

type Values = ReturnType<typeof parse>['values'];

/** `add`, `remove` and `list` of one kind of account; `add` is the kind's own. */
async function runAccountCommand(
  kind: keyof typeof KINDS,
  argv: string[],
  io: CommandIo,
  add: (path: string, name: string, role: WebRole, values: Values) => Promise<void>,
): Promise<number> {
  const { values, positionals } = parse(argv);
  const { list, help, none } = KINDS[kind];
  if (values.help || positionals.length === 0) {
    io.stdout.write(help);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const action = positionals[0];
  if (action === 'list') {
    const accounts = accountsIn(values.config)[list];
    if (accounts.length === 0) io.stdout.write(`${none}\n`);
    for (const account of accounts) io.stdout.write(`${account.name.padEnd(24)} ${account.role}\n`);
    return EXIT.ok;
  }
  const name = nameArg(positionals, kind);
  if (action === 'remove') {
    const path = configFile(values.config);
    if (!(await removeAccount(path, list, name))) throw new UsageError(`no ${kind} named ${name} in ${path}`);
    io.stdout.write(`removed ${kind} ${name} from ${path}\n`);
    return EXIT.ok;
  }
  if (action !== 'add') throw new UsageError(`unknown action "${action}": add, remove or list`);
  const role = roleOf(values.role);
  await add(configFile(values.config), name, role, values);
  return EXIT.ok;
}

export function runUserCommand(argv: string[], io: CommandIo): Promise<number> {
  return runAccountCommand('user', argv, io, async (path, name, role, values) => {
    const password = values['password-stdin'] ? await readLine(io) : await askTwice(io);
    if (password.length < MIN_PASSWORD) throw new UsageError(`the password must be at least ${MIN_PASSWORD} characters`);
    const { replaced } = await putAccount(path, 'users', { name, role, hash: await hashPassword(password) });
    io.stdout.write(`${replaced ? 'updated' : 'added'} console user ${name} (${role}) in ${path}\n`);
  });
}

export function runTokenCommand(argv: string[], io: CommandIo): Promise<number> {
  return runAccountCommand('token', argv, io, async (path, name, role) => {
    const token = newToken();
    const { replaced } = await putAccount(path, 'tokens', { name, role, sha256: tokenDigest(token) });
    io.stderr.write(`${replaced ? 'replaced' : 'added'} API token ${name} (${role}) in ${path}; it is shown once, here:\n`);
    io.stdout.write(`${token}\n`);
  });
}

function stdinOf(io: CommandIo) {
  return io.stdin ?? process.stdin;
}

/** One line of stdin (the password, for scripts); its line ending is not part of it. */
async function readLine(io: CommandIo): Promise<string> {
  const lines = createInterface({ input: stdinOf(io), terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new UsageError('--password-stdin: stdin ended before a password');
}

/** The password typed twice at a hidden prompt. */
async function askTwice(io: CommandIo): Promise<string> {
  const stdin = stdinOf(io);
  if (!stdin.isTTY) throw new UsageError('no terminal to ask for the password: pipe it in with --password-stdin');
  const first = await askHidden(io, 'password: ');
  const second = await askHidden(io, 'again: ');
  if (first !== second) throw new UsageError('the two passwords differ; nothing was written');
  return first;
}

function askHidden(io: CommandIo, prompt: string): Promise<string> {
  const stdin = stdinOf(io);
  return new Promise((resolve, reject) => {
    io.stderr.write(prompt);
    stdin.setRawMode?.(true);
    let typed = '';
    const onData = (chunk: Buffer | string) => {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n') {
          done();
          io.stderr.write('\n');
          return resolve(typed);
        }
        if (char === '\u0003') {
          done();
          return reject(new UsageError('interrupted; nothing was written'));
        }
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    const done = () => {
      stdin.removeListener('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
