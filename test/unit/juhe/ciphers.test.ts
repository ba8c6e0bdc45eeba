import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aesDecryptBase64,
  aesEncryptBase64,
  aesKeyFromOpenid,
  encodeMobile,
  md5Hex,
  MissingCipherKeyError,
  rsaOaepDecryptBase64,
  rsaOaepEncryptBase64,
  sha256Hex,
} from '../../../src/juhe/ciphers.js';

const dir = new URL('../../fixtures/ciphers/', import.meta.url);
const fixtures = JSON.parse(readFileSync(new URL('vectors.json', dir), 'utf8')) as {
  openid: string;
  openidMd5: string;
  aesKeyAscii: string;
  vectors: Array<Record<'mobile' | 'md5' | 'sha256' | 'aes' | 'md5+aes' | 'sha256+aes', string>>;
};
const opensslCiphertexts = JSON.parse(readFileSync(new URL('openssl-rsa-ciphertexts.json', dir), 'utf8')) as Array<{
  mobile: string;
  ciphertext: string;
}>;
const privatePem = readFileSync(new URL('test-rsa-private.pem', dir), 'utf8');
const publicPem = readFileSync(new URL('test-rsa-public.pem', dir), 'utf8');

describe('ciphers against OpenSSL vectors (test/fixtures/ciphers/make-vectors.sh)', () => {
  it('derives the AES key as the first 16 lowercase hex characters of md5(openid), as ASCII bytes', () => {
    expect(md5Hex(fixtures.openid)).toBe(fixtures.openidMd5);
    const key = aesKeyFromOpenid(fixtures.openid);
    expect(key).toHaveLength(16);
    expect(key.toString('ascii')).toBe(fixtures.aesKeyAscii);
    expect(key.toString('ascii')).toMatch(/^[0-9a-f]{16}$/);
  });

  it.each(fixtures.vectors)('matches OpenSSL for $mobile in every hash and AES form', (vector) => {
    const keys = { aesKey: aesKeyFromOpenid(fixtures.openid) };
    expect(sha256Hex(vector.mobile)).toBe(vector.sha256);
    expect(md5Hex(vector.mobile)).toBe(vector.md5);
    expect(encodeMobile(vector.mobile, 'plain', keys)).toBe(vector.mobile);
    expect(encodeMobile(vector.mobile, 'sha256', keys)).toBe(vector.sha256);
    expect(encodeMobile(vector.mobile, 'md5', keys)).toBe(vector.md5);
    expect(encodeMobile(vector.mobile, 'aes', keys)).toBe(vector.aes);
    expect(encodeMobile(vector.mobile, 'md5+aes', keys)).toBe(vector['md5+aes']);
    expect(encodeMobile(vector.mobile, 'sha256+aes', keys)).toBe(vector['sha256+aes']);
    expect(aesDecryptBase64(vector.aes, keys.aesKey)).toBe(vector.mobile);
  });

  it('keeps base64 case (the documents: AES结果无需转小写)', () => {
    const out = aesEncryptBase64('13800138000', aesKeyFromOpenid(fixtures.openid));
    expect(out).toMatch(/[A-Z]/);
    expect(out).toBe(fixtures.vectors[0]!.aes);
  });

  it('refuses a ciphertext under the wrong key', () => {
    const wrong = aesKeyFromOpenid('another-openid');
    const vector = fixtures.vectors[0]!;
    let decrypted: string | undefined;
    try {
      decrypted = aesDecryptBase64(vector.aes, wrong);
    } catch {
      decrypted = undefined;
    }
    expect(decrypted).not.toBe(vector.mobile);
  });
});

describe('RSA-OAEP (SHA-1, MGF1-SHA1)', () => {
  it.each(opensslCiphertexts)('decrypts what OpenSSL encrypted for $mobile', ({ mobile, ciphertext }) => {
    expect(rsaOaepDecryptBase64(ciphertext, createPrivateKey(privatePem))).toBe(mobile);
  });

  it('round-trips through the private key, and every encryption differs (OAEP is randomized)', () => {
    const key = createPublicKey(publicPem);
    const a = rsaOaepEncryptBase64('13800138000', key);
    const b = rsaOaepEncryptBase64('13800138000', key);
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64')).toHaveLength(256);
    expect(rsaOaepDecryptBase64(a, privatePem)).toBe('13800138000');
    expect(rsaOaepDecryptBase64(b, privatePem)).toBe('13800138000');
  });

  it('produces what OpenSSL pkeyutl decrypts with oaep/sha1/mgf1-sha1', () => {
    const work = mkdtempSync(join(tmpdir(), 'riskscreen-rsa-'));
    try {
      const ct = join(work, 'ct.bin');
      writeFileSync(ct, Buffer.from(rsaOaepEncryptBase64('18912345678', createPublicKey(publicPem)), 'base64'));
      const plain = execFileSync('openssl', [
        'pkeyutl', '-decrypt', '-inkey', join(dir.pathname, 'test-rsa-private.pem'), '-in', ct,
        '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha1', '-pkeyopt', 'rsa_mgf1_md:sha1',
      ]).toString('utf8');
      expect(plain).toBe('18912345678');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('is not OAEP with SHA-256 (a wrong hash would not decrypt)', () => {
    const ciphertext = rsaOaepEncryptBase64('13800138000', createPublicKey(publicPem));
    const work = mkdtempSync(join(tmpdir(), 'riskscreen-rsa-'));
    try {
      const ct = join(work, 'ct.bin');
      writeFileSync(ct, Buffer.from(ciphertext, 'base64'));
      expect(() =>
        execFileSync('openssl', [
          'pkeyutl', '-decrypt', '-inkey', join(dir.pathname, 'test-rsa-private.pem'), '-in', ct,
          '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256',
        ], { stdio: 'pipe' }),
      ).toThrow();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('missing credentials', () => {
  it('names the option an AES or RSA form needs', () => {
    expect(() => encodeMobile('13800138000', 'aes', {})).toThrow(MissingCipherKeyError);
    expect(() => encodeMobile('13800138000', 'sha256+aes', {})).toThrow(/JUHE_OPENID/);
    expect(() => encodeMobile('13800138000', 'rsa', {})).toThrow(/JUHE_RSA_PUBLIC_KEY_FILE/);
  });
});
