/** Queue names. Every queue lives under the configured prefix (a hash tag such as {riskscreen}). */
import { API_IDS, type ApiId } from '../src/juhe/catalogue.js';

export const INGEST_QUEUE = 'ingest';
export const REPORT_QUEUE = 'report';

export function apiQueueName(api: ApiId): string {
  return `api-${api}`;
}

export const ALL_QUEUES = [INGEST_QUEUE, ...API_IDS.map(apiQueueName), REPORT_QUEUE];

/** `ingest`, `report`, an API id or `api-<id>`, to the queue name; undefined if none. */
export function queueNameOf(name: string): string | undefined {
  if (ALL_QUEUES.includes(name)) return name;
  const api = API_IDS.find((id) => id === name);
  return api ? apiQueueName(api) : undefined;
}
