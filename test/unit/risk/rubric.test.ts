import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/cli/exit-codes.js';
import {
  DEFAULT_RUBRIC,
  DEFAULT_RUBRIC_JSON,
  RUBRIC_FORMAT,
  RubricError,
  SIGNAL_NAMES,
  loadRubric,
  parseRubric,
  rubricDigest,
  rubricToJson,
  type Rubric,
} from '../../../src/risk/index.js';

type Json = any;

/** A mutable deep copy of the default rubric's JSON. */
function defaultJson(): Json {
  return structuredClone(DEFAULT_RUBRIC_JSON) as Json;
}

function edited(edit: (json: Json) => void): Json {
  const json = defaultJson();
  edit(json);
  return json;
}

/** The RubricError parseRubric throws for the JSON (fails the test if it throws nothing or something else). */
function refusal(json: unknown, source = 'my-rubric.json'): RubricError {
  try {
    parseRubric(json, source);
  } catch (err) {
    expect(err).toBeInstanceOf(RubricError);
    return err as RubricError;
  }
  throw new Error('parseRubric accepted the rubric');
}

const SHIPPED = new URL('../../../rubrics/default.json', import.meta.url);

describe('the default rubric', () => {
  it('parses, with the default numbers', () => {
    expect(parseRubric(DEFAULT_RUBRIC_JSON, 'default')).toEqual(DEFAULT_RUBRIC);
    expect(DEFAULT_RUBRIC.format).toBe(RUBRIC_FORMAT);
    expect(RUBRIC_FORMAT).toBe('riskscreen-rubric/1');
    expect(DEFAULT_RUBRIC.name).toBe('default');
    expect(DEFAULT_RUBRIC.levels).toEqual({ medium: 30, high: 60 });
    expect(DEFAULT_RUBRIC.minConfidenceForLow).toBe(0.6);
    expect(Object.keys(DEFAULT_RUBRIC.signals)).toEqual([...SIGNAL_NAMES]);
    expect(SIGNAL_NAMES.map((s) => DEFAULT_RUBRIC.signals[s].weight)).toEqual([35, 30, 15, 15, 5]);
    expect(SIGNAL_NAMES.map((s) => DEFAULT_RUBRIC.signals[s].missing)).toEqual([15, 10, 0, 0, 0]);
    expect(DEFAULT_RUBRIC.hardRules).toEqual([
      { name: 'line_not_in_service', signal: 'line_status', in: ['inactive', 'pre_cancel'], level: 'high' },
      { name: 'recycled_after_date', signal: 'resale', in: ['recycled'], level: 'high' },
      { name: 'left_network', signal: 'tenure', in: ['left_network'], level: 'high' },
    ]);
  });

  it('drops the comments from the parsed rubric', () => {
    expect(JSON.stringify(DEFAULT_RUBRIC)).not.toContain('_why');
    expect(JSON.stringify(DEFAULT_RUBRIC)).not.toContain('_about');
  });

  it('rubrics/default.json is identical to DEFAULT_RUBRIC_JSON and parses to DEFAULT_RUBRIC', () => {
    const shipped: unknown = JSON.parse(readFileSync(SHIPPED, 'utf8'));
    expect(shipped).toEqual(DEFAULT_RUBRIC_JSON);
    expect(parseRubric(shipped, 'rubrics/default.json')).toEqual(DEFAULT_RUBRIC);
  });

  it('rubricToJson reads back through parseRubric to the same rubric', () => {
    expect(parseRubric(rubricToJson(DEFAULT_RUBRIC), 'round-trip')).toEqual(DEFAULT_RUBRIC);
    const withComments = rubricToJson(DEFAULT_RUBRIC, { _about: 'hello' });
    expect(withComments._about).toBe('hello');
    expect(parseRubric(withComments, 'round-trip')).toEqual(DEFAULT_RUBRIC);
  });
});

