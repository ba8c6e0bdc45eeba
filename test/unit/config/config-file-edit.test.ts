/**
 * `putAccount` / `removeAccount`: one entry of web.users or web.tokens changed in the
 * config file, the rest kept, the file written whole and readable by its owner only; a
 * file that is not JSON is never written over.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { putAccount, removeAccount } from '../../../src/config/config-file-edit.js';
import { loadOptions } from '../../../src/config/load.js';
import type { WebToken, WebUser } from '../../../src/config/options.js';
import { ConfigError } from '../../../src/shared/config-error.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-config-edit-'));
  path = join(dir, 'riskscreen.config.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const HASH_A = `scrypt$17$8$1$${'A'.repeat(22)}$${'A'.repeat(43)}`;
const HASH_B = `scrypt$17$8$1$${'B'.repeat(22)}$${'B'.repeat(43)}`;
const alice: WebUser = { name: 'alice', role: 'operator', hash: HASH_A };
const bob: WebUser = { name: 'bob', role: 'viewer', hash: HASH_B };
const crm: WebToken = { name: 'crm', role: 'operator', sha256: 'c'.repeat(64) };

const read = () => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
const mode = () => statSync(path).mode & 0o777;

describe('putAccount', () => {
  it('creates a missing file, readable by its owner only, that loads as options', async () => {
    expect(await putAccount(path, 'users', alice)).toEqual({ replaced: false });
    expect(mode()).toBe(0o600);
    expect(read()).toEqual({ web: { users: [alice] } });
    expect(loadOptions({ env: {}, configFile: path }).web.users).toEqual([alice]);
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
  });

  it('creates the folder too', async () => {
    const nested = join(dir, 'etc', 'riskscreen', 'config.json');
    await putAccount(nested, 'tokens', crm);
    expect(JSON.parse(readFileSync(nested, 'utf8'))).toEqual({ web: { tokens: [crm] } });
    expect(statSync(nested).mode & 0o777).toBe(0o600);
  });

  it('keeps every other key of the file, and the other list', async () => {
    writeFileSync(
      path,
      JSON.stringify({ juhe: { baseUrl: 'http://127.0.0.1:9999', forms: { status: 'rsa' } }, web: { port: 9000, tokens: [crm] }, log: { level: 'debug' } }),
    );
    await putAccount(path, 'users', alice);
    expect(read()).toEqual({
      juhe: { baseUrl: 'http://127.0.0.1:9999', forms: { status: 'rsa' } },
      web: { port: 9000, tokens: [crm], users: [alice] },
      log: { level: 'debug' },
    });
  });

  it('adds beside the others, and replaces one of the same name (answering replaced)', async () => {
    await putAccount(path, 'users', alice);
    expect(await putAccount(path, 'users', bob)).toEqual({ replaced: false });
    const newAlice: WebUser = { name: 'alice', role: 'admin', hash: HASH_B };
    expect(await putAccount(path, 'users', newAlice)).toEqual({ replaced: true });
    const users = read().web.users as WebUser[];
    expect(users).toHaveLength(2);
    expect(users.filter((user) => user.name === 'alice')).toEqual([newAlice]);
    expect(users).toContainEqual(bob);
    // The file still loads: no duplicate name was written.
    expect(loadOptions({ env: {}, configFile: path }).web.users).toHaveLength(2);
  });

  it('a user and a token of the same name are different entries', async () => {
    await putAccount(path, 'users', alice);
    expect(await putAccount(path, 'tokens', { ...crm, name: 'alice' })).toEqual({ replaced: false });
    expect(read().web.users).toEqual([alice]);
    expect(read().web.tokens).toEqual([{ ...crm, name: 'alice' }]);
  });

  it('makes an existing file readable by its owner only', async () => {
    writeFileSync(path, JSON.stringify({ log: { level: 'info' } }));
    chmodSync(path, 0o644);
    await putAccount(path, 'users', alice);
    expect(mode()).toBe(0o600);
  });

  it('leaves no temporary file beside it', async () => {
    await putAccount(path, 'users', alice);
    await putAccount(path, 'users', bob);
    expect(readdirSync(dir)).toEqual(['riskscreen.config.json']);
  });

  it.each([
    ['not JSON', '{ "web": { "users": [ '],
    ['a JSON list', '[]'],
    ['a JSON string', '"web"'],
    ['JSON null', 'null'],
  ])('does not write over a file that is %s', async (_what, text) => {
    writeFileSync(path, text);
    const before = statSync(path).mtimeMs;
    const err = await putAccount(path, 'users', alice).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).option).toBe(path);
    expect((err as Error).message).toMatch(/nothing was written/);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(statSync(path).mtimeMs).toBe(before);
    expect(readdirSync(dir)).toEqual(['riskscreen.config.json']);
  });
});

describe('removeAccount', () => {
  it('removes the named entry only, keeping the rest of the file', async () => {
    writeFileSync(path, JSON.stringify({ log: { level: 'warn' }, web: { port: 9000, users: [alice, bob], tokens: [crm] } }));
    expect(await removeAccount(path, 'users', 'alice')).toBe(true);
    expect(read()).toEqual({ log: { level: 'warn' }, web: { port: 9000, users: [bob], tokens: [crm] } });
    expect(mode()).toBe(0o600);
    expect(await removeAccount(path, 'tokens', 'crm')).toBe(true);
    expect(read().web.tokens).toEqual([]);
  });

  it('answers false and writes nothing when there is no such entry (or no file)', async () => {
    expect(await removeAccount(path, 'users', 'alice')).toBe(false);
    expect(existsSync(path)).toBe(false);
    writeFileSync(path, JSON.stringify({ web: { users: [bob] } }));
    const before = readFileSync(path, 'utf8');
    expect(await removeAccount(path, 'users', 'alice')).toBe(false);
    expect(await removeAccount(path, 'tokens', 'bob')).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(before);
    writeFileSync(path, JSON.stringify({ log: { level: 'info' } }));
    expect(await removeAccount(path, 'users', 'bob')).toBe(false);
  });

  it('does not write over a broken file', async () => {
    writeFileSync(path, '{ broken');
    await expect(removeAccount(path, 'users', 'alice')).rejects.toBeInstanceOf(ConfigError);
    expect(readFileSync(path, 'utf8')).toBe('{ broken');
  });
});
