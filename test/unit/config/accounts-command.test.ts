/**
 * `riskscreen user add|remove|list` and `riskscreen token add|remove|list`, run through
 * main() with captured streams and always --config <a temporary file>. `user add`
 * hashes at the default cost (~0.4 s a time), so only one test adds users.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { main } from '../../../src/cli/main.js';
import type { CommandIo } from '../../../src/cli/io.js';
import { tokenDigest, verifyPassword } from '../../../src/web/passwords.js';
import { captureIo } from '../../support/capture-io.js';

let dir: string;
let config: string;
const saved = { ...process.env };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-accounts-'));
  config = join(dir, 'riskscreen.config.json');
  // Nothing from the developer's environment may point the command at another file.
  delete process.env.RISKSCREEN_CONFIG;
  for (const name of Object.keys(process.env)) if (name.startsWith('RISKSCREEN_WEB_') || name.startsWith('JUHE_')) delete process.env[name];
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  process.env = { ...saved };
});

/** `riskscreen <args> --config <tmp>`, with `stdin` as its standard input (not a terminal). */
async function run(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const io: CommandIo & { out(): string; err(): string } = { ...captureIo(), stdin: Readable.from([stdin]) };
  const code = await main([...args, '--config', config], io);
  return { code, out: io.out(), err: io.err() };
}

const file = () => JSON.parse(readFileSync(config, 'utf8')) as { web?: { users?: Array<{ name: string; role: string; hash: string }>; tokens?: Array<{ name: string; role: string; sha256: string }> } };

