/**
 * Writing accounts into the config file (`riskscreen user add`, `riskscreen token add`):
 * the file is read, one entry of `web.users` or `web.tokens` is put in (replacing one of
 * the same name), and the file is written whole or not at all, readable by its owner
 * only (it holds password hashes). Everything else in the file is kept as it was.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { openAtomicFile } from '../shared/atomic-file.js';
import { ConfigError } from '../shared/config-error.js';
import type { WebToken, WebUser } from './options.js';

type AccountList = 'users' | 'tokens';
type Entry<L extends AccountList> = L extends 'users' ? WebUser : WebToken;

/** Puts `entry` into `web.<list>`; answers whether it replaced an entry of the same name. */
export async function putAccount<L extends AccountList>(path: string, list: L, entry: Entry<L>): Promise<{ replaced: boolean }> {
  const json = readJson(path);
  const web = (json.web ??= {}) as Record<string, unknown>;
  const entries = Array.isArray(web[list]) ? (web[list] as Array<{ name?: unknown }>) : [];
  const replaced = entries.some((existing) => existing.name === entry.name);
  web[list] = [...entries.filter((existing) => existing.name !== entry.name), entry];
  await writeJson(path, json);
  return { replaced };
}

/** Removes the entry named `name` from `web.<list>`; answers whether there was one. */
export async function removeAccount(path: string, list: AccountList, name: string): Promise<boolean> {
  const json = readJson(path);
  const web = json.web as Record<string, unknown> | undefined;
  const entries = Array.isArray(web?.[list]) ? (web![list] as Array<{ name?: unknown }>) : [];
  const kept = entries.filter((existing) => existing.name !== name);
  if (kept.length === entries.length) return false;
  web![list] = kept;
  await writeJson(path, json);
  return true;
}

function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(path, `cannot be read as JSON (${(err as Error).message}); nothing was written`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(path, 'must hold a JSON object; nothing was written');
  return json as Record<string, unknown>;
}

async function writeJson(path: string, json: Record<string, unknown>): Promise<void> {
  const mode = existsSync(path) ? statSync(path).mode & 0o777 & ~0o077 : 0o600;
  // Created with its mode (the umask can only take away): the hashes are never readable by others.
  const file = await openAtomicFile(path, mode);
  try {
    await file.write(`${JSON.stringify(json, null, 2)}\n`);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
  await chmod(path, mode);
}
