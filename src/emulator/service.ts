/**
 * The emulated Juhe service without HTTP: one request's parameters in, the answer's
 * body and delay out, every call written to the ledger. The order of the checks is
 * the order a caller sees them:
 *
 *  1. wrong or missing key                        -> 10001; the key used up
 *     (`keyExpiresAfter` calls made)              -> 10003
 *  2. over the per-key rate (`qps`)               -> 10011
 *  3. quota of billed calls reached (`quota`)     -> 10012
 *  4. `mobile` unreadable: AES under another openid -> 10004; anything else wrong
 *     (number, hash, RSA)                         -> the API's parameter-error code
 *  5. `date` missing or not yyyymmdd (twoSellTel) -> 232702
 *  6. same number again within the window (status, `sameNumberWindowMs`) -> 224924
 *  7. an injected error (`errorRates`)            -> that code
 *  8. the world: a code pinned by fixtures, no record (carrier-specific APIs, lines
 *     without call records, the ~1% each source does not know), or the data -> 0, billed
 *
 * `mobile` is decoded only after checks 1-3 have passed; a call they refuse is still
 * recorded with its number when that can be read without RSA (RSA decryption costs
 * about 0.37 ms and is not spent on refused calls).
 *
 * Fault and latency draws are pure functions of (seed, domain, endpoint, number,
 * date, attempt n), where n counts the earlier calls of that question that got past
 * checks 1-6; so which (number, attempt) gets a fault does not depend on the order of
 * requests, on refusals, or on how many clients send them. Only a call whose number
 * could not be read draws its latency from a sequential stream.
 *
 * The answer, and so the billing, is decided when the request arrives; latency only
 * delays the response. Like the real service, a call whose answer is lost to a client
 * timeout has still been billed.
 */
import type { KeyObject } from 'node:crypto';
import { APIS, ENDPOINT_IDS, type EndpointSpec } from '../juhe/catalogue.js';
import { aesKeyFromOpenid } from '../juhe/ciphers.js';
import type { Logger } from '../log/logger.js';
import { maskMobile } from '../phone/mask.js';
import {
  KEY_ERROR_CODE,
  KEY_EXPIRED_CODE,
  OPENID_ERROR_CODE,
  PARAMETER_ERROR_CODE,
  QUOTA_CODE,
  RATE_LIMIT_CODE,
  SAME_NUMBER_TOO_OFTEN_CODE,
} from './api-codes.js';
import { AttemptCounter, ErrorInjector, Latency, Quota, SameNumberWindow, SlidingWindowLimiter } from './faults.js';
import { identityDigest, type Identity } from './identity.js';
import { Ledger } from './ledger.js';
import { isCalendarDate } from '../shared/calendar-date.js';
import type { ResolvedEmulatorOptions } from './options.js';
import { keyedUniform, SeededRandom } from './prng.js';
import { MobileDecoder, type MobileDecoding } from './requests.js';
import { OrderIds, errorBody, successBody } from './responses.js';
import { ReverseIndex } from './reverse-index.js';
import type { World } from './world.js';

export interface ServiceAnswer {
  /** Always 200: Juhe reports every outcome in `error_code`. */
  status: 200;
  body: string;
  errorCode: number;
  delayMs: number;
}

/** The parameters of one request: GET query and POST form merged, the body winning. */
export interface RequestParameters {
  get(name: string): string | null;
}

export interface ServiceClock {
  /** Wall time for the ledger's `time` and order ids. */
  wallMs(): number;
  /** Monotonic time for the rate limit, the windows and the ledger's `t_ms`. */
  monotonicMs(): number;
}

/** `t_ms`: the monotonic clock as milliseconds since the epoch (it does not follow wall-clock changes). */
export const SYSTEM_CLOCK: ServiceClock = {
  wallMs: () => Date.now(),
  monotonicMs: () => performance.timeOrigin + performance.now(),
};

