import { describe, expect, it } from 'vitest';
import { sniffDelimiter } from '../../../src/input/sniff.js';
import { readAll, rejection, useTempDir } from './fixtures.js';

describe('delimiters, quoting, line ends', () => {
  const dir = useTempDir();

  it.each([
    [',', 'comma'],
    ['\t', 'tab'],
    [';', 'semicolon'],
    ['|', 'pipe'],
  ])('detects %j (%s)', async (delimiter, name) => {
    const text = ['mobile', 'name', 'city'].join(delimiter) + '\n' + ['13800138000', 'Wang, Wei', 'Beijing'].map((field) => (field.includes(',') && delimiter === ',' ? `"${field}"` : field)).join(delimiter) + '\n' + ['18612345678', 'Li', 'Shanghai'].join(delimiter) + '\n';
    const file = await dir.text(`delimiter-${name}.csv`, text);
    const { layout, records } = await readAll(file);
    expect(layout.delimiter).toBe(delimiter);
    expect(layout.delimiterSource).toBe('detected');
    expect(records.map((record) => record.fields)).toEqual([
      ['13800138000', 'Wang, Wei', 'Beijing'],
      ['18612345678', 'Li', 'Shanghai'],
    ]);
  });

  it('reads a TXT of one number per line as one column, commas in it or not', async () => {
    const file = await dir.text('one-per-line.txt', '13800138000\n18612345678\n13312345678,\n19212345678\n');
    const { layout, records } = await readAll(file);
    expect(layout.delimiter).toBe('none');
    expect(layout.header).toBeNull();
    expect(layout.phoneColumn).toEqual({ index: 0, name: null, source: 'content' });
    expect(records.map((record) => record.fields)).toEqual([['13800138000'], ['18612345678'], ['13312345678,'], ['19212345678']]);
    expect(records.map((record) => record.status)).toEqual(['valid', 'valid', 'valid', 'valid']);
  });

  it('takes --delimiter over detection', async () => {
    const file = await dir.text('forced-delimiter.csv', 'mobile;name\n13800138000;a,b\n');
    const { layout, records } = await readAll(file, { delimiter: 'semicolon' });
    expect(layout).toMatchObject({ delimiter: ';', delimiterSource: 'option' });
    expect(records[0]!.fields).toEqual(['13800138000', 'a,b']);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('reads %s line ends, with the line of each row', async (name, eol) => {
    const text = ['mobile,name', '13800138000,a', '', '18612345678,b', '13312345678,c'].join(eol) + eol;
    const file = await dir.text(`eol-${name}.csv`, text);
    const { records, counts } = await readAll(file);
    expect(records.map((record) => [record.line, record.mobile])).toEqual([
      [2, '13800138000'],
      [4, '18612345678'],
      [5, '13312345678'],
    ]);
    expect(counts.blankLines).toBe(1);
  });

  it('reads mixed line ends in one file and a last line without one', async () => {
    const file = await dir.text('mixed-eol.csv', 'mobile,name\r\n13800138000,a\n18612345678,b\r13312345678,c');
    const { records } = await readAll(file);
    expect(records.map((record) => [record.line, record.fields])).toEqual([
      [2, ['13800138000', 'a']],
      [3, ['18612345678', 'b']],
      [4, ['13312345678', 'c']],
    ]);
  });

  it('reads quoted fields: delimiters, doubled quotes and line breaks inside, line numbers after them', async () => {
    const text = [
      'mobile,name,note',
      '13800138000,"Wang, Wei","said ""hi"""',
      '18612345678,Li,"two\r\nlines"',
      '13312345678,Zhao,"three\nmore\rlines"',
      '19212345678,Qian,plain',
    ].join('\r\n');
    const file = await dir.text('quoted.csv', text);
    const { records } = await readAll(file);
    expect(records.map((record) => [record.line, record.fields])).toEqual([
      [2, ['13800138000', 'Wang, Wei', 'said "hi"']],
      [3, ['18612345678', 'Li', 'two\r\nlines']],
      [5, ['13312345678', 'Zhao', 'three\nmore\rlines']],
      [8, ['19212345678', 'Qian', 'plain']],
    ]);
  });

  it('keeps stray quotes inside unquoted fields as text', async () => {
    const file = await dir.text('stray-quotes.csv', 'mobile,name\n138"00138000,O"Brien\n18612345678,5" screen\n"13312345678" ,ok\n');
    const { records } = await readAll(file);
    expect(records.map((record) => record.fields)).toEqual([
      ['138"00138000', 'O"Brien'],
      ['18612345678', '5" screen'],
      ['"13312345678" ', 'ok'],
    ]);
    expect(records.map((record) => record.mobile)).toEqual(['13800138000', '18612345678', '13312345678']);
  });

  it('reads a field opened by a stray quote as text, quotes and all, when the quote ending it is followed by text', async () => {
    // The quote after Li is followed by a space, not by a delimiter or a line end: the
    // quoting ends there and the field goes on as text up to the next delimiter.
    const one = await dir.text('stray-one-line.csv', 'mobile,name\n13800138000,"Li" Wei,x\n');
    expect((await readAll(one)).records[0]!.fields).toEqual(['13800138000', '"Li" Wei', 'x']);
    // A delimiter between the quotes is inside the quoting; the next field's quotes are quotes again.
    const comma = await dir.text('stray-comma.csv', 'mobile,name,note\n"13800138000","Li, Wei" (VIP),"x"\n18612345678,Zhao,y\n');
    expect((await readAll(comma)).records.map((record) => [record.line, record.fields])).toEqual([
      [2, ['13800138000', '"Li, Wei" (VIP)', 'x']],
      [3, ['18612345678', 'Zhao', 'y']],
    ]);
  });

  it('lets a stray opening quote with no quote after it on its line run on to the next quote (a limit of csv-parse)', async () => {
    // "Li opens a quoted field that only the quote after Zhao ends: row 3 is read into
    // row 2's name field. The line numbers still count every line.
    const file = await dir.text('stray-open.csv', 'mobile,name,note\n13800138000,"Li,x\n18612345678,"Zhao",y\n13312345678,Qian,z\n');
    const { records, counts } = await readAll(file);
    expect(records.map((record) => [record.line, record.fields])).toEqual([
      [2, ['13800138000', '"Li,x\n18612345678,"Zhao"', 'y']],
      [4, ['13312345678', 'Qian', 'z']],
    ]);
    expect(counts).toMatchObject({ rows: 2, blankLines: 0 });
    // With no quote at all after it the field is never closed: refused, at the line of its row.
    const open = await dir.text('stray-unclosed.csv', 'mobile,name\n13800138000,"Li\n18612345678,Zhao\n13312345678,Qian\n');
    expect(await rejection(readAll(open))).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2 });
  });

  it('reads quotes in a TXT list (one number per line) as text: a stray one loses no row', async () => {
    const file = await dir.text('stray-quotes.txt', '"13800138000\n18612345678\n"13312345678"\n19212345678"\n\n"\n');
    const { layout, records, counts } = await readAll(file);
    expect(layout.delimiter).toBe('none');
    expect(records.map((record) => [record.line, record.fields[0], record.mobile, record.reason])).toEqual([
      [1, '"13800138000', '13800138000', null],
      [2, '18612345678', '18612345678', null],
      [3, '"13312345678"', '13312345678', null],
      [4, '19212345678"', '19212345678', null],
      [6, '"', null, 'empty'],
    ]);
    expect(counts).toMatchObject({ rows: 5, valid: 4, blankLines: 1 });
  });

  it('keeps ragged rows: a short row has an empty phone cell, a long row keeps its extra fields', async () => {
    const file = await dir.text('ragged.csv', 'name,city,mobile\nWang,Beijing,13800138000\nLi\nZhao,Shanghai,18612345678,extra,more\n');
    const { records } = await readAll(file);
    expect(records.map((record) => [record.fields, record.status, record.reason])).toEqual([
      [['Wang', 'Beijing', '13800138000'], 'valid', null],
      [['Li'], 'invalid', 'empty'],
      [['Zhao', 'Shanghai', '18612345678', 'extra', 'more'], 'valid', null],
    ]);
  });

  it('counts blank lines, spaces-only lines and all-empty rows as blank, not rows', async () => {
    const file = await dir.text('blanks.csv', '\n\nmobile,name\n\n13800138000,a\n   \n,,\n\t,\n,Li\n\n');
    const { layout, records, counts } = await readAll(file);
    expect(layout.headerLine).toBe(3);
    expect(records.map((record) => [record.line, record.fields, record.reason])).toEqual([
      [5, ['13800138000', 'a'], null],
      [9, ['', 'Li'], 'empty'],
    ]);
    expect(counts).toMatchObject({ rows: 2, valid: 1, invalid: 1, blankLines: 7 });
  });
});