describe('parseRubric refuses', () => {
  it.each([
    {
      label: 'not an object',
      json: [],
      message: 'rubric my-rubric.json: must be a JSON object (got [])',
    },
    {
      label: 'a wrong format',
      json: edited((j) => (j.format = 'riskscreen-rubric/2')),
      message: 'rubric my-rubric.json: format: must be "riskscreen-rubric/1" (got "riskscreen-rubric/2")',
    },
    {
      label: 'no format',
      json: edited((j) => delete j.format),
      message: 'rubric my-rubric.json: format: must be "riskscreen-rubric/1" (got undefined)',
    },
    {
      label: 'a bad name',
      json: edited((j) => (j.name = 'my rubric!')),
      key: 'name',
    },
    {
      label: 'an empty name',
      json: edited((j) => (j.name = '')),
      key: 'name',
    },
    {
      label: 'a name too long',
      json: edited((j) => (j.name = 'x'.repeat(65))),
      key: 'name',
    },
    {
      label: 'levels.high equal to levels.medium',
      json: edited((j) => (j.levels.high = 30)),
      message: 'rubric my-rubric.json: levels.high: must be above levels.medium (30)',
    },
    {
      label: 'levels.high below levels.medium',
      json: edited((j) => {
        j.levels.medium = 50;
        j.levels.high = 40;
      }),
      message: 'rubric my-rubric.json: levels.high: must be above levels.medium (50)',
    },
    {
      label: 'levels.medium 0',
      json: edited((j) => (j.levels.medium = 0)),
      message: 'rubric my-rubric.json: levels.medium: must be a whole number from 1 to 100 (got 0)',
    },
    {
      label: 'levels.high over 100',
      json: edited((j) => (j.levels.high = 101)),
      key: 'levels.high',
    },
    {
      label: 'a non-integer level',
      json: edited((j) => (j.levels.medium = 30.5)),
      key: 'levels.medium',
    },
    {
      label: 'an unknown key in levels',
      json: edited((j) => (j.levels.low = 0)),
      message: 'rubric my-rubric.json: levels.low: unknown key; expected medium, high',
    },
    {
      label: 'non-integer points',
      json: edited((j) => (j.signals.tenure.points['0-3'] = 1.5)),
      message: 'rubric my-rubric.json: signals.tenure.points.0-3: must be a whole number from -100 to 100 (got 1.5)',
    },
    {
      label: 'points as a string',
      json: edited((j) => (j.signals.line_status.points.suspended = '30')),
      message: 'rubric my-rubric.json: signals.line_status.points.suspended: must be a whole number from -100 to 100 (got "30")',
    },
    {
      label: 'points over 100',
      json: edited((j) => (j.signals.number_kind.points.iot = 101)),
      key: 'signals.number_kind.points.iot',
    },
    {
      label: 'points below -100',
      json: edited((j) => (j.signals.resale.points.recycled = -101)),
      key: 'signals.resale.points.recycled',
    },
    {
      label: 'a missing value in points',
      json: edited((j) => delete j.signals.tenure.points.left_network),
      message:
        'rubric my-rubric.json: signals.tenure.points: no points for "left_network" (every value needs them: 0-3, 3-6, 6-12, 12-24, 24+, left_network)',
    },
    {
      label: 'a missing call minutes label',
      json: edited((j) => delete j.signals.call_minutes.points['360+']),
      key: 'signals.call_minutes.points',
      contains: 'no points for "360+"',
    },
    {
      label: 'an unknown value key',
      json: edited((j) => (j.signals.line_status.points.cancelled = 60)),
      message: 'rubric my-rubric.json: signals.line_status.points.cancelled: unknown key; expected normal, suspended, unavailable, inactive, pre_cancel',
    },
    {
      label: 'an unknown call minutes label (the missing (1,5] range)',
      json: edited((j) => (j.signals.call_minutes.points['(1,5]'] = 15)),
      key: 'signals.call_minutes.points.(1,5]',
    },
    {
      label: 'an unknown top-level key (a typo)',
      json: edited((j) => {
        j.hard_rule = j.hard_rules;
        delete j.hard_rules;
      }),
      message: 'rubric my-rubric.json: hard_rule: unknown key; expected format, name, levels, min_confidence_for_low, signals, hard_rules',
    },
    {
      label: 'a camelCase key',
      json: edited((j) => {
        j.minConfidenceForLow = j.min_confidence_for_low;
        delete j.min_confidence_for_low;
      }),
      key: 'minConfidenceForLow',
    },
    {
      label: 'an unknown signal',
      json: edited((j) => (j.signals.location = { weight: 1, missing: 0, points: {} })),
      message: 'rubric my-rubric.json: signals.location: unknown key; expected line_status, tenure, resale, call_minutes, number_kind',
    },
    {
      label: 'a missing signal',
      json: edited((j) => delete j.signals.resale),
      message: 'rubric my-rubric.json: signals.resale: must be a JSON object (got nothing)',
    },
    {
      label: 'an unknown key in a signal',
      json: edited((j) => (j.signals.tenure.wieght = 30)),
      key: 'signals.tenure.wieght',
    },
    {
      label: 'a negative weight',
      json: edited((j) => (j.signals.resale.weight = -1)),
      message: 'rubric my-rubric.json: signals.resale.weight: must be a number from 0 to 1000 (got -1)',
    },
    {
      label: 'a weight over 1000',
      json: edited((j) => (j.signals.resale.weight = 1001)),
      key: 'signals.resale.weight',
    },
    {
      label: 'a weight as a string',
      json: edited((j) => (j.signals.tenure.weight = '30')),
      key: 'signals.tenure.weight',
    },
    {
      label: 'all weights 0',
      json: edited((j) => {
        for (const s of SIGNAL_NAMES) j.signals[s].weight = 0;
      }),
      message: 'rubric my-rubric.json: signals: at least one signal needs a weight above 0',
    },
    {
      label: 'a non-integer missing',
      json: edited((j) => (j.signals.tenure.missing = 2.5)),
      key: 'signals.tenure.missing',
    },
    {
      label: 'min_confidence_for_low above 1',
      json: edited((j) => (j.min_confidence_for_low = 1.5)),
      message: 'rubric my-rubric.json: min_confidence_for_low: must be a number from 0 to 1 (got 1.5)',
    },
    {
      label: 'min_confidence_for_low below 0',
      json: edited((j) => (j.min_confidence_for_low = -0.1)),
      message: 'rubric my-rubric.json: min_confidence_for_low: must be a number from 0 to 1 (got -0.1)',
    },
    {
      label: 'min_confidence_for_low as a string',
      json: edited((j) => (j.min_confidence_for_low = '0.6')),
      message: 'rubric my-rubric.json: min_confidence_for_low: must be a number from 0 to 1 (got "0.6")',
    },
    {
      label: 'no hard_rules',
      json: edited((j) => delete j.hard_rules),
      message: 'rubric my-rubric.json: hard_rules: must be a list (it may be empty)',
    },
    {
      label: 'a hard rule with an unknown signal',
      json: edited((j) => (j.hard_rules[1].signal = 'recycle')),
      message: 'rubric my-rubric.json: hard_rules[1].signal: must be one of line_status, tenure, resale, call_minutes, number_kind (got "recycle")',
    },
    {
      label: 'a hard rule with a value not of its signal',
      json: edited((j) => (j.hard_rules[0].in = ['inactive', 'left_network'])),
      message: 'rubric my-rubric.json: hard_rules[0].in: "left_network" is not a value of line_status (normal, suspended, unavailable, inactive, pre_cancel)',
    },
    {
      label: 'a hard rule with an empty list',
      json: edited((j) => (j.hard_rules[2].in = [])),
      message: 'rubric my-rubric.json: hard_rules[2].in: must be a non-empty list of values',
    },
    {
      label: 'a hard rule with level low',
      json: edited((j) => (j.hard_rules[2].level = 'low')),
      message: 'rubric my-rubric.json: hard_rules[2].level: must be "medium" or "high" (got "low")',
    },
    {
      label: 'a hard rule with a bad name',
      json: edited((j) => (j.hard_rules[0].name = 'not in service')),
      key: 'hard_rules[0].name',
    },
    {
      label: 'a hard rule with an unknown key',
      json: edited((j) => (j.hard_rules[0].values = ['inactive'])),
      key: 'hard_rules[0].values',
    },
    {
      label: 'a hard rule that is not an object',
      json: edited((j) => (j.hard_rules[0] = 'line_not_in_service')),
      message: 'rubric my-rubric.json: hard_rules[0]: must be a JSON object (got "line_not_in_service")',
    },
  ] as Array<{ label: string; json: unknown; message?: string; key?: string; contains?: string }>)(
    '$label',
    ({ json, message, key, contains }) => {
      const err = refusal(json);
      expect(err.name).toBe('RubricError');
      expect(err.code).toBe('RISKSCREEN_RUBRIC');
      expect(exitCodeOf(err)).toBe(4);
      expect(err.source).toBe('my-rubric.json');
      expect(err.message.startsWith('rubric my-rubric.json: ')).toBe(true);
      if (message !== undefined) expect(err.message).toBe(message);
      if (key !== undefined) {
        expect(err.key).toBe(key);
        expect(err.message.startsWith(`rubric my-rubric.json: ${key}: `)).toBe(true);
      }
      if (contains !== undefined) expect(err.message).toContain(contains);
    },
  );

  it('names the key in err.key too', () => {
    expect(refusal(edited((j) => (j.signals.tenure.points['0-3'] = 1.5))).key).toBe('signals.tenure.points.0-3');
    expect(refusal(edited((j) => (j.typo = 1))).key).toBe('typo');
    expect(refusal(null).key).toBe('');
  });

  it('names the source it is given', () => {
    const err = refusal(edited((j) => (j.format = 'x')), '/etc/riskscreen/strict.json');
    expect(err.source).toBe('/etc/riskscreen/strict.json');
    expect(err.message).toBe('rubric /etc/riskscreen/strict.json: format: must be "riskscreen-rubric/1" (got "x")');
  });
});

