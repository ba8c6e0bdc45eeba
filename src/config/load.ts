/**
 * Layering of options: defaults, then a JSON config file, then the environment, then
 * command-line overrides. Each layer only gathers raw values with the name the user
 * gave them; `validate.ts` turns them into typed options in one place.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../shared/config-error.js';
import { envValue } from './env-file.js';
import type { Options } from './options.js';
import { OPTION_PATHS, validateOptions, type OptionPath, type RawOptions } from './validate.js';

/** Environment variable for each option (accounts and tokens are set in the config file only). */
export const ENV_NAMES: Readonly<Partial<Record<OptionPath, string>>> = {
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
  'engine.redisTlsCaFile': 'REDIS_TLS_CA_FILE',
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
  'engine.plan': 'RISKSCREEN_PLAN',
  'report.rubric': 'RISKSCREEN_RUBRIC',
  'report.encoding': 'RISKSCREEN_OUTPUT_ENCODING',
  'report.language': 'RISKSCREEN_LANGUAGE',
  'web.host': 'RISKSCREEN_WEB_HOST',
  'web.port': 'RISKSCREEN_WEB_PORT',
  'web.maxUploadBytes': 'RISKSCREEN_WEB_MAX_UPLOAD',
  'web.trustProxy': 'RISKSCREEN_WEB_TRUST_PROXY',
  'web.sessionHours': 'RISKSCREEN_WEB_SESSION_HOURS',
  'web.rubrics': 'RISKSCREEN_WEB_RUBRICS',
  'web.tlsCert': 'RISKSCREEN_WEB_TLS_CERT',
  'web.tlsKey': 'RISKSCREEN_WEB_TLS_KEY',
  'nightly.webhookTimeoutMs': 'RISKSCREEN_WEBHOOK_TIMEOUT_MS',
  'nightly.webhookRetryMs': 'RISKSCREEN_WEBHOOK_RETRY_MS',
  'nightly.webhookGiveUpMs': 'RISKSCREEN_WEBHOOK_GIVE_UP_MS',
  'ops.metricsPort': 'RISKSCREEN_METRICS_PORT',
  'ops.metricsHost': 'RISKSCREEN_METRICS_HOST',
  'ops.quotaCalls': 'RISKSCREEN_QUOTA_CALLS',
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
    // NAME, or NAME_FILE: the value read from a file (secrets mounted by compose, Kubernetes).
    const entry = name === undefined ? undefined : envValue(env, name);
    if (entry) raw[path] = entry;
  }
  for (const [path, override] of Object.entries(input.overrides ?? {})) {
    if (override && override.value !== undefined) raw[path as OptionPath] = { value: override.value, source: override.flag };
  }
  return validateOptions(raw);
}

/** The config file a command reads: `--config`, else `RISKSCREEN_CONFIG`, else `./riskscreen.config.json`; and the name to blame it by. */
export function configFileOf(input: Pick<LoadOptionsInput, 'configFile' | 'cwd' | 'env'> = {}): { path: string; option: string; given: boolean } {
  const env = input.env ?? process.env;
  const given = input.configFile ?? env.RISKSCREEN_CONFIG;
  return {
    path: resolve(input.cwd ?? process.cwd(), given || DEFAULT_CONFIG_FILE),
    option: input.configFile ? '--config' : env.RISKSCREEN_CONFIG ? 'RISKSCREEN_CONFIG' : DEFAULT_CONFIG_FILE,
    given: Boolean(given),
  };
}

function readConfigFile(input: LoadOptionsInput, env: NodeJS.ProcessEnv): RawOptions {
  const { path, option, given } = configFileOf({ ...input, env });
  if (!given && !existsSync(path)) return {};
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
