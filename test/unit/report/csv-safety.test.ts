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

  it.each(['张三', 'hello', '', '13800138000', 'a=1+1', 'x@example.com', ' =1+1', 'SUM(A1)', "'quoted", "'5"])(
    'ordinary text, the empty cell and a cell without a trigger at the start are untouched: %j',
    (cell) => {
      expect(neutralizeCell(cell)).toBe(cell);
      expect(isFormulaRisk(cell)).toBe(false);
    },
  );

  it.each(["'=1+1", "''=x", "'+x", "'@SUM(A1)", "'\tt"])(
    'gives a cell that already starts with quotes and a trigger one more quote, so taking one away is exact: %j',
    (cell) => {
      expect(neutralizeCell(cell)).toBe(`'${cell}`);
      expect(isFormulaRisk(neutralizeCell(cell))).toBe(false);
      expect(unneutralizeCell(neutralizeCell(cell))).toBe(cell);
    },
  );

  it('is one to one: no two cells are written alike (what lets XLSX, JSON Lines and Parquet take the input back)', () => {
    const cells = ['=1+1', "'=1+1", "''=1+1", '-5', "'-5", '+x', "'+x", 'plain', "'plain", '', "'", "''"];
    const written = cells.map(neutralizeCell);
    expect(new Set(written).size).toBe(cells.length);
  });

  it('isFormulaRisk agrees with neutralizeCell: every cell at risk is changed, and no written cell is at risk', () => {
    const cells = ['=a', '+a', '-a', '@a', '\ta', '\ra', '-5', '+5.5', 'a', '', "'=a", '1-2', '中文', '=', '-'];
    for (const cell of cells) {
      if (isFormulaRisk(cell)) expect(neutralizeCell(cell), JSON.stringify(cell)).not.toBe(cell);
      expect(isFormulaRisk(neutralizeCell(cell)), JSON.stringify(cell)).toBe(false);
    }
  });
});

describe('unneutralizeCell', () => {
  it.each(['=1+1', '+86 138', '-2+3', '@SUM(A1)', '\ttab', '\rcr', 'plain', '-5', "'quoted", '', "'=1+1", "''@x", "'-5"])('undoes neutralizeCell for %j', (cell) => {
    expect(unneutralizeCell(neutralizeCell(cell))).toBe(cell);
  });
});
