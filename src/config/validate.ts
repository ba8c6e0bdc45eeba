/**
 * The one place options are checked. Every problem is a ConfigError naming the option
 * as the user set it; secret values (key, openid) are never quoted back.
 */
import { API_IDS, FORMS, formsOf, isApiId, isForm, type ApiId, type Form } from '../juhe/catalogue.js';
import { ConfigError } from '../shared/config-error.js';
import { isScryptCost } from '../shared/scrypt-cost.js';
import { RedisUrlError, parseRedisUrl } from '../shared/redis-url.js';
import { DEFAULT_OPTIONS, WEB_ROLES, type Options, type OpsOptions, type WebOptions, type WebRole, type WebToken, type WebUser } from './options.js';
import { OUTPUT_ENCODINGS, type OutputEncoding } from '../report/output-encoding.js';
import { RESULT_LANGUAGES, type ResultLanguage } from '../report/result-language.js';
import { PLANS, planNamed, type Plan } from '../engine/batch.js';

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
  'engine.redisUrl',
  'engine.redisTlsCaFile',
  'engine.prefix',
  'engine.secret',
  'engine.dataDir',
  'engine.concurrency',
  'engine.rates',
  'engine.cacheTtlSeconds',
  'engine.maxWaiting',
  'engine.shutdownTimeoutMs',
  'engine.stallCheckMs',
  'engine.maxStalls',
  'engine.stuckAfterSeconds',
  'engine.plan',
  'report.rubric',
  'report.encoding',
  'report.language',
  'web.host',
  'web.port',
  'web.users',
  'web.tokens',
  'web.maxUploadBytes',
  'web.trustProxy',
  'web.sessionHours',
  'web.rubrics',
  'web.tlsCert',
  'web.tlsKey',
  'nightly.webhookTimeoutMs',
  'nightly.webhookRetryMs',
  'nightly.webhookGiveUpMs',
  'ops.metricsPort',
  'ops.metricsHost',
  'ops.quotaCalls',
  'log.level',
] as const;
export type OptionPath = (typeof OPTION_PATHS)[number];

