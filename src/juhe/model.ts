/**
 * One API-independent model of what the Juhe APIs say about a number. Every decoded
 * value keeps the raw code beside it, so a result file can always show what the
 * service actually sent.
 */
import type { Carrier } from '../phone/carrier.js';
import type { ApiId, EndpointId, Form, TenureEncoding } from './catalogue.js';

/** mobile_status `state`: 0 正常使用, 1 停机, 2 在网但不可用, 3 不在网/销号/未启用/异常, 4 预销户. */
export const LINE_STATUSES = ['normal', 'suspended', 'unavailable', 'inactive', 'pre_cancel'] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

/** Months on the network, as the documents' buckets: (0,3], (3,6], (6,12], (12,24], (24,+), left. */
export const TENURE_BUCKETS = ['0-3', '3-6', '6-12', '12-24', '24+', 'left_network'] as const;
export type TenureBucket = (typeof TENURE_BUCKETS)[number];

/** twoSellTel `res`: 1 recycled after the date, 2 not recycled, 3 no activation date known. */
export const RESALE_VALUES = ['recycled', 'not_recycled', 'no_activation_date'] as const;
export type Resale = (typeof RESALE_VALUES)[number];

export interface LineStatusSignal {
  value: LineStatus;
  /** The `state` as sent. */
  raw: string;
  /** The service's `description`, when sent. */
  description?: string;
}

export interface TenureSignal {
  value: TenureBucket;
  /** The `code` as sent ("03", "3", "99", ...). */
  raw: string;
  /** Which of the two documented encodings the code was read with. */
  encoding: TenureEncoding;
  /** The service's `desc`, when sent. */
  description?: string;
}

export interface ResaleSignal {
  value: Resale;
  /** The `res` as sent. */
  raw: string;
  /** The date (yyyymmdd) the question was asked about. */
  date: string;
}

export interface CallMinutesBucket {
  /** The code as sent ("0".."11"). */
  raw: string;
  /** Bucket label in minutes, e.g. "(5,10]", "0", "360+". */
  label: string;
  /** Lower bound in minutes (exclusive, except for the "0" bucket). */
  minMinutes: number;
  /** Upper bound in minutes (inclusive); null for "360+". */
  maxMinutes: number | null;
}

export interface CallMinutesSignal {
  calling: CallMinutesBucket;
  called: CallMinutesBucket;
}

export interface LocationSignal {
  province?: string;
  city?: string;
  carrier?: Carrier;
  /** The `isp` as sent, e.g. "移动". */
  ispRaw?: string;
}

/** What one successful call says; only the fields its API answers are present. */
export interface Signals {
  lineStatus?: LineStatusSignal;
  tenure?: TenureSignal;
  resale?: ResaleSignal;
  callMinutes?: CallMinutesSignal;
  location?: LocationSignal;
}

/** Which call an outcome belongs to. `mobileMasked` is the only form of the number kept. */
export interface CallContext {
  api: ApiId;
  endpoint: EndpointId;
  form: Form;
  mobileMasked: string;
  date?: string;
}

/**
 * A call that produced an answer: `success` (billed) or `no_record` (not billed).
 * Every other outcome is thrown as a {@link JuheError} subclass.
 */
export type CallOutcome =
  | (CallContext & {
      kind: 'success';
      billed: true;
      juheCode: 0;
      reason: string;
      orderId?: string;
      signals: Signals;
      durationMs: number;
    })
  | (CallContext & {
      kind: 'no_record';
      billed: false;
      juheCode: number;
      reason: string;
      durationMs: number;
    });
