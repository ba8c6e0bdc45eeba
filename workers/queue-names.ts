/** Queue names. Every queue lives under the configured prefix (a hash tag such as {riskscreen}). */
import { API_IDS, type ApiId } from '../src/juhe/catalogue.js';

export const INGEST_QUEUE = 'ingest';
export const REPORT_QUEUE = 'report';
/** Schedules' ticks and batches' ends (outbox, webhook): src/nightly. */
export const NIGHTLY_QUEUE = 'nightly';
/** Webhook deliveries, retried on their own clock (up to a day). */
export const WEBHOOK_QUEUE = 'webhook';

export function apiQueueName(api: ApiId): string {
  return `api-${api}`;
}

/** The queues that screen a batch (what `riskscreen run` works on while it waits for its own). */
export const ENGINE_QUEUES = [INGEST_QUEUE, ...API_IDS.map(apiQueueName), REPORT_QUEUE];

export const ALL_QUEUES = [...ENGINE_QUEUES, NIGHTLY_QUEUE, WEBHOOK_QUEUE];

/** `ingest`, `report`, `nightly`, `webhook`, an API id or `api-<id>`, to the queue name; undefined if none. */
export function queueNameOf(name: string): string | undefined {
  if (ALL_QUEUES.includes(name)) return name;
  const api = API_IDS.find((id) => id === name);
  return api ? apiQueueName(api) : undefined;
}