describe('parseRubric accepts', () => {
  it('_-prefixed keys anywhere as comments, and drops them', () => {
    const json = edited((j) => {
      j._note = 'top';
      j.levels._note = 'levels';
      j.signals._note = 'signals';
      j.signals.tenure._note = 'tenure';
      j.signals.tenure.points._note = 'points';
      j.hard_rules[0]._note = 'rule';
    });
    const rubric = parseRubric(json, 'commented');
    expect(rubric).toEqual(DEFAULT_RUBRIC);
    expect(JSON.stringify(rubric)).not.toContain('_note');
  });

  it('an empty list of hard rules, boundary numbers, and a medium rule', () => {
    const rubric = parseRubric(
      edited((j) => {
        j.name = 'strict_v2.1-a';
        j.hard_rules = [{ name: 'iot', signal: 'number_kind', in: ['iot', 'satellite'], level: 'medium' }];
        j.levels = { medium: 99, high: 100 };
        j.min_confidence_for_low = 1;
        j.signals.tenure.points['0-3'] = 100;
        j.signals.tenure.points['24+'] = -100;
        j.signals.line_status.missing = -100;
        j.signals.resale.weight = 0;
        j.signals.call_minutes.weight = 1000;
        j.signals.number_kind.weight = 0.5;
      }),
      'edge',
    );
    expect(rubric.name).toBe('strict_v2.1-a');
    expect(rubric.levels).toEqual({ medium: 99, high: 100 });
    expect(rubric.minConfidenceForLow).toBe(1);
    expect(rubric.signals.tenure.points['0-3']).toBe(100);
    expect(rubric.signals.tenure.points['24+']).toBe(-100);
    expect(rubric.signals.line_status.missing).toBe(-100);
    expect(rubric.signals.call_minutes.weight).toBe(1000);
    expect(rubric.signals.number_kind.weight).toBe(0.5);
    expect(rubric.hardRules).toEqual([{ name: 'iot', signal: 'number_kind', in: ['iot', 'satellite'], level: 'medium' }]);
    expect(parseRubric(edited((j) => (j.hard_rules = [])), 'x').hardRules).toEqual([]);
    expect(parseRubric(edited((j) => (j.min_confidence_for_low = 0)), 'x').minConfidenceForLow).toBe(0);
  });

  it('copies what it reads: editing the JSON later does not change the rubric', () => {
    const json = defaultJson();
    const rubric = parseRubric(json, 'x');
    json.hard_rules[0].in.push('suspended');
    json.signals.tenure.points['0-3'] = 99;
    expect(rubric.hardRules[0]!.in).toEqual(['inactive', 'pre_cancel']);
    expect(rubric.signals.tenure.points['0-3']).toBe(30);
  });
});

