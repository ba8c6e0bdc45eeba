/**
 * The emulator's options: one typed object, a documented default for each, and every
 * check in this file. The CLI turns flags into these with the `parse*` helpers below;
 * `startEmulator` calls `resolveEmulatorOptions`. Every message names the flag, so a
 * wrong value on the command line and in code read the same.
 */
import type { Logger } from 'pino';
import { APIS, API_IDS, type ApiId } from '../juhe/catalogue.js';
import { isCalendarDate } from '../shared/calendar-date.js';
import { apisAnswering } from './api-codes.js';
import type { FixtureMap } from './fixtures.js';

/** The demo account the emulator accepts unless told otherwise (shown in the README). */
export const DEMO_KEY = 'riskscreen-demo-key';
export const DEMO_OPENID = 'riskscreen-demo-openid';

/** Latency added to every Juhe answer: a fixed delay, or uniform in `[min, max]`. */
export interface LatencyRange {
  minMs: number;
  maxMs: number;
}

export interface EmulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** The only key accepted; anything else is 10001. Default {@link DEMO_KEY}. */
  key?: string;
  /** The openid whose MD5 gives the AES key. Default {@link DEMO_OPENID}. */
  openid?: string;
  /** Makes every answer (world state, injected faults, latency draws) reproducible. Default `riskscreen`. */
  seed?: string;
  /** Delay before each Juhe answer, ms: a number, a range, or text `N` / `A-B`. Default 0. */
  latencyMs?: number | LatencyRange | string;
  /** Error injection: code -> probability per call, or text `224805=0.2,10014=0.01`. Default none. */
  errorRates?: Readonly<Record<number, number>> | string;
  /** Accepted calls per key per sliding second; more get 10011. Default unlimited. */
  qps?: number;
  /** Billed calls allowed; once reached every call gets 10012. Default unlimited. */
  quota?: number;
  /** Calls the key is good for (any answer counts); after them every call gets 10003, the key expired. Default: it never expires. */
  keyExpiresAfter?: number;
  /** Status API: the same number asked again within this many ms gets 224924. Default off. */
  sameNumberWindowMs?: number;
  /** Pinned answers: a file path or the parsed map. Default none. */
  fixtures?: string | FixtureMap;
  /**
   * Numbers whose sha256 and md5 forms are answered as the numbers (besides the
   * fixture numbers): 11-digit numbers, or a file with one a line (`--numbers FILE`).
   * Numbers seen in clear during the run are never added. Default none.
   */
  knownNumbers?: readonly string[] | string;
  /** PEM of the RSA private key to use; default a fresh 2048-bit key. */
  rsaPrivateKeyPem?: string;
  /** File holding the PEM of the RSA private key (`--rsa-private-key`). */
  rsaPrivateKeyFile?: string;
  /** Where to write the public key PEM. Default `<tmpdir>/riskscreen-emulator-*\/juhe-rsa-public.pem`. */
  rsaPublicKeyFile?: string;
  /** "Today" (yyyymmdd) that tenure and activation dates count back from. Default today in China (UTC+8). */
  referenceDate?: string;
  /**
   * The share (0..1) of lines not in service, inactive (不在网) and pre-cancel (预销户)
   * together, 2:1; the states in service keep their proportions (a number, or text `0.2`
   * or `20%`). Default: the default world's 6% (4% inactive, 2% pre-cancel).
   */
  notInService?: number | string;
  /** Logs never carry a full number or the key. Default silent. */
  logger?: Logger;
}

export interface ResolvedEmulatorOptions {
  host: string;
  port: number;
  key: string;
  openid: string;
  seed: string;
  latency: LatencyRange;
  /** Per API, the codes to inject with their probabilities, in ascending code order. */
  errorRates: Readonly<Record<ApiId, readonly InjectedCode[]>>;
  /** The rates as given, for display. */
  errorRatesGiven: Readonly<Record<number, number>>;
  qps: number | undefined;
  quota: number | undefined;
  keyExpiresAfter: number | undefined;
  sameNumberWindowMs: number | undefined;
  fixtures: string | FixtureMap | undefined;
  knownNumbers: readonly string[] | string | undefined;
  rsaPrivateKeyPem: string | undefined;
  rsaPrivateKeyFile: string | undefined;
  rsaPublicKeyFile: string | undefined;
  referenceDate: string;
  /** Unset: the default world (6% not in service, drawn exactly as without the option). */
  notInService: number | undefined;
  logger: Logger | undefined;
}

export interface InjectedCode {
  code: number;
  probability: number;
}

export const EMULATOR_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  key: DEMO_KEY,
  openid: DEMO_OPENID,
  seed: 'riskscreen',
  latencyMs: 0,
} as const;

