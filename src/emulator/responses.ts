/**
 * Answers shaped exactly like the documents' JSON examples, per endpoint: field names,
 * string codes where the documents use strings (`state`, `code`, `callingDur`), ints
 * where they use ints (`res`), the `reason` texts, and `orderid` in each API's format.
 * Key order follows the examples: `reason`, `result`, `error_code`.
 */
import type { EndpointId } from '../juhe/catalogue.js';
import { policyFor } from '../juhe/error-policy.js';
import { MOBILE_ONLINE_DESC, TENURE_CODES } from '../juhe/tenure-codes.js';
import type { NumberFacts } from './world.js';

export interface SuccessContext {
  facts: NumberFacts;
  /** The number in clear, echoed by the plain endpoints that echo it. */
  mobile?: string;
  /** twoSellTel's answer. */
  res?: 1 | 2 | 3;
  orderId: string;
}

/** The JSON body of a successful (billed) answer from `endpoint`. */
export function successBody(endpoint: EndpointId, context: SuccessContext): string {
  const { facts, orderId } = context;
  switch (endpoint) {
    case 'mobile_status/query':
      return envelope('成功', {
        mobile: context.mobile ?? '',
        province: facts.province,
        city: facts.city,
        isp: facts.isp,
        state: facts.state,
        description: facts.stateDescription,
      });
    case 'mobile_status/queryEncry':
    case 'mobile_status/queryRV2':
      return envelope('成功', {
        province: facts.province,
        city: facts.city,
        isp: facts.isp,
        state: facts.state,
        description: facts.stateDescription,
        orderid: orderId,
      });
    case 'mobileOnline/query':
      return envelope('成功', {
        idnum: '',
        name: '',
        mobile: context.mobile ?? '',
        res: 1,
        code: TENURE_CODES.mobileOnline[facts.tenure],
        desc: MOBILE_ONLINE_DESC[facts.tenure],
        province: facts.province,
        city: facts.city,
        isp: facts.isp,
      });
    case 'mobileOnline/queryEncry':
      // The document's example really has the trailing space; clients must trim.
      return envelope('成功 ', {
        code: TENURE_CODES.mobileOnline[facts.tenure],
        desc: MOBILE_ONLINE_DESC[facts.tenure],
        province: facts.province,
        city: facts.city,
        isp: facts.isp,
        orderid: orderId,
      });
    case 'mobile_online_sha256_cmcc/query':
      return envelope('成功', { code: TENURE_CODES.cmccSha256[facts.tenure], orderid: orderId });
    case 'twoSellTel/query':
    case 'twoSellTel/queryEncry':
      return envelope('成功', { res: context.res ?? 3, orderid: orderId });
    case 'ctccCallduration/query':
      return envelope('成功', {
        callingDur: String(facts.callingCode),
        calledDur: String(facts.calledCode),
        orderid: orderId,
      });
  }
}

/** The JSON body of an error answer: the document's reason text, `result: null`. */
export function errorBody(code: number): string {
  return JSON.stringify({ reason: policyFor(code).reasonZh, result: null, error_code: code });
}

function envelope(reason: string, result: Record<string, unknown>): string {
  return JSON.stringify({ reason, result, error_code: 0 });
}

/**
 * `orderid` generator in each API's documented format, in China time:
 * - mobileOnline/queryEncry `JH248118112011355227447293`, mobile_status `JH249118111915000462815599`:
 *   `JH` + module (248, 249) + `1` + yyMMddHHmmss + 8 digits;
 * - twoSellTel `JH327201911081525223306`: `JH327` + yyyyMMddHHmmss + 4 digits;
 * - mobile_online_sha256_cmcc `J201901141703399055`: `J` + yyyyMMddHHmmss + 4 digits;
 * - ctccCallduration `J103201712261751495244`: `J103` + yyyyMMddHHmmss + 4 digits.
 * The trailing digits are a per-format counter, so ids are unique while fewer than
 * 10^4 (10^8) answers of one format are given in one second. The counters are not
 * reset with the ledger, so ids do not repeat after `POST /__sim/reset` either.
 */
export class OrderIds {
  private second = -1;
  private longStamp = '';
  private shortStamp = '';
  private readonly counters = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  next(endpoint: EndpointId): string {
    this.refreshStamps();
    switch (endpoint) {
      case 'mobileOnline/queryEncry':
      case 'mobileOnline/query':
        return `JH2481${this.shortStamp}${this.count('JH248', 8)}`;
      case 'mobile_status/query':
      case 'mobile_status/queryEncry':
      case 'mobile_status/queryRV2':
        return `JH2491${this.shortStamp}${this.count('JH249', 8)}`;
      case 'twoSellTel/query':
      case 'twoSellTel/queryEncry':
        return `JH327${this.longStamp}${this.count('JH327', 4)}`;
      case 'mobile_online_sha256_cmcc/query':
        return `J${this.longStamp}${this.count('J', 4)}`;
      case 'ctccCallduration/query':
        return `J103${this.longStamp}${this.count('J103', 4)}`;
    }
  }

  private count(format: string, digits: number): string {
    const value = ((this.counters.get(format) ?? 0) + 1) % 10 ** digits;
    this.counters.set(format, value);
    return String(value).padStart(digits, '0');
  }

  /** The timestamps change once a second; format them once a second. */
  private refreshStamps(): void {
    const now = this.now();
    const second = Math.floor(now / 1000);
    if (second === this.second) return;
    this.second = second;
    const china = new Date(second * 1000 + 8 * 3_600_000).toISOString(); // 2019-01-14T17:03:39.000Z
    this.longStamp = china.slice(0, 19).replace(/[-T:]/g, '');
    this.shortStamp = this.longStamp.slice(2);
  }
}