/** A raw value and the name the user gave it (env variable, config key or flag). */
export type RawOptions = Partial<Record<OptionPath, { value: unknown; source: string }>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function validateOptions(raw: RawOptions): Options {
  const juhe = { ...DEFAULT_OPTIONS.juhe, forms: { ...DEFAULT_OPTIONS.juhe.forms } };
  const engine = {
    ...DEFAULT_OPTIONS.engine,
    rates: { ...DEFAULT_OPTIONS.engine.rates },
    cacheTtlSeconds: { ...DEFAULT_OPTIONS.engine.cacheTtlSeconds },
  };
  const log = { ...DEFAULT_OPTIONS.log };
  const report = { ...DEFAULT_OPTIONS.report };

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

  const redis = raw['engine.redisUrl'];
  if (redis) engine.redisUrl = redisUrl(redis.source, redis.value);
  const tlsCa = raw['engine.redisTlsCaFile'];
  if (tlsCa) {
    engine.redisTlsCaFile = nonEmptyString(tlsCa.source, tlsCa.value);
    // A CA for a connection that is not TLS would be ignored: say so rather than connect in clear.
    if (engine.redisUrl !== undefined && !parseRedisUrl(engine.redisUrl).tls) {
      throw new ConfigError(tlsCa.source, `names a CA for TLS, but ${redis?.source ?? 'REDIS_URL'} is not a TLS URL: use rediss:// (or rediss+cluster://), or unset it`);
    }
  }
  const prefix = raw['engine.prefix'];
  if (prefix) {
    const value = nonEmptyString(prefix.source, prefix.value);
    if (!/^\{[^{}:]+\}$|^[^{}:]+$/.test(value)) {
      throw new ConfigError(prefix.source, 'must be a name without ":" or braces, or one {hash tag} such as {riskscreen}');
    }
    engine.prefix = value;
  }
  if (redis && parseRedisUrl(engine.redisUrl!).cluster && !/^\{[^{}:]+\}$/.test(engine.prefix)) {
    // Every key of a batch and of a queue must hash to one slot, or BullMQ's and the
    // store's scripts fail with CROSSSLOT on a cluster.
    throw new ConfigError(prefix?.source ?? 'RISKSCREEN_PREFIX', `must be one {hash tag} such as {riskscreen} on a Redis Cluster (${redis.source} names one); "${engine.prefix}" spreads keys over slots`);
  }
  const engineSecret = raw['engine.secret'];
  if (engineSecret) {
    const value = secret(engineSecret.source, engineSecret.value);
    if (value.length < 16) throw new ConfigError(engineSecret.source, 'must be at least 16 characters');
    engine.secret = value;
  }
  const dataDir = raw['engine.dataDir'];
  if (dataDir) engine.dataDir = nonEmptyString(dataDir.source, dataDir.value);
  engine.concurrency = intOption('engine.concurrency', 1, 1_000) ?? engine.concurrency;
  engine.maxWaiting = intOption('engine.maxWaiting', 100, 10_000_000) ?? engine.maxWaiting;
  engine.shutdownTimeoutMs = intOption('engine.shutdownTimeoutMs', 1_000, 600_000) ?? engine.shutdownTimeoutMs;
  engine.stallCheckMs = intOption('engine.stallCheckMs', 1_000, 600_000) ?? engine.stallCheckMs;
  engine.maxStalls = intOption('engine.maxStalls', 0, 1_000) ?? engine.maxStalls;
  const stuck = raw['engine.stuckAfterSeconds'];
  if (stuck) {
    const seconds = typeof stuck.value === 'number' ? stuck.value : parseDuration(String(stuck.value));
    if (seconds === undefined || !Number.isInteger(seconds) || seconds < 10 || seconds > 7 * 86_400) {
      throw new ConfigError(stuck.source, `must be a duration from 10s to 7d, like 10m, 600s or 1h (got ${JSON.stringify(stuck.value)})`);
    }
    engine.stuckAfterSeconds = seconds;
  }
  const plan = raw['engine.plan'];
  if (plan) engine.plan = planOption(plan.source, plan.value);
  const rates = raw['engine.rates'];
  if (rates) Object.assign(engine.rates, apiNumberMap(rates.source, rates.value, parseRate));
  const ttl = raw['engine.cacheTtlSeconds'];
  if (ttl) Object.assign(engine.cacheTtlSeconds, apiNumberMap(ttl.source, ttl.value, parseDuration));

  const level = raw['log.level'];
  if (level) {
    const value = nonEmptyString(level.source, level.value).toLowerCase();
    if (!LOG_LEVELS.includes(value)) throw new ConfigError(level.source, `must be one of ${LOG_LEVELS.join(', ')}`);
    log.level = value;
  }
  const rubric = raw['report.rubric'];
  if (rubric) report.rubric = nonEmptyString(rubric.source, rubric.value);
  const encoding = raw['report.encoding'];
  if (encoding) report.encoding = outputEncoding(encoding.source, encoding.value);
  const language = raw['report.language'];
  if (language) report.language = resultLanguage(language.source, language.value);
  const nightly = {
    ...DEFAULT_OPTIONS.nightly,
    webhookTimeoutMs: intOption('nightly.webhookTimeoutMs', 100, 120_000) ?? DEFAULT_OPTIONS.nightly.webhookTimeoutMs,
    webhookRetryMs: intOption('nightly.webhookRetryMs', 10, 3_600_000) ?? DEFAULT_OPTIONS.nightly.webhookRetryMs,
    webhookGiveUpMs: intOption('nightly.webhookGiveUpMs', 1_000, 7 * 86_400_000) ?? DEFAULT_OPTIONS.nightly.webhookGiveUpMs,
  };
  return { juhe, engine, report, web: validateWeb(raw), nightly, ops: validateOps(raw), log };
}

function validateOps(raw: RawOptions): OpsOptions {
  const ops: OpsOptions = { ...DEFAULT_OPTIONS.ops, quotaCalls: {} };
  const port = raw['ops.metricsPort'];
  if (port) ops.metricsPort = integer(port.source, port.value, 0, 65_535);
  const host = raw['ops.metricsHost'];
  if (host) ops.metricsHost = nonEmptyString(host.source, host.value);
  const quota = raw['ops.quotaCalls'];
  if (quota) ops.quotaCalls = apiNumberMap(quota.source, quota.value, parseCallCount);
  return ops;
}

/** A number of calls bought: a whole number from 1 (Juhe sells packages of calls, up to billions). */
function parseCallCount(text: string): number | undefined {
  const calls = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  return Number.isSafeInteger(calls) && calls >= 1 ? calls : undefined;
}

