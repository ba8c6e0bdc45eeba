/** What the nightly jobs (a schedule's tick, a batch's end, a webhook delivery) are given to work with. */
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { BatchStore } from '../src/engine/store.js';
import type { NightlyStore } from '../src/nightly/nightly-store.js';
import type { NightlyOptions } from '../src/nightly/options.js';
import type { ScheduleSpec } from '../src/nightly/schedule.js';
import type { WebhookEventName } from '../src/nightly/webhook-event.js';

export interface TickJobData {
  schedule: ScheduleSpec;
  /** A follow-up look for files that were still being written: the first tick's start (ISO). */
  followUpOf?: string;
}

export interface BatchEndJobData {
  batchId: string;
}

export interface WebhookJobData {
  deliveryId: string;
  event: WebhookEventName;
  url: string;
  /** Whose secret signs it (`schedule:<name>`, `batch:<id>`): the secret is never in job data. */
  secretOwner: string;
  /** The JSON body, fixed when the event happened: every attempt sends the same bytes. */
  body: string;
}

/** How nightly job code adds work; idempotent by job id. */
export interface NightlyScheduler {
  addIngestJob(batchId: string): Promise<void>;
  addFollowUpTick(data: TickJobData, atMs: number): Promise<void>;
  addWebhook(data: WebhookJobData): Promise<void>;
  /** The schedule as it is now (a follow-up look uses a replaced schedule's new options); null once removed. */
  currentSchedule(name: string): Promise<ScheduleSpec | null>;
}

export interface NightlyContext {
  batches: BatchStore;
  nightly: NightlyStore;
  scheduler: NightlyScheduler;
  /** Where batch files live: a tick copies each inbox file there, as `submit` does. */
  dataDir: string;
  options: NightlyOptions;
  logger: Logger;
  /** Key of `mobile_hash` (a masked outbox, or comparing with one). */
  joinKey: () => Buffer;
  /** Webhooks leave through it (timeouts set, see src/nightly/webhook-send.ts). */
  dispatcher: Dispatcher;
  /**
   * How long a tick's (or an outbox export's) lock lives unless renewed: twice the
   * stalled-job check, so a live worker renews it in time and a dead one's lapses about
   * when BullMQ hands its job to another worker.
   */
  lockMs: number;
  /** For tests that prove what a crash at a given point leaves behind. */
  faults?: { at?: (point: 'batch-created' | 'file-moved', batchId: string) => Promise<void> };
}

/** Which attempt of its job this is: the last one reports a failure (a webhook) before BullMQ fails the job. */
export interface JobAttempt {
  last: boolean;
}
