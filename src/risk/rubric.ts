/**
 * A risk rubric: how many points each signal value adds, what a missing signal adds,
 * how much each signal counts towards confidence, the score thresholds of the levels,
 * and hard rules that set a level whatever the points say. Rubrics are JSON files
 * (`rubrics/default.json` is the shipped default); `parseRubric` is the one place they
 * are checked, and every message names the file and the key.
 */
import { SIGNAL_NAMES, SIGNAL_VALUES, type SignalName } from './signals.js';

export const RUBRIC_FORMAT = 'riskscreen-rubric/1';
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export interface SignalRubric {
  /** Share of the confidence this signal carries when present (any non-negative number; shares are normalized). */
  weight: number;
  /** Points added when the signal is missing (not applicable, no record, failed, not asked). */
  missing: number;
  /** Points per value; every value of the signal must be listed. */
  points: Record<string, number>;
}

export interface HardRule {
  /** Short name shown in reasons: "rule line_not_in_service: high". */
  name: string;
  signal: SignalName;
  /** The rule fires when the signal has one of these values. */
  in: string[];
  /** The level set when it fires (medium or high; a rule never lowers a level). */
  level: Exclude<RiskLevel, 'low'>;
}

export interface Rubric {
  format: typeof RUBRIC_FORMAT;
  name: string;
  /** Lowest score of each level above low: `medium <= score < high` is medium. */
  levels: { medium: number; high: number };
  /** Below this confidence a row is never low: too little is known to call it good. */
  minConfidenceForLow: number;
  signals: Record<SignalName, SignalRubric>;
  hardRules: HardRule[];
}

export class RubricError extends Error {
  readonly code = 'RISKSCREEN_RUBRIC';
  readonly kind = 'config';
  constructor(
    readonly source: string,
    readonly key: string,
    problem: string,
  ) {
    super(`rubric ${source}: ${key ? `${key}: ` : ''}${problem}`);
    this.name = 'RubricError';
  }
}

/**
 * Checks a rubric as read from JSON (snake_case keys, `_`-prefixed keys are comments)
 * and returns it typed. `source` names the file in messages.
 */
