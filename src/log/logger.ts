/**
 * The one pino logger. Components take a `child()` with their bindings (batch, job,
 * endpoint). The first defence is never passing a key, an openid or a full number to a
 * log call (numbers go through `maskMobile` and are logged as `mobileMasked`). The
 * second is here: every log line is walked at any depth, and so are child bindings
 * and messages; phone numbers in any string are masked as `138****1234`, and fields
 * named like secrets are replaced.
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';
import { maskMobile } from '../phone/mask.js';

export type { Logger } from 'pino';

/** Field names whose values are never logged, at any depth. */
const SECRET_FIELDS = new Set([
  'openid',
  'juheOpenid',
  'apiKey',
  'juheKey',
  'aesKey',
  'rsaPublicKey',
  'password',
  'secret',
  'token',
  'authorization',
]);

/** An 11-digit mobile number, bare or with +86 / 0086 / 86 in front. */
const PHONE = /(?<!\d)(?:\+?86|0086)?(1\d{10})(?!\d)/g;

export function maskPhonesInText(text: string): string {
  return text.replace(PHONE, (_all, digits: string) => maskMobile(digits));
}

/** A copy of `value` safe to log. */
export function sanitizeForLog(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskPhonesInText(value);
  if (typeof value === 'number') return Number.isInteger(value) && value >= 1e10 && value < 2e10 ? maskMobile(String(value)) : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[too deep]';
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return '[bytes]';
  if (value instanceof Error) {
    return { type: value.name, message: maskPhonesInText(value.message), code: (value as { code?: unknown }).code, ...sanitizeRecord(value, depth) };
  }
  if (Array.isArray(value)) return value.map((item) => sanitizeForLog(item, depth + 1));
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return sanitizeForLog(json.call(value), depth + 1);
  return sanitizeRecord(value as Record<string, unknown>, depth);
}

function sanitizeRecord(value: object, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value)) {
    out[name] = SECRET_FIELDS.has(name) ? '[redacted]' : sanitizeForLog(field, depth + 1);
  }
  return out;
}

export interface LoggerSettings {
  level?: string;
  name?: string;
  /** Where to write; stderr by default, so stdout stays for the command's own output. */
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    name: settings.name ?? 'riskscreen',
    level: settings.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Nested `key` fields are too common (job keys, cache keys) to censor by name;
    // the Juhe key lives only in the resolved config, which masks itself in toJSON.
    redact: { paths: ['juhe.key', 'config.key', 'config.juhe.key'], censor: '[redacted]' },
    serializers: { err: (err: unknown) => sanitizeForLog(err) },
    formatters: {
      log: (object) => sanitizeForLog(object) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const safe = args.map((arg) => (typeof arg === 'string' ? maskPhonesInText(arg) : arg)) as Parameters<typeof method>;
        method.apply(this, safe);
      },
    },
  };
  const logger = pino(options, settings.destination ?? pino.destination({ fd: 2, sync: false }));
  // pino serializes child bindings once, past formatters.log; sanitize them on the way
  // in. Children are created with Object.create(parent), so they inherit this method.
  const child = logger.child;
  logger.child = function sanitizedChild(this: Logger, bindings, childOptions) {
    return child.call(this, sanitizeForLog(bindings) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
}

/** A logger that writes nothing, for library callers and tests that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
