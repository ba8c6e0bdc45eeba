/**
 * The emulated Juhe service without HTTP: one request's parameters in, the answer's
 * body and delay out, every call written to the ledger. The order of the checks is
 * the order a caller sees them:
 *
 *  1. wrong or missing key                        -> 10001
 *  2. over the per-key rate (`qps`)               -> 10011
 *  3. quota of billed calls reached (`quota`)     -> 10012
 *  4. `mobile` unreadable: AES under another openid -> 10004; anything else wrong
 *     (number, hash, RSA)                         -> the API's parameter-error code
 *  5. `date` missing or not yyyymmdd (twoSellTel) -> 232702
 *  6. same number again within the window (status, `sameNumberWindowMs`) -> 224924
 *  7. an injected error (`errorRates`)            -> that code
 *  8. the world: a code pinned by fixtures, no record (carrier-specific APIs, lines
 *     without call records), or the data         -> 0, billed
 *
 * The answer, and so the billing, is decided when the request arrives; latency only
 * delays the response. Like the real service, a call whose answer is lost to a client
 * timeout has still been billed.
 */
import type { KeyObject } from 'node:crypto';
import { APIS, type EndpointSpec } from '../juhe/catalogue.js';
import { aesKeyFromOpenid, sha256Hex } from '../juhe/ciphers.js';
import type { Logger } from '../log/logger.js';
import { maskMobile } from '../phone/mask.js';
import {
  KEY_ERROR_CODE,
  OPENID_ERROR_CODE,
  PARAMETER_ERROR_CODE,
  QUOTA_CODE,
  RATE_LIMIT_CODE,
  SAME_NUMBER_TOO_OFTEN_CODE,
} from './api-codes.js';
import { ErrorInjector, Latency, Quota, SameNumberWindow, SlidingWindowLimiter } from './faults.js';
import type { Identity } from './identity.js';
import { Ledger } from './ledger.js';
import { isCalendarDate, type ResolvedEmulatorOptions } from './options.js';
import { SeededRandom } from './prng.js';
import { MobileDecoder } from './requests.js';
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
  /** Wall time for the ledger and order ids. */
  wallMs(): number;
  /** Monotonic time for rate limits and windows. */
  monotonicMs(): number;
}

const SYSTEM_CLOCK: ServiceClock = { wallMs: () => Date.now(), monotonicMs: () => performance.now() };

export class EmulatedService {
  readonly ledger = new Ledger();
  readonly index = new ReverseIndex();
  private readonly decoder: MobileDecoder;
  private readonly random: SeededRandom;
  private readonly latency: Latency;
  private readonly injector: ErrorInjector;
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
    this.random = new SeededRandom(options.seed);
    this.latency = new Latency(options.latency, this.random);
    this.injector = new ErrorInjector(options.errorRates, this.random);
    this.limiter = options.qps === undefined ? undefined : new SlidingWindowLimiter(options.qps);
    this.quota = options.quota === undefined ? undefined : new Quota(options.quota);
    this.sameNumber = options.sameNumberWindowMs === undefined ? undefined : new SameNumberWindow(options.sameNumberWindowMs);
    this.orderIds = new OrderIds(() => clock.wallMs());
    this.rememberFixtures();
  }

  handle(endpoint: EndpointSpec, params: RequestParameters): ServiceAnswer {
    const wallMs = this.clock.wallMs();
    const api = endpoint.api;
    const decoded = this.decoder.decode(endpoint, params.get('mobile') ?? undefined);
    const identity = decoded.ok ? decoded.identity : undefined;
    const rawDate = APIS[api].needsDate ? (params.get('date') ?? '') : undefined;
    const date = rawDate !== undefined && isCalendarDate(rawDate) ? rawDate : undefined;

    let code: number;
    let body: string | undefined;
    const key = params.get('key');
    if (key !== this.options.key) code = KEY_ERROR_CODE;
    else if (this.limiter && !this.limiter.tryAcquire(key, this.clock.monotonicMs())) code = RATE_LIMIT_CODE;
    else if (this.quota?.isExhausted(this.ledger.billed)) code = QUOTA_CODE;
    else if (!decoded.ok) code = decoded.problem === 'wrong_openid' ? OPENID_ERROR_CODE : PARAMETER_ERROR_CODE[api];
    else if (rawDate !== undefined && date === undefined) code = PARAMETER_ERROR_CODE[api];
    else if (this.sameNumber && api === 'status' && this.sameNumber.isTooSoon(numberKey(decoded.identity), this.clock.monotonicMs())) {
      code = SAME_NUMBER_TOO_OFTEN_CODE;
    } else {
      const injected = this.injector.draw(api);
      if (injected !== undefined) code = injected;
      else {
        const answer = this.world.answer(api, decoded.identity, date);
        if (answer.kind === 'error') code = answer.code;
        else {
          code = 0;
          body = successBody(endpoint.id, {
            facts: answer.facts,
            ...(decoded.identity.kind === 'number' ? { mobile: decoded.identity.mobile } : {}),
            ...(answer.res !== undefined ? { res: answer.res } : {}),
            orderId: this.orderIds.next(endpoint.id),
          });
        }
      }
    }

    this.ledger.record({ timeMs: wallMs, endpoint: endpoint.id, identity, date, errorCode: code });
    if (this.logger?.isLevelEnabled('debug')) {
      this.logger.debug(
        {
          endpoint: endpoint.id,
          form: identity?.form,
          number: identity?.kind === 'number' ? maskMobile(identity.mobile) : identity ? `${identity.kind} hash` : 'unreadable',
          code,
          ...(decoded.ok ? {} : { problem: decoded.detail }),
        },
        'juhe call',
      );
    }
    return { status: 200, body: body ?? errorBody(code), errorCode: code, delayMs: this.latency.nextMs() };
  }

  /** Back to the state at start: empty ledger and windows, quota unused, first random draw. */
  reset(): void {
    this.ledger.clear();
    this.index.clear();
    this.rememberFixtures();
    this.random.reset();
    this.limiter?.reset();
    this.sameNumber?.reset();
    this.orderIds.reset();
  }

  private rememberFixtures(): void {
    // A fixture number is "known" to the service, so its hashes can be reversed.
    for (const mobile of this.world.pinnedNumbers()) this.index.remember(mobile, sha256Hex(mobile));
  }
}

/** The key of "the same number" for the 224924 window. */
function numberKey(identity: Identity): string {
  return identity.kind === 'md5' ? `md5:${identity.md5}` : identity.sha256;
}