describe('loadRubric', () => {
  let dirs: string[] = [];
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'riskscreen-rubric-'));
    dirs.push(dir);
    return dir;
  }
  function write(name: string, text: string): string {
    const file = join(tempDir(), name);
    writeFileSync(file, text, 'utf8');
    return file;
  }
  afterEach(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  it('no file -> the default rubric', () => {
    expect(loadRubric(undefined)).toBe(DEFAULT_RUBRIC);
    expect(loadRubric('')).toBe(DEFAULT_RUBRIC);
  });

  it('the shipped rubrics/default.json loads to the default rubric', () => {
    expect(loadRubric(fileURLToPath(SHIPPED))).toEqual(DEFAULT_RUBRIC);
  });

  it('a file that does not exist -> RubricError naming the file', () => {
    const file = join(tempDir(), 'nope.json');
    let caught: unknown;
    try {
      loadRubric(file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RubricError);
    const err = caught as RubricError;
    expect(err.code).toBe('RISKSCREEN_RUBRIC');
    expect(exitCodeOf(err)).toBe(4);
    expect(err.source).toBe(file);
    expect(err.key).toBe('');
    expect(err.message).toBe(`rubric ${file}: cannot be read (ENOENT)`);
  });

  it('invalid JSON -> RubricError naming the file', () => {
    const file = write('bad.json', '{ "format": "riskscreen-rubric/1", }');
    let caught: unknown;
    try {
      loadRubric(file);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RubricError);
    const err = caught as RubricError;
    expect(err.code).toBe('RISKSCREEN_RUBRIC');
    expect(exitCodeOf(err)).toBe(4);
    expect(err.source).toBe(file);
    expect(err.message.startsWith(`rubric ${file}: is not valid JSON (`)).toBe(true);
  });

  it('a valid edited copy loads with its numbers', () => {
    const file = write(
      'strict.json',
      JSON.stringify(
        edited((j) => {
          j.name = 'strict';
          j.levels.medium = 20;
          j.signals.tenure.points['3-6'] = 25;
        }),
        null,
        2,
      ),
    );
    const rubric = loadRubric(file);
    expect(rubric.name).toBe('strict');
    expect(rubric.levels).toEqual({ medium: 20, high: 60 });
    expect(rubric.signals.tenure.points['3-6']).toBe(25);
    expect(rubric).toEqual({
      ...DEFAULT_RUBRIC,
      name: 'strict',
      levels: { medium: 20, high: 60 },
      signals: { ...DEFAULT_RUBRIC.signals, tenure: { ...DEFAULT_RUBRIC.signals.tenure, points: { ...DEFAULT_RUBRIC.signals.tenure.points, '3-6': 25 } } },
    });
  });

  it('a valid file with an invalid rubric -> RubricError naming the file and the key', () => {
    const file = write('typo.json', JSON.stringify(edited((j) => (j.signals.tenure.points['0-3'] = 'thirty'))));
    expect(() => loadRubric(file)).toThrow(`rubric ${file}: signals.tenure.points.0-3: must be a whole number from -100 to 100 (got "thirty")`);
  });

  it('a UTF-8 BOM at the start is accepted', () => {
    const file = write('bom.json', `\uFEFF${JSON.stringify(DEFAULT_RUBRIC_JSON, null, 2)}`);
    expect(readFileSync(file).subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(loadRubric(file)).toEqual(DEFAULT_RUBRIC);
  });
});

describe('rubricDigest', () => {
  const parse = (json: unknown): Rubric => parseRubric(json, 'x');

  it('is 16 hex digits and stable', () => {
    const digest = rubricDigest(DEFAULT_RUBRIC);
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    expect(rubricDigest(DEFAULT_RUBRIC)).toBe(digest);
    expect(rubricDigest(parse(defaultJson()))).toBe(digest);
    expect(rubricDigest(parse(JSON.parse(readFileSync(SHIPPED, 'utf8'))))).toBe(digest);
  });

  it('changes when a number changes', () => {
    const base = rubricDigest(DEFAULT_RUBRIC);
    const changes: Array<(j: Json) => void> = [
      (j) => (j.signals.tenure.points['0-3'] = 31),
      (j) => (j.signals.line_status.missing = 16),
      (j) => (j.signals.resale.weight = 16),
      (j) => (j.levels.high = 61),
      (j) => (j.min_confidence_for_low = 0.5),
      (j) => (j.hard_rules[0].level = 'medium'),
      (j) => j.hard_rules.pop(),
    ];
    const digests = changes.map((change) => rubricDigest(parse(edited(change))));
    for (const digest of digests) expect(digest).not.toBe(base);
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('does not change when a _ comment changes or is added', () => {
    const base = rubricDigest(DEFAULT_RUBRIC);
    expect(rubricDigest(parse(edited((j) => (j.signals.tenure._why = 'a different reason'))))).toBe(base);
    expect(rubricDigest(parse(edited((j) => (j._about = 'my copy'))))).toBe(base);
    expect(rubricDigest(parse(edited((j) => (j.levels._new = 'added'))))).toBe(base);
  });

  it('does not depend on the order of the keys in the file', () => {
    const json = defaultJson();
    const reordered = { hard_rules: json.hard_rules, signals: json.signals, levels: { high: 60, medium: 30 }, min_confidence_for_low: 0.6, name: 'default', format: RUBRIC_FORMAT };
    expect(rubricDigest(parse(reordered))).toBe(rubricDigest(DEFAULT_RUBRIC));
  });
});
