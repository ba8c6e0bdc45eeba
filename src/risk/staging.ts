/**
 * Which answers decide a number's level by themselves, derived from a rubric's hard
 * rules (groundwork of staged screening, issue 17; nothing calls it yet). A rule that
 * raises the level to high, the top level, fixes it: rules never lower a level, and the
 * points cannot go above high, so no later answer can change it. A rule raising to
 * medium decides nothing (the points may still make it high). Pure.
 */
import type { RiskLevel, Rubric } from './rubric.js';
import { SIGNAL_NAMES, type SignalName } from './signals.js';

/** The top level: a rule that sets it leaves nothing for other answers to change. */
const TOP: RiskLevel = 'high';

/** For each signal, the values whose answer alone fixes the level, each with the rule that does it. */
export type DecidingAnswers = ReadonlyMap<SignalName, ReadonlyMap<string, string>>;

export function decidingAnswers(rubric: Rubric): DecidingAnswers {
  const found = new Map<SignalName, Map<string, string>>();
  for (const rule of rubric.hardRules) {
    if (rule.level !== TOP) continue;
    const values = found.get(rule.signal) ?? new Map<string, string>();
    // The first rule naming a value is the one the reasons name.
    for (const value of rule.in) if (!values.has(value)) values.set(value, rule.name);
    found.set(rule.signal, values);
  }
  return new Map(SIGNAL_NAMES.filter((signal) => found.has(signal)).map((signal) => [signal, found.get(signal)!]));
}

/**
 * The signal a staged plan asks first: line status, the answer that most often decides
 * (a line not in service), when the rubric lets some of its values decide and the number
 * is asked it. Null: nothing to stage on, so everything is asked at once.
 */
export function firstStageSignal(deciding: DecidingAnswers, asked: readonly SignalName[]): SignalName | null {
  return asked.includes('line_status') && (deciding.get('line_status')?.size ?? 0) > 0 ? 'line_status' : null;
}

/** The rule that an answer fires and that fixes the level, or null when the level stays open. */
export function decidedBy(deciding: DecidingAnswers, signal: SignalName, value: string): string | null {
  return deciding.get(signal)?.get(value) ?? null;
}
