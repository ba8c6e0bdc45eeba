import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COST, decoyHash, hashPassword, newToken, sameSecret, tokenDigest, verifyPassword } from '../../../src/web/passwords.js';

/** 2^10: fast enough for unit tests; the stored cost is what verify uses. */
const LOW = 10;

describe('password hashes', () => {
  it('round-trips: the password verifies, a wrong one does not', async () => {
    const hash = await hashPassword('correct horse battery', LOW);
    expect(hash).toMatch(/^scrypt\$10\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    expect(await verifyPassword('correct horse battery ', hash)).toBe(false);
  });

  it('salts each hash: the same password gives two different hashes, both verifying', async () => {
    const [a, b] = await Promise.all([hashPassword('same password', LOW), hashPassword('same password', LOW)]);
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    expect(await verifyPassword('same password', a)).toBe(true);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('uses the cost stored in the hash (an old hash of another cost still verifies)', async () => {
    const hash = await hashPassword('cost is stored', 11);
    expect(hash.startsWith('scrypt$11$8$1$')).toBe(true);
    expect(await verifyPassword('cost is stored', hash)).toBe(true);
    // The same salt and key read at another cost is another hash: it does not verify.
    expect(await verifyPassword('cost is stored', hash.replace('scrypt$11$', 'scrypt$10$'))).toBe(false);
  });

  it('hashes at 2^17 by default', async () => {
    expect(DEFAULT_COST).toBe(17);
    const hash = await hashPassword('default cost password');
    expect(hash.startsWith('scrypt$17$8$1$')).toBe(true);
    expect(await verifyPassword('default cost password', hash)).toBe(true);
  }, 20_000); // two scrypt runs at 2^17: slow on a busy machine

  it('normalises to NFC: a composed and a decomposed é are the same password', async () => {
    const composed = 'caf\u00e9 password';
    const decomposed = 'cafe\u0301 password';
    expect(composed).not.toBe(decomposed);
    const hash = await hashPassword(decomposed, LOW);
    expect(await verifyPassword(composed, hash)).toBe(true);
    expect(await verifyPassword(decomposed, hash)).toBe(true);
    expect(await verifyPassword('cafe password', hash)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['not scrypt', 'bcrypt$10$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['too few parts', 'scrypt$10$8$1$c2FsdHNhbHRzYWx0c2FsdA'],
    ['too many parts', 'scrypt$10$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAA$extra'],
    ['cost not a number', 'scrypt$x$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['cost too low', 'scrypt$4$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['cost too high', 'scrypt$40$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['r zero', 'scrypt$10$0$1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['p too high', 'scrypt$10$8$99$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['wrong key', 'scrypt$10$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('a malformed hash (%s) verifies nothing, without throwing', async (_what, hash) => {
    await expect(verifyPassword('anything at all', hash)).resolves.toBe(false);
  });

  // BUG (src/web/passwords.ts verifyPassword): a hash whose key part is empty makes scrypt
  // derive 0 bytes, and two empty buffers compare equal, so ANY password matches. Config
  // validation happens to refuse such a hash today ([\w-]{32,}), but verifyPassword's own
  // contract (a malformed hash is false) does not hold. Fix: refuse keys shorter than 16
  // (better: exactly 32) bytes before calling scrypt.
  it('a hash with an empty key part matches no password', async () => {
    await expect(verifyPassword('anything at all', 'scrypt$10$8$1$c2FsdHNhbHRzYWx0c2FsdA$')).resolves.toBe(false);
  });

  // BUG (src/web/passwords.ts verifyPassword): a fractional cost passes the range check
  // (10 <= 10.5 <= 22), then scrypt throws on N = 2^10.5: the promise rejects instead of
  // answering false. Fix: check Number.isInteger for logN, r and p.
  it('a hash asking more than 256 MiB of memory verifies nothing, and is not computed', async () => {
    const started = Date.now();
    expect(await verifyPassword('x', `scrypt$22$32$1$${'A'.repeat(22)}$${'B'.repeat(43)}`)).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('a hash with a fractional cost verifies nothing, without throwing', async () => {
    await expect(verifyPassword('anything', 'scrypt$10.5$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).resolves.toBe(false);
  });

  it('has a decoy hash that no password matches, made once', async () => {
    const decoy = await decoyHash(LOW);
    expect(decoy).toMatch(/^scrypt\$\d+\$8\$1\$/);
    expect(await decoyHash(LOW)).toBe(decoy);
    expect(await verifyPassword('', decoy)).toBe(false);
    expect(await verifyPassword('password', decoy)).toBe(false);
  });
});

describe('API tokens', () => {
  it('are rs_ and 43 base64url characters (256 bits), never the same twice', () => {
    const tokens = new Set(Array.from({ length: 50 }, () => newToken()));
    expect(tokens.size).toBe(50);
    for (const token of tokens) {
      expect(token).toMatch(/^rs_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(32);
    }
  });

  it('are kept as the hex sha256 of the whole token (prefix included)', () => {
    const token = 'rs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    expect(tokenDigest(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(tokenDigest(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenDigest('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(tokenDigest(token)).not.toBe(tokenDigest(token.slice(3)));
    // UTF-8, not latin1
    expect(tokenDigest('é')).toBe(createHash('sha256').update(Buffer.from('é', 'utf8')).digest('hex'));
  });
});

describe('sameSecret', () => {
  it('is true only for equal strings', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('', '')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'ab')).toBe(false);
    expect(sameSecret('ab', 'abc')).toBe(false);
    expect(sameSecret('abc', '')).toBe(false);
    expect(sameSecret('é', 'e\u0301')).toBe(false);
  });

  it('compares bytes, not UTF-16 units: strings of equal length but different bytes differ', () => {
    // 'é' is 2 bytes, 'ab' is 2 bytes; '¢' (2 bytes) vs 'é' (2 bytes): same byte length, different.
    expect(sameSecret('¢', 'é')).toBe(false);
    expect(sameSecret('aé', 'éa')).toBe(false);
  });
});
