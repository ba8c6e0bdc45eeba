/**
 * Redis's clock as seen from this process. A rate slot is a moment on Redis's clock;
 * the reply that names it can reach this process late (a busy event loop, a descheduled
 * process), and a wait counted from when the reply was read would carry that lateness
 * into the call unseen. So each reply that carries Redis's time is also a clock sample:
 * Redis read its clock somewhere between the request leaving and the reply being read,
 * so the offset between the two clocks is known to within half that round trip. The
 * fastest recent round trip gives the best estimate (as NTP does); keeping only recent
 * samples follows a clock that is stepped.
 */
export class RedisClock {
  private readonly samples: { offset: number; rtt: number }[] = [];

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly keep = 32,
  ) {}

  /** This process's monotonic time, in ms (what `toLocal` answers in). */
  localNow(): number {
    return this.now();
  }

  /** A reply read at `receivedAt` to a request sent at `sentAt` (local times) said Redis's time was `redisMs`. */
  observe(redisMs: number, sentAt: number, receivedAt: number): void {
    const rtt = Math.max(0, receivedAt - sentAt);
    this.samples.push({ offset: redisMs - (sentAt + receivedAt) / 2, rtt });
    if (this.samples.length > this.keep) this.samples.shift();
  }

  /** A moment on Redis's clock as a moment of `localNow`. Call `observe` first. */
  toLocal(redisMs: number): number {
    let best = this.samples[0];
    if (!best) throw new Error('RedisClock.toLocal before any sample');
    for (const s of this.samples) if (s.rtt < best.rtt) best = s;
    return redisMs - best.offset;
  }
}