describe('sniffDelimiter', () => {
  it('prefers the candidate present on every line the same number of times', () => {
    expect(sniffDelimiter('a,b;c\n1,2;3\n4,5,6;7\n8,9;0\n', true)).toBe(';');
    expect(sniffDelimiter('a\tb\tc\n1\t2,5\t3\n4\t5\t6\n', true)).toBe('\t');
  });

  it('ignores delimiters inside quotes, but not after a stray quote', () => {
    expect(sniffDelimiter('"a,b";c\n"1,2,3";4\n"x";y\n', true)).toBe(';');
    // The stray quote on line 1 is closed by nothing that ends a field: lines 2-4 still count.
    expect(sniffDelimiter('"Li;1\nWang;2\n"Zhao";3\nQian;4\n', true)).toBe(';');
  });

  it('prefers tab to comma when every line has both the same way', () => {
    expect(sniffDelimiter('mobile\tname,city\n13800138000\tWang,Beijing\n18612345678\tLi,Shanghai\n', true)).toBe('\t');
    // Tabs on only some lines: no tie, comma wins.
    expect(sniffDelimiter('a,b\n1,2\n3\t,4\n', true)).toBe(',');
  });

  it('says none when no candidate is on most lines', () => {
    expect(sniffDelimiter('13800138000\n18612345678\n13312345678,\n19212345678\n', true)).toBe('none');
    expect(sniffDelimiter('', true)).toBe('none');
  });

  it('leaves out the last line of a sample cut short', () => {
    expect(sniffDelimiter('13800138000\n18612345678\n1331|2|3|4', false)).toBe('none');
    expect(sniffDelimiter('a|b\nc|d\ne', false)).toBe('|');
  });
});
