/**
 * The one pino logger. Components take a `child()` with their bindings (batch, job,
 * endpoint). Secrets are redacted by path as a second line of defence; the first is
 * never putting a key, an openid or a full number into a log call at all (numbers go
 * through `maskMobile`).
 */
import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

const REDACT_PATHS = [
  'key',
  'openid',
  'apiKey',
  'juheKey',
  'juheOpenid',
  'mobile',
  'password',
  '*.key',
  '*.openid',
  '*.apiKey',
  '*.mobile',
  '*.password',
  'config.juhe.key',
  'config.juhe.openid',
];

export interface LoggerSettings {
  level?: string;
  name?: string;
  /** Where to write; stderr by default, so stdout stays for the command's own output. */
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    name: settings.name ?? 'riskscreen',
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, settings.destination ?? pino.destination({ fd: 2, sync: false }));
}

/** A logger that writes nothing, for library callers and tests that do not care. */
export const silentLogger: Logger = pino({ level: 'silent' });
