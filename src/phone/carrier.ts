/**
 * Carriers of Chinese mobile numbers. Shared by the input layer (carrier by prefix,
 * a prior: numbers can be ported) and the API layer (carrier as the service reports it).
 */
export const CARRIERS = ['cmcc', 'cucc', 'ctcc', 'cbn'] as const;
export type Carrier = (typeof CARRIERS)[number];

export const CARRIER_NAMES: Record<Carrier, { en: string; zh: string }> = {
  cmcc: { en: 'China Mobile', zh: '移动' },
  cucc: { en: 'China Unicom', zh: '联通' },
  ctcc: { en: 'China Telecom', zh: '电信' },
  cbn: { en: 'China Broadnet', zh: '广电' },
};

/**
 * The carrier named by an `isp` field of a Juhe answer ("移动", "中国移动", "电信", ...).
 * Returns undefined for anything it does not recognise; callers keep the raw text.
 */
export function carrierFromIsp(isp: string | undefined | null): Carrier | undefined {
  if (!isp) return undefined;
  const text = isp.trim();
  if (text.includes('移动')) return 'cmcc';
  if (text.includes('联通')) return 'cucc';
  if (text.includes('电信')) return 'ctcc';
  if (text.includes('广电') || text.includes('广播')) return 'cbn';
  const lower = text.toLowerCase();
  if (lower.includes('mobile') || lower === 'cmcc') return 'cmcc';
  if (lower.includes('unicom') || lower === 'cucc') return 'cucc';
  if (lower.includes('telecom') || lower === 'ctcc') return 'ctcc';
  if (lower.includes('broadnet') || lower === 'cbn') return 'cbn';
  return undefined;
}