function validateWeb(raw: RawOptions): WebOptions {
  const web: WebOptions = { ...DEFAULT_OPTIONS.web, users: [], tokens: [], rubrics: [] };
  const host = raw['web.host'];
  if (host) web.host = nonEmptyString(host.source, host.value);
  const port = raw['web.port'];
  if (port) web.port = integer(port.source, port.value, 0, 65_535);
  const hours = raw['web.sessionHours'];
  if (hours) web.sessionHours = integer(hours.source, hours.value, 1, 24 * 30);
  const upload = raw['web.maxUploadBytes'];
  if (upload) web.maxUploadBytes = byteSize(upload.source, upload.value);
  const proxy = raw['web.trustProxy'];
  if (proxy) web.trustProxy = boolean(proxy.source, proxy.value);
  const rubrics = raw['web.rubrics'];
  if (rubrics) {
    const list = typeof rubrics.value === 'string' ? rubrics.value.split(',').map((part) => part.trim()).filter(Boolean) : rubrics.value;
    if (!Array.isArray(list)) throw new ConfigError(rubrics.source, 'must be a list of rubric files, like ["rubrics/strict.json"]');
    web.rubrics = list.map((file, i) => nonEmptyString(`${rubrics.source}[${i}]`, file));
  }
  const cert = raw['web.tlsCert'];
  if (cert) web.tlsCert = nonEmptyString(cert.source, cert.value);
  const key = raw['web.tlsKey'];
  if (key) web.tlsKey = nonEmptyString(key.source, key.value);
  if ((web.tlsCert === undefined) !== (web.tlsKey === undefined)) {
    throw new ConfigError(cert?.source ?? key?.source ?? 'web.tlsCert', 'web.tlsCert and web.tlsKey go together: give both PEM files, or neither');
  }
  const users = raw['web.users'];
  if (users) web.users = accounts(users.source, users.value, 'hash', (option, value) => {
    const match = typeof value === 'string' ? /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$[\w-]{16,}\$[\w-]{32,}$/.exec(value) : null;
    if (!match) throw new ConfigError(option, 'is not a password hash made by riskscreen user add (scrypt$...)');
    // 128·N·r bytes per login: a cost past 256 MiB would let one login take the machine's memory.
    const [logN, r, p] = match.slice(1, 4).map(Number) as [number, number, number];
    if (!isScryptCost(logN, r, p)) {
      throw new ConfigError(option, 'has an scrypt cost riskscreen does not compute (N from 2^10, 128·N·r at most 256 MiB)');
    }
    return match[0];
  }).map(([name, role, hash]) => ({ name, role, hash }) satisfies WebUser);
  const tokens = raw['web.tokens'];
  if (tokens) web.tokens = accounts(tokens.source, tokens.value, 'sha256', (option, value) => {
    if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) throw new ConfigError(option, 'is not the hex sha256 of a token made by riskscreen token add');
    return value;
  }).map(([name, role, sha256]) => ({ name, role, sha256 }) satisfies WebToken);
  return web;
}

