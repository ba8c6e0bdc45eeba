import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RUBRIC,
  DEFAULT_RUBRIC_JSON,
  SIGNAL_NAMES,
  SIGNAL_VALUES,
  assessRisk,
  floorOf,
  levelOf,
  parseRubric,
  rank,
  reasonsText,
  type MissingWhy,
  type RiskAssessment,
  type RiskInput,
  type RiskLevel,
  type Rubric,
  type SignalName,
} from '../../../src/risk/index.js';

/** Every signal present with a value worth 0 points in the default rubric. */
function neutral(): RiskInput {
  return {
    line_status: { value: 'normal' },
    tenure: { value: '24+' },
    resale: { value: 'not_recycled' },
    call_minutes: { value: '(20,35]' },
    number_kind: { value: 'mobile' },
  };
}

/** The neutral input with some signals replaced. */
function input(overrides: Partial<RiskInput> = {}): RiskInput {
  return { ...neutral(), ...overrides };
}

/** The neutral input with one signal set to a value (any value of the signal). */
function withValue(signal: SignalName, value: string): RiskInput {
  return { ...neutral(), [signal]: { value } } as RiskInput;
}

const missing = (why: MissingWhy, detail: string) => ({ missing: why, detail });

/** A mutable deep copy of the default rubric's JSON, to edit and parse. */
type Json = any;
function defaultJson(): Json {
  return structuredClone(DEFAULT_RUBRIC_JSON) as Json;
}

/** A rubric like the default with every point and every missing value set to 0 (then edited). */
function zeroJson(): Json {
  const json = defaultJson();
  for (const signal of SIGNAL_NAMES) {
    json.signals[signal].missing = 0;
    for (const value of Object.keys(json.signals[signal].points)) {
      if (!value.startsWith('_')) json.signals[signal].points[value] = 0;
    }
  }
  return json;
}

function custom(edit: (json: Json) => void, base: () => Json = defaultJson): Rubric {
  const json = base();
  edit(json);
  return parseRubric(json, 'test');
}

// ---- one signal at a time --------------------------------------------------------------

interface Case {
  value: string;
  score: number;
  level: RiskLevel;
  reasons: string[];
}

/**
 * Every value of every signal, with every other signal neutral, scored with the default
 * rubric. The numbers are written out here on purpose: a change to the rubric's numbers
 * must fail these tests.
 */
const CASES: Record<SignalName, Case[]> = {
  line_status: [
    { value: 'normal', score: 0, level: 'low', reasons: [] },
    { value: 'suspended', score: 30, level: 'medium', reasons: ['line suspended (+30)'] },
    { value: 'unavailable', score: 30, level: 'medium', reasons: ['line on the network but unavailable (+30)'] },
    {
      value: 'inactive',
      score: 60,
      level: 'high',
      reasons: ['line not in service (cancelled or never activated) (+60)', 'rule line_not_in_service: high'],
    },
    {
      value: 'pre_cancel',
      score: 60,
      level: 'high',
      reasons: ['line being cancelled (+50)', 'rule line_not_in_service: high', 'score raised from 50 to 60 to match the level'],
    },
  ],
  tenure: [
    { value: '0-3', score: 30, level: 'medium', reasons: ['tenure <= 3 months (+30)'] },
    { value: '3-6', score: 20, level: 'low', reasons: ['tenure 3-6 months (+20)'] },
    { value: '6-12', score: 10, level: 'low', reasons: ['tenure 6-12 months (+10)'] },
    { value: '12-24', score: 5, level: 'low', reasons: ['tenure 12-24 months (+5)'] },
    { value: '24+', score: 0, level: 'low', reasons: [] },
    { value: 'left_network', score: 60, level: 'high', reasons: ['number has left the network (+60)', 'rule left_network: high'] },
  ],
  resale: [
    {
      value: 'recycled',
      score: 60,
      level: 'high',
      reasons: ['recycled to a new subscriber after the date (+60)', 'rule recycled_after_date: high'],
    },
    { value: 'not_recycled', score: 0, level: 'low', reasons: [] },
    { value: 'no_activation_date', score: 10, level: 'low', reasons: ['no activation date known for the number (+10)'] },
  ],
  call_minutes: [
    { value: '0', score: 20, level: 'low', reasons: ['call minutes <= 1 (silent line) (+20)'] },
    { value: '(0,1]', score: 20, level: 'low', reasons: ['call minutes <= 1 (silent line) (+20)'] },
    { value: '(5,10]', score: 10, level: 'low', reasons: ['call minutes (5,10] (+10)'] },
    { value: '(10,20]', score: 5, level: 'low', reasons: ['call minutes (10,20] (+5)'] },
    { value: '(20,35]', score: 0, level: 'low', reasons: [] },
    { value: '(35,55]', score: 0, level: 'low', reasons: [] },
    { value: '(55,80]', score: 0, level: 'low', reasons: [] },
    { value: '(80,115]', score: 0, level: 'low', reasons: [] },
    { value: '(115,160]', score: 0, level: 'low', reasons: [] },
    { value: '(160,230]', score: 0, level: 'low', reasons: [] },
    { value: '(230,360]', score: 0, level: 'low', reasons: [] },
    { value: '360+', score: 0, level: 'low', reasons: [] },
  ],
  number_kind: [
    { value: 'mobile', score: 0, level: 'low', reasons: [] },
    { value: 'mvno', score: 10, level: 'low', reasons: ['MVNO number (+10)'] },
    { value: 'iot', score: 25, level: 'low', reasons: ['IoT number (+25)'] },
    { value: 'satellite', score: 15, level: 'low', reasons: ['satellite number (+15)'] },
  ],
};

