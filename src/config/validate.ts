/**
 * The one place options are checked. Every problem is a ConfigError naming the option
 * as the user set it; secret values (key, openid) are never quoted back.
 */
import { API_IDS, FORMS, formsOf, isApiId, isForm, type ApiId, type Form } from '../juhe/catalogue.js';
import { ConfigError } from './errors.js';
import { DEFAULT_OPTIONS, type Options } from './options.js';

export const OPTION_PATHS = [
  'juhe.key',
  'juhe.openid',
  'juhe.rsaPublicKeyFile',
  'juhe.baseUrl',
  'juhe.forms',
  'juhe.connectTimeoutMs',
  'juhe.headersTimeoutMs',
  'juhe.bodyTimeoutMs',
  'juhe.requestTimeoutMs',
  'juhe.connections',
  'juhe.keepAliveTimeoutMs',
  'log.level',
] as const;
export type OptionPath = (typeof OPTION_PATHS)[number];

/** A raw value and the name the user gave it (env variable, config key or flag). */
export type RawOptions = Partial<Record<OptionPath, { value: unknown; source: string }>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function validateOptions(raw: RawOptions): Options {
  const juhe = { ...DEFAULT_OPTIONS.juhe, forms: { ...DEFAULT_OPTIONS.juhe.forms } };
  const log = { ...DEFAULT_OPTIONS.log };

  const key = raw['juhe.key'];
  if (key) juhe.key = secret(key.source, key.value);
  const openid = raw['juhe.openid'];
  if (openid) juhe.openid = secret(openid.source, openid.value);
  const pem = raw['juhe.rsaPublicKeyFile'];
  if (pem) juhe.rsaPublicKeyFile = nonEmptyString(pem.source, pem.value);
  const base = raw['juhe.baseUrl'];
  if (base) juhe.baseUrl = baseUrl(base.source, base.value);
  const forms = raw['juhe.forms'];
  if (forms) juhe.forms = formMap(forms.source, forms.value);

  const intOption = (path: OptionPath, min: number, max: number): number | undefined => {
    const entry = raw[path];
    return entry ? integer(entry.source, entry.value, min, max) : undefined;
  };
  juhe.connectTimeoutMs = intOption('juhe.connectTimeoutMs', 100, 120_000) ?? juhe.connectTimeoutMs;
  juhe.headersTimeoutMs = intOption('juhe.headersTimeoutMs', 100, 300_000) ?? juhe.headersTimeoutMs;
  juhe.bodyTimeoutMs = intOption('juhe.bodyTimeoutMs', 100, 300_000) ?? juhe.bodyTimeoutMs;
  juhe.requestTimeoutMs = intOption('juhe.requestTimeoutMs', 100, 600_000) ?? juhe.requestTimeoutMs;
  juhe.connections = intOption('juhe.connections', 1, 1_024) ?? juhe.connections;
  juhe.keepAliveTimeoutMs = intOption('juhe.keepAliveTimeoutMs', 1_000, 600_000) ?? juhe.keepAliveTimeoutMs;
  if (juhe.requestTimeoutMs <= juhe.connectTimeoutMs) {
    // Otherwise a call still connecting would time out as "sent, maybe billed".
    const source = raw['juhe.requestTimeoutMs']?.source ?? raw['juhe.connectTimeoutMs']?.source ?? 'juhe.requestTimeoutMs';
    throw new ConfigError(source, `the whole-call timeout (${juhe.requestTimeoutMs} ms) must be longer than the connect timeout (${juhe.connectTimeoutMs} ms)`);
  }

  const level = raw['log.level'];
  if (level) {
    const value = nonEmptyString(level.source, level.value).toLowerCase();
    if (!LOG_LEVELS.includes(value)) throw new ConfigError(level.source, `must be one of ${LOG_LEVELS.join(', ')}`);
    log.level = value;
  }
  return { juhe, log };
}

function nonEmptyString(option: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(option, 'must be a non-empty string');
  return value.trim();
}

/** A key or openid: checked for shape only, and never echoed. */
function secret(option: string, value: unknown): string {
  const text = nonEmptyString(option, value);
  if (/\s/.test(text)) throw new ConfigError(option, 'must not contain spaces (check for a stray newline or quote)');
  if (text.length > 256) throw new ConfigError(option, 'is longer than 256 characters');
  return text;
}

function integer(option: string, value: unknown, min: number, max: number): number {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(option, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return number;
}

function baseUrl(option: string, value: unknown): string {
  const text = nonEmptyString(option, value);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(option, `is not a URL: ${JSON.stringify(text)} (expected e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(option, `must be an http:// or https:// URL (got ${url.protocol})`);
  }
  if (url.search || url.hash) throw new ConfigError(option, 'must not have a query string or fragment');
  if (url.username || url.password) throw new ConfigError(option, 'must not contain credentials');
  return url.toString().replace(/\/+$/, '');
}

/** `{ "status": "rsa" }` or `status=rsa,resale=sha256+aes`. */
function formMap(option: string, value: unknown): Partial<Record<ApiId, Form>> {
  let entries: [string, unknown][];
  if (typeof value === 'string') {
    entries = value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const at = part.indexOf('=');
        if (at < 0) throw new ConfigError(option, `expected api=form pairs like status=rsa, got ${JSON.stringify(part)}`);
        return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
      });
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    entries = Object.entries(value);
  } else {
    throw new ConfigError(option, 'must be an object like {"status": "rsa"} or a string like status=rsa');
  }
  const forms: Partial<Record<ApiId, Form>> = {};
  for (const [api, form] of entries) {
    if (!isApiId(api)) throw new ConfigError(option, `unknown API ${JSON.stringify(api)}; APIs are ${API_IDS.join(', ')}`);
    if (typeof form !== 'string' || !isForm(form)) {
      throw new ConfigError(option, `unknown form ${JSON.stringify(form)} for ${api}; forms are ${FORMS.join(', ')}`);
    }
    if (!formsOf(api).includes(form)) {
      throw new ConfigError(option, `${api} has no ${form} form; it accepts ${formsOf(api).join(', ')}`);
    }
    forms[api] = form;
  }
  return forms;
}