export function parseRubric(json: unknown, source: string): Rubric {
  const fail = (key: string, problem: string): never => {
    throw new RubricError(source, key, problem);
  };
  const top = object(json, '', fail);
  allowOnly(top, ['format', 'name', 'levels', 'min_confidence_for_low', 'signals', 'hard_rules'], '', fail);
  if (top.format !== RUBRIC_FORMAT) fail('format', `must be "${RUBRIC_FORMAT}" (got ${JSON.stringify(top.format)})`);
  const name = top.name;
  if (typeof name !== 'string' || !/^[\w.-]{1,64}$/.test(name)) fail('name', 'must be 1-64 letters, digits, "_", "-" or "."');

  const levels = object(top.levels, 'levels', fail);
  allowOnly(levels, ['medium', 'high'], 'levels', fail);
  const medium = integer(levels.medium, 'levels.medium', 1, 100, fail);
  const high = integer(levels.high, 'levels.high', 1, 100, fail);
  if (high <= medium) fail('levels.high', `must be above levels.medium (${medium})`);

  const minConfidence = top.min_confidence_for_low;
  if (typeof minConfidence !== 'number' || !(minConfidence >= 0 && minConfidence <= 1)) {
    fail('min_confidence_for_low', `must be a number from 0 to 1 (got ${JSON.stringify(minConfidence)})`);
  }

  const signalsJson = object(top.signals, 'signals', fail);
  allowOnly(signalsJson, SIGNAL_NAMES, 'signals', fail);
  const signals = {} as Record<SignalName, SignalRubric>;
  for (const signal of SIGNAL_NAMES) {
    const at = `signals.${signal}`;
    const entry = object(signalsJson[signal], at, fail);
    allowOnly(entry, ['weight', 'missing', 'points'], at, fail);
    const weight = entry.weight;
    if (typeof weight !== 'number' || !(weight >= 0 && weight <= 1000)) fail(`${at}.weight`, `must be a number from 0 to 1000 (got ${JSON.stringify(weight)})`);
    const missing = integer(entry.missing, `${at}.missing`, -100, 100, fail);
    const pointsJson = object(entry.points, `${at}.points`, fail);
    const values = SIGNAL_VALUES[signal];
    allowOnly(pointsJson, values, `${at}.points`, fail);
    const points: Record<string, number> = {};
    for (const value of values) {
      if (!(value in pointsJson)) fail(`${at}.points`, `no points for ${JSON.stringify(value)} (every value needs them: ${values.join(', ')})`);
      points[value] = integer(pointsJson[value], `${at}.points.${value}`, -100, 100, fail);
    }
    signals[signal] = { weight: weight as number, missing, points };
  }
  if (SIGNAL_NAMES.every((signal) => signals[signal].weight === 0)) fail('signals', 'at least one signal needs a weight above 0');

  if (!Array.isArray(top.hard_rules)) fail('hard_rules', 'must be a list (it may be empty)');
  const hardRules = (top.hard_rules as unknown[]).map((ruleJson, i): HardRule => {
    const at = `hard_rules[${i}]`;
    const rule = object(ruleJson, at, fail);
    allowOnly(rule, ['name', 'signal', 'in', 'level'], at, fail);
    if (typeof rule.name !== 'string' || !/^[\w.-]{1,64}$/.test(rule.name)) fail(`${at}.name`, 'must be 1-64 letters, digits, "_", "-" or "."');
    if (!(SIGNAL_NAMES as readonly unknown[]).includes(rule.signal)) fail(`${at}.signal`, `must be one of ${SIGNAL_NAMES.join(', ')} (got ${JSON.stringify(rule.signal)})`);
    const signal = rule.signal as SignalName;
    if (!Array.isArray(rule.in) || rule.in.length === 0) fail(`${at}.in`, 'must be a non-empty list of values');
    for (const value of rule.in as unknown[]) {
      if (!SIGNAL_VALUES[signal].includes(value as string)) {
        fail(`${at}.in`, `${JSON.stringify(value)} is not a value of ${signal} (${SIGNAL_VALUES[signal].join(', ')})`);
      }
    }
    if (rule.level !== 'medium' && rule.level !== 'high') fail(`${at}.level`, `must be "medium" or "high" (got ${JSON.stringify(rule.level)})`);
    return { name: rule.name as string, signal, in: [...(rule.in as string[])], level: rule.level as HardRule['level'] };
  });

  return {
    format: RUBRIC_FORMAT,
    name: name as string,
    levels: { medium, high },
    minConfidenceForLow: minConfidence as number,
    signals,
    hardRules,
  };
}

/** The JSON form of a rubric (what `parseRubric` reads back). */
export function rubricToJson(rubric: Rubric, comments: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...comments,
    format: rubric.format,
    name: rubric.name,
    levels: rubric.levels,
    min_confidence_for_low: rubric.minConfidenceForLow,
    signals: rubric.signals,
    hard_rules: rubric.hardRules,
  };
}

type Fail = (key: string, problem: string) => never;

function object(value: unknown, key: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(key, `must be a JSON object (got ${JSON.stringify(value) ?? 'nothing'})`);
  return value as Record<string, unknown>;
}

/** Unknown keys are refused (a typo would otherwise be silently ignored); `_`-keys are comments. */
function allowOnly(value: Record<string, unknown>, allowed: readonly string[], key: string, fail: Fail): void {
  for (const name of Object.keys(value)) {
    if (!name.startsWith('_') && !allowed.includes(name)) {
      fail(key ? `${key}.${name}` : name, `unknown key; expected ${allowed.join(', ')}`);
    }
  }
}

function integer(value: unknown, key: string, min: number, max: number, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(key, `must be a whole number from ${min} to ${max} (got ${JSON.stringify(value) ?? 'nothing'})`);
  }
  return value as number;
}
