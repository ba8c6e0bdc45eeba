/**
 * The emulator's seeded randomness for faults and latency. Not for anything secret.
 *
 * - {@link keyedUniform}: a draw that is a pure function of the seed, a domain
 *   (`fault` or `latency`), the endpoint, the number (its sha256, or the md5 when that
 *   is all there is), the date and the attempt: the same question asked for the n-th
 *   time gets the same draw whatever else was asked before, in whatever order, by
 *   however many clients.
 * - {@link SeededRandom} (sfc32): a sequential stream, only for the latency of
 *   requests whose number could not be read (there is no question to key them by).
 */
import { createHash } from 'node:crypto';
import { sha256Bytes } from './digests.js';

export type DrawDomain = 'fault' | 'latency';

/** Uniform in [0, 1), 53 bits, from sha256 of the inputs. */
export function keyedUniform(
  seed: string,
  domain: DrawDomain,
  endpoint: string,
  digest: { kind: 'sha256' | 'md5'; hex: string },
  date: string | undefined,
  attempt: number,
): number {
  const bytes = sha256Bytes(`${seed}\n${domain}\n${endpoint}\n${digest.kind}:${digest.hex}\n${date ?? ''}\n${attempt}`);
  return (bytes.readUInt32BE(0) * 2_097_152 + (bytes.readUInt32BE(4) >>> 11)) / 9_007_199_254_740_992;
}

export class SeededRandom {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  constructor(private readonly seed: string) {
    this.reset();
  }

  /** Back to the first draw of the seed. */
  reset(): void {
    const digest = createHash('sha256').update(`prng\n${this.seed}`).digest();
    this.a = digest.readUInt32LE(0);
    this.b = digest.readUInt32LE(4);
    this.c = digest.readUInt32LE(8);
    this.d = digest.readUInt32LE(12);
    // Discard the first outputs: sfc32 mixes its state in a few rounds.
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  }

  /** Uniform integer in [min, max], both included. */
  intBetween(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}
