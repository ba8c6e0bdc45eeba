/**
 * riskscreen's options: one typed object with a documented default for each option.
 * Layered, lowest first: these defaults, then a JSON config file, then environment
 * variables, then command-line flags. `load.ts` does the layering; `validate.ts` is
 * the one place options are checked.
 */
import type { ApiId, Form } from '../juhe/catalogue.js';
import type { OutputEncoding } from '../report/output-encoding.js';

export interface JuheOptions {
  /** Juhe API key (个人中心 -> 我的数据). Required for any call. Env `JUHE_KEY`. */
  key: string | undefined;
  /** Account openid; enables the AES forms (the AES key is derived from it). Env `JUHE_OPENID`. */
  openid: string | undefined;
  /** Path of the account's RSA public key (PEM); enables the `rsa` form. Env `JUHE_RSA_PUBLIC_KEY_FILE`. */
  rsaPublicKeyFile: string | undefined;
  /**
   * Replaces the scheme and host of both `http://v.juhe.cn` and `http://apis.juhe.cn`,
   * keeping the documented paths (a path prefix here is kept in front of them).
   * Unset: the documented origins. Env `JUHE_BASE_URL`.
   */
  baseUrl: string | undefined;
  /**
   * The form each API sends the number in, e.g. `{ "status": "rsa" }`. Unset APIs use the
   * most private form whose credentials are configured. Env `JUHE_FORMS=status=rsa,resale=sha256+aes`.
   */
  forms: Partial<Record<ApiId, Form>>;
  /** TCP connect timeout. Env `JUHE_CONNECT_TIMEOUT_MS`. */
  connectTimeoutMs: number;
  /** Time to wait for the response headers after sending. Env `JUHE_HEADERS_TIMEOUT_MS`. */
  headersTimeoutMs: number;
  /** Time allowed between body chunks. Env `JUHE_BODY_TIMEOUT_MS`. */
  bodyTimeoutMs: number;
  /** Ceiling for one whole call, enforced with an AbortSignal. Env `JUHE_REQUEST_TIMEOUT_MS`. */
  requestTimeoutMs: number;
  /** Connections kept open per origin. Env `JUHE_CONNECTIONS`. */
  connections: number;
  /** How long an idle keep-alive connection is kept. Env `JUHE_KEEP_ALIVE_MS`. */
  keepAliveTimeoutMs: number;
}

export interface EngineOptions {
  /** Redis for the queue engine; unset: the local in-process engine. Env `REDIS_URL`. */
  redisUrl: string | undefined;
  /**
   * Key prefix of every queue and record. A Redis Cluster hash tag (`{...}`) keeps a
   * queue's keys in one slot, as BullMQ needs. Env `RISKSCREEN_PREFIX`.
   */
  prefix: string;
  /**
   * Secret for the keyed hash of numbers (cache keys, job ids) and for sealing numbers
   * in job payloads. Unset: derived from `JUHE_KEY`, so every process of one account
   * agrees without more configuration. Env `RISKSCREEN_SECRET`.
   */
  secret: string | undefined;
  /** Where uploaded lists and result files live; shared by every worker. Env `RISKSCREEN_DATA_DIR`. */
  dataDir: string;
  /** Calls in flight per API per worker process. Env `RISKSCREEN_CONCURRENCY`. */
  concurrency: number;
  /** Calls per second per API, across every worker. Env `RISKSCREEN_RATES=status=20,tenure=10`. */
  rates: Record<ApiId, number>;
  /** How long a cached answer is reused, per API, in seconds. Env `RISKSCREEN_CACHE_TTL=status=1d,tenure=7d`. */
  cacheTtlSeconds: Record<ApiId, number>;
  /** Most API jobs waiting at once; ingest pauses above it. Env `RISKSCREEN_MAX_WAITING`. */
  maxWaiting: number;
  /** How long a worker waits for calls in flight on SIGTERM/SIGINT. Env `RISKSCREEN_SHUTDOWN_TIMEOUT_MS`. */
  shutdownTimeoutMs: number;
}

export interface ReportOptions {
  /** A risk rubric JSON file (see rubrics/default.json); unset: the shipped default. Env `RISKSCREEN_RUBRIC`. */
  rubric: string | undefined;
  /** Encoding of result files: `utf8-bom` (Excel reads it), `utf8`, or `gb18030` for old systems. Env `RISKSCREEN_OUTPUT_ENCODING`. */
  encoding: OutputEncoding;
}

export interface Options {
  juhe: JuheOptions;
  engine: EngineOptions;
  report: ReportOptions;
  log: {
    /** pino level: fatal, error, warn, info, debug, trace, silent. Env `LOG_LEVEL`. */
    level: string;
  };
}

export const DEFAULT_OPTIONS: Options = {
  juhe: {
    key: undefined,
    openid: undefined,
    rsaPublicKeyFile: undefined,
    baseUrl: undefined,
    forms: {},
    connectTimeoutMs: 5_000,
    // Longer than the sources' own timeouts: a call we give up on may still be billed.
    headersTimeoutMs: 60_000,
    bodyTimeoutMs: 30_000,
    requestTimeoutMs: 90_000,
    connections: 64,
    // undici's own default; the server's Keep-Alive hint is honoured when shorter.
    keepAliveTimeoutMs: 4_000,
  },
  engine: {
    redisUrl: undefined,
    prefix: '{riskscreen}',
    secret: undefined,
    dataDir: 'riskscreen-data',
    concurrency: 32,
    rates: { status: 20, tenure: 20, tenureCmcc: 20, resale: 20, callDuration: 20 },
    cacheTtlSeconds: { status: 86_400, tenure: 7 * 86_400, tenureCmcc: 7 * 86_400, resale: 7 * 86_400, callDuration: 7 * 86_400 },
    maxWaiting: 20_000,
    shutdownTimeoutMs: 30_000,
  },
  report: { rubric: undefined, encoding: 'utf8-bom' },
  log: { level: 'info' },
};

/** Options in a partial form, as a config file, the environment or flags give them. */
export interface PartialOptions {
  juhe?: Partial<JuheOptions>;
  engine?: Partial<EngineOptions>;
  report?: Partial<ReportOptions>;
  log?: Partial<Options['log']>;
}
