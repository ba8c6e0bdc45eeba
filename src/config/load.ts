/**
 * Layering of options: defaults, then a JSON config file, then the environment, then
 * command-line overrides. Each layer only gathers raw values with the name the user
 * gave them; `validate.ts` turns them into typed options in one place.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../shared/config-error.js';
import type { Options } from './options.js';
import { OPTION_PATHS, validateOptions, type OptionPath, type RawOptions } from './validate.js';

/** Environment variable for each option. */
export const ENV_NAMES: Readonly<Record<OptionPath, string>> = {
  'juhe.key': 'JUHE_KEY',
  'juhe.openid': 'JUHE_OPENID',
  'juhe.rsaPublicKeyFile': 'JUHE_RSA_PUBLIC_KEY_FILE',
  'juhe.baseUrl': 'JUHE_BASE_URL',
  'juhe.forms': 'JUHE_FORMS',
  'juhe.connectTimeoutMs': 'JUHE_CONNECT_TIMEOUT_MS',
  'juhe.headersTimeoutMs': 'JUHE_HEADERS_TIMEOUT_MS',
  'juhe.bodyTimeoutMs': 'JUHE_BODY_TIMEOUT_MS',
  'juhe.requestTimeoutMs': 'JUHE_REQUEST_TIMEOUT_MS',
  'juhe.connections': 'JUHE_CONNECTIONS',
  'juhe.keepAliveTimeoutMs': 'JUHE_KEEP_ALIVE_MS',
  'engine.redisUrl': 'REDIS_URL',
  'engine.prefix': 'RISKSCREEN_PREFIX',
  'engine.secret': 'RISKSCREEN_SECRET',
  'engine.dataDir': 'RISKSCREEN_DATA_DIR',
  'engine.concurrency': 'RISKSCREEN_CONCURRENCY',
  'engine.rates': 'RISKSCREEN_RATES',
  'engine.cacheTtlSeconds': 'RISKSCREEN_CACHE_TTL',
  'engine.maxWaiting': 'RISKSCREEN_MAX_WAITING',
  'engine.shutdownTimeoutMs': 'RISKSCREEN_SHUTDOWN_TIMEOUT_MS',
  'engine.stallCheckMs': 'RISKSCREEN_STALL_CHECK_MS',
  'engine.maxStalls': 'RISKSCREEN_MAX_STALLS',
  'engine.stuckAfterSeconds': 'RISKSCREEN_STUCK_AFTER',
  'report.rubric': 'RISKSCREEN_RUBRIC',
  'report.encoding': 'RISKSCREEN_OUTPUT_ENCODING',
  'log.level': 'LOG_LEVEL',
};

export const DEFAULT_CONFIG_FILE = 'riskscreen.config.json';

export interface LoadOptionsInput {
  /** The environment; `process.env` by default. */
  env?: NodeJS.ProcessEnv;
  /** A config file path; else `RISKSCREEN_CONFIG`, else `./riskscreen.config.json` when it exists. */
  configFile?: string;
  /** Values from command-line flags, keyed by option path, with the flag's name. */
  overrides?: Partial<Record<OptionPath, { value: unknown; flag: string }>>;
  cwd?: string;
}

export function loadOptions(input: LoadOptionsInput = {}): Options {
  const env = input.env ?? process.env;
  const raw: RawOptions = {};
  Object.assign(raw, readConfigFile(input, env));
  for (const path of OPTION_PATHS) {
    const name = ENV_NAMES[path];
    const value = env[name];
    if (value !== undefined && value !== '') raw[path] = { value, source: name };
  }
  for (const [path, override] of Object.entries(input.overrides ?? {})) {
    if (override && override.value !== undefined) raw[path as OptionPath] = { value: override.value, source: override.flag };
  }
  return validateOptions(raw);
}

function readConfigFile(input: LoadOptionsInput, env: NodeJS.ProcessEnv): RawOptions {
  const cwd = input.cwd ?? process.cwd();
  const given = input.configFile ?? env.RISKSCREEN_CONFIG;
  const path = resolve(cwd, given ?? DEFAULT_CONFIG_FILE);
  if (!given && !existsSync(path)) return {};
  const option = input.configFile ? '--config' : env.RISKSCREEN_CONFIG ? 'RISKSCREEN_CONFIG' : DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(option, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(option, `${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(option, `${path} must hold a JSON object like {"juhe": {"baseUrl": "..."}}`);
  }
  const raw: RawOptions = {};
  for (const [section, values] of Object.entries(json)) {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) {
      throw new ConfigError(`${path}: ${section}`, 'must be an object of options');
    }
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      const key = `${section}.${name}`;
      if (!(OPTION_PATHS as readonly string[]).includes(key)) {
        throw new ConfigError(`${path}: ${key}`, `unknown option; known options are ${OPTION_PATHS.join(', ')}`);
      }
      raw[key as OptionPath] = { value, source: `${path}: ${key}` };
    }
  }
  return raw;
}
