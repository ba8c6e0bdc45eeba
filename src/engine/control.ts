/**
 * Control flow of a job, independent of the runner that runs it. Job code throws these;
 * workers/job-errors.ts is the one place that maps them onto a runner, which for the
 * BullMQ runner means BullMQ's own hooks:
 *
 *   RetryLater  -> the error rethrown; BullMQ retries after `delayMs` (backoffStrategy)
 *   HoldQueue   -> queue.rateLimit(ms) + RateLimitError: the whole API slows down
 *   HoldJob     -> job.moveToDelayed(now + ms) + DelayedError: not a failed attempt
 *   GiveUp      -> UnrecoverableError: never retried (the result is already recorded)
 */
import type { ApiId } from '../juhe/catalogue.js';
import type { RetryAdvice } from '../juhe/error-policy.js';

export class RetryLater extends Error {
  readonly code = 'RISKSCREEN_RETRY_LATER';
  constructor(
    message: string,
    readonly delayMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetryLater';
  }
}

export class HoldQueue extends Error {
  readonly code = 'RISKSCREEN_HOLD_QUEUE';
  constructor(
    readonly api: ApiId,
    readonly ms: number,
    message: string,
  ) {
    super(message);
    this.name = 'HoldQueue';
  }
}

export class HoldJob extends Error {
  readonly code = 'RISKSCREEN_HOLD_JOB';
  constructor(
    readonly ms: number,
    message: string,
  ) {
    super(message);
    this.name = 'HoldJob';
  }
}

export class GiveUp extends Error {
  readonly code = 'RISKSCREEN_GIVE_UP';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GiveUp';
  }
}

/**
 * Exponential backoff with jitter: attempt n (1-based, the one that just failed) waits
 * between half and all of base * 2^(n-1), capped. Jitter keeps a burst of failures
 * from coming back as another burst. -1 when the advice allows no more attempts.
 */
export function retryDelay(advice: RetryAdvice, attemptsMade: number, random: () => number = Math.random): number {
  if (attemptsMade >= advice.maxAttempts) return -1;
  const ceiling = Math.min(advice.maxDelayMs, advice.baseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
