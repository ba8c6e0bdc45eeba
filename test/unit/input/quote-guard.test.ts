import { describe, expect, it } from 'vitest';
import { findSwallowedRow, type QuoteGuardContext } from '../../../src/input/quote-guard.js';

const comma = (width: number, fieldsAfter = false): QuoteGuardContext => ({ delimiter: ',', width, fieldsAfter });

describe('findSwallowedRow: a line inside a quoted field that reads like a row of the file', () => {
  it('never judges the first line: it is the rest of the line the quote opens on', () => {
    expect(findSwallowedRow('13800138000,a,b,c\nnote', comma(4))).toBeNull();
  });

  it('rule 1: at least max(1, width - 2) delimiters inside the field', () => {
    expect(findSwallowedRow('x\na,b', comma(2))).toMatchObject({ offset: 1, why: { kind: 'delimiters', count: 1 } });
    expect(findSwallowedRow('x\na,b', comma(3))).toMatchObject({ offset: 1, why: { kind: 'delimiters', count: 1 } });
    expect(findSwallowedRow('x\na,b,c', comma(5))).toBeNull();
    expect(findSwallowedRow('x\na,b,c,d', comma(5))).toMatchObject({ offset: 1, why: { kind: 'delimiters', count: 3 } });
    // Other delimiters do not count.
    expect(findSwallowedRow('x\na;b;c;d', comma(5))).toBeNull();
    expect(findSwallowedRow('x\na;b;c;d', { delimiter: ';', width: 5, fieldsAfter: false })).toMatchObject({ why: { kind: 'delimiters', count: 3 } });
    // The delimiters after the closing quote do not count for rule 1: a cell in the middle of a row has them too.
    expect(findSwallowedRow('x\nlast line', comma(3, true))).toBeNull();
  });

  it('rule 2: a valid mobile number on a line that holds a delimiter', () => {
    expect(findSwallowedRow('x\n18612345678,Zhao', comma(6))).toMatchObject({ offset: 1, why: { kind: 'mobile' } });
    // As the layer cleans it: spaces, +86, full-width digits, quotes.
    expect(findSwallowedRow('x\n+86 186 1234 5678,Zhao', comma(6))).toMatchObject({ why: { kind: 'mobile' } });
    expect(findSwallowedRow('x\n１８６１２３４５６７８,Zhao', comma(6))).toMatchObject({ why: { kind: 'mobile' } });
    expect(findSwallowedRow('x\n"18612345678","Zhao"', comma(6))).toMatchObject({ why: { kind: 'mobile' } });
    // Not a valid mobile number: an unallocated prefix, a landline, a number inside words.
    expect(findSwallowedRow('x\n14012345678,Zhao', comma(6))).toBeNull();
    expect(findSwallowedRow('x\n010-12345678,Zhao', comma(6))).toBeNull();
    expect(findSwallowedRow('x\nnew number 18612345678, evenings', comma(6))).toBeNull();
  });

  it('rule 2: a number alone passes, unless it ends the field and the row goes on, or rows are one field', () => {
    expect(findSwallowedRow('changed to:\n18612345678\nsee CRM', comma(3))).toBeNull();
    expect(findSwallowedRow('changed to:\n18612345678', comma(3))).toBeNull();
    expect(findSwallowedRow('changed to:\n18612345678', comma(3, true))).toMatchObject({ offset: 1, why: { kind: 'mobile' } });
    // Only the field's last line has the delimiter after the closing quote.
    expect(findSwallowedRow('changed to:\n18612345678\nsee CRM', comma(3, true))).toBeNull();
    expect(findSwallowedRow('changed to:\n18612345678\nsee CRM', comma(1))).toMatchObject({ offset: 1, why: { kind: 'mobile' } });
  });

  it('counts every kind of line end, CRLF as one: the line found and the lines the field spans', () => {
    expect(findSwallowedRow('a\r\nb\rc\n18612345678,x\r\nend', comma(6))).toEqual({ offset: 3, breaks: 4, why: { kind: 'mobile' } });
    expect(findSwallowedRow('a\r\n\r\n\n', comma(2))).toBeNull();
  });

  it('names the first line that reads like a row', () => {
    expect(findSwallowedRow('x\nnote\n13800138000,a\n18612345678,b', comma(2))).toEqual({ offset: 2, breaks: 3, why: { kind: 'mobile' } });
  });
});
