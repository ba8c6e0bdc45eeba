/**
 * The Juhe client: one call = one question about one number. It builds the exact form
 * body for the endpoint and form, sends it, and returns a `CallOutcome` (success,
 * billed; or no record, not billed) or throws a `JuheError` subclass chosen by the
 * error policy. It keeps no state between calls and knows nothing of queues: retrying,
 * caching and rate limiting belong to the caller.
 */
import type { Logger } from 'pino';
import { ConfigError } from '../shared/config-error.js';
import type { Carrier } from '../phone/carrier.js';
import { maskMobile } from '../phone/mask.js';
import { lookupPrefix } from '../phone/prefixes.js';
import { silentLogger } from '../log/logger.js';
import { isCalendarDate } from '../shared/calendar-date.js';
import { APIS, FORM_NEEDS, endpointFor, formsOf, type ApiId, type EndpointSpec, type Form } from './catalogue.js';
import { encodeMobile } from './ciphers.js';
import type { JuheConfig } from './config.js';
import { UnreadableAnswer, decodeSignals, orderIdOf, parseEnvelope } from './decode.js';
import { TRANSPORT_FAILURES, policyFor, type Category } from './error-policy.js';
import {
  JuheAbortedError,
  JuheAccountError,
  JuheBadRequestError,
  JuheError,
  JuheQuotaError,
  JuheThrottleError,
  JuheTransientError,
  JuheUnknownError,
  type JuheErrorContext,
} from './errors.js';
import { HttpTransport, TransportError, type HttpAnswer } from './http.js';
import type { CallContext, CallOutcome } from './model.js';

export interface QueryRequest {
  api: ApiId;
  /** The normalized 11-digit number. */
  mobile: string;
  /** Overrides the configured form for this call. */
  form?: Form;
  /** yyyymmdd; required by the resale API, refused by the others. */
  date?: string;
  /**
   * The carrier the caller believes the number is on (e.g. from an earlier answer's
   * `isp`, for a ported number). Default: the prefix table's. Carrier-specific APIs
   * refuse a number of another carrier rather than pay for a meaningless answer.
   */
  carrier?: Carrier;
  signal?: AbortSignal;
}

/** A request riskscreen itself got wrong (not the service): a programming or input error. */
export class InvalidQueryError extends Error {
  readonly code = 'RISKSCREEN_INVALID_QUERY';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidQueryError';
  }
}

export interface JuheClientOptions {
  config: JuheConfig;
  logger?: Logger;
}

/** A built request: where it goes and the form body, before it is sent. */
export interface PreparedCall {
  endpoint: EndpointSpec;
  form: Form;
  url: URL;
  body: URLSearchParams;
  context: CallContext;
}

export class JuheClient {
  private readonly config: JuheConfig;
  private readonly logger: Logger;
  private readonly transport: HttpTransport;

  constructor(options: JuheClientOptions) {
    this.config = options.config;
    this.logger = options.logger ?? silentLogger;
    this.transport = new HttpTransport(options.config);
  }

  /** The form this client sends for `api` unless a call overrides it. */
  formFor(api: ApiId): Form {
    return this.config.forms[api];
  }

  /** Build the request for `request` without sending it (also used by tests and `--dry-run`). */
  prepare(request: Omit<QueryRequest, 'signal'>): PreparedCall {
    const { api, mobile } = request;
    if (!/^1\d{10}$/.test(mobile)) {
      throw new InvalidQueryError(`${api}: ${maskMobile(mobile)} is not an 11-digit mobile number`);
    }
    const spec = APIS[api];
    if (spec.needsDate) {
      if (!request.date || !isCalendarDate(request.date)) {
        throw new InvalidQueryError(`${api} needs a date as yyyymmdd (got ${JSON.stringify(request.date ?? null)})`);
      }
    } else if (request.date !== undefined) {
      throw new InvalidQueryError(`${api} takes no date`);
    }
    if (spec.onlyCarrier) {
      const carrier = request.carrier ?? lookupPrefix(mobile)?.carrier;
      if (carrier !== spec.onlyCarrier) {
        throw new InvalidQueryError(
          `${api} answers only ${spec.onlyCarrier} numbers; ${maskMobile(mobile)} is ${carrier ?? 'of no known carrier'} (pass its carrier when it was ported)`,
        );
      }
    }
    const form = request.form ?? this.config.forms[api];
    const endpoint = endpointFor(api, form);
    if (!endpoint) {
      throw new InvalidQueryError(`${api} has no ${form} form; it accepts ${formsOf(api).join(', ')}`);
    }
    const needs = FORM_NEEDS[form];
    if (needs === 'openid' && !this.config.aesKey) throw new ConfigError('JUHE_OPENID', `is not set; the ${form} form needs it`);
    if (needs === 'rsaPublicKey' && !this.config.rsaPublicKey) {
      throw new ConfigError('JUHE_RSA_PUBLIC_KEY_FILE', `is not set; the ${form} form needs it`);
    }
    const body = new URLSearchParams();
    body.set('key', this.config.key);
    // URLSearchParams percent-encodes base64's + / = here, exactly once.
    body.set('mobile', encodeMobile(mobile, form, this.config));
    if (spec.needsDate && request.date) body.set('date', request.date);
    const url = new URL(this.config.baseUrl ? `${this.config.baseUrl}${endpoint.path}` : `${endpoint.origin}${endpoint.path}`);
    const context: CallContext = {
      api,
      endpoint: endpoint.id,
      form,
      mobileMasked: maskMobile(mobile),
      ...(request.date ? { date: request.date } : {}),
    };
    return { endpoint, form, url, body, context };
  }