/** A wrong option value; `option` is the command-line flag. */
export class EmulatorOptionError extends Error {
  readonly code: string = 'RISKSCREEN_EMULATOR_OPTION';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
    this.name = 'EmulatorOptionError';
  }
}

/**
 * A file named by an option cannot be read, written or understood (`--numbers`,
 * `--rsa-private-key`, `--rsa-public-key-out`): a configuration problem (exit 4),
 * not a wrong flag.
 */
export class EmulatorFileError extends EmulatorOptionError {
  override readonly code: string = 'RISKSCREEN_EMULATOR_FILE';
  constructor(option: string, message: string) {
    super(option, message);
    this.name = 'EmulatorFileError';
  }
}

/** The highest `--qps` accepted: more than the emulator can serve, and the limiter keeps one slot a call. */
export const MAX_QPS = 1_000_000;

export function resolveEmulatorOptions(options: EmulatorOptions = {}): ResolvedEmulatorOptions {
  const host = options.host ?? EMULATOR_DEFAULTS.host;
  if (host.trim() === '') throw new EmulatorOptionError('--host', 'must not be empty');
  const port = options.port ?? EMULATOR_DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new EmulatorOptionError('--port', `${String(port)} is not a TCP port (0-65535)`);
  }
  const key = options.key ?? EMULATOR_DEFAULTS.key;
  if (key === '') throw new EmulatorOptionError('--key', 'must not be empty');
  const openid = options.openid ?? EMULATOR_DEFAULTS.openid;
  if (openid === '') throw new EmulatorOptionError('--openid', 'must not be empty');
  const seed = options.seed ?? EMULATOR_DEFAULTS.seed;

  const latency =
    typeof options.latencyMs === 'string'
      ? parseLatency(options.latencyMs)
      : typeof options.latencyMs === 'number'
        ? { minMs: options.latencyMs, maxMs: options.latencyMs }
        : (options.latencyMs ?? { minMs: 0, maxMs: 0 });
  checkLatency(latency);

  const errorRatesGiven =
    typeof options.errorRates === 'string' ? parseErrorRates(options.errorRates) : { ...(options.errorRates ?? {}) };
  const errorRates = errorRatesByApi(errorRatesGiven);

  const qps = optionalPositiveInt('--qps', options.qps);
  if (qps !== undefined && qps > MAX_QPS) {
    throw new EmulatorOptionError('--qps', `${qps} is over the ceiling of ${MAX_QPS} calls a second (leave --qps out for no limit)`);
  }
  if (options.knownNumbers !== undefined && typeof options.knownNumbers !== 'string' && !Array.isArray(options.knownNumbers)) {
    throw new EmulatorOptionError('--numbers', 'knownNumbers must be an array of 11-digit numbers or a file path');
  }
  if (typeof options.knownNumbers === 'string' && options.knownNumbers.trim() === '') {
    throw new EmulatorOptionError('--numbers', 'the file path must not be empty');
  }
  const quota = optionalNonNegativeInt('--quota', options.quota);
  const keyExpiresAfter = optionalNonNegativeInt('--key-expires-after', options.keyExpiresAfter);
  const sameNumberWindowMs = optionalPositiveInt('--same-number-window-ms', options.sameNumberWindowMs);

  if (options.rsaPrivateKeyPem !== undefined && options.rsaPrivateKeyFile !== undefined) {
    throw new EmulatorOptionError('--rsa-private-key', 'give the key as a PEM or as a file, not both');
  }
  const referenceDate = options.referenceDate ?? todayInChina();
  if (!isCalendarDate(referenceDate)) {
    throw new EmulatorOptionError('--reference-date', `${JSON.stringify(referenceDate)} is not a date as yyyymmdd`);
  }
  const notInService = typeof options.notInService === 'string' ? parseNotInService(options.notInService) : options.notInService;
  if (notInService !== undefined) checkNotInService(notInService);

  return {
    host,
    port,
    key,
    openid,
    seed,
    latency,
    errorRates,
    errorRatesGiven,
    qps,
    quota,
    keyExpiresAfter,
    sameNumberWindowMs,
    fixtures: options.fixtures,
    knownNumbers: options.knownNumbers,
    rsaPrivateKeyPem: options.rsaPrivateKeyPem,
    rsaPrivateKeyFile: options.rsaPrivateKeyFile,
    rsaPublicKeyFile: options.rsaPublicKeyFile,
    referenceDate,
    notInService,
    logger: options.logger,
  };
}

