/**
 * The API layer's resolved configuration: the validated options with the key material
 * derived once (AES key from the openid, RSA public key parsed) and a form chosen for
 * every API. The key and openid are held here and nowhere else; `describeJuheConfig`
 * is the only printable view and it masks them.
 */
import { readFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../shared/config-error.js';
import { API_IDS, APIS, FORM_NEEDS, type ApiId, type Form } from './catalogue.js';
import { aesKeyFromOpenid } from './ciphers.js';
import { TRANSPORT_OPTIONS, type TransportSettings } from './http.js';
import { JUHE_DEFAULTS, type JuheOptions } from './options.js';

export interface JuheConfig extends TransportSettings {
  key: string;
  openid?: string;
  aesKey?: Buffer;
  rsaPublicKey?: KeyObject;
  /** Replaces both documented origins; undefined means the documented ones. */
  baseUrl?: string;
  /** The form each API sends, resolved. */
  forms: Record<ApiId, Form>;
}

/** Options as the user sets them, plus a PEM given inline (tests, the emulator). */
export type JuheSettings = Partial<JuheOptions> & { key: string | undefined; rsaPublicKeyPem?: string };

export function resolveJuheConfig(settings: JuheSettings): JuheConfig {
  if (!settings.key) {
    throw new ConfigError('JUHE_KEY', 'is not set; it is the key shown in the Juhe console under 个人中心 -> 我的数据');
  }
  const transport = Object.fromEntries(
    TRANSPORT_OPTIONS.map((name) => [name, settings[name] ?? JUHE_DEFAULTS[name]]),
  ) as TransportSettings;
  const config: JuheConfig = { key: settings.key, forms: {} as Record<ApiId, Form>, ...transport };
  if (settings.baseUrl) config.baseUrl = settings.baseUrl.replace(/\/+$/, '');
  if (settings.openid) {
    config.openid = settings.openid;
    config.aesKey = aesKeyFromOpenid(settings.openid);
  }
  const pem = settings.rsaPublicKeyPem ?? (settings.rsaPublicKeyFile ? readPem(settings.rsaPublicKeyFile) : undefined);
  if (pem !== undefined) config.rsaPublicKey = parsePublicKey(pem);
  // Whoever logs or serializes the config by mistake gets the masked view.
  Object.defineProperty(config, 'toJSON', { value: () => describeJuheConfig(config), enumerable: false });

  for (const api of API_IDS) {
    const chosen = settings.forms?.[api];
    if (chosen) {
      const missing = missingCredential(config, chosen);
      if (missing) throw new ConfigError('JUHE_FORMS', `${api}=${chosen} needs ${missing}, which is not set`);
      config.forms[api] = chosen;
    } else {
      // The most private form the configured credentials allow.
      const form = APIS[api].preferredForms.find((candidate) => !missingCredential(config, candidate));
      config.forms[api] = form ?? 'plain';
    }
  }
  return config;
}

function missingCredential(config: JuheConfig, form: Form): string | undefined {
  const needs = FORM_NEEDS[form];
  if (needs === 'openid' && !config.aesKey) return 'JUHE_OPENID';
  if (needs === 'rsaPublicKey' && !config.rsaPublicKey) return 'JUHE_RSA_PUBLIC_KEY_FILE';
  return undefined;
}

function readPem(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('JUHE_RSA_PUBLIC_KEY_FILE', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function parsePublicKey(pem: string): KeyObject {
  if (/PRIVATE KEY/.test(pem)) {
    // createPublicKey would quietly derive the public half; a private key has no business here.
    throw new ConfigError('JUHE_RSA_PUBLIC_KEY_FILE', 'holds a private key; give the public key from the Juhe console instead');
  }
  const text = pem.includes('-----BEGIN')
    ? pem
    : // The Juhe console shows the key as bare base64; accept that too.
      `-----BEGIN PUBLIC KEY-----\n${pem.replace(/\s+/g, '').replace(/(.{64})/g, '$1\n')}\n-----END PUBLIC KEY-----\n`;
  let key: KeyObject;
  try {
    key = createPublicKey(text);
  } catch (err) {
    throw new ConfigError('JUHE_RSA_PUBLIC_KEY_FILE', `is not a PEM public key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ConfigError('JUHE_RSA_PUBLIC_KEY_FILE', `holds a ${key.asymmetricKeyType} key; an RSA public key is needed`);
  }
  return key;
}

/** A printable view: which credentials are set (masked), the origin and the form per API. */
export function describeJuheConfig(config: JuheConfig): Record<string, unknown> {
  return {
    key: maskSecret(config.key),
    openid: config.openid ? maskSecret(config.openid) : 'not set (AES forms unavailable)',
    rsaPublicKey: config.rsaPublicKey ? `RSA ${config.rsaPublicKey.asymmetricKeyDetails?.modulusLength ?? '?'} bits` : 'not set (rsa form unavailable)',
    baseUrl: config.baseUrl ?? 'documented origins (http://v.juhe.cn, http://apis.juhe.cn)',
    forms: config.forms,
    timeoutsMs: {
      connect: config.connectTimeoutMs,
      headers: config.headersTimeoutMs,
      body: config.bodyTimeoutMs,
      request: config.requestTimeoutMs,
    },
    connections: config.connections,
  };
}

function maskSecret(value: string): string {
  return value.length <= 6 ? '***' : `${value.slice(0, 2)}***${value.slice(-2)}`;
}
