/**
 * The risk score of one number: pure, from what the APIs said (or why they said
 * nothing) and a rubric. Same input, same rubric, same answer, on any machine.
 *
 * 1. Each present signal adds its value's points; each missing one adds the rubric's
 *    `missing` points and is named in the reasons, so a gap never passes for good news.
 *    A signal not asked because the level was already decided (staged plan) adds
 *    nothing and counts as present for the confidence: it is named in the reasons too.
 * 2. score = the sum, clamped to 0-100; the level follows from the thresholds.
 * 3. Hard rules whose signal has one of their values raise the level.
 * 4. Below `min_confidence_for_low` a row is not low.
 * 5. When 3 or 4 raised the level, the score is raised to that level's lowest score,
 *    so level and score never disagree (sorting by score keeps the levels together).
 */
import { RISK_LEVELS, type RiskLevel, type Rubric } from './rubric.js';
import { SIGNAL_NAMES, SIGNAL_TITLES, describeValue, type SignalName, type SignalValues } from './signals.js';

/** Why a signal is missing. */
export type MissingWhy =
  /** The API cannot answer for this number (another carrier, no date given). */
  | 'not_applicable'
  /** The batch's profile does not ask this API. */
  | 'not_in_profile'
  /** Asked; the service has no record of the number. */
  | 'no_record'
  /** Asked and given up (an error not worth retrying, or retries used up). */
  | 'failed'
  /** Never asked: quota used up, --max-calls, the batch cancelled or blocked. */
  | 'not_asked'
  /**
   * Not asked under the staged plan because another answer already fixed the level (a
   * hard rule to the top level, src/risk/staging.ts). Not a gap: it adds no points and
   * counts as known for the confidence, since no answer could have changed the level.
   */
  | 'decided';

export interface MissingSignal {
  missing: MissingWhy;
  /** Plain words for the reasons: "not China Telecom", "failed after retries (224805)". */
  detail: string;
}

export type Observation<V> = { value: V } | MissingSignal;

export type RiskInput = { [S in SignalName]: Observation<SignalValues[S]> };

export interface RiskAssessment {
  /** 0-100. */
  score: number;
  level: RiskLevel;
  /** 0-1, two decimals: the share of the rubric's signal weight that was present (or not asked because the level was decided). */
  confidence: number;
  /** Plain words, in signal order, then rules: "tenure <= 3 months (+30)". */
  reasons: string[];
}

export function assessRisk(input: RiskInput, rubric: Rubric): RiskAssessment {
  const reasons: string[] = [];
  let points = 0;
  let present = 0;
  let total = 0;
  for (const signal of SIGNAL_NAMES) {
    const spec = rubric.signals[signal];
    const observed = input[signal] as Observation<string>;
    total += spec.weight;
    if ('value' in observed) {
      present += spec.weight;
      const add = Object.hasOwn(spec.points, observed.value) ? spec.points[observed.value]! : 0;
      points += add;
      if (add !== 0) reasons.push(`${describeValue(signal, observed.value)} (${signed(add)})`);
    } else if (observed.missing === 'decided') {
      present += spec.weight;
      reasons.push(`${SIGNAL_TITLES[signal]} not asked: ${observed.detail}`);
    } else {
      points += spec.missing;
      reasons.push(`${SIGNAL_TITLES[signal]} missing: ${observed.detail}${spec.missing !== 0 ? ` (${signed(spec.missing)})` : ''}`);
    }
  }
  let score = Math.max(0, Math.min(100, points));
  let level = levelOf(score, rubric);
  const share = present / total;
  // Shown with two decimals; compared unrounded, so 0.597 is below a minimum of 0.6.
  const confidence = Math.round(share * 100) / 100;

  for (const rule of rubric.hardRules) {
    const observed = input[rule.signal] as Observation<string>;
    if (!('value' in observed) || !rule.in.includes(observed.value)) continue;
    const raised = rank(rule.level) > rank(level);
    if (raised) level = rule.level;
    reasons.push(`rule ${rule.name}: ${rule.level}`);
  }
  if (level === 'low' && share < rubric.minConfidenceForLow) {
    level = 'medium';
    reasons.push(`confidence ${share.toFixed(3).replace(/0$/, '')} below ${rubric.minConfidenceForLow}: not low`);
  }
  const floor = floorOf(level, rubric);
  if (score < floor) {
    reasons.push(`score raised from ${score} to ${floor} to match the level`);
    score = floor;
  }
  return { score, level, confidence, reasons };
}

export function levelOf(score: number, rubric: Rubric): RiskLevel {
  return score >= rubric.levels.high ? 'high' : score >= rubric.levels.medium ? 'medium' : 'low';
}

/** The lowest score of a level. */
export function floorOf(level: RiskLevel, rubric: Rubric): number {
  return level === 'high' ? rubric.levels.high : level === 'medium' ? rubric.levels.medium : 0;
}

export function rank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

/** The `risk_reasons` cell: reasons joined with "; ", or "no risk signal". */
export function reasonsText(reasons: readonly string[]): string {
  return reasons.length > 0 ? reasons.join('; ') : 'no risk signal';
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}
