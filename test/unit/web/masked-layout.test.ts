/**
 * A list's layout as reports show it (src/input/masked-layout.ts, moved from
 * src/cli/inspect.ts): a header cell holding a number is masked.
 */
import { describe, expect, it } from 'vitest';
import type { InputLayout } from '../../../src/input/layout.js';
import { maskedHeaderCell, maskedLayout, maskedPhoneCell } from '../../../src/input/masked-layout.js';
import type { PhoneRecord } from '../../../src/input/records.js';

describe('maskedHeaderCell', () => {
  it.each([
    ['13800001234', '138****1234'],
    [' 13800001234 ', '138****1234'],
    ['138-0000-1234', '138****1234'],
    ['138 0000 1234', '138****1234'],
    ['(138) 0000.1234', '(13****1234'],
    ['+8613800001234', '+86****1234'],
    ['１３８００００１２３４', '１３８****１２３４'],
    ['1234567', '*******'],
  ])('masks %j as %j', (cell, masked) => {
    expect(maskedHeaderCell(cell)).toBe(masked);
  });

  it.each(['手机号', 'mobile', 'Phone Number', '注册日期', 'col 3', '2024', '123456', 'Q1-2024', ''])('leaves %j as it is', (cell) => {
    expect(maskedHeaderCell(cell)).toBe(cell);
  });

  it('never leaves seven digits in a row of a header cell', () => {
    for (const cell of ['tel:13800001234', '电话13800001234', 'a1380000b', '0571-88886666', '1380000 1234 x']) {
      const got = maskedHeaderCell(cell);
      expect(got.normalize('NFKC').replace(/[\s\-.()]/g, ''), cell).not.toMatch(/\d{7}/);
    }
  });

  it('keeps a header on one line', () => {
    expect(maskedHeaderCell('mobile\nnumber')).toBe('mobile number');
    expect(maskedHeaderCell('a\r\nb')).toBe('a b');
  });
});

describe('maskedLayout and maskedPhoneCell', () => {
  const layout = {
    header: ['姓名', '13800001234', '注册日期'],
    phoneColumn: { index: 1, name: '13800001234', source: 'content' },
    dateColumn: { index: 2, name: '注册日期', source: 'name' },
  } as unknown as InputLayout;

  it('masks the header and the chosen columns\' names', () => {
    const masked = maskedLayout(layout);
    expect(masked.header).toEqual(['姓名', '138****1234', '注册日期']);
    expect(masked.phoneColumn.name).toBe('138****1234');
    expect(masked.dateColumn!.name).toBe('注册日期');
    expect(JSON.stringify(masked)).not.toContain('13800001234');
    // The layout given is not changed.
    expect(layout.header![1]).toBe('13800001234');
  });

  it('keeps null header and names', () => {
    const bare = { ...layout, header: null, phoneColumn: { index: 0, name: null, source: 'content' }, dateColumn: null } as unknown as InputLayout;
    expect(maskedLayout(bare)).toMatchObject({ header: null, phoneColumn: { name: null }, dateColumn: null });
  });

  it('masks the phone cell of a record', () => {
    const record = (cell: string | undefined) => ({ fields: ['li', cell] }) as unknown as PhoneRecord;
    expect(maskedPhoneCell(record('13800001234'), layout)).toBe('138****1234');
    expect(maskedPhoneCell(record('  '), layout)).toBe('(empty)');
    expect(maskedPhoneCell(record(undefined), layout)).toBe('(empty)');
  });
});
