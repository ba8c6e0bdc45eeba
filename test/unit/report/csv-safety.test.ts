import { describe, expect, it } from 'vitest';
import { FORMULA_TRIGGERS, isFormulaRisk, neutralizeCell, unneutralizeCell } from '../../../src/report/csv-safety.js';

describe('neutralizeCell', () => {
  it('the six triggers are =, +, -, @, tab and CR', () => {
    expect([...FORMULA_TRIGGERS].sort()).toEqual(['\t', '\r', '+', '-', '=', '@'].sort());
  });

  it.each([
    ['=', '=HYPERLINK("http://x","y")'],
    ['=', '=cmd|\' /C calc\'!A0'],
    ['=', '='],
    ['+', '+1+1'],
    ['+', '+'],
    ['-', '-2+3'],
    ['-', '-'],
    ['-', '-5 apples'],
    ['@', '@SUM(A1)'],
    ['tab', '\t=1+1'],
    ['CR', '\r=1+1'],
  ])('a cell starting with %s gets a leading quote: %j', (_trigger, cell) => {
    expect(neutralizeCell(cell)).toBe(`'${cell}`);
    expect(isFormulaRisk(cell)).toBe(true);
    expect(isFormulaRisk(neutralizeCell(cell))).toBe(false);
  });

  it.each(['-5', '+8613800138000', '-0.25', '+0', '-13800138000'])('a plain signed number is left as it is: %s', (cell) => {
    expect(neutralizeCell(cell)).toBe(cell);
    expect(isFormulaRisk(cell)).toBe(false);
  });

  it.each(['-1e5', '-.5', '+86 138 0013 8000', '-5.', '+1,000'])('a signed value that is not a plain number is neutralized: %j', (cell) => {
    expect(neutralizeCell(cell)).toBe(`'${cell}`);
    expect(isFormulaRisk(cell)).toBe(true);
  });

  it.each(['张三', 'hello', '', '13800138000', 'a=1+1', 'x@example.com', ' =1+1', 'SUM(A1)', "'=1+1"])(
    'ordinary text, the empty cell and a cell without a trigger at the start are untouched: %j',
    (cell) => {
      expect(neutralizeCell(cell)).toBe(cell);
      expect(isFormulaRisk(cell)).toBe(false);
    },
  );

  it.each(['=1+1', '+x', '-y', '@z', '\tt', '\rr', '-5', 'plain', '', "''=x"])('is idempotent: %j', (cell) => {
    const once = neutralizeCell(cell);
    expect(neutralizeCell(once)).toBe(once);
    expect(neutralizeCell(neutralizeCell(once))).toBe(once);
  });

  it('isFormulaRisk agrees with neutralizeCell: a cell is at risk exactly when it would be changed', () => {
    const cells = ['=a', '+a', '-a', '@a', '\ta', '\ra', '-5', '+5.5', 'a', '', "'=a", '1-2', '中文', '=', '-'];
    for (const cell of cells) {
      expect(isFormulaRisk(cell), JSON.stringify(cell)).toBe(neutralizeCell(cell) !== cell);
      expect(isFormulaRisk(neutralizeCell(cell)), JSON.stringify(cell)).toBe(false);
    }
  });
});

describe('unneutralizeCell', () => {
  it.each(['=1+1', '+86 138', '-2+3', '@SUM(A1)', '\ttab', '\rcr', 'plain', '-5', "'quoted", ''])('undoes neutralizeCell for %j', (cell) => {
    expect(unneutralizeCell(neutralizeCell(cell))).toBe(cell);
  });
});
