import { describe, expect, it } from 'vitest';
import { assessRisk, DEFAULT_RUBRIC, parseRubric, rubricToJson, type RiskInput, type Rubric } from '../../../src/risk/index.js';
import { SIGNAL_NAMES, SIGNAL_VALUES, type SignalName } from '../../../src/risk/signals.js';
import { decidedBy, decidingAnswers, firstStageSignal } from '../../../src/risk/staging.js';

/** The default rubric with its hard rules replaced. */
function withRules(rules: Rubric['hardRules']): Rubric {
  const json = rubricToJson(DEFAULT_RUBRIC);
  json.hard_rules = rules.map((rule) => ({ name: rule.name, signal: rule.signal, in: rule.in, level: rule.level }));
  return parseRubric(json, 'test');
}

describe('which answers decide the level (from the rubric\'s hard rules)', () => {
  it('the default rubric: a line not in service, a recycled number and one that left the network, each by its rule', () => {
    const deciding = decidingAnswers(DEFAULT_RUBRIC);
    const asMap = Object.fromEntries([...deciding].map(([signal, values]) => [signal, Object.fromEntries(values)]));
    for (const rule of DEFAULT_RUBRIC.hardRules.filter((r) => r.level === 'high')) {
      for (const value of rule.in) expect(asMap[rule.signal]?.[value], `${rule.signal}=${value}`).toBe(rule.name);
    }
    expect(decidedBy(deciding, 'line_status', 'normal')).toBeNull();
    expect(firstStageSignal(deciding, ['line_status', 'tenure', 'resale', 'call_minutes', 'number_kind'])).toBe('line_status');
  });

  it('a rule raising to medium decides nothing; without hard rules nothing is staged', () => {
    const medium = decidingAnswers(withRules([{ name: 'odd', signal: 'line_status', in: ['suspended'], level: 'medium' }]));
    expect(medium.size).toBe(0);
    expect(firstStageSignal(medium, ['line_status', 'tenure'])).toBeNull();
    expect(firstStageSignal(decidingAnswers(withRules([])), ['line_status', 'tenure'])).toBeNull();
  });

  it('a number not asked its line status is not staged', () => {
    expect(firstStageSignal(decidingAnswers(DEFAULT_RUBRIC), ['tenure', 'resale'])).toBeNull();
  });

  it('every deciding answer gives high whatever the other signals say or lack (checked against the scorer, every combination)', () => {
    const deciding = decidingAnswers(DEFAULT_RUBRIC);
    const others = (fixed: SignalName) => SIGNAL_NAMES.filter((signal) => signal !== fixed);
    let checked = 0;
    for (const [signal, values] of deciding) {
      for (const value of values.keys()) {
        // Each other signal: any of its values, or missing.
        const choices = others(signal).map((other) => [...SIGNAL_VALUES[other].map((v) => ({ value: v })), { missing: 'not_asked' as const, detail: 'not asked' }]);
        const walk = (at: number, input: Partial<Record<SignalName, unknown>>) => {
          if (at === choices.length) {
            const full = { ...input, [signal]: { value } } as RiskInput;
            expect(assessRisk(full, DEFAULT_RUBRIC).level, JSON.stringify(full)).toBe('high');
            checked++;
            return;
          }
          for (const choice of choices[at]!) walk(at + 1, { ...input, [others(signal)[at]!]: choice });
        };
        walk(0, {});
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