/** `--not-in-service`: a share as `0.2` or a percentage as `20%`. */
export function parseNotInService(text: string): number {
  const match = /^\s*(\d*\.?\d+)\s*(%?)\s*$/.exec(text);
  if (!match) {
    throw new EmulatorOptionError('--not-in-service', `${JSON.stringify(text)} is not a share of lines: 0.2 or 20% (between 0 and 1, or 0% and 100%)`);
  }
  const share = match[2] === '%' ? Number(match[1]) / 100 : Number(match[1]);
  checkNotInService(share);
  return share;
}

function checkNotInService(share: number): void {
  if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) {
    throw new EmulatorOptionError(
      '--not-in-service',
      `${String(share)} is not a share of lines between 0 and 1 (0.2 for 20%; the default world has 0.06)`,
    );
  }
}

/** `--latency-ms`: `N` (fixed) or `A-B` (uniform, inclusive). */
export function parseLatency(text: string): LatencyRange {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (!match) throw new EmulatorOptionError('--latency-ms', `${JSON.stringify(text)} is not N or A-B (milliseconds)`);
  const minMs = Number(match[1]);
  const maxMs = match[2] === undefined ? minMs : Number(match[2]);
  const range = { minMs, maxMs };
  checkLatency(range);
  return range;
}

function checkLatency(range: LatencyRange): void {
  const { minMs, maxMs } = range;
  if (!Number.isInteger(minMs) || !Number.isInteger(maxMs) || minMs < 0 || maxMs < 0) {
    throw new EmulatorOptionError('--latency-ms', 'must be whole milliseconds, 0 or more');
  }
  if (minMs > maxMs) throw new EmulatorOptionError('--latency-ms', `the range ${minMs}-${maxMs} runs backwards`);
  // Node timers cap at 2^31-1 ms; beyond a minute the client's own timeouts are what is being tested.
  if (maxMs > 600_000) throw new EmulatorOptionError('--latency-ms', `${maxMs} ms is over the 600000 ms ceiling`);
}

/** `--error-rate`: `CODE=P[,CODE=P...]`, P a probability in [0, 1]. */
export function parseErrorRates(text: string): Record<number, number> {
  const rates: Record<number, number> = {};
  if (text.trim() === '') return rates;
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)\s*=\s*(\d*\.?\d+(?:e-?\d+)?)\s*$/i.exec(part);
    if (!match) throw new EmulatorOptionError('--error-rate', `${JSON.stringify(part.trim())} is not CODE=P (e.g. 224805=0.2)`);
    const code = Number(match[1]);
    if (code in rates) throw new EmulatorOptionError('--error-rate', `code ${code} is given twice`);
    rates[code] = Number(match[2]);
  }
  return rates;
}

/**
 * Split the rates by API: a system code (100xx) applies to every API, a service code
 * to the API whose document lists it (mobileOnline's also to the sha256 CMCC tenure
 * API, which borrows them). Per API the probabilities must add up to at most 1,
 * because one draw picks at most one code.
 */
function errorRatesByApi(rates: Readonly<Record<number, number>>): Record<ApiId, InjectedCode[]> {
  const byApi = Object.fromEntries(API_IDS.map((api) => [api, [] as InjectedCode[]])) as Record<ApiId, InjectedCode[]>;
  for (const [codeText, probability] of Object.entries(rates)) {
    const code = Number(codeText);
    const apis = apisAnswering(code);
    if (apis.length === 0) {
      throw new EmulatorOptionError('--error-rate', `${codeText} is not an error code of the Juhe documents`);
    }
    if (!Number.isFinite(probability) || probability < 0 || probability > 1) {
      throw new EmulatorOptionError('--error-rate', `${code}=${probability}: the probability must be between 0 and 1`);
    }
    for (const api of apis) byApi[api].push({ code, probability });
  }
  for (const api of API_IDS) {
    const total = byApi[api].reduce((sum, entry) => sum + entry.probability, 0);
    if (total > 1 + 1e-9) {
      throw new EmulatorOptionError(
        '--error-rate',
        `the rates for ${APIS[api].titleEn} (${byApi[api].map((e) => `${e.code}=${e.probability}`).join(',')}) add up to more than 1`,
      );
    }
  }
  return byApi;
}

/** `--port`, `--qps`, ...: a whole number from a flag's text. */
export function parseWholeNumber(option: string, text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new EmulatorOptionError(option, `${JSON.stringify(text)} is not a whole number`);
  return Number(text);
}

function optionalPositiveInt(option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 1) throw new EmulatorOptionError(option, `${value} must be a whole number of at least 1`);
  return value;
}

function optionalNonNegativeInt(option: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) throw new EmulatorOptionError(option, `${value} must be a whole number, 0 or more`);
  return value;
}

/** Today's date in China (UTC+8, no daylight saving) as yyyymmdd. */
export function todayInChina(now: number = Date.now()): string {
  return new Date(now + 8 * 3_600_000).toISOString().slice(0, 10).replace(/-/g, '');
}