describe('assessRisk: each value of each signal alone (default rubric)', () => {
  it('the neutral input scores 0, low, full confidence, no reasons', () => {
    expect(assessRisk(neutral(), DEFAULT_RUBRIC)).toEqual({ score: 0, level: 'low', confidence: 1, reasons: [] });
  });

  it('the tables below cover every value of every signal, in order', () => {
    expect(Object.keys(CASES)).toEqual([...SIGNAL_NAMES]);
    for (const signal of SIGNAL_NAMES) {
      expect(CASES[signal].map((c) => c.value), signal).toEqual([...SIGNAL_VALUES[signal]]);
    }
    expect(CASES.call_minutes).toHaveLength(12);
  });

  describe.each(SIGNAL_NAMES)('%s', (signal) => {
    it.each(CASES[signal])('$value -> $score, $level', ({ value, score, level, reasons }) => {
      const expected: RiskAssessment = { score, level, confidence: 1, reasons };
      expect(assessRisk(withValue(signal, value), DEFAULT_RUBRIC)).toEqual(expected);
    });
  });
});

// ---- hard rules ------------------------------------------------------------------------

describe('assessRisk: hard rules', () => {
  /** The default rubric's rules, but every point 0: the points alone always say low. */
  const noPoints = custom(() => {}, zeroJson);

  it('the no-points rubric keeps the default hard rules', () => {
    expect(noPoints.hardRules).toEqual(DEFAULT_RUBRIC.hardRules);
    expect(assessRisk(neutral(), noPoints)).toEqual({ score: 0, level: 'low', confidence: 1, reasons: [] });
  });

  it.each([
    { name: 'line_not_in_service', signal: 'line_status', value: 'inactive' },
    { name: 'line_not_in_service', signal: 'line_status', value: 'pre_cancel' },
    { name: 'recycled_after_date', signal: 'resale', value: 'recycled' },
    { name: 'left_network', signal: 'tenure', value: 'left_network' },
  ] as const)('$name fires on $signal=$value and sets high regardless of points', ({ name, signal, value }) => {
    expect(assessRisk(withValue(signal, value), noPoints)).toEqual({
      score: 60,
      level: 'high',
      confidence: 1,
      reasons: [`rule ${name}: high`, 'score raised from 0 to 60 to match the level'],
    });
  });

  it('a rule raises a medium score to the high floor', () => {
    const r = custom((j) => {
      j.signals.line_status.points.pre_cancel = 45;
    });
    expect(assessRisk(withValue('line_status', 'pre_cancel'), r)).toEqual({
      score: 60,
      level: 'high',
      confidence: 1,
      reasons: ['line being cancelled (+45)', 'rule line_not_in_service: high', 'score raised from 45 to 60 to match the level'],
    });
  });

  it('a rule raises to the custom level floor', () => {
    const r = custom((j) => {
      j.levels.medium = 20;
      j.levels.high = 80;
    }, zeroJson);
    expect(assessRisk(withValue('resale', 'recycled'), r)).toEqual({
      score: 80,
      level: 'high',
      confidence: 1,
      reasons: ['rule recycled_after_date: high', 'score raised from 0 to 80 to match the level'],
    });
  });

  it('no rule fires on values outside its list, nor on a missing signal', () => {
    for (const value of ['normal', 'suspended', 'unavailable'] as const) {
      const out = assessRisk(input({ line_status: { value } }), noPoints);
      expect(out.reasons.filter((r) => r.startsWith('rule '))).toEqual([]);
    }
    const out = assessRisk(input({ resale: missing('not_in_profile', 'not in the profile') }), noPoints);
    expect(out).toEqual({ score: 0, level: 'low', confidence: 0.85, reasons: ['resale check missing: not in the profile'] });
  });

  it('several rules fire in the rubric order; the score is raised once', () => {
    const out = assessRisk(input({ line_status: { value: 'inactive' }, tenure: { value: 'left_network' }, resale: { value: 'recycled' } }), noPoints);
    expect(out).toEqual({
      score: 60,
      level: 'high',
      confidence: 1,
      reasons: ['rule line_not_in_service: high', 'rule recycled_after_date: high', 'rule left_network: high', 'score raised from 0 to 60 to match the level'],
    });
  });

  it('a rule never lowers a level: a medium rule on a high row leaves it high, score untouched', () => {
    const r = custom((j) => {
      j.hard_rules.push({ name: 'iot_medium', signal: 'number_kind', in: ['iot'], level: 'medium' });
    });
    // 30 (suspended) + 30 (0-3) + 25 (iot) = 85: high on points.
    const out = assessRisk(input({ line_status: { value: 'suspended' }, tenure: { value: '0-3' }, number_kind: { value: 'iot' } }), r);
    expect(out).toEqual({
      score: 85,
      level: 'high',
      confidence: 1,
      reasons: ['line suspended (+30)', 'tenure <= 3 months (+30)', 'IoT number (+25)', 'rule iot_medium: medium'],
    });
  });

  it('a medium rule raises low to medium (score to the medium floor) and leaves medium alone', () => {
    const r = custom((j) => {
      j.hard_rules.push({ name: 'iot_medium', signal: 'number_kind', in: ['iot'], level: 'medium' });
    });
    expect(assessRisk(withValue('number_kind', 'iot'), r)).toEqual({
      score: 30,
      level: 'medium',
      confidence: 1,
      reasons: ['IoT number (+25)', 'rule iot_medium: medium', 'score raised from 25 to 30 to match the level'],
    });
    expect(assessRisk(input({ number_kind: { value: 'iot' }, tenure: { value: '6-12' } }), r)).toEqual({
      score: 35,
      level: 'medium',
      confidence: 1,
      reasons: ['tenure 6-12 months (+10)', 'IoT number (+25)', 'rule iot_medium: medium'],
    });
  });

  it('a high row stays high with its own score when a high rule fires (no raise reason)', () => {
    // 60 + 30 + 20 = 110 -> 100.
    const out = assessRisk(input({ line_status: { value: 'inactive' }, tenure: { value: '0-3' }, call_minutes: { value: '0' } }), DEFAULT_RUBRIC);
    expect(out.score).toBe(100);
    expect(out.level).toBe('high');
    expect(out.reasons).toContain('rule line_not_in_service: high');
    expect(out.reasons.some((r) => r.startsWith('score raised'))).toBe(false);
  });

  it('a rubric without hard rules scores on points alone', () => {
    const r = custom((j) => {
      j.hard_rules = [];
    });
    expect(assessRisk(withValue('line_status', 'pre_cancel'), r)).toEqual({
      score: 50,
      level: 'medium',
      confidence: 1,
      reasons: ['line being cancelled (+50)'],
    });
  });
});

