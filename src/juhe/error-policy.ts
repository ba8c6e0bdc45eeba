/**
 * One table for every code in the five Juhe documents, plus the failures that never
 * reach a Juhe code (network, HTTP 5xx, timeouts, unreadable bodies). Each entry says
 * what the code means in plain words and what to do about it. The client turns the
 * classification into an outcome or an error class; the queue layer turns those into
 * BullMQ's control-flow errors. Nothing else decides retry policy.
 *
 * Service codes (six digits, starting with 2) belong to the API whose document lists
 * them; `policyFor(code, api)` reads one only for that API. System codes (five digits,
 * 10001 to 10021) are shared by every API.
 */
import type { ApiId } from './catalogue.js';

export const CATEGORIES = [
  'success',
  'no_record',
  'transient',
  'throttle',
  'quota',
  'account',
  'bad_request',
  'unknown',
] as const;
/**
 * - `success`: answered and billed (error_code 0 only).
 * - `no_record`: the service has no data for the number. A result, not an error; not billed.
 * - `transient`: the source or the network failed; retry with backoff and jitter.
 * - `throttle`: slow down (10011, per-IP rate) or come back later for this number (224924).
 * - `quota`: the account's call allowance is spent; retrying burns time and risks a ban.
 * - `account`: key or account problem that will not fix itself; stop calling.
 * - `bad_request`: the request was wrong; the same request will fail again.
 * - `unknown`: anything not in the documents; not retried, raw code and reason kept.
 */
export type Category = (typeof CATEGORIES)[number];

/** Retry advice for transient codes; the queue layer's backoff strategy reads it. */
export interface RetryAdvice {
  /** Total attempts including the first. */
  readonly maxAttempts: number;
  /** Base of the exponential backoff, before jitter. */
  readonly baseDelayMs: number;
  /** Ceiling of one backoff delay. */
  readonly maxDelayMs: number;
}

export interface CodePolicy {
  readonly code: number;
  readonly category: Category;
  /** The APIs whose document lists the code; `all` for the shared system codes. */
  readonly apis: readonly ApiId[] | 'all';
  /** The document's own text. */
  readonly reasonZh: string;
  /** Plain English for people reading a status or a result file. */
  readonly meaning: string;
  /** For `transient`: how hard to retry. */
  readonly retry?: RetryAdvice;
  /** For `throttle`: how long to hold off before asking again. */
  readonly holdOffMs?: number;
}

/** Source timeouts and network blips: worth several tries. */
export const RETRY_SOURCE_FLAKY: RetryAdvice = { maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 60_000 };
/** "Query failed": sometimes the source recovers, often it does not; try once more. */
export const RETRY_QUERY_FAILED: RetryAdvice = { maxAttempts: 2, baseDelayMs: 5_000, maxDelayMs: 30_000 };
/** Juhe's own internal error or maintenance window: back off longer. */
export const RETRY_SERVICE_DOWN: RetryAdvice = { maxAttempts: 5, baseDelayMs: 15_000, maxDelayMs: 300_000 };

const SYSTEM: readonly CodePolicy[] = [
  { code: 10001, category: 'account', apis: 'all', reasonZh: '错误的请求KEY', meaning: 'the API key is wrong' },
  { code: 10002, category: 'account', apis: 'all', reasonZh: '该KEY无请求权限', meaning: 'the API key has no permission for this API' },
  { code: 10003, category: 'account', apis: 'all', reasonZh: 'KEY过期', meaning: 'the API key has expired' },
  { code: 10004, category: 'account', apis: 'all', reasonZh: '错误的OPENID', meaning: 'the openid is wrong' },
  { code: 10005, category: 'account', apis: 'all', reasonZh: '应用未审核超时，请提交认证', meaning: 'the application was not verified in time; submit verification in the Juhe console' },
  { code: 10007, category: 'account', apis: 'all', reasonZh: '未知的请求源', meaning: 'the request source is not recognised by Juhe' },
  { code: 10008, category: 'account', apis: 'all', reasonZh: '被禁止的IP', meaning: 'this IP address is banned by Juhe' },
  { code: 10009, category: 'account', apis: 'all', reasonZh: '被禁止的KEY', meaning: 'the API key is banned' },
  { code: 10011, category: 'throttle', apis: 'all', reasonZh: '当前IP请求超过限制', meaning: 'too many requests from this IP; slow down', holdOffMs: 1_000 },
  { code: 10012, category: 'quota', apis: 'all', reasonZh: '请求超过次数限制', meaning: 'the account has used up its calls for this API' },
  { code: 10013, category: 'quota', apis: 'all', reasonZh: '测试KEY超过请求限制', meaning: 'the test key has used up its calls' },
  { code: 10014, category: 'transient', apis: 'all', reasonZh: '系统内部异常', meaning: 'Juhe internal error', retry: RETRY_SERVICE_DOWN },
  { code: 10020, category: 'transient', apis: 'all', reasonZh: '接口维护', meaning: 'the API is under maintenance', retry: RETRY_SERVICE_DOWN },
  { code: 10021, category: 'account', apis: 'all', reasonZh: '接口停用', meaning: 'the API has been disabled for this account' },
];

