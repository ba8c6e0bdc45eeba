/**
 * The vocabulary a risk rubric speaks: five signals, the values each can take, and the
 * plain words a reason uses for each value. The values are the API layer's decoded
 * values, so a rubric names exactly what the result file's columns show.
 */
import type { ApiId } from '../juhe/catalogue.js';
import { CALL_MINUTES_BUCKETS } from '../juhe/decode.js';
import { LINE_STATUSES, RESALE_VALUES, TENURE_BUCKETS, type LineStatus, type Resale, type TenureBucket } from '../juhe/model.js';
import { NUMBER_KINDS, type NumberKind } from '../phone/prefixes.js';

export const SIGNAL_NAMES = ['line_status', 'tenure', 'resale', 'call_minutes', 'number_kind'] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

/** Call minutes are scored on the busier direction (calling or called): the bucket labels. */
export const CALL_MINUTES_LABELS = CALL_MINUTES_BUCKETS.map((bucket) => bucket.label);

export interface SignalValues {
  line_status: LineStatus;
  tenure: TenureBucket;
  resale: Resale;
  call_minutes: string;
  number_kind: NumberKind;
}

export const SIGNAL_VALUES: { readonly [S in SignalName]: readonly string[] } = {
  line_status: LINE_STATUSES,
  tenure: TENURE_BUCKETS,
  resale: RESALE_VALUES,
  call_minutes: CALL_MINUTES_LABELS,
  number_kind: NUMBER_KINDS,
};

/** Which APIs answer each signal (number_kind comes from the prefix table, never from a call). */
export const SIGNAL_APIS: { readonly [S in Exclude<SignalName, 'number_kind'>]: readonly ApiId[] } = {
  line_status: ['status'],
  tenure: ['tenureCmcc', 'tenure'],
  resale: ['resale'],
  call_minutes: ['callDuration'],
};

/** The signal an API's answer gives. */
export function signalOfApi(api: ApiId): Exclude<SignalName, 'number_kind'> {
  for (const [signal, apis] of Object.entries(SIGNAL_APIS)) if (apis.includes(api)) return signal as Exclude<SignalName, 'number_kind'>;
  throw new Error(`no signal is answered by API ${api}`);
}

/** What the signal is called in a reason ("tenure missing: ..."). */
export const SIGNAL_TITLES: Record<SignalName, string> = {
  line_status: 'line status',
  tenure: 'tenure',
  resale: 'resale check',
  call_minutes: 'call minutes',
  number_kind: 'number kind',
};

/** How a reason names each value: "tenure <= 3 months (+30)". */
export function describeValue(signal: SignalName, value: string): string {
  switch (signal) {
    case 'line_status':
      return LINE_STATUS_WORDS[value as LineStatus] ?? `line status ${value}`;
    case 'tenure':
      return TENURE_WORDS[value as TenureBucket] ?? `tenure ${value}`;
    case 'resale':
      return RESALE_WORDS[value as Resale] ?? `resale ${value}`;
    case 'call_minutes':
      return value === '0' || value === '(0,1]' ? 'call minutes <= 1 (silent line)' : `call minutes ${value}`;
    case 'number_kind':
      return KIND_WORDS[value as NumberKind] ?? `${value} number`;
  }
}

const LINE_STATUS_WORDS: Record<LineStatus, string> = {
  normal: 'line in normal use',
  suspended: 'line suspended',
  unavailable: 'line on the network but unavailable',
  inactive: 'line not in service (cancelled or never activated)',
  pre_cancel: 'line being cancelled',
};

const TENURE_WORDS: Record<TenureBucket, string> = {
  '0-3': 'tenure <= 3 months',
  '3-6': 'tenure 3-6 months',
  '6-12': 'tenure 6-12 months',
  '12-24': 'tenure 12-24 months',
  '24+': 'tenure over 24 months',
  left_network: 'number has left the network',
};

const RESALE_WORDS: Record<Resale, string> = {
  recycled: 'recycled to a new subscriber after the date',
  not_recycled: 'not recycled since the date',
  no_activation_date: 'no activation date known for the number',
};

const KIND_WORDS: Record<NumberKind, string> = {
  mobile: 'ordinary mobile number',
  mvno: 'MVNO number',
  iot: 'IoT number',
  satellite: 'satellite number',
};
