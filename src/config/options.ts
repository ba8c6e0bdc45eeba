/**
 * riskscreen's options: one typed object with a documented default for each option.
 * Layered, lowest first: these defaults, then a JSON config file, then environment
 * variables, then command-line flags. `load.ts` does the layering; `validate.ts` is
 * the one place options are checked. The API layer's and the engine's own options are
 * declared beside the code that reads them (src/juhe/options.ts, src/engine/options.ts),
 * so those layers never reach up into this one; they are composed here.
 */
import { ENGINE_DEFAULTS, type EngineOptions } from '../engine/options.js';
import { JUHE_DEFAULTS, type JuheOptions } from '../juhe/options.js';
import { NIGHTLY_DEFAULTS, type NightlyOptions } from '../nightly/options.js';
import { OPS_DEFAULTS, type OpsOptions } from '../metrics/options.js';
import type { OutputEncoding } from '../report/output-encoding.js';
import type { ResultLanguage } from '../report/result-language.js';

export type { EngineOptions, JuheOptions, NightlyOptions, OpsOptions };

export interface ReportOptions {
  /** A risk rubric JSON file (see rubrics/default.json); unset: the shipped default. Env `RISKSCREEN_RUBRIC`. */
  rubric: string | undefined;
  /** Encoding of result files: `utf8-bom` (Excel reads it), `utf8`, or `gb18030` for old systems. Env `RISKSCREEN_OUTPUT_ENCODING`. */
  encoding: OutputEncoding;
  /** Language of an Excel result's sheet names and summary sheet: `zh` (Chinese) or `en`. Env `RISKSCREEN_LANGUAGE`. */
  language: ResultLanguage;
}

/** Who may use the console: a person (`web.users`, with a password) or a system (`web.tokens`). */
export const WEB_ROLES = ['viewer', 'operator', 'admin'] as const;
export type WebRole = (typeof WEB_ROLES)[number];

export interface WebUser {
  name: string;
  role: WebRole;
  /** `scrypt$<log2 N>$<r>$<p>$<salt>$<key>` (base64url), as `riskscreen user add` writes it. */
  hash: string;
}

export interface WebToken {
  name: string;
  role: WebRole;
  /** Hex sha256 of the token; the token itself is printed once by `riskscreen token add` and kept nowhere. */
  sha256: string;
}

export interface WebOptions {
  /** Address `riskscreen web` listens on. Env `RISKSCREEN_WEB_HOST`. */
  host: string;
  /** Port `riskscreen web` listens on. Env `RISKSCREEN_WEB_PORT`. */
  port: number;
  /** Console accounts (config file only; `riskscreen user add` writes them). */
  users: WebUser[];
  /** API tokens for systems (config file only; `riskscreen token add` writes them). */
  tokens: WebToken[];
  /** Largest upload, in bytes (`200MB` style in env and file). Env `RISKSCREEN_WEB_MAX_UPLOAD`. */
  maxUploadBytes: number;
  /**
   * Believe the one proxy in front (TLS ends there): the client's address is the last
   * `X-Forwarded-For` entry, the scheme `X-Forwarded-Proto`. Env `RISKSCREEN_WEB_TRUST_PROXY`.
   */
  trustProxy: boolean;
  /** How long a login lasts, in hours. Env `RISKSCREEN_WEB_SESSION_HOURS`. */
  sessionHours: number;
  /** Rubric files operators may pick besides the shipped default. Env `RISKSCREEN_WEB_RUBRICS` (comma-separated). */
  rubrics: string[];
  /** Serve HTTPS directly with this certificate and key (PEM files); unset: plain HTTP (put a TLS proxy in front). */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
}

export const WEB_DEFAULTS: WebOptions = {
  host: '127.0.0.1',
  port: 8080,
  users: [],
  tokens: [],
  maxUploadBytes: 200 * 1024 * 1024,
  trustProxy: false,
  sessionHours: 12,
  rubrics: [],
  tlsCert: undefined,
  tlsKey: undefined,
};

export interface Options {
  juhe: JuheOptions;
  engine: EngineOptions;
  report: ReportOptions;
  web: WebOptions;
  nightly: NightlyOptions;
  ops: OpsOptions;
  log: {
    /** pino level: fatal, error, warn, info, debug, trace, silent. Env `LOG_LEVEL`. */
    level: string;
  };
}

export const DEFAULT_OPTIONS: Options = {
  juhe: JUHE_DEFAULTS,
  engine: ENGINE_DEFAULTS,
  report: { rubric: undefined, encoding: 'utf8-bom', language: 'zh' },
  web: WEB_DEFAULTS,
  nightly: NIGHTLY_DEFAULTS,
  ops: OPS_DEFAULTS,
  log: { level: 'info' },
};

/** Options in a partial form, as a config file, the environment or flags give them. */
export interface PartialOptions {
  juhe?: Partial<JuheOptions>;
  engine?: Partial<EngineOptions>;
  report?: Partial<ReportOptions>;
  web?: Partial<WebOptions>;
  nightly?: Partial<NightlyOptions>;
  ops?: Partial<OpsOptions>;
  log?: Partial<Options['log']>;
}
