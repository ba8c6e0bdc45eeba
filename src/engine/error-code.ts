/**
 * The one key a failed call is counted under: in a batch's errors by code (the
 * manifest's `errors_by_code`, `riskscreen status`) and in the metrics' `code` label,
 * so the two agree (the metrics put a Juhe code the documents do not list under
 * `other`, and count an attempt that could not connect apart, not as a call). The Juhe
 * `error_code` when the service sent one; else the HTTP status (`http_502`); else the
 * API layer's error code in lower case (`juhe_transient`: could not connect, or the
 * connection failed or timed out after sending; `juhe_aborted`: interrupted at
 * shutdown; `juhe_unknown`: an unreadable answer).
 */
import type { JuheError } from '../juhe/errors.js';

export function callCodeOf(err: JuheError): string {
  if (err.juheCode !== null) return String(err.juheCode);
  if (err.httpStatus) return `http_${err.httpStatus}`;
  return err.code.toLowerCase();
}