// ---- missing signals --------------------------------------------------------------------

describe('assessRisk: missing signals', () => {
  const DETAILS: Record<Exclude<MissingWhy, 'decided'>, string> = {
    not_applicable: 'not China Telecom',
    not_in_profile: 'not in the profile',
    no_record: 'no record of the number',
    failed: 'failed after retries (224805)',
    not_asked: 'not asked (quota used up)',
  };
  const WHYS = Object.keys(DETAILS) as Array<keyof typeof DETAILS>;

  /** Per signal missing alone (default rubric): its title, missing points, and the score / confidence that follow. */
  const MISSING: Record<SignalName, { title: string; points: number; confidence: number }> = {
    line_status: { title: 'line status', points: 15, confidence: 0.65 },
    tenure: { title: 'tenure', points: 10, confidence: 0.7 },
    resale: { title: 'resale check', points: 0, confidence: 0.85 },
    call_minutes: { title: 'call minutes', points: 0, confidence: 0.85 },
    number_kind: { title: 'number kind', points: 0, confidence: 0.95 },
  };

  const cases = SIGNAL_NAMES.flatMap((signal) => WHYS.map((why) => ({ signal, why, ...MISSING[signal] })));

  it.each(cases)('$signal missing ($why) is named with its detail', ({ signal, why, title, points, confidence }) => {
    const detail = DETAILS[why];
    const out = assessRisk(input({ [signal]: missing(why, detail) }), DEFAULT_RUBRIC);
    const reason = points !== 0 ? `${title} missing: ${detail} (+${points})` : `${title} missing: ${detail}`;
    expect(out).toEqual({ score: points, level: 'low', confidence, reasons: [reason] });
  });

  it('a signal not asked because the level was decided adds nothing and counts as known (staged plan)', () => {
    const decided = missing('decided', 'the level was decided by line status (inactive)');
    const out = assessRisk(
      input({ line_status: { value: 'inactive' }, tenure: decided, resale: decided, call_minutes: decided, number_kind: { value: 'mobile' } }),
      DEFAULT_RUBRIC,
    );
    expect(out).toEqual({
      score: 60,
      level: 'high',
      confidence: 1,
      reasons: [
        'line not in service (cancelled or never activated) (+60)',
        'tenure not asked: the level was decided by line status (inactive)',
        'resale check not asked: the level was decided by line status (inactive)',
        'call minutes not asked: the level was decided by line status (inactive)',
        'rule line_not_in_service: high',
      ],
    });
  });

  it('negative missing points are shown with their sign', () => {
    const r = custom((j) => {
      j.signals.tenure.missing = -5;
      j.signals.line_status.points.suspended = 40;
    });
    expect(assessRisk(input({ line_status: { value: 'suspended' }, tenure: missing('failed', 'failed') }), r)).toEqual({
      score: 35,
      level: 'medium',
      confidence: 0.7,
      reasons: ['line suspended (+40)', 'tenure missing: failed (-5)'],
    });
  });

  it('missing never counts as good: only number_kind=mobile present is medium, not low', () => {
    const out = assessRisk(
      {
        line_status: missing('not_asked', 'not asked'),
        tenure: missing('failed', 'failed'),
        resale: missing('not_in_profile', 'not in profile'),
        call_minutes: missing('not_applicable', 'not China Telecom'),
        number_kind: { value: 'mobile' },
      },
      DEFAULT_RUBRIC,
    );
    expect(out).toEqual({
      score: 30,
      level: 'medium',
      confidence: 0.05,
      reasons: [
        'line status missing: not asked (+15)',
        'tenure missing: failed (+10)',
        'resale check missing: not in profile',
        'call minutes missing: not China Telecom',
        'confidence 0.05 below 0.6: not low',
        'score raised from 25 to 30 to match the level',
      ],
    });
  });

  it('missing without points and low confidence still lifts to medium, from 0', () => {
    const r = custom(() => {}, zeroJson);
    const out = assessRisk(input({ line_status: missing('no_record', 'no record'), tenure: missing('no_record', 'no record') }), r);
    expect(out).toEqual({
      score: 30,
      level: 'medium',
      confidence: 0.35,
      reasons: ['line status missing: no record', 'tenure missing: no record', 'confidence 0.35 below 0.6: not low', 'score raised from 0 to 30 to match the level'],
    });
  });

  it.each([
    { label: 'all present', gone: [] as SignalName[], confidence: 1 },
    { label: 'call minutes missing', gone: ['call_minutes'] as SignalName[], confidence: 0.85 },
    { label: 'call minutes + resale missing', gone: ['call_minutes', 'resale'] as SignalName[], confidence: 0.7 },
    { label: 'tenure missing', gone: ['tenure'] as SignalName[], confidence: 0.7 },
    { label: 'line status + number kind missing', gone: ['line_status', 'number_kind'] as SignalName[], confidence: 0.6 },
    { label: 'tenure + resale missing', gone: ['tenure', 'resale'] as SignalName[], confidence: 0.55 },
    { label: 'line status + tenure missing', gone: ['line_status', 'tenure'] as SignalName[], confidence: 0.35 },
    { label: 'all but number kind missing', gone: ['line_status', 'tenure', 'resale', 'call_minutes'] as SignalName[], confidence: 0.05 },
    { label: 'all missing', gone: [...SIGNAL_NAMES], confidence: 0 },
  ])('confidence: $label -> $confidence', ({ gone, confidence }) => {
    const overrides = Object.fromEntries(gone.map((s) => [s, missing('failed', 'x')])) as Partial<RiskInput>;
    expect(assessRisk(input(overrides), DEFAULT_RUBRIC).confidence).toBe(confidence);
  });

  it('confidence exactly at the minimum may be low', () => {
    // line status (35) + number kind (5) missing: 0.60, 15 points.
    expect(assessRisk(input({ line_status: missing('failed', 'x'), number_kind: missing('failed', 'y') }), DEFAULT_RUBRIC)).toEqual({
      score: 15,
      level: 'low',
      confidence: 0.6,
      reasons: ['line status missing: x (+15)', 'number kind missing: y'],
    });
  });

  it('confidence just below the minimum is medium, with the reason and the raise', () => {
    expect(assessRisk(input({ tenure: missing('failed', 'x'), resale: missing('not_applicable', 'no date given') }), DEFAULT_RUBRIC)).toEqual({
      score: 30,
      level: 'medium',
      confidence: 0.55,
      reasons: ['tenure missing: x (+10)', 'resale check missing: no date given', 'confidence 0.55 below 0.6: not low', 'score raised from 10 to 30 to match the level'],
    });
  });

  it('low confidence does not touch a row that is already medium or high', () => {
    // confidence 0.40, 30 + 10 = 40 points: medium on its own.
    const medium = assessRisk(
      {
        line_status: { value: 'suspended' },
        tenure: missing('failed', 'x'),
        resale: missing('failed', 'x'),
        call_minutes: missing('failed', 'x'),
        number_kind: { value: 'mobile' },
      },
      DEFAULT_RUBRIC,
    );
    expect(medium).toEqual({
      score: 40,
      level: 'medium',
      confidence: 0.4,
      reasons: ['line suspended (+30)', 'tenure missing: x (+10)', 'resale check missing: x', 'call minutes missing: x'],
    });
    const high = assessRisk(input({ line_status: missing('failed', 'x'), tenure: { value: 'left_network' }, resale: missing('failed', 'x') }), DEFAULT_RUBRIC);
    expect(high).toEqual({
      score: 75,
      level: 'high',
      confidence: 0.5,
      reasons: ['line status missing: x (+15)', 'number has left the network (+60)', 'resale check missing: x', 'rule left_network: high'],
    });
  });

  it('min_confidence_for_low 0 lets an all-missing row be low', () => {
    const r = custom((j) => {
      j.min_confidence_for_low = 0;
    }, zeroJson);
    const all = Object.fromEntries(SIGNAL_NAMES.map((s) => [s, missing('not_asked', 'cancelled')])) as RiskInput;
    const out = assessRisk(all, r);
    expect(out.level).toBe('low');
    expect(out.score).toBe(0);
    expect(out.confidence).toBe(0);
  });

  it('a signal with weight 0 does not count towards confidence, present or missing', () => {
    const r = custom((j) => {
      j.signals.number_kind.weight = 0;
    });
    expect(assessRisk(neutral(), r).confidence).toBe(1);
    expect(assessRisk(input({ number_kind: missing('failed', 'x') }), r).confidence).toBe(1);
    // 15 of 95 missing: 80/95 = 0.842... -> 0.84
    expect(assessRisk(input({ resale: missing('failed', 'x') }), r).confidence).toBe(0.84);
  });
});