const ENDPOINT_INDEX = new Map(ENDPOINT_IDS.map((id, i) => [id, i]));

export class EmulatedService {
  readonly ledger = new Ledger();
  readonly index = new ReverseIndex();
  private readonly decoder: MobileDecoder;
  /** Latency of calls whose number could not be read: the only sequential draws. */
  private readonly unkeyedLatency: SeededRandom;
  private readonly latency: Latency;
  private readonly injector: ErrorInjector;
  readonly attempts = new AttemptCounter();
  private readonly limiter: SlidingWindowLimiter | undefined;
  private readonly quota: Quota | undefined;
  private readonly sameNumber: SameNumberWindow | undefined;
  private readonly orderIds: OrderIds;

  constructor(
    private readonly options: ResolvedEmulatorOptions,
    private readonly world: World,
    rsaPrivateKey: KeyObject,
    private readonly clock: ServiceClock = SYSTEM_CLOCK,
    private readonly logger?: Logger,
  ) {
    this.decoder = new MobileDecoder(aesKeyFromOpenid(options.openid), rsaPrivateKey, this.index);
    this.unkeyedLatency = new SeededRandom(`${options.seed}\nlatency of unreadable numbers`);
    this.latency = new Latency(options.latency);
    this.injector = new ErrorInjector(options.errorRates);
    this.limiter = options.qps === undefined ? undefined : new SlidingWindowLimiter(options.qps);
    this.quota = options.quota === undefined ? undefined : new Quota(options.quota);
    this.sameNumber = options.sameNumberWindowMs === undefined ? undefined : new SameNumberWindow(options.sameNumberWindowMs);
    this.orderIds = new OrderIds(() => clock.wallMs());
    // Fixture numbers and the known numbers are what the service "knows": their hashes reverse.
    this.addKnownNumbers([...world.pinnedNumbers()]);
  }

  /** Make numbers (already checked) known, so their sha256 and md5 forms are answered as the numbers. Returns how many were new. */
  addKnownNumbers(numbers: readonly string[] | Float64Array): number {
    return this.index.rememberAll(numbers);
  }

  handle(endpoint: EndpointSpec, params: RequestParameters): ServiceAnswer {
    const wallMs = this.clock.wallMs();
    const tMs = this.clock.monotonicMs();
    const endpointIndex = ENDPOINT_INDEX.get(endpoint.id)!;
    const rawDate = APIS[endpoint.api].needsDate ? (params.get('date') ?? '') : undefined;
    const date = rawDate !== undefined && isCalendarDate(rawDate) ? rawDate : undefined;
    const outcome = this.decide(endpoint, endpointIndex, params, tMs, rawDate, date);
    const { code, decoded, attempt } = outcome;

    const identity = decoded.ok ? decoded.identity : undefined;
    this.ledger.record({ timeMs: wallMs, tMs, endpoint: endpoint.id, identity, date, errorCode: code });
    if (this.logger?.isLevelEnabled('debug')) {
      this.logger.debug(
        {
          endpoint: endpoint.id,
          form: identity?.form,
          number: identity?.kind === 'number' ? maskMobile(identity.mobile) : identity ? `${identity.kind} hash` : 'unreadable',
          code,
          ...(attempt !== undefined ? { attempt } : {}),
          ...(decoded.ok ? {} : { problem: decoded.detail }),
        },
        'juhe call',
      );
    }
    return {
      status: 200,
      body: outcome.body ?? errorBody(code),
      errorCode: code,
      delayMs: this.delayMs(endpoint, endpointIndex, identity, date, attempt),
    };
  }