  /** Ask one question about one number. */
  async query(request: QueryRequest): Promise<CallOutcome> {
    const call = this.prepare(request);
    const log = this.logger.child({ endpoint: call.context.endpoint, form: call.form, mobileMasked: call.context.mobileMasked });
    const sent = call.body.get('mobile') ?? '';
    const started = performance.now();
    let answer: HttpAnswer;
    try {
      answer = await this.transport.postForm(call.url, call.body, request.signal);
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      const failure = TRANSPORT_FAILURES[err.failure];
      const error = this.errorFor(failure.category, {
        ...call.context,
        juheCode: null,
        reason: this.scrub(err.message, sent),
        meaning: failure.meaning,
        billed: false,
        maybeBilled: failure.maybeBilled,
        ...(err.failure === 'connect' ? { notSent: true } : {}),
        ...('retry' in failure ? { retry: failure.retry } : {}),
        ...('holdOffMs' in failure ? { holdOffMs: failure.holdOffMs } : {}),
      }, err, err.failure === 'aborted');
      // The caller decides what a failure means (retry, give up); it logs what matters.
      log.debug({ err: error.toJSON(), ms: elapsed(started) }, 'juhe call failed');
      throw error;
    }
    let outcome: CallOutcome;
    try {
      outcome = this.interpret(call, answer, elapsed(started));
    } catch (err) {
      if (err instanceof JuheError) log.debug({ err: err.toJSON(), ms: elapsed(started) }, 'juhe call failed');
      throw err;
    }
    log.debug({ code: outcome.juheCode, kind: outcome.kind, ms: outcome.durationMs }, 'juhe call');
    return outcome;
  }

  /** Turn an HTTP answer into an outcome, or throw the error the policy says. */
  interpret(call: PreparedCall, answer: HttpAnswer, durationMs: number): CallOutcome {
    const { context } = call;
    const sent = call.body.get('mobile') ?? '';
    let envelope;
    try {
      envelope = parseEnvelope(answer.body);
    } catch (err) {
      if (!(err instanceof UnreadableAnswer)) throw err;
      // No Juhe answer in the body: the HTTP status decides.
      const failure = httpFailure(answer.status);
      const spec = TRANSPORT_FAILURES[failure];
      throw this.errorFor(spec.category, {
        ...context,
        juheCode: null,
        reason: this.scrub(failure === 'unreadable' ? err.message : `HTTP ${answer.status}: ${err.message}`, sent),
        meaning: spec.meaning,
        httpStatus: answer.status,
        billed: false,
        maybeBilled: spec.maybeBilled,
        ...('retry' in spec ? { retry: spec.retry } : {}),
        ...('holdOffMs' in spec ? { holdOffMs: spec.holdOffMs } : {}),
      });
    }
    const policy = policyFor(envelope.errorCode, context.api);
    const reason = this.scrub(envelope.reason, sent);
    if (policy.category === 'success') {
      try {
        const signals = decodeSignals(context.api, envelope.result, context.date);
        const orderId = orderIdOf(envelope.result);
        return { ...context, kind: 'success', billed: true, juheCode: 0, reason, signals, durationMs, ...(orderId ? { orderId } : {}) };
      } catch (err) {
        if (!(err instanceof UnreadableAnswer)) throw err;
        // Paid for, but unusable: never retried, since a retry would pay again.
        throw new JuheUnknownError({
          ...context,
          juheCode: 0,
          reason: this.scrub(err.message, sent),
          meaning: 'answered and billed, but the result could not be read',
          httpStatus: answer.status,
          billed: true,
          maybeBilled: true,
        });
      }
    }
    if (policy.category === 'no_record') {
      return { ...context, kind: 'no_record', billed: false, juheCode: envelope.errorCode, reason, durationMs };
    }
    throw this.errorFor(policy.category, {
      ...context,
      juheCode: envelope.errorCode,
      reason,
      meaning: policy.meaning,
      httpStatus: answer.status,
      billed: false,
      maybeBilled: false,
      ...(policy.retry ? { retry: policy.retry } : {}),
      ...(policy.holdOffMs !== undefined ? { holdOffMs: policy.holdOffMs } : {}),
    });
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private errorFor(category: Category, context: JuheErrorContext, cause?: unknown, aborted = false): JuheError {
    const options = cause === undefined ? undefined : { cause };
    if (aborted) return new JuheAbortedError(context, options);
    switch (category) {
      case 'transient':
        return new JuheTransientError(context, options);
      case 'throttle':
        return new JuheThrottleError(context, options);
      case 'quota':
        return new JuheQuotaError(context, options);
      case 'account':
        return new JuheAccountError(context, options);
      case 'bad_request':
        return new JuheBadRequestError(context, options);
      case 'success':
      case 'no_record':
      case 'unknown':
        return new JuheUnknownError(context, options);
    }
  }

  /**
   * Text from the wire or from errors must never carry the key, the openid, a full
   * number (also as +86/0086/86...) or what was sent for it (a hash can be reversed).
   */
  private scrub(text: string, sent: string): string {
    let clean = text;
    for (const secret of [this.config.key, this.config.openid, sent.length >= 11 ? sent : undefined]) {
      if (secret) clean = clean.split(secret).join('[redacted]');
    }
    return clean.replace(/(?<!\d)(?:\+?86|0086)?(1\d{10})(?!\d)/g, (_all, digits: string) => maskMobile(digits));
  }
}

function httpFailure(status: number): 'http_unavailable' | 'http_gateway' | 'http_429' | 'http_other' | 'unreadable' {
  if (status === 503 || status === 408) return 'http_unavailable';
  if (status >= 500) return 'http_gateway';
  if (status === 429) return 'http_429';
  if (status >= 200 && status < 300) return 'unreadable';
  return 'http_other';
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