// ---- clamping and helpers --------------------------------------------------------------

describe('assessRisk: score clamps to 0..100', () => {
  it('many high-point signals sum over 100 -> 100', () => {
    const out = assessRisk(
      {
        line_status: { value: 'inactive' },
        tenure: { value: 'left_network' },
        resale: { value: 'recycled' },
        call_minutes: { value: '0' },
        number_kind: { value: 'iot' },
      },
      DEFAULT_RUBRIC,
    );
    // 60 + 60 + 60 + 20 + 25 = 225
    expect(out).toEqual({
      score: 100,
      level: 'high',
      confidence: 1,
      reasons: [
        'line not in service (cancelled or never activated) (+60)',
        'number has left the network (+60)',
        'recycled to a new subscriber after the date (+60)',
        'call minutes <= 1 (silent line) (+20)',
        'IoT number (+25)',
        'rule line_not_in_service: high',
        'rule recycled_after_date: high',
        'rule left_network: high',
      ],
    });
  });

  it('over 100 without any rule -> 100, high', () => {
    // 30 + 30 + 10 + 20 + 25 = 115
    const out = assessRisk(
      { line_status: { value: 'suspended' }, tenure: { value: '0-3' }, resale: { value: 'no_activation_date' }, call_minutes: { value: '(0,1]' }, number_kind: { value: 'iot' } },
      DEFAULT_RUBRIC,
    );
    expect(out.score).toBe(100);
    expect(out.level).toBe('high');
    expect(out.reasons).toHaveLength(5);
  });

  it('negative points sum below 0 -> 0', () => {
    const r = custom((j) => {
      j.signals.line_status.points.normal = -50;
      j.signals.tenure.points['24+'] = -30;
    });
    expect(assessRisk(neutral(), r)).toEqual({
      score: 0,
      level: 'low',
      confidence: 1,
      reasons: ['line in normal use (-50)', 'tenure over 24 months (-30)'],
    });
  });

  it('negative points clamp to 0 before a rule raises the score', () => {
    const r = custom((j) => {
      j.signals.line_status.points.inactive = -100;
    });
    expect(assessRisk(withValue('line_status', 'inactive'), r)).toEqual({
      score: 60,
      level: 'high',
      confidence: 1,
      reasons: ['line not in service (cancelled or never activated) (-100)', 'rule line_not_in_service: high', 'score raised from 0 to 60 to match the level'],
    });
  });

  it('the same input and rubric always give the same answer', () => {
    const x = input({ tenure: { value: '3-6' }, call_minutes: missing('not_applicable', 'not China Telecom') });
    expect(assessRisk(x, DEFAULT_RUBRIC)).toEqual(assessRisk(x, DEFAULT_RUBRIC));
  });
});