const SERVICE: readonly CodePolicy[] = [
  // 手机在网时长 mobileOnline (001)
  { code: 224801, category: 'no_record', apis: ['tenure'], reasonZh: '查询无此记录', meaning: 'no record for this number' },
  { code: 224804, category: 'bad_request', apis: ['tenure'], reasonZh: '参数错误', meaning: 'parameter error' },
  { code: 224805, category: 'transient', apis: ['tenure'], reasonZh: '网络异常,请重试', meaning: 'network error at the source, retry', retry: RETRY_SOURCE_FLAKY },
  { code: 224808, category: 'transient', apis: ['tenure'], reasonZh: '查询失败', meaning: 'the query failed at the source', retry: RETRY_QUERY_FAILED },
  // 手机在网状态 mobile_status (002)
  { code: 224902, category: 'bad_request', apis: ['status'], reasonZh: '参数错误', meaning: 'parameter error' },
  { code: 224915, category: 'transient', apis: ['status'], reasonZh: '网络异常,请重试', meaning: 'network error at the source, retry', retry: RETRY_SOURCE_FLAKY },
  { code: 224919, category: 'transient', apis: ['status'], reasonZh: '查询失败', meaning: 'the query failed at the source', retry: RETRY_QUERY_FAILED },
  { code: 224922, category: 'no_record', apis: ['status'], reasonZh: '查询无此记录', meaning: 'no record for this number' },
  { code: 224924, category: 'throttle', apis: ['status'], reasonZh: '同一手机号请求过于频繁', meaning: 'this number was asked too often; ask again later', holdOffMs: 60_000 },
  // 全网二次放号 twoSellTel (003)
  { code: 232701, category: 'transient', apis: ['resale'], reasonZh: '数据源超时', meaning: 'the data source timed out, retry', retry: RETRY_SOURCE_FLAKY },
  { code: 232702, category: 'bad_request', apis: ['resale'], reasonZh: '参数异常', meaning: 'parameter error' },
  { code: 232703, category: 'no_record', apis: ['resale'], reasonZh: '查无记录', meaning: 'no record for this number' },
  { code: 232704, category: 'transient', apis: ['resale'], reasonZh: '查询失败', meaning: 'the query failed at the source', retry: RETRY_QUERY_FAILED },
  // 电信月通话时长 ctccCallduration (004)
  { code: 232401, category: 'transient', apis: ['callDuration'], reasonZh: '服务商网络异常，请重试', meaning: 'network error at the carrier, retry', retry: RETRY_SOURCE_FLAKY },
  { code: 232402, category: 'bad_request', apis: ['callDuration'], reasonZh: '参数错误，具体请看reason', meaning: 'parameter error (see reason)' },
  { code: 232403, category: 'no_record', apis: ['callDuration'], reasonZh: '查无记录', meaning: 'no record for this number' },
  { code: 232404, category: 'transient', apis: ['callDuration'], reasonZh: '查询失败，具体请看reason', meaning: 'the query failed at the source (see reason)', retry: RETRY_QUERY_FAILED },
  // 移动在网时长 sha256 (000) documents no service codes of its own.
];

/** Every documented code, keyed by code. */
export const CODE_POLICIES: ReadonlyMap<number, CodePolicy> = new Map(
  [{ code: 0, category: 'success', apis: 'all', reasonZh: '成功', meaning: 'answered (billed)' } as CodePolicy, ...SYSTEM, ...SERVICE].map(
    (p) => [p.code, p],
  ),
);

