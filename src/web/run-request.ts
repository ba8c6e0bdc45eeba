/**
 * The options an operator starts a batch (or asks a preview) with, as the page or a
 * script sends them (JSON values, or multipart fields, which are all strings), checked
 * in one place: each problem is a 422 naming the field.
 */
import { DEFAULT_PLAN, PLANS, planNamed, type Plan } from '../engine/batch.js';
import { PROFILES, ProfileError, resolveProfile } from '../engine/profiles.js';
import type { InputOptions } from '../input/index.js';
import type { Rubric } from '../risk/index.js';
import type { RubricChoice } from './rubric-catalogue.js';
import { WebError } from './web-error.js';

export const INPUT_FIELDS = ['column', 'dateColumn', 'since', 'sheet', 'header', 'delimiter', 'encoding'] as const;
export const RUN_FIELDS = [...INPUT_FIELDS, 'profile', 'maxCalls', 'rubric', 'plan', 'uploadId'] as const;

export interface RunRequest {
  input: InputOptions;
  profile: string;
  maxCalls: number | null;
  rubric: Rubric;
  plan: Plan;
}

function badOption(field: string, problem: string): WebError {
  return new WebError('RISKSCREEN_BAD_OPTION', `${field}: ${problem}`, { field });
}

/** Empty strings and nulls are "not given" (a form's empty field). */
function given(value: unknown): boolean {
  return value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');
}

export function inputOptionsOf(fields: Record<string, unknown>, maxFileBytes: number): InputOptions {
  const input: InputOptions = { maxFileBytes };
  for (const field of INPUT_FIELDS) {
    const value = fields[field];
    // A tab is a delimiter, not blank space.
    if (field === 'delimiter' && value === '\t') {
      input.delimiter = '\t';
      continue;
    }
    if (!given(value)) continue;
    if (typeof value !== 'string' && typeof value !== 'number') throw badOption(field, 'must be text or a number');
    const text = String(value).trim();
    if (text.length > 200) throw badOption(field, 'is too long');
    if (field === 'column' || field === 'dateColumn' || field === 'sheet') input[field] = /^\d+$/.test(text) ? Number(text) : text;
    else if (field === 'since') input.since = text.replace(/-/g, '');
    else input[field] = text;
  }
  return input;
}

export function profileOf(value: unknown): string {
  if (!given(value)) return resolveProfile(undefined).name;
  if (typeof value !== 'string') throw badOption('profile', `must be one of ${Object.keys(PROFILES).join(', ')}`);
  try {
    return resolveProfile(value).name;
  } catch (err) {
    if (err instanceof ProfileError) throw badOption('profile', err.message);
    throw err;
  }
}

/** `plan`: staged or all; the server's configured plan (engine.plan) when not given. */
export function planFieldOf(value: unknown, configured: Plan): Plan {
  if (!given(value)) return configured;
  const plan = typeof value === 'string' ? planNamed(value) : null;
  if (plan === null) throw badOption('plan', `must be ${PLANS.join(' or ')} (got ${JSON.stringify(value)})`);
  return plan;
}

export function runRequestOf(fields: Record<string, unknown>, rubrics: readonly RubricChoice[], maxFileBytes: number, configuredPlan: Plan = DEFAULT_PLAN): RunRequest {
  const unknown = Object.keys(fields).filter((field) => !(RUN_FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0) throw badOption(unknown[0]!, `unknown field; the fields are ${RUN_FIELDS.join(', ')}`);
  let maxCalls: number | null = null;
  if (given(fields.maxCalls)) {
    const text = typeof fields.maxCalls === 'string' || typeof fields.maxCalls === 'number' ? String(fields.maxCalls).trim() : '';
    if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) throw badOption('maxCalls', `must be a whole number of calls, at least 1 (got ${JSON.stringify(fields.maxCalls)})`);
    maxCalls = Number(text);
  }
  const rubricId = given(fields.rubric) ? String(fields.rubric) : 'default';
  const rubric = rubrics.find((choice) => choice.id === rubricId);
  if (!rubric) throw badOption('rubric', `no rubric "${rubricId}" on this server; it offers ${rubrics.map((choice) => choice.id).join(', ')}`);
  return { input: inputOptionsOf(fields, maxFileBytes), profile: profileOf(fields.profile), maxCalls, rubric: rubric.rubric, plan: planFieldOf(fields.plan, configuredPlan) };
}
