/**
 * The documented code each API uses for "bad parameter" and "no record". The sha256
 * CMCC tenure document lists no service codes at all; the emulator answers with the
 * codes of its sibling, mobileOnline (224804, 224801). See docs/emulator.md.
 */
import { API_IDS, type ApiId } from '../juhe/catalogue.js';
import { CODE_POLICIES } from '../juhe/error-policy.js';

export const PARAMETER_ERROR_CODE: Readonly<Record<ApiId, number>> = {
  status: 224902,
  tenure: 224804,
  tenureCmcc: 224804, // assumption: no code documented
  resale: 232702,
  callDuration: 232402,
};

export const NO_RECORD_CODE: Readonly<Record<ApiId, number>> = {
  status: 224922,
  tenure: 224801,
  tenureCmcc: 224801, // assumption: no code documented
  resale: 232703,
  callDuration: 232403,
};

/** The only code the status document has for "asked too often". */
export const SAME_NUMBER_TOO_OFTEN_CODE = 224924;
export const KEY_ERROR_CODE = 10001;
/** KEY过期: the key has expired (`keyExpiresAfter`). */
export const KEY_EXPIRED_CODE = 10003;
export const OPENID_ERROR_CODE = 10004;
export const RATE_LIMIT_CODE = 10011;
export const QUOTA_CODE = 10012;

/**
 * The APIs that can answer `code`: every API for a system code (100xx), the API whose
 * document lists a service code, and for mobileOnline's codes also the sha256 CMCC
 * tenure API, which documents none and borrows its sibling's. Empty for 0 and for
 * codes no document lists.
 */
export function apisAnswering(code: number): readonly ApiId[] {
  const policy = CODE_POLICIES.get(code);
  if (!policy || code === 0) return [];
  if (policy.apis === 'all') return API_IDS;
  return policy.apis.includes('tenure') ? [...policy.apis, 'tenureCmcc'] : policy.apis;
}