  /** Checks 1-8 in order; the first that applies answers. */
  private decide(
    endpoint: EndpointSpec,
    endpointIndex: number,
    params: RequestParameters,
    tMs: number,
    rawDate: string | undefined,
    date: string | undefined,
  ): { code: number; body?: string; decoded: MobileDecoding; attempt?: number } {
    const api = endpoint.api;
    const rawMobile = params.get('mobile') ?? undefined;
    const key = params.get('key');
    let refusal: number | undefined;
    if (key !== this.options.key) refusal = KEY_ERROR_CODE;
    else if (this.options.keyExpiresAfter !== undefined && this.ledger.size >= this.options.keyExpiresAfter) refusal = KEY_EXPIRED_CODE;
    else if (this.limiter && !this.limiter.tryAcquire(key, tMs)) refusal = RATE_LIMIT_CODE;
    else if (this.quota?.isExhausted(this.ledger.billed)) refusal = QUOTA_CODE;
    if (refusal !== undefined) {
      // Refused before the number matters: read it for the ledger only, without RSA.
      return { code: refusal, decoded: this.decoder.decode(endpoint, rawMobile, { decryptRsa: false }) };
    }

    const decoded = this.decoder.decode(endpoint, rawMobile);
    if (!decoded.ok) return { code: decoded.problem === 'wrong_openid' ? OPENID_ERROR_CODE : PARAMETER_ERROR_CODE[api], decoded };
    if (rawDate !== undefined && date === undefined) return { code: PARAMETER_ERROR_CODE[api], decoded };
    const identity = decoded.identity;
    // The ask is recorded when it passes, even if an injected error answers it below.
    if (this.sameNumber && api === 'status' && this.sameNumber.isTooSoon(numberKey(identity), tMs)) {
      return { code: SAME_NUMBER_TOO_OFTEN_CODE, decoded };
    }

    const digest = identityDigest(identity);
    const attempt = this.needsAttempts(endpoint) ? this.attempts.next(endpointIndex, date, digest) : 0;
    if (this.injector.injects(api)) {
      const injected = this.injector.pick(api, keyedUniform(this.options.seed, 'fault', endpoint.id, digest, date, attempt));
      if (injected !== undefined) return { code: injected, decoded, attempt };
    }
    const answer = this.world.answer(api, identity, date);
    if (answer.kind === 'error') return { code: answer.code, decoded, attempt };
    const body = successBody(endpoint.id, {
      facts: answer.facts,
      ...(identity.kind === 'number' ? { mobile: identity.mobile } : {}),
      ...(answer.res !== undefined ? { res: answer.res } : {}),
      orderId: this.orderIds.next(endpoint.id),
    });
    return { code: 0, body, decoded, attempt };
  }

  /** Back to the state at start: empty ledger, windows and attempt counts, quota unused. Known numbers and order-id counters stay. */
  reset(): void {
    this.ledger.clear();
    this.attempts.reset();
    this.unkeyedLatency.reset();
    this.limiter?.reset();
    this.sameNumber?.reset();
  }

  /** Whether calls to `endpoint` draw anything (a fault or a latency), so their attempts must be counted. */
  private needsAttempts(endpoint: EndpointSpec): boolean {
    return this.injector.injects(endpoint.api) || !this.latency.fixed;
  }

  /**
   * The delay of this answer: fixed, or drawn for the question's attempt (a call that
   * did not get past the checks draws for the attempt its question is at, without
   * counting), or from the sequential stream when the number could not be read.
   */
  private delayMs(endpoint: EndpointSpec, endpointIndex: number, identity: Identity | undefined, date: string | undefined, attempt: number | undefined): number {
    if (this.latency.fixed) return this.latency.pickMs(0);
    if (!identity) return this.latency.pickMs(this.unkeyedLatency.next());
    const digest = identityDigest(identity);
    const n = attempt ?? this.attempts.peek(endpointIndex, date, digest);
    return this.latency.pickMs(keyedUniform(this.options.seed, 'latency', endpoint.id, digest, date, n));
  }
}

/** The key of "the same number" for the 224924 window. */
function numberKey(identity: Identity): string {
  return identity.kind === 'md5' ? `md5:${identity.md5}` : identity.sha256;
}
