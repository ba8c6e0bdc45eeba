import { describe, expect, it } from 'vitest';
import { CellTypeError, dateOf, isoDay, resultColumns, typedCell } from '../../../src/report/result-columns.js';
import { ADDED_COLUMNS } from '../../../src/report/result-row.js';

describe('result columns and their types', () => {
  const header = ['手机号', 'risk_score', ...ADDED_COLUMNS.slice(0, 3), 'mobile_hash', ...ADDED_COLUMNS.slice(3), 'change'];
  const columns = resultColumns(header, 2);

  it('types every input column as text, whatever its name, and the added ones by the table', () => {
    expect(columns[0]).toEqual({ name: '手机号', index: 0, origin: 'input', type: 'text' });
    expect(columns[1]).toEqual({ name: 'risk_score', index: 1, origin: 'input', type: 'text' });
    const typeOf = (name: string) => columns.filter((c) => c.origin === 'added' && c.name === name)[0]!.type;
    expect(typeOf('risk_score')).toBe('integer');
    expect(typeOf('risk_confidence')).toBe('decimal');
    expect(typeOf('resale_date')).toBe('date');
    for (const name of ['mobile', 'mobile_hash', 'line_status_code', 'tenure_code', 'calling_minutes', 'risk_level', 'change', 'error']) expect(typeOf(name)).toBe('text');
  });

  it('keeps input cells as read (empty stays empty) and makes empty added cells null', () => {
    expect(typedCell(columns[0]!, '')).toBe('');
    expect(typedCell(columns[1]!, '007')).toBe('007');
    const score = columns.find((c) => c.origin === 'added' && c.name === 'risk_score')!;
    expect(typedCell(score, '73')).toBe(73);
    expect(typedCell(score, '')).toBeNull();
    const confidence = columns.find((c) => c.name === 'risk_confidence')!;
    expect(typedCell(confidence, '0.80')).toBe(0.8);
    const date = columns.find((c) => c.name === 'resale_date')!;
    expect(typedCell(date, '20240131')).toEqual(new Date(Date.UTC(2024, 0, 31)));
  });

  it('refuses a value that does not fit its type instead of writing a wrong number', () => {
    const score = columns.find((c) => c.origin === 'added' && c.name === 'risk_score')!;
    expect(() => typedCell(score, 'high')).toThrow(CellTypeError);
    expect(() => typedCell(score, '1e3')).toThrow('column risk_score: "1e3" is not a whole number');
    expect(() => dateOf('resale_date', '20240231')).toThrow('column resale_date: "20240231" is not a yyyymmdd date');
    expect(isoDay(dateOf('resale_date', '2024-02-29'))).toBe('2024-02-29');
  });
});
