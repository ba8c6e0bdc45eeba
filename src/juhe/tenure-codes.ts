/**
 * The tenure APIs' code tables, kept once: the decoder reads them one way, the emulator
 * answers with them the other way. The two encodings differ, and the difference is easy
 * to get wrong: mobileOnline's "03" is under three months while its "3" is over two
 * years; the China Mobile sha256 API counts 1..5 instead.
 */
import type { TenureEncoding } from './catalogue.js';
import { TENURE_BUCKETS, type TenureBucket } from './model.js';

export const TENURE_CODES: Readonly<Record<TenureEncoding, Readonly<Record<TenureBucket, string>>>> = {
  /** mobileOnline: 03 (0,3], 04 (3,6], 1 (6,12], 2 (12,24], 3 (24,+), 99 left. */
  mobileOnline: { '0-3': '03', '3-6': '04', '6-12': '1', '12-24': '2', '24+': '3', left_network: '99' },
  /** mobile_online_sha256_cmcc: 1 (0,3], 2 (3,6], 3 (6,12], 4 (12,24], 5 (24,+), 99 left. */
  cmccSha256: { '0-3': '1', '3-6': '2', '6-12': '3', '12-24': '4', '24+': '5', left_network: '99' },
};

/** mobileOnline's `desc`, one per code (the documents' examples). */
export const MOBILE_ONLINE_DESC: Readonly<Record<TenureBucket, string>> = {
  '0-3': '(0,3]',
  '3-6': '(3,6]',
  '6-12': '(6,12]',
  '12-24': '(12,24]',
  '24+': '(24,+)',
  left_network: 'T-1月前已离网/手机状态异常',
};

const BUCKET_OF_CODE: Readonly<Record<TenureEncoding, ReadonlyMap<string, TenureBucket>>> = {
  mobileOnline: new Map(TENURE_BUCKETS.map((bucket) => [TENURE_CODES.mobileOnline[bucket], bucket])),
  cmccSha256: new Map(TENURE_BUCKETS.map((bucket) => [TENURE_CODES.cmccSha256[bucket], bucket])),
};

/** The bucket a code stands for, exactly as written ("03" and "3" differ); undefined if none. */
export function bucketOfTenureCode(encoding: TenureEncoding, code: string): TenureBucket | undefined {
  return BUCKET_OF_CODE[encoding].get(code);
}
