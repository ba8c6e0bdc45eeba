/**
 * Reading the `mobile` parameter of a request the way the service would: per endpoint
 * and form, decrypting with the configured openid's AES key or the RSA private key,
 * checking the number or the hash, and naming the problem when it is wrong.
 *
 * - AES that does not decrypt (not base64, wrong length, bad padding) or decrypts to
 *   bytes that are not text is the only evidence the service has of a wrong openid:
 *   `wrong_openid` (10004).
 * - RSA that does not decrypt, a number that is not an allocated 11-digit mobile
 *   number, a hash that is not lowercase hex of the right length: `bad_parameter`
 *   (the API's parameter-error code).
 * - `twoSellTel/queryEncry` is not told the form; it is inferred: 32 lowercase hex is
 *   md5, 64 is sha256, anything else is base64 AES whose plaintext is 11 digits (aes),
 *   32 hex (md5+aes) or 64 hex (sha256+aes).
 *
 * A hash is answered as a number only when the reverse index knows that number
 * (fixtures, `knownNumbers`, `POST /__sim/numbers`); decoding never adds to the index,
 * so the reading of a request does not depend on the requests before it.
 */
import type { KeyObject } from 'node:crypto';
import type { EndpointSpec, Form } from '../juhe/catalogue.js';
import { aesDecryptBase64, rsaOaepDecryptBase64 } from '../juhe/ciphers.js';
import { sha256Hex } from './digests.js';
import { lookupPrefix } from '../phone/prefixes.js';
import type { Identity } from './identity.js';
import type { ReverseIndex } from './reverse-index.js';

export type MobileProblem = 'wrong_openid' | 'bad_parameter' | 'not_decrypted';

export type MobileDecoding =
  | { ok: true; identity: Identity }
  | { ok: false; form: Form | undefined; problem: MobileProblem; detail: string };

export interface DecodeOptions {
  /**
   * Whether to RSA-decrypt (about 0.37 ms a call). The service reads the number of a
   * call already refused (10001, 10011, 10012) only for its ledger entry, and does
   * not spend RSA on that: such a call reads as `not_decrypted`.
   */
  decryptRsa?: boolean;
}

