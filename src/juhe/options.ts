/**
 * The API layer's options, with their defaults. Composed with the other layers' into
 * riskscreen's one options object (src/config/options.ts), which loads and checks them.
 */
import type { ApiId, Form } from './catalogue.js';

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

export const JUHE_DEFAULTS: JuheOptions = {
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
};
