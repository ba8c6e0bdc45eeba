/**
 * What job code tells an observer as it works: the calls that left for the Juhe service,
 * the attempts that could not connect, the waits the rate gate gave them, the holds the
 * service asked for, answers taken from the shared cache, and the rows a report wrote.
 * The engine defines it and the jobs call it at the exact points these happen; the
 * metrics module (src/metrics/) implements it, so neither the engine nor the API layer
 * knows about Prometheus.
 *
 * Nothing here names a number, a key or a batch: only the API, the form, the code and
 * counts, which is all a metric may be labelled with. Methods must not throw and must
 * return at once (they run on the call path).
 */
import type { ApiId, Form } from '../juhe/catalogue.js';

/** One call that went to the service and ended (answered or failed). */
export interface CallObservation {
  api: ApiId;
  form: Form;
  /**
   * What it ended with: the Juhe `error_code` as a string ("0" success, "224801",
   * "10012"...), or, with no Juhe code, the key a batch counts the error under
   * (`http_502`, `juhe_transient` for a failure or timeout after sending,
   * `juhe_aborted`...): see callCodeOf (error-code.ts).
   */
  code: string;
  /** The service billed it (error_code 0, also when its result could not be read). */
  billed: boolean;
  /**
   * It may have been billed, and is not counted as billed: its answer was lost (a
   * timeout or reset after sending, an interrupted call, an unreadable body). Never
   * true with `billed`, so billed + maybe billed is the most the calls can have cost.
   */
  maybeBilled: boolean;
  /** From just before the request left to its end. */
  seconds: number;
}

export interface EngineObserver {
  called(call: CallObservation): void;
  /** An attempt that could not connect (refused, DNS, connect timeout): the request never left, so it is no call. */
  connectFailed(api: ApiId): void;
  /** A call (or an attempt that then could not connect) passed the rate gate after `seconds` there in all (about 0 when its slot was free). */
  rateWait(api: ApiId, seconds: number): void;
  /** The service said slow down: `code` is 10011 (the whole API), 224924 (one number) or http_429. */
  hold(api: ApiId, code: string): void;
  /** A question answered from the shared cache: no call. */
  cacheHit(api: ApiId): void;
  /**
   * A batch's result file was written, with this many rows per row status (`screened`,
   * `partial`, `invalid`, `not_screened`) and risk level (`unscored` for rows without a
   * score): the manifest's `rows.by_status_and_level`.
   */
  rowsReported(byStatusAndLevel: Readonly<Record<string, Readonly<Record<string, number>>>>): void;
}
