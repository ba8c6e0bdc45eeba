/**
 * The scrypt costs riskscreen computes for a console password: checked where a hash is
 * read (the config file) and where it is verified, so a hash asking for more memory than
 * a login may take is refused, never computed.
 */

/** Memory one scrypt may take (128·N·r bytes). */
export const MAX_SCRYPT_BYTES = 256 * 1024 * 1024;

/** Whole numbers in range: N = 2^logN from 2^10, r up to 32, p up to 16, within {@link MAX_SCRYPT_BYTES}. */
export function isScryptCost(logN: number, r: number, p: number): boolean {
  return [logN, r, p].every(Number.isInteger) && logN >= 10 && logN <= 22 && r >= 1 && r <= 32 && p >= 1 && p <= 16 && 128 * 2 ** logN * r <= MAX_SCRYPT_BYTES;
}
