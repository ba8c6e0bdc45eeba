/**
 * Pacing of calls: the rate gate gives each call its own slot, evenly spaced, instead
 * of letting a second's worth leave at once. Bursts are what make a busy machine late
 * (a call passing a gate then waits on a crowded event loop), and a late call from one
 * burst landing beside an early one of the next is how a one-second window at the
 * service ends up over the rate. Evenly spaced at 97.5% of the rate, a call may be
 * 25 ms late (at 25 calls/s; proportionally less at higher rates) without any second
 * at the service holding more than the rate.
 */
export const PACE_FACTOR = 0.975;

/** Milliseconds between two calls of an API at `rate` calls per second. */
export function paceIntervalMs(rate: number): number {
  return 1000 / (rate * PACE_FACTOR);
}

/** BullMQ's limiter at the same pace: `max` job starts per `duration` ms (whole ms). */
export function queueLimitFor(rate: number): { max: number; duration: number } {
  const max = Math.max(1, Math.floor(rate));
  return { max, duration: Math.ceil(max * paceIntervalMs(rate)) };
}
