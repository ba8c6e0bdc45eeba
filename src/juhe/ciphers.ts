/**
 * The ways a number is disguised before it is sent, exactly as the documents say,
 * with `node:crypto` only. Every function returns the value of the `mobile` parameter
 * *before* form encoding: the form body url-encodes it exactly once.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPublicKey,
  privateDecrypt,
  publicEncrypt,
  type KeyObject,
} from 'node:crypto';
import type { Form } from './catalogue.js';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/**
 * The AES key: the first 16 characters of the lowercase hex MD5 of the openid,
 * used as 16 ASCII bytes (so AES-128), per "openid经过md5后结果为小写取前16位".
 */
export function aesKeyFromOpenid(openid: string): Buffer {
  return Buffer.from(md5Hex(openid).slice(0, 16), 'ascii');
}

/** AES/ECB/PKCS5Padding, base64 (not lowercased: base64 is case sensitive). */
export function aesEncryptBase64(plain: string, key: Buffer): string {
  const cipher = createCipheriv('aes-128-ecb', key, null);
  cipher.setAutoPadding(true); // PKCS#7 on 16-byte blocks is PKCS5Padding in Java's naming
  return Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

/** The inverse of {@link aesEncryptBase64}; throws when the ciphertext is not valid under the key. */
export function aesDecryptBase64(cipherText: string, key: Buffer): string {
  const decipher = createDecipheriv('aes-128-ecb', key, null);
  decipher.setAutoPadding(true);
  return Buffer.concat([decipher.update(Buffer.from(cipherText, 'base64')), decipher.final()]).toString('utf8');
}

/** RSA/ECB/OAEPWithSHA-1AndMGF1Padding under a PEM public key, base64. */
export function rsaOaepEncryptBase64(plain: string, publicKey: KeyObject | string): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  return publicEncrypt(
    // Node uses oaepHash for MGF1 as well, so this is SHA-1 for both, as Java's name says.
    { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(plain, 'utf8'),
  ).toString('base64');
}

/** The service side of {@link rsaOaepEncryptBase64}, for the emulator and tests. */
export function rsaOaepDecryptBase64(cipherText: string, privateKey: KeyObject | string): string {
  return privateDecrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(cipherText, 'base64'),
  ).toString('utf8');
}

export interface CipherKeys {
  /** From the openid; needed by the AES forms. */
  aesKey?: Buffer;
  /** The account's RSA public key; needed by the `rsa` form. */
  rsaPublicKey?: KeyObject;
}

export class MissingCipherKeyError extends Error {
  readonly code = 'RISKSCREEN_MISSING_CIPHER_KEY';
  constructor(
    readonly form: Form,
    readonly option: string,
  ) {
    super(`the "${form}" form needs ${option}, which is not configured`);
    this.name = 'MissingCipherKeyError';
  }
}

/** The `mobile` parameter for `mobile` (11 digits) in `form`. */
export function encodeMobile(mobile: string, form: Form, keys: CipherKeys): string {
  switch (form) {
    case 'plain':
      return mobile;
    case 'sha256':
      return sha256Hex(mobile);
    case 'md5':
      return md5Hex(mobile);
    case 'aes':
      return aesEncryptBase64(mobile, requireAes(form, keys));
    case 'md5+aes':
      return aesEncryptBase64(md5Hex(mobile), requireAes(form, keys));
    case 'sha256+aes':
      return aesEncryptBase64(sha256Hex(mobile), requireAes(form, keys));
    case 'rsa':
      if (!keys.rsaPublicKey) throw new MissingCipherKeyError(form, 'JUHE_RSA_PUBLIC_KEY_FILE');
      return rsaOaepEncryptBase64(mobile, keys.rsaPublicKey);
  }
}

function requireAes(form: Form, keys: CipherKeys): Buffer {
  if (!keys.aesKey) throw new MissingCipherKeyError(form, 'JUHE_OPENID');
  return keys.aesKey;
}
