/**
 * One attempt at delivering a webhook. Delivered at least once: a timeout, a network
 * error or any answer but 2xx is retried after a wait that doubles from
 * RISKSCREEN_WEBHOOK_RETRY_MS (10 s) up to an hour, until RISKSCREEN_WEBHOOK_GIVE_UP_MS
 * (24 h) after the first attempt; every attempt is recorded (`riskscreen webhook log`).
 * Each attempt is signed anew (the timestamp is the attempt's), over the same body.
 */
import { GiveUp, RetryLater } from '../src/engine/control.js';
import { webhookRetryDelay } from '../src/nightly/options.js';
import { safeWebhookUrl, sendWebhook } from '../src/nightly/webhook-send.js';
import type { NightlyContext, WebhookJobData } from './nightly-context.js';

export interface DeliveryFacts {
  /** 1 for the first attempt. */
  attempt: number;
  /** When the delivery was queued (ms): the give-up clock starts there. */
  firstAt: number;
}

export async function runWebhookDelivery(ctx: NightlyContext, data: WebhookJobData, facts: DeliveryFacts): Promise<{ status: number | null; attempt: number }> {
  const url = safeWebhookUrl(data.url);
  const log = ctx.logger.child({ delivery: data.deliveryId, event: data.event, url });
  const record = async (outcome: { ok: boolean; status: number | null; error: string | null; ms: number; responseExcerpt: string }, nextAttempt: number | null, gaveUp: boolean) =>
    ctx.nightly.recordAttempt({
      at: new Date().toISOString(),
      delivery: data.deliveryId,
      event: data.event,
      url,
      attempt: facts.attempt,
      ok: outcome.ok,
      status: outcome.status,
      error: outcome.error,
      ms: outcome.ms,
      response: outcome.responseExcerpt,
      nextAttempt: nextAttempt === null ? null : new Date(nextAttempt).toISOString(),
      gaveUp,
    });

  const secret = await ctx.nightly.secret(data.secretOwner);
  if (secret === null) {
    const error = `no webhook secret is kept for ${data.secretOwner} (the schedule was removed?): not sent unsigned`;
    await record({ ok: false, status: null, error, ms: 0, responseExcerpt: '' }, null, true);
    log.error({ error }, 'webhook given up');
    throw new GiveUp(error);
  }
  const outcome = await sendWebhook({
    url: data.url,
    secret,
    body: data.body,
    event: data.event,
    deliveryId: data.deliveryId,
    attempt: facts.attempt,
    timeoutMs: ctx.options.webhookTimeoutMs,
    dispatcher: ctx.dispatcher,
  });
  if (outcome.ok) {
    await record(outcome, null, false);
    log.info({ status: outcome.status, attempt: facts.attempt, ms: outcome.ms }, 'webhook delivered');
    return { status: outcome.status, attempt: facts.attempt };
  }
  const delay = webhookRetryDelay(facts.attempt, ctx.options.webhookRetryMs);
  const next = Date.now() + delay;
  if (next - facts.firstAt > ctx.options.webhookGiveUpMs) {
    await record(outcome, null, true);
    log.error({ error: outcome.error, attempt: facts.attempt }, 'webhook given up');
    throw new GiveUp(`webhook to ${url} given up after ${facts.attempt} attempts: ${outcome.error}`);
  }
  await record(outcome, next, false);
  log.warn({ error: outcome.error, attempt: facts.attempt, retryInMs: delay }, 'webhook not delivered; retrying');
  throw new RetryLater(`webhook to ${url}: ${outcome.error}`, delay);
}