describe('riskscreen user', () => {
  it('add --password-stdin writes a hash that verifies (not the password), mode 0600; list shows it; add again replaces it', async () => {
    const added = await run(['user', 'add', 'li.lei', '--role', 'operator', '--password-stdin'], 'first secret pw\n');
    expect(added).toMatchObject({ code: EXIT.ok, err: '' });
    expect(added.out).toBe(`added console user li.lei (operator) in ${config}\n`);
    expect(statSync(config).mode & 0o777).toBe(0o600);
    const text = readFileSync(config, 'utf8');
    expect(text).not.toContain('first secret pw');
    const [user] = file().web!.users!;
    expect(user).toMatchObject({ name: 'li.lei', role: 'operator' });
    expect(user!.hash).toMatch(/^scrypt\$17\$8\$1\$/);
    expect(await verifyPassword('first secret pw', user!.hash)).toBe(true);

    const listed = await run(['user', 'list']);
    expect(listed.code).toBe(EXIT.ok);
    expect(listed.out).toMatch(/^li\.lei\s+operator\n$/);
    expect(listed.out).not.toContain('scrypt');

    // Again, with a CRLF line ending and more lines after it: only the first line, without its ending, is the password.
    const again = await run(['user', 'add', 'li.lei', '--role', 'admin', '--password-stdin'], 'second secret pw\r\nsomething else\n');
    expect(again.code).toBe(EXIT.ok);
    expect(again.out).toMatch(/^updated console user li\.lei \(admin\)/);
    const users = file().web!.users!;
    expect(users).toHaveLength(1);
    expect(users[0]!.role).toBe('admin');
    expect(users[0]!.hash).not.toBe(user!.hash);
    expect(await verifyPassword('second secret pw', users[0]!.hash)).toBe(true);
  }, 30_000); // four scrypt runs at the default cost

  it('keeps the rest of an existing config file', async () => {
    writeFileSync(config, JSON.stringify({ log: { level: 'warn' }, web: { port: 9000 } }));
    expect((await run(['token', 'add', 'crm', '--role', 'viewer'])).code).toBe(EXIT.ok);
    expect(file()).toMatchObject({ log: { level: 'warn' }, web: { port: 9000 } });
  });

  it.each([
    [['user', 'add', 'li.lei', '--password-stdin'], /--role: which role\? one of viewer, operator, admin/],
    [['user', 'add', 'li.lei', '--role', 'root', '--password-stdin'], /--role: one of viewer, operator, admin \(got "root"\)/],
    [['user', 'add', 'li.lei', '--role', 'Admin', '--password-stdin'], /--role: one of/],
    [['user', 'add', '--role', 'admin', '--password-stdin'], /needs exactly one NAME/],
    [['user', 'add', 'a', 'b', '--role', 'admin', '--password-stdin'], /needs exactly one NAME/],
    [['user', 'add', 'li lei', '--role', 'admin', '--password-stdin'], /1 to 64 letters/],
    [['user', 'add', 'x'.repeat(65), '--role', 'admin', '--password-stdin'], /1 to 64/],
    [['user', 'rename', 'li.lei'], /unknown action "rename"/],
    [['user', 'add', 'li.lei', '--role', 'admin', '--nope'], /--nope/],
  ])('%j is a usage error (exit 2), and nothing is written', async (args, message) => {
    const result = await run(args, 'a long enough password\n');
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(message);
    expect(result.err).toMatch(/^riskscreen: /);
    expect(result.out).toBe('');
    expect(existsSync(config)).toBe(false);
  });

  it('refuses a password shorter than 10 characters, writing nothing', async () => {
    const result = await run(['user', 'add', 'li.lei', '--role', 'viewer', '--password-stdin'], '123456789\n');
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(/the password must be at least 10 characters/);
    expect(result.err).not.toContain('123456789');
    expect(existsSync(config)).toBe(false);
  });

  it('refuses an empty stdin', async () => {
    const result = await run(['user', 'add', 'li.lei', '--role', 'viewer', '--password-stdin'], '');
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toMatch(/stdin ended before a password|at least 10 characters/);
    expect(existsSync(config)).toBe(false);
  });

  it('without a terminal and without --password-stdin, says to pipe it in', async () => {
    const result = await run(['user', 'add', 'li.lei', '--role', 'viewer'], 'a long enough password\n');
    expect(result.code).toBe(EXIT.usage);
    expect(result.err).toBe('riskscreen: no terminal to ask for the password: pipe it in with --password-stdin\n');
    expect(existsSync(config)).toBe(false);
  });

  it('does not write over a config file that does not load (exit 4)', async () => {
    writeFileSync(config, '{ "web": { "port": 80, ');
    const broken = await run(['user', 'add', 'li.lei', '--role', 'viewer', '--password-stdin'], 'a long enough password\n');
    expect(broken.code).toBe(EXIT.config);
    expect(broken.err).toMatch(/^riskscreen: configuration: /);
    expect(readFileSync(config, 'utf8')).toBe('{ "web": { "port": 80, ');

    // Valid JSON but an invalid option: also left as it is.
    const invalid = JSON.stringify({ web: { port: 'eighty' } });
    writeFileSync(config, invalid);
    const bad = await run(['token', 'add', 'crm', '--role', 'viewer']);
    expect(bad.code).toBe(EXIT.config);
    expect(bad.err).toMatch(/web\.port/);
    expect(bad.out).toBe('');
    expect(readFileSync(config, 'utf8')).toBe(invalid);
  });

  it('remove takes the user out; removing an unknown one is exit 2 and changes nothing', async () => {
    const hash = `scrypt$17$8$1$${'A'.repeat(22)}$${'A'.repeat(43)}`;
    writeFileSync(
      config,
      JSON.stringify({ web: { users: [{ name: 'a', role: 'viewer', hash }, { name: 'b', role: 'admin', hash }], tokens: [{ name: 'a', role: 'viewer', sha256: 'a'.repeat(64) }] } }),
    );
    chmodSync(config, 0o600);
    const removed = await run(['user', 'remove', 'a']);
    expect(removed).toMatchObject({ code: EXIT.ok, out: `removed user a from ${config}\n` });
    expect(file().web!.users!.map((user) => user.name)).toEqual(['b']);
    expect(file().web!.tokens).toHaveLength(1); // the token of the same name stays

    const before = readFileSync(config, 'utf8');
    const unknown = await run(['user', 'remove', 'nobody']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.err).toBe(`riskscreen: no user named nobody in ${config}\n`);
    expect(readFileSync(config, 'utf8')).toBe(before);

    expect((await run(['user', 'remove'])).code).toBe(EXIT.usage);
  });

  it('list says when there is no user', async () => {
    writeFileSync(config, JSON.stringify({ log: { level: 'info' } }));
    const listed = await run(['user', 'list']);
    expect(listed.code).toBe(EXIT.ok);
    expect(listed.out).toMatch(/^no console users yet/);
  });

  it('prints its help with -h (exit 0) and with no action (exit 2)', async () => {
    const help = await run(['user', '--help']);
    expect(help.code).toBe(EXIT.ok);
    expect(help.out).toMatch(/^Usage: riskscreen user add NAME/);
    expect((await run(['user'])).code).toBe(EXIT.usage);
  });
});

