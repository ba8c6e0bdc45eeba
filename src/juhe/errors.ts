/**
 * Errors of the API layer: one class per category of the error policy, each with a
 * stable `code` and the context the queue layer and the result file need (endpoint,
 * Juhe code, reason, masked number, whether the call was or may have been billed).
 * They never carry the key, the openid or a full number.
 */
import type { ApiId, EndpointId, Form } from './catalogue.js';
import type { ErrorKind } from '../shared/error-kind.js';
import type { Category, RetryAdvice } from './error-policy.js';

export interface JuheErrorContext {
  api: ApiId;
  endpoint: EndpointId;
  form: Form;
  /** e.g. `138****1234`. */
  mobileMasked: string;
  /** The date a resale question was about. */
  date?: string;
  /** The Juhe `error_code`, or null when none was received (network, HTTP, unreadable). */
  juheCode: number | null;
  /** The service's `reason`, or what went wrong locally. */
  reason: string;
  /** Plain English for the code or failure. */
  meaning: string;
  /** The HTTP status, when a response arrived. */
  httpStatus?: number;
  /** error_code 0 was received: the call was paid for (its answer was unusable). */
  billed: boolean;
  /** The request may have been answered and billed without us seeing the answer. */
  maybeBilled: boolean;
  /** The request never left: riskscreen could not connect (refused, DNS, connect timeout). Not a call: nothing reached the service. */
  notSent?: boolean;
  retry?: RetryAdvice;
  holdOffMs?: number;
}

export abstract class JuheError extends Error implements JuheErrorContext {
  abstract readonly code: string;
  abstract readonly category: Category;
  readonly api: ApiId;
  readonly endpoint: EndpointId;
  readonly form: Form;
  readonly mobileMasked: string;
  readonly date?: string;
  readonly juheCode: number | null;
  readonly reason: string;
  readonly meaning: string;
  readonly httpStatus?: number;
  readonly billed: boolean;
  readonly maybeBilled: boolean;
  /** See JuheErrorContext.notSent; false unless the request certainly never left. */
  readonly notSent: boolean;
  readonly retry?: RetryAdvice;
  readonly holdOffMs?: number;

  constructor(context: JuheErrorContext, options?: { cause?: unknown }) {
    const what = context.juheCode === null ? context.meaning : `${context.juheCode} (${context.meaning})`;
    const reason = context.reason && context.reason !== context.meaning ? `: ${context.reason}` : '';
    super(`${context.endpoint} ${context.mobileMasked}: ${what}${reason}`, options);
    this.name = new.target.name;
    this.api = context.api;
    this.endpoint = context.endpoint;
    this.form = context.form;
    this.mobileMasked = context.mobileMasked;
    if (context.date !== undefined) this.date = context.date;
    this.juheCode = context.juheCode;
    this.reason = context.reason;
    this.meaning = context.meaning;
    if (context.httpStatus !== undefined) this.httpStatus = context.httpStatus;
    this.billed = context.billed;
    this.maybeBilled = context.maybeBilled;
    this.notSent = context.notSent === true;
    if (context.retry) this.retry = context.retry;
    if (context.holdOffMs !== undefined) this.holdOffMs = context.holdOffMs;
  }

  /**
   * What the failure means to a person running a command: the key refused, a limit
   * reached, the service not answering; anything else is not theirs to fix.
   */
  get kind(): ErrorKind | undefined {
    switch (this.category) {
      case 'account':
        return 'account';
      case 'quota':
        return 'limit';
      case 'transient':
      case 'throttle':
        return 'unavailable';
      default:
        return undefined;
    }
  }

  /** A plain object for logs and result files (no stack, nothing secret). */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      category: this.category,
      api: this.api,
      endpoint: this.endpoint,
      form: this.form,
      mobileMasked: this.mobileMasked,
      date: this.date,
      juheCode: this.juheCode,
      reason: this.reason,
      meaning: this.meaning,
      httpStatus: this.httpStatus,
      billed: this.billed,
      maybeBilled: this.maybeBilled,
      ...(this.notSent ? { notSent: true } : {}),
      retry: this.retry,
      holdOffMs: this.holdOffMs,
    };
  }
}

/** Retry with backoff and jitter, up to `retry.maxAttempts`. */
export class JuheTransientError extends JuheError {
  readonly code = 'JUHE_TRANSIENT';
  readonly category = 'transient' as const;
}

/**
 * Slow down. `scope` is `ip` for 10011 (the account is over its rate: hold the whole
 * queue) and `number` for 224924 (this number was asked too often: hold this job only).
 */
export class JuheThrottleError extends JuheError {
  readonly code = 'JUHE_THROTTLED';
  readonly category = 'throttle' as const;
  get scope(): 'ip' | 'number' {
    return this.juheCode === 224924 ? 'number' : 'ip';
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), scope: this.scope };
  }
}

/** The account's allowance for this API is spent (10012, 10013). Never retried. */
export class JuheQuotaError extends JuheError {
  readonly code = 'JUHE_QUOTA_EXCEEDED';
  readonly category = 'quota' as const;
}

/** Key or account problem (10001-10005, 10007-10009, 10021). Stop calling. */
export class JuheAccountError extends JuheError {
  readonly code = 'JUHE_ACCOUNT';
  readonly category = 'account' as const;
}

/** The request was wrong (parameter errors, HTTP 4xx). The same request fails again. */
export class JuheBadRequestError extends JuheError {
  readonly code = 'JUHE_BAD_REQUEST';
  readonly category = 'bad_request' as const;
}

/** An undocumented code or an unreadable answer. Not retried; raw code and reason kept. */
export class JuheUnknownError extends JuheError {
  readonly code = 'JUHE_UNKNOWN';
  readonly category = 'unknown' as const;
}

/**
 * The caller (a shutting-down worker) aborted a call that may already have been sent
 * and billed. Transient: the job runs again; `maybeBilled` is always true.
 */
export class JuheAbortedError extends JuheError {
  readonly code = 'JUHE_ABORTED';
  readonly category = 'transient' as const;
}

export function isJuheError(err: unknown): err is JuheError {
  return err instanceof JuheError;
}
