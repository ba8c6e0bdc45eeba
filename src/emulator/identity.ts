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
