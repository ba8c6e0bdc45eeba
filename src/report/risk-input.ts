/**
 * What the scorer is told about one number: each signal's value, or why it is missing,
 * from the batch's results for the row's questions and the profile that chose them.
 */
import type { PhoneRecord } from '../input/index.js';
import { APIS, type ApiId } from '../juhe/catalogue.js';
import type { Signals } from '../juhe/model.js';
import { CARRIER_NAMES } from '../phone/carrier.js';
import type { Profile } from '../engine/profiles.js';
import { SKIP_REASONS, type TaskResult } from '../engine/task-result.js';
import type { BatchStatus } from '../engine/batch.js';
import { SIGNAL_APIS, SIGNAL_TITLES, signalOfApi, type MissingSignal, type Observation, type RiskInput, type SignalName } from '../risk/index.js';

export interface RowQuestion {
  api: ApiId;
  /** Null when the batch has no result for it (the batch stopped before asking). */
  result: TaskResult | null;
}

export function riskInputOf(record: PhoneRecord, questions: readonly RowQuestion[], profile: Profile, batchStatus: BatchStatus): RiskInput {
  const observe = <S extends Exclude<SignalName, 'number_kind'>>(signal: S, pick: (signals: Signals) => string | undefined) => {
    const apis = SIGNAL_APIS[signal];
    const question = questions.find((q) => apis.includes(q.api));
    if (!question) return notAsked(apis, profile, record);
    const { result } = question;
    if (!result) return missing('not_asked', `not asked (the batch was ${batchStatus})`);
    switch (result.kind) {
      case 'answered': {
        const value = pick(result.signals);
        return value === undefined ? missing('failed', 'the answer had no value') : { value };
      }
      case 'no_record':
        return missing('no_record', `no record at the service (${result.juheCode})`);
      case 'failed':
        return missing('failed', `failed (${result.juheCode ?? result.code})`);
      case 'skipped':
        return missing('not_asked', `not asked, ${SKIP_REASONS[result.why]}`);
      case 'decided':
        return missing('decided', decidedDetail(result));
    }
  };
  return {
    line_status: observe('line_status', (s) => s.lineStatus?.value),
    tenure: observe('tenure', (s) => s.tenure?.value),
    resale: observe('resale', (s) => s.resale?.value),
    call_minutes: observe('call_minutes', (s) => busierBucket(s)),
    number_kind: record.kind ? { value: record.kind } : missing('not_applicable', 'not in the prefix table'),
  } as RiskInput;
}

/** "the level was decided by line status (inactive)": the words of a row's reasons and of its error-free explanation. */
export function decidedDetail(result: { by: ApiId; value: string }): string {
  return `the level was decided by ${SIGNAL_TITLES[signalOfApi(result.by)]} (${result.value})`;
}

/** Calling or called minutes, whichever bucket is higher: a line is silent only if both are. */
function busierBucket(signals: Signals): string | undefined {
  const minutes = signals.callMinutes;
  if (!minutes) return undefined;
  return Number(minutes.called.raw) > Number(minutes.calling.raw) ? minutes.called.label : minutes.calling.label;
}

/** No question was planned for the signal: say whether the profile or the number is why. */
function notAsked(apis: readonly ApiId[], profile: Profile, record: PhoneRecord): MissingSignal {
  const inProfile = apis.filter((api) => profile.apis.includes(api));
  if (inProfile.length === 0) return missing('not_in_profile', `not in profile ${profile.name}`);
  const spec = APIS[inProfile[0]!];
  if (spec.onlyCarrier && record.carrier !== spec.onlyCarrier) return missing('not_applicable', `not a ${CARRIER_NAMES[spec.onlyCarrier].en} number`);
  if (spec.needsDate && !record.date) return missing('not_applicable', 'no date given');
  return missing('not_applicable', 'not asked for this number');
}

function missing(why: MissingSignal['missing'], detail: string): MissingSignal & Observation<never> {
  return { missing: why, detail };
}