const MD5_HEX = /^[0-9a-f]{32}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Hex of a digest's length in the wrong case: a malformed hash, not base64 that happens to look like one. */
const ANY_CASE_HEX = /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export class MobileDecoder {
  constructor(
    private readonly aesKey: Buffer,
    private readonly rsaPrivateKey: KeyObject,
    private readonly index: ReverseIndex,
  ) {}

  decode(endpoint: EndpointSpec, raw: string | undefined, options: DecodeOptions = {}): MobileDecoding {
    const declared = endpoint.forms.length === 1 ? endpoint.forms[0] : undefined;
    if (raw === undefined || raw === '') return problem(declared, 'bad_parameter', 'mobile is missing');
    if (declared === undefined) return this.decodeInferred(raw);
    switch (declared) {
      case 'plain':
        return this.fromDigits(raw, 'plain');
      case 'sha256':
        return this.fromHash(raw, 'sha256', 'sha256');
      case 'md5':
        return this.fromHash(raw, 'md5', 'md5');
      case 'rsa':
        if (options.decryptRsa === false) return problem('rsa', 'not_decrypted', 'RSA is not decrypted for a refused call');
        return this.fromRsa(raw);
      case 'aes':
      case 'md5+aes':
      case 'sha256+aes': {
        if (/^\d+$/.test(raw)) return problem(declared, 'bad_parameter', 'digits where a ciphertext was expected');
        const plain = this.decryptAes(raw);
        if (typeof plain !== 'string') return problem(declared, 'wrong_openid', plain.detail);
        if (declared === 'aes') return this.fromDigits(plain, 'aes');
        return this.fromHash(plain, declared === 'md5+aes' ? 'md5' : 'sha256', declared);
      }
    }
  }

  /** The multi-form endpoint: tell the form from the value itself. */
  private decodeInferred(raw: string): MobileDecoding {
    if (MD5_HEX.test(raw)) return this.fromHash(raw, 'md5', 'md5');
    if (SHA256_HEX.test(raw)) return this.fromHash(raw, 'sha256', 'sha256');
    if (ANY_CASE_HEX.test(raw)) return problem(undefined, 'bad_parameter', 'a hash must be lowercase hex');
    if (/^\d+$/.test(raw)) return problem(undefined, 'bad_parameter', 'digits where a hash or a ciphertext was expected');
    const plain = this.decryptAes(raw);
    if (typeof plain !== 'string') return problem(undefined, 'wrong_openid', plain.detail);
    if (/^\d{11}$/.test(plain)) return this.fromDigits(plain, 'aes');
    if (MD5_HEX.test(plain)) return this.fromHash(plain, 'md5', 'md5+aes');
    if (SHA256_HEX.test(plain)) return this.fromHash(plain, 'sha256', 'sha256+aes');
    return problem('aes', 'bad_parameter', 'the decrypted value is neither 11 digits nor a lowercase md5/sha256');
  }

  private fromDigits(value: string, form: Form): MobileDecoding {
    if (!/^1\d{10}$/.test(value)) return problem(form, 'bad_parameter', 'not an 11-digit mobile number');
    if (!lookupPrefix(value)) return problem(form, 'bad_parameter', 'not an allocated mobile prefix');
    return { ok: true, identity: { kind: 'number', mobile: value, sha256: sha256Hex(value), form } };
  }

  private fromHash(value: string, hash: 'md5' | 'sha256', form: Form): MobileDecoding {
    if (!(hash === 'md5' ? MD5_HEX : SHA256_HEX).test(value)) {
      return problem(form, 'bad_parameter', `not a lowercase hex ${hash}`);
    }
    if (hash === 'sha256') {
      const mobile = this.index.numberForSha256(value);
      return { ok: true, identity: mobile ? { kind: 'number', mobile, sha256: value, form } : { kind: 'sha256', sha256: value, form } };
    }
    const mobile = this.index.numberForMd5(value);
    return {
      ok: true,
      identity: mobile ? { kind: 'number', mobile, sha256: sha256Hex(mobile), form } : { kind: 'md5', md5: value, form },
    };
  }

  private fromRsa(raw: string): MobileDecoding {
    if (!BASE64.test(raw)) return problem('rsa', 'bad_parameter', 'not base64 (url-encoded exactly once?)');
    let plain: string;
    try {
      plain = rsaOaepDecryptBase64(raw, this.rsaPrivateKey);
    } catch {
      return problem('rsa', 'bad_parameter', 'does not decrypt with RSA-OAEP (SHA-1) under the emulator key');
    }
    return this.fromDigits(plain, 'rsa');
  }

  /** The AES plaintext, or why it does not decrypt under the configured openid. */
  private decryptAes(raw: string): string | { detail: string } {
    if (!BASE64.test(raw)) return { detail: 'AES value is not base64 (url-encoded exactly once?)' };
    if (((raw.length / 4) * 3 - (raw.endsWith('==') ? 2 : raw.endsWith('=') ? 1 : 0)) % 16 !== 0) {
      return { detail: 'AES value is not whole 16-byte blocks' };
    }
    let plain: string;
    try {
      plain = aesDecryptBase64(raw, this.aesKey);
    } catch {
      return { detail: 'AES value does not decrypt under the configured openid (bad padding)' };
    }
    // Padding that happens to check out under a wrong key still leaves bytes that are not text.
    if (!PRINTABLE_ASCII.test(plain)) return { detail: 'AES value decrypts to bytes that are not text' };
    return plain;
  }
}

function problem(form: Form | undefined, kind: MobileProblem, detail: string): MobileDecoding {
  return { ok: false, form, problem: kind, detail };
}
