/**
 * The console's errors: each has an HTTP status, a stable `code` and a plain-words
 * message, and is answered as `{ code, message, details }` (docs/http-api.md).
 */
import type { FastifyError } from 'fastify';

export const WEB_ERROR_STATUS = {
  RISKSCREEN_BAD_REQUEST: 400,
  RISKSCREEN_AUTH_REQUIRED: 401,
  RISKSCREEN_LOGIN_FAILED: 401,
  RISKSCREEN_FORBIDDEN: 403,
  RISKSCREEN_CSRF: 403,
  RISKSCREEN_NOT_FOUND: 404,
  RISKSCREEN_BATCH_FINISHED: 409,
  RISKSCREEN_NO_RESULT_YET: 409,
  RISKSCREEN_UPLOAD_TAKEN: 409,
  RISKSCREEN_UPLOAD_TOO_LARGE: 413,
  RISKSCREEN_UNSUPPORTED_MEDIA: 415,
  RISKSCREEN_INPUT_UNREADABLE: 422,
  RISKSCREEN_BAD_OPTION: 422,
  RISKSCREEN_LOGIN_THROTTLED: 429,
  RISKSCREEN_INTERNAL: 500,
  RISKSCREEN_UNAVAILABLE: 503,
} as const;
export type WebErrorCode = keyof typeof WEB_ERROR_STATUS;

export class WebError extends Error {
  readonly status: number;
  constructor(
    readonly code: WebErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers (Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'WebError';
    this.status = WEB_ERROR_STATUS[code];
  }
}

export const notFound = (what: string) => new WebError('RISKSCREEN_NOT_FOUND', `${what} does not exist (or is no longer kept)`);

/** The answer for any error a route throws: `{ code, message, details }` with its status. */
export function errorAnswer(error: unknown): { status: number; body: { code: WebErrorCode; message: string; details?: Record<string, unknown> } } {
  if (error instanceof WebError) {
    return { status: error.status, body: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
  }
  const fastifyError = error as FastifyError;
  const status = fastifyError?.statusCode;
  const code = fastifyError?.code;
  const byStatus = (s: number, c: WebErrorCode, message: string) => ({ status: s, body: { code: c, message } });
  if (code === 'FST_REQ_FILE_TOO_LARGE' || status === 413) return byStatus(413, 'RISKSCREEN_UPLOAD_TOO_LARGE', 'the request is larger than allowed');
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || status === 415) return byStatus(415, 'RISKSCREEN_UNSUPPORTED_MEDIA', 'send JSON (Content-Type: application/json) or, for files, multipart/form-data');
  if ((error as { kind?: string })?.kind === 'unavailable') return byStatus(503, 'RISKSCREEN_UNAVAILABLE', 'Redis does not answer; try again in a moment');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return byStatus(400, 'RISKSCREEN_BAD_REQUEST', `the request could not be read: ${fastifyError.message}`);
  }
  return { status: WEB_ERROR_STATUS.RISKSCREEN_INTERNAL, body: { code: 'RISKSCREEN_INTERNAL', message: 'something went wrong on the server; the log has the details' } };
}

