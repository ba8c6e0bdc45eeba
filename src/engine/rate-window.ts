/**
 * The sliding window of the rate gate. Slightly longer than a second, so that a call
 * leaving a few milliseconds after it passed the gate (a slow send, a busy event loop)
 * still lands inside a second that holds at most the rate; the sustained rate gives up 2%.
 */
export const GATE_WINDOW_MS = 1_020;

/** Calls allowed per window for a rate in calls per second (fractions allowed). */
export function gateLimit(rate: number): { limit: number; windowMs: number } {
  const limit = Math.max(1, Math.floor(rate));
  return { limit, windowMs: Math.ceil((GATE_WINDOW_MS * limit) / rate) };
}
