/**
 * The digests the emulator computes on every call (the sha256 of each number, the md5
 * of resale numbers, the keyed fault and latency draws), with the one-shot
 * `crypto.hash` (Node >= 20.12): the same lowercase hex as `sha256Hex`/`md5Hex` in
 * `src/juhe/ciphers.ts`, about twice as fast, and without a `Hash` object per call,
 * whose native memory otherwise piles up between collections and inflates the
 * process's resident size on million-call runs.
 */
import { hash } from 'node:crypto';

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

export function md5Hex(text: string): string {
  return hash('md5', text, 'hex');
}

/** The raw sha256 digest of `text`. */
export function sha256Bytes(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}
