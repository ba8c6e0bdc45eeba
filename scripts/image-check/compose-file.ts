/**
 * docker-compose.yml read the way Compose reads it, as far as the checks need: YAML
 * with anchors and `<<` merge keys, `environment` as a map or a list of NAME=value,
 * `command` as a list or a string. Values are left as written (no ${...} interpolation);
 * the services that run riskscreen use none.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeHealthcheck {
  test?: string[] | string;
  disable?: boolean;
  interval?: string;
  timeout?: string;
  start_period?: string;
  retries?: number;
}

export interface ComposeService {
  name: string;
  image?: string;
  build?: unknown;
  command: string[] | null;
  entrypoint?: unknown;
  environment: Record<string, string>;
  envFiles: Array<{ path: string; required: boolean }>;
  ports: string[];
  expose: string[];
  profiles: string[];
  volumes: string[];
  secrets: string[];
  healthcheck: ComposeHealthcheck | null;
  dependsOn: Record<string, { condition?: string; required?: boolean }>;
  containerName?: string;
  stopGracePeriod?: string;
  init?: boolean;
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: string[];
  secrets: Record<string, { file?: string; environment?: string }>;
}

export function loadComposeFile(path: string): ComposeFile {
  return parseComposeFile(readFileSync(path, 'utf8'));
}

export function parseComposeFile(text: string): ComposeFile {
  // YAML 1.1 merge keys (`<<: *anchor`), as Compose reads them.
  const doc = parse(text, { merge: true }) as Record<string, unknown> | null;
  const services: Record<string, ComposeService> = {};
  for (const [name, raw] of Object.entries((doc?.services ?? {}) as Record<string, Record<string, unknown>>)) {
    services[name] = {
      name,
      ...(typeof raw.image === 'string' ? { image: raw.image } : {}),
      ...(raw.build !== undefined ? { build: raw.build } : {}),
      ...(raw.entrypoint !== undefined ? { entrypoint: raw.entrypoint } : {}),
      command: commandOf(raw.command),
      environment: environmentOf(raw.environment),
      envFiles: envFilesOf(raw.env_file),
      ports: listOf(raw.ports).map(String),
      expose: listOf(raw.expose).map(String),
      profiles: listOf(raw.profiles).map(String),
      volumes: listOf(raw.volumes).map((volume) => (typeof volume === 'string' ? volume : `${(volume as { source?: string }).source}:${(volume as { target?: string }).target}`)),
      secrets: listOf(raw.secrets).map((secret) => (typeof secret === 'string' ? secret : String((secret as { source?: string }).source))),
      healthcheck: (raw.healthcheck as ComposeHealthcheck | undefined) ?? null,
      dependsOn: dependsOnOf(raw.depends_on),
      ...(typeof raw.container_name === 'string' ? { containerName: raw.container_name } : {}),
      ...(raw.stop_grace_period !== undefined ? { stopGracePeriod: String(raw.stop_grace_period) } : {}),
      ...(typeof raw.init === 'boolean' ? { init: raw.init } : {}),
      ...(raw.restart !== undefined ? { restart: String(raw.restart) } : {}),
    };
  }
  return {
    services,
    volumes: Object.keys((doc?.volumes ?? {}) as Record<string, unknown>),
    secrets: (doc?.secrets ?? {}) as ComposeFile['secrets'],
  };
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}

function commandOf(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(String);
  return String(value).split(/\s+/).filter(Boolean);
}

function environmentOf(value: unknown): Record<string, string> {
  const env: Record<string, string> = {};
  if (Array.isArray(value)) {
    for (const entry of value.map(String)) {
      const at = entry.indexOf('=');
      env[at === -1 ? entry : entry.slice(0, at)] = at === -1 ? '' : entry.slice(at + 1);
    }
  } else if (value && typeof value === 'object') {
    for (const [name, entry] of Object.entries(value)) env[name] = entry === null ? '' : String(entry);
  }
  return env;
}

function envFilesOf(value: unknown): Array<{ path: string; required: boolean }> {
  return listOf(value).map((entry) =>
    typeof entry === 'string' ? { path: entry, required: true } : { path: String((entry as { path: unknown }).path), required: (entry as { required?: boolean }).required !== false },
  );
}

function dependsOnOf(value: unknown): ComposeService['dependsOn'] {
  if (Array.isArray(value)) return Object.fromEntries(value.map((name) => [String(name), {}]));
  return (value ?? {}) as ComposeService['dependsOn'];
}

/** Compose durations (`45s`, `1m30s`, `500ms`) in milliseconds. */
export function durationMs(text: string): number {
  let total = 0;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1, us: 0.001 };
  const parts = text.match(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g);
  if (!parts || parts.join('') !== text) throw new Error(`not a compose duration: ${JSON.stringify(text)}`);
  for (const part of parts) {
    const [, amount, unit] = /(\d+(?:\.\d+)?)(ms|us|h|m|s)/.exec(part)!;
    total += Number(amount) * units[unit!]!;
  }
  return total;
}
