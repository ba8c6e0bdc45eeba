/**
 * Who a request is about, as far as the emulator can tell after decoding `mobile`:
 * a number (sent in clear or encrypted, or a hash it could reverse), or a hash it
 * cannot reverse. The sha256 of the number is kept whenever it is known, because the
 * world state and the ledger's "same number" both key on it: a plain, an AES, an RSA
 * and a sha256 request for one number then reach the same answer and the same pair.
 */
import type { Form } from '../juhe/catalogue.js';

export type Identity =
  | { kind: 'number'; mobile: string; sha256: string; form: Form }
  | { kind: 'sha256'; sha256: string; form: Form }
  | { kind: 'md5'; md5: string; form: Form };

/** The digest a question about `identity` is keyed by: the number's sha256, or the md5 when that is all there is. */
export function identityDigest(identity: Identity): { kind: 'sha256' | 'md5'; hex: string } {
  return identity.kind === 'md5' ? { kind: 'md5', hex: identity.md5 } : { kind: 'sha256', hex: identity.sha256 };
}

/**
 * The 32-bit tag that, with a digest, keys one question in a compact table: a scope
 * (an endpoint or API index, below 16), the date (yyyymmdd, or none) and the digest
 * kind. Distinct (scope, date, kind) give distinct tags: 99991231 * 32 + 31 < 2^32.
 */
export function questionTag(scope: number, date: string | number | undefined, kind: 'sha256' | 'md5'): number {
  const day = date === undefined || date === '' ? 0 : Number(date);
  return (day * 16 + scope) * 2 + (kind === 'md5' ? 1 : 0);
}