describe('levelOf, floorOf, rank, reasonsText', () => {
  it.each([
    [0, 'low'],
    [1, 'low'],
    [29, 'low'],
    [30, 'medium'],
    [45, 'medium'],
    [59, 'medium'],
    [60, 'high'],
    [99, 'high'],
    [100, 'high'],
  ] as const)('levelOf(%i) is %s with the default rubric', (score, level) => {
    expect(levelOf(score, DEFAULT_RUBRIC)).toBe(level);
  });

  it('levelOf follows a custom rubric', () => {
    const r = custom((j) => {
      j.levels.medium = 10;
      j.levels.high = 90;
    });
    expect(levelOf(9, r)).toBe('low');
    expect(levelOf(10, r)).toBe('medium');
    expect(levelOf(89, r)).toBe('medium');
    expect(levelOf(90, r)).toBe('high');
  });

  it('floorOf is the lowest score of each level', () => {
    expect(floorOf('low', DEFAULT_RUBRIC)).toBe(0);
    expect(floorOf('medium', DEFAULT_RUBRIC)).toBe(30);
    expect(floorOf('high', DEFAULT_RUBRIC)).toBe(60);
    for (const level of ['low', 'medium', 'high'] as const) expect(levelOf(floorOf(level, DEFAULT_RUBRIC), DEFAULT_RUBRIC)).toBe(level);
  });

  it('rank orders the levels', () => {
    expect(rank('low')).toBe(0);
    expect(rank('medium')).toBe(1);
    expect(rank('high')).toBe(2);
  });

  it('reasonsText joins with "; " or says there is none', () => {
    expect(reasonsText([])).toBe('no risk signal');
    expect(reasonsText(['tenure <= 3 months (+30)'])).toBe('tenure <= 3 months (+30)');
    expect(reasonsText(['a', 'b', 'c'])).toBe('a; b; c');
    expect(reasonsText(assessRisk(neutral(), DEFAULT_RUBRIC).reasons)).toBe('no risk signal');
  });
});