/**
 * For failures after which the service may have answered (and billed) without us
 * seeing the answer: one more try at most, so one lost answer costs at most one
 * extra billed call.
 */
export const RETRY_MAYBE_BILLED: RetryAdvice = { maxAttempts: 2, baseDelayMs: 2_000, maxDelayMs: 30_000 };

/**
 * Failures that carry no Juhe code. `maybeBilled` says whether the request may have
 * reached the service and been answered (and billed) before the answer was lost.
 */
export const TRANSPORT_FAILURES = {
  /** Could not connect (refused, DNS, connect timeout): the request never left. */
  connect: { category: 'transient', meaning: 'could not connect to the Juhe service', maybeBilled: false, retry: RETRY_SOURCE_FLAKY },
  /** The connection dropped or no answer came in time after the request was sent. */
  response_lost: { category: 'transient', meaning: 'the connection failed after the request was sent; the answer was lost', maybeBilled: true, retry: RETRY_MAYBE_BILLED },
  /** The caller aborted the call (shutdown) after it may have been sent. */
  aborted: { category: 'transient', meaning: 'the call was interrupted by riskscreen (shutting down)', maybeBilled: true, retry: RETRY_MAYBE_BILLED },
  /** HTTP 503 or 408 without a Juhe body: the server did not take the request. */
  http_unavailable: { category: 'transient', meaning: 'the Juhe service is unavailable (HTTP 503/408)', maybeBilled: false, retry: RETRY_SERVICE_DOWN },
  /** HTTP 500, 502, 504, ... without a Juhe body: a gateway failed, maybe after the service answered. */
  http_gateway: { category: 'transient', meaning: 'the Juhe service or a gateway answered with an HTTP server error', maybeBilled: true, retry: RETRY_MAYBE_BILLED },
  /** HTTP 429: a gateway asked us to slow down. */
  http_429: { category: 'throttle', meaning: 'the Juhe service asked to slow down (HTTP 429)', maybeBilled: false, holdOffMs: 1_000 },
  /** Any other non-2xx HTTP status: the request is wrong for the server. */
  http_other: { category: 'bad_request', meaning: 'the Juhe service refused the request', maybeBilled: false },
  /** A 2xx whose body is not a Juhe JSON answer. Not retried: if it was billed, a retry pays twice. */
  unreadable: { category: 'unknown', meaning: 'the Juhe service sent an answer that could not be read', maybeBilled: true },
} as const satisfies Record<string, { category: Category; meaning: string; maybeBilled: boolean; retry?: RetryAdvice; holdOffMs?: number }>;
export type TransportFailure = keyof typeof TRANSPORT_FAILURES;

/**
 * The sha256 China Mobile tenure document lists no service codes of its own. We read
 * its service codes as its sibling mobileOnline's (the 2248xx module), an assumption
 * the emulator shares; docs/juhe-api.md says so.
 */
const SERVICE_CODES_READ_AS: Partial<Record<ApiId, ApiId>> = { tenureCmcc: 'tenure' };

/**
 * The policy for a Juhe `error_code` answered by `api`. A code the documents do not
 * list, or a service code documented only for another API, is `unknown`: not retried,
 * with the raw code and reason kept by the caller.
 */
export function policyFor(code: number, api?: ApiId): CodePolicy {
  const policy = CODE_POLICIES.get(code);
  if (policy && (api === undefined || policy.apis === 'all' || policy.apis.includes(SERVICE_CODES_READ_AS[api] ?? api))) {
    return policy;
  }
  return {
    code,
    category: 'unknown',
    apis: [],
    reasonZh: '',
    meaning: policy ? `Juhe code ${code}, which the documents give for another API` : `undocumented Juhe code ${code}`,
  };
}

/** Only `error_code` 0 is billed (计费). */
export function isBilled(code: number): boolean {
  return code === 0;
}

/**
 * A documented code of one API's own (224xxx, 232xxx, ...), as opposed to a system code
 * (100xx) every API shares: an answer with one means the service accepted the key and
 * asked its source about the number.
 */
export function isServiceCode(code: number): boolean {
  const policy = CODE_POLICIES.get(code);
  return policy !== undefined && policy.apis !== 'all';
}