/** `[{ "name": ..., "role": ..., <secretField>: ... }]`: names unique, roles known. */
function accounts(
  option: string,
  value: unknown,
  secretField: string,
  checkSecret: (option: string, value: unknown) => string,
): Array<[string, WebRole, string]> {
  if (!Array.isArray(value)) throw new ConfigError(option, `must be a list like [{"name": "li.lei", "role": "operator", "${secretField}": "..."}]`);
  const seen = new Set<string>();
  return value.map((entry: unknown, i) => {
    const at = `${option}[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(at, `must be an object with name, role and ${secretField}`);
    const { name, role } = entry as Record<string, unknown>;
    const checkedName = accountName(`${at}.name`, name);
    if (seen.has(checkedName)) throw new ConfigError(`${at}.name`, `"${checkedName}" is listed twice`);
    seen.add(checkedName);
    if (typeof role !== 'string' || !(WEB_ROLES as readonly string[]).includes(role)) {
      throw new ConfigError(`${at}.role`, `must be one of ${WEB_ROLES.join(', ')} (got ${JSON.stringify(role)})`);
    }
    return [checkedName, role as WebRole, checkSecret(`${at}.${secretField}`, (entry as Record<string, unknown>)[secretField])];
  });
}

/** An account name: letters, digits, `.`, `_`, `-` and `@`, 1 to 64 of them (it is shown in logs and on the page). */
export function accountName(option: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\p{L}\p{N}._@-]{1,64}$/u.test(value)) {
    throw new ConfigError(option, `must be 1 to 64 letters, digits, ".", "_", "-" or "@" (got ${JSON.stringify(value)})`);
  }
  return value;
}

/** A number of bytes, or a size like `200MB`, `1.5GB`, `512KB` (binary units). */
function byteSize(option: string, value: unknown): number {
  const match = typeof value === 'number' ? [String(value), String(value), ''] : /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$/i.exec(String(value));
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match?.[2] ?? '').toLowerCase().charAt(0) as '' | 'b' | 'k' | 'm' | 'g'];
  const bytes = match ? Math.floor(Number(match[1]) * unit) : NaN;
  if (!Number.isFinite(bytes) || bytes < 1024 || bytes > 64 * 1024 ** 3) {
    throw new ConfigError(option, `must be a size from 1KB to 64GB, like 200MB (got ${JSON.stringify(value)})`);
  }
  return bytes;
}

function boolean(option: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new ConfigError(option, `must be true or false (got ${JSON.stringify(value)})`);
}

/** One of the result file encodings (`--out-encoding`, RISKSCREEN_OUTPUT_ENCODING). */
export function outputEncoding(option: string, value: unknown): OutputEncoding {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (!(OUTPUT_ENCODINGS as readonly unknown[]).includes(text)) {
    throw new ConfigError(option, `must be one of ${OUTPUT_ENCODINGS.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return text as OutputEncoding;
}

/** How a batch asks its questions (`--plan`, RISKSCREEN_PLAN, engine.plan). */
export function planOption(source: string, value: unknown): Plan {
  const plan = typeof value === 'string' ? planNamed(value) : null;
  if (plan === null) {
    throw new ConfigError(source, `must be ${PLANS.join(' or ')} (got ${JSON.stringify(value)}): staged asks line status first and the other APIs only when its answer leaves the level open; all asks every API at once`);
  }
  return plan;
}

/** The language of a workbook's sheet names and summary (`--lang`, RISKSCREEN_LANGUAGE). */
export function resultLanguage(option: string, value: unknown): ResultLanguage {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (!(RESULT_LANGUAGES as readonly unknown[]).includes(text)) {
    throw new ConfigError(option, `must be one of ${RESULT_LANGUAGES.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return text as ResultLanguage;
}

function redisUrl(option: string, value: unknown): string {
  const text = nonEmptyString(option, value);
  try {
    parseRedisUrl(text);
  } catch (err) {
    if (err instanceof RedisUrlError) throw new ConfigError(option, err.message);
    throw err;
  }
  return text.trim();
}

/** `status=20,tenure=10` as given to --rate, checked like RISKSCREEN_RATES. */
export function parseRates(option: string, value: string): Partial<Record<ApiId, number>> {
  return apiNumberMap(option, value, parseRate);
}

/** Calls per second: a positive number (fractions allowed: 0.5 is one call every two seconds). */
function parseRate(text: string): number | undefined {
  const rate = Number(text);
  return Number.isFinite(rate) && rate > 0 && rate <= 100_000 ? rate : undefined;
}

/** Seconds, or a number with s, m, h or d. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd]?)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = { '': 1, s: 1, m: 60, h: 3_600, d: 86_400 }[match[2]!.toLowerCase() as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** `{ "status": 20 }` or `status=20,tenure=10`, one number per API. */
function apiNumberMap(option: string, value: unknown, parse: (text: string) => number | undefined): Partial<Record<ApiId, number>> {
  const entries: [string, unknown][] =
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
          .map((part) => {
            const at = part.indexOf('=');
            if (at < 0) throw new ConfigError(option, `expected api=value pairs like status=20, got ${JSON.stringify(part)}`);
            return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
          })
      : typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.entries(value)
        : (() => {
            throw new ConfigError(option, 'must be an object like {"status": 20} or a string like status=20');
          })();
  const out: Partial<Record<ApiId, number>> = {};
  for (const [api, raw] of entries) {
    if (!isApiId(api)) throw new ConfigError(option, `unknown API ${JSON.stringify(api)}; APIs are ${API_IDS.join(', ')}`);
    const parsed = parse(String(raw));
    if (parsed === undefined) throw new ConfigError(option, `${api}: ${JSON.stringify(raw)} is not a valid value`);
    out[api] = parsed;
  }
  return out;
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