// ---- invariants over many inputs ------------------------------------------------------

describe('assessRisk: invariants over pseudo-random inputs', () => {
  /** A small deterministic LCG (Numerical Recipes constants). */
  function lcg(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
  }
  const WHYS: MissingWhy[] = ['not_applicable', 'not_in_profile', 'no_record', 'failed', 'not_asked'];

  function randomInput(next: () => number): RiskInput {
    const out: Record<string, unknown> = {};
    for (const signal of SIGNAL_NAMES) {
      const values = SIGNAL_VALUES[signal];
      if (next() < 0.25) out[signal] = missing(WHYS[Math.floor(next() * WHYS.length)]!, 'why');
      else out[signal] = { value: values[Math.floor(next() * values.length)]! };
    }
    return out as RiskInput;
  }

  function randomRubric(next: () => number): Rubric {
    return custom((j) => {
      const medium = 1 + Math.floor(next() * 98);
      j.levels.medium = medium;
      j.levels.high = medium + 1 + Math.floor(next() * (100 - medium));
      j.min_confidence_for_low = Math.round(next() * 100) / 100;
      for (const signal of SIGNAL_NAMES) {
        j.signals[signal].weight = Math.floor(next() * 50);
        j.signals[signal].missing = Math.floor(next() * 201) - 100;
        for (const value of SIGNAL_VALUES[signal]) j.signals[signal].points[value] = Math.floor(next() * 201) - 100;
      }
      j.signals.line_status.weight += 1;
      if (next() < 0.5) j.hard_rules.push({ name: 'kind_medium', signal: 'number_kind', in: ['mvno', 'iot'], level: 'medium' });
    });
  }

  function check(out: RiskAssessment, rubric: Rubric): void {
    expect(levelOf(out.score, rubric)).toBe(out.level);
    expect(out.score).toBeGreaterThanOrEqual(0);
    expect(out.score).toBeLessThanOrEqual(100);
    expect(Number.isInteger(out.score)).toBe(true);
    expect(out.confidence).toBeGreaterThanOrEqual(0);
    expect(out.confidence).toBeLessThanOrEqual(1);
    expect(Math.round(out.confidence * 100) / 100).toBe(out.confidence);
  }

  it('with the default rubric: levelOf(score) === level, 0 <= score <= 100, 0 <= confidence <= 1', () => {
    const next = lcg(20240601);
    for (let i = 0; i < 400; i++) {
      const x = randomInput(next);
      const out = assessRisk(x, DEFAULT_RUBRIC);
      check(out, DEFAULT_RUBRIC);
      // Below the minimum confidence a row is never low.
      if (out.confidence < DEFAULT_RUBRIC.minConfidenceForLow) expect(out.level).not.toBe('low');
      // A fired high rule always means high.
      if ('value' in x.line_status && (x.line_status.value === 'inactive' || x.line_status.value === 'pre_cancel')) expect(out.level).toBe('high');
    }
  });

  it('with random rubrics too', () => {
    const next = lcg(7);
    for (let i = 0; i < 300; i++) {
      const rubric = randomRubric(next);
      check(assessRisk(randomInput(next), rubric), rubric);
    }
  });
});

describe('confidence against min_confidence_for_low', () => {
  it('is compared unrounded: 0.597 is below 0.6 even though it shows as 0.60', () => {
    const rubric = custom((json) => {
      const signals = json.signals as Record<string, { weight: number; missing: number }>;
      signals.line_status!.weight = 597;
      signals.tenure!.weight = 403;
      signals.tenure!.missing = 0;
      signals.resale!.weight = 0;
      signals.call_minutes!.weight = 0;
      signals.number_kind!.weight = 0;
    });
    const result = assessRisk(input({ tenure: missing('failed', 'failed') }), rubric);
    expect(result.confidence).toBe(0.6);
    expect(result.level).toBe('medium');
    expect(result.reasons).toContain('confidence 0.597 below 0.6: not low');
    expect(result.score).toBe(30);
  });
});