describe('riskscreen token', () => {
  it('add prints the token once on stdout; only its sha256 is stored, and it is printed nowhere else', async () => {
    const added = await run(['token', 'add', 'crm-sync', '--role', 'operator']);
    expect(added.code).toBe(EXIT.ok);
    expect(added.out).toMatch(/^rs_[A-Za-z0-9_-]{43}\n$/);
    const token = added.out.trim();
    expect(added.err).toMatch(/added API token crm-sync \(operator\) in .*; it is shown once, here:\n$/);
    expect(added.err).not.toContain(token);
    expect(added.err).not.toContain(token.slice(3));

    const text = readFileSync(config, 'utf8');
    expect(text).not.toContain(token.slice(3, 20));
    expect(file().web!.tokens).toEqual([{ name: 'crm-sync', role: 'operator', sha256: tokenDigest(token) }]);
    expect(statSync(config).mode & 0o777).toBe(0o600);

    const listed = await run(['token', 'list']);
    expect(listed.out).toMatch(/^crm-sync\s+operator\n$/);
    expect(listed.out).not.toContain(tokenDigest(token));
    expect(listed.out).not.toContain(token);
  });

  it('add again makes a new token: the old one no longer matches', async () => {
    const first = (await run(['token', 'add', 'crm', '--role', 'viewer'])).out.trim();
    const second = await run(['token', 'add', 'crm', '--role', 'admin']);
    expect(second.code).toBe(EXIT.ok);
    expect(second.err).toMatch(/^replaced API token crm \(admin\)/);
    const token = second.out.trim();
    expect(token).not.toBe(first);
    expect(file().web!.tokens).toEqual([{ name: 'crm', role: 'admin', sha256: tokenDigest(token) }]);
  });

  it('needs a valid role and one valid name', async () => {
    for (const args of [
      ['token', 'add', 'crm'],
      ['token', 'add', 'crm', '--role', 'god'],
      ['token', 'add', '--role', 'viewer'],
      ['token', 'add', 'c r m', '--role', 'viewer'],
    ]) {
      const result = await run(args);
      expect(result.code, args.join(' ')).toBe(EXIT.usage);
      expect(result.out, args.join(' ')).toBe('');
    }
    expect(existsSync(config)).toBe(false);
  });

  it('remove and list', async () => {
    await run(['token', 'add', 'a', '--role', 'viewer']);
    await run(['token', 'add', 'b', '--role', 'admin']);
    const listed = await run(['token', 'list']);
    expect(listed.out.split('\n').filter(Boolean).map((line) => line.split(/\s+/))).toEqual([
      ['a', 'viewer'],
      ['b', 'admin'],
    ]);
    expect(await run(['token', 'remove', 'a'])).toMatchObject({ code: EXIT.ok, out: `removed token a from ${config}\n` });
    expect(file().web!.tokens!.map((token) => token.name)).toEqual(['b']);
    const unknown = await run(['token', 'remove', 'a']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.err).toMatch(/no token named a/);
    expect((await run(['token', 'remove', 'b'])).code).toBe(EXIT.ok);
    expect((await run(['token', 'list'])).out).toMatch(/^no API tokens yet/);
  });
});
