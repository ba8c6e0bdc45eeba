/**
 * The one mapping of job code's control flow onto a runner. Job code (jobs/) throws the
 * engine's control-flow errors (src/engine/control.ts) and knows nothing of queues; each
 * runner says what "retry", "hold the queue", "hold the job" and "give up" mean for it,
 * and this function picks which. The BullMQ runner maps them onto BullMQ's own hooks
 * (backoffStrategy, rateLimit + RateLimitError, moveToDelayed + DelayedError,
 * UnrecoverableError); the local runner onto its in-memory queues.
 */
import { GiveUp, HoldJob, HoldQueue, RetryLater } from '../src/engine/control.js';
import type { ApiId } from '../src/juhe/catalogue.js';

export interface JobErrorHandlers<T> {
  /** Another attempt after `ms` (a failed attempt: it counts). */
  retry(ms: number, error: RetryLater): T;
  /** The whole API waits `ms` (the service said slow down); the job runs again, not as a new attempt. */
  holdQueue(api: ApiId, ms: number, error: HoldQueue): T;
  /** This job waits `ms` (another batch is asking the same question); not a failed attempt. */
  holdJob(ms: number, error: HoldJob): T;
  /** Never again: job code has recorded the question's result. */
  giveUp(error: GiveUp): T;
  /** Escaped job code's own net (a bug, or the runner's own abort). */
  unexpected(error: unknown): T;
}

export function onJobError<T>(error: unknown, handlers: JobErrorHandlers<T>): T {
  if (error instanceof RetryLater) return handlers.retry(error.delayMs, error);
  if (error instanceof HoldQueue) return handlers.holdQueue(error.api, error.ms, error);
  if (error instanceof HoldJob) return handlers.holdJob(error.ms, error);
  if (error instanceof GiveUp) return handlers.giveUp(error);
  return handlers.unexpected(error);
}
