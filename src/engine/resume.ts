/**
 * Which stored batch a rerun of the local engine picks up: the same list (by its bytes)
 * asked the same questions the same way (profile, --max-calls, rubric, plan), not ended. Rates do not count: they change how
 * fast, not what is asked. Pure: the caller lists the batches and claims the one found.
 */
import { DEFAULT_PLAN, FINAL_STATUSES, planOf, type BatchView } from './batch.js';
import type { SubmitRequest } from './submit.js';
import { resolveProfile } from './profiles.js';
import { DEFAULT_RUBRIC } from '../risk/index.js';

export interface RerunRequest extends Pick<SubmitRequest, 'input' | 'profile' | 'maxCalls' | 'rubric' | 'plan'> {
  /** Of the list's bytes. */
  sha256: string;
}

/** Unended batches of the same list and questions, newest first. */
export function resumableBatches(batches: readonly BatchView[], request: RerunRequest): BatchView[] {
  const profile = resolveProfile(request.profile).name;
  const wanted = stableJson({ input: request.input, maxCalls: request.maxCalls ?? null, rubric: request.rubric ?? DEFAULT_RUBRIC, plan: request.plan ?? DEFAULT_PLAN });
  return batches
    .filter(
      (batch) =>
        !FINAL_STATUSES.has(batch.status) &&
        batch.resultPath === null &&
        batch.input.sha256 === request.sha256 &&
        batch.options.profile === profile &&
        stableJson({ input: batch.options.input, maxCalls: batch.options.maxCalls, rubric: batch.options.rubric ?? DEFAULT_RUBRIC, plan: planOf(batch.options) }) === wanted,
    )
    .sort((a, b) => (a.id < b.id ? 1 : -1));
}

/** JSON with object keys sorted, so two equal values give one text whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
