import { describe, expect, it } from 'vitest';
import { InputFileError } from '../../../src/input/errors.js';
import { scanPhoneList } from '../../../src/input/reader.js';
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

  it('refuses a stray opening quote that swallows the rows below, naming the line it opens on and the line it runs to', async () => {
    // "Li opens a quoted field that only the quote after Zhao ends: line 3 would be read
    // into row 2's name field, and its number neither screened nor counted.
    const file = await dir.text('stray-open.csv', 'mobile,name,note\n13800138000,"Li,x\n18612345678,"Zhao",y\n13312345678,Qian,z\n');
    const error = await rejection(readAll(file));
    expect(error).toBeInstanceOf(InputFileError);
    expect(error).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', file, line: 2, column: 2 });
    expect(String(error.message).startsWith(`${file}:2: `)).toBe(true);
    expect(error.message).toMatch(/the " that opens field 2 on this line seems to swallow the lines below up to line 3 into that field/);
    expect(error.message).toMatch(/line 3 looks like a row of its own \(it holds a mobile number\)/);
    expect(error.message).toMatch(/Remove the stray "/);
    expect(error.message).toMatch(/pass --delimiter if commas do not separate/);
    // The pre-flight scan raises it too, so nothing is queued for such a file.
    expect(await rejection(scanPhoneList(file))).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2 });

    // Swallowing several lines: the line it runs to is the one with the closing quote,
    // the line named as a row is the first one inside the field that reads as one.
    const long = await dir.text('stray-long.csv', 'mobile,name,note\n13800138000,"Li,x\n18612345678,Zhao,y\n13312345678,"Qian",z\n19212345678,Sun,w\n');
    const longError = await rejection(readAll(long));
    expect(longError).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2 });
    expect(longError.message).toMatch(/up to line 4 into that field: line 3 looks like a row/);

    // The field's own line, not its row's: a note with a line break comes first in the row.
    const later = await dir.text('stray-after-note.csv', 'mobile,note,name,x\r\n13800138000,"two\r\nlines","Li,x\r\n18612345678,Zhao,y,w\r\n13312345678,"Qian",z,w\r\n');
    const laterError = await rejection(readAll(later));
    expect(laterError).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 3, column: 3 });
    expect(laterError.message).toMatch(/^.*:3: the " that opens field 3 on this line seems to swallow the lines below up to line 5 into that field: line 4 looks like a row/);

    // With no quote at all after it the field is never closed: refused, at the line of its row.
    const open = await dir.text('stray-unclosed.csv', 'mobile,name\n13800138000,"Li\n18612345678,Zhao\n13312345678,Qian\n');
    expect(await rejection(readAll(open))).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2 });
  });

  it('refuses a swallowed row without a valid number by its delimiters, in any delimiter', async () => {
    // The swallowed row's phone cell is a landline: it has as many commas as a row of this file.
    const comma = await dir.text('stray-landline.csv', 'mobile,name,city,note\n13800138000,"Li,Beijing,x\n010-12345678,Zhao,Shanghai,y\n13312345678,"Qian",Shenzhen,z\n');
    const error = await rejection(readAll(comma));
    expect(error).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2 });
    expect(error.message).toMatch(/up to line 4 into that field: line 3 looks like a row of its own \(it has 3 commas, and the first row of the file 3\)/);
    const tab = await dir.text('stray-tab.tsv', 'mobile\tname\tnote\n13800138000\t"Li\tx\nn/a\tZhao\ty\n13312345678\t"Qian"\tz\n');
    const tabError = await rejection(readAll(tab));
    expect(tabError).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2 });
    expect(tabError.message).toMatch(/\(it has 2 tabs, and the first row of the file 2\).*pass --delimiter if tabs do not separate/);
  });

  it('refuses a missing closing quote in a fully quoted file: the next line\'s first field is swallowed', async () => {
    // "Li is never closed; the quote after the next line's number closes it, and that
    // row's other fields are taken as row 2's. The delimiter after the closing quote
    // is on the swallowed line, which holds a number: it reads like a row.
    const file = await dir.text('stray-all-quoted.csv', '"mobile","name","note"\n"13800138000","Li\n"18612345678","Zhao","y"\n"13312345678","Qian","z"\n');
    const error = await rejection(readAll(file));
    expect(error).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2, column: 2 });
    expect(error.message).toMatch(/up to line 3 into that field: line 3 looks like a row of its own \(it holds a mobile number\)/);
  });

  it('reads a legitimate multi-line note as one row, commas and all, with the lines after it right', async () => {
    const text = [
      'mobile,name,city,note',
      '13800138000,Wang,Beijing,"Called twice.\r\nWill call back, maybe Friday\r\n\r\n-- ops"',
      '18612345678,Li,Shanghai,"VIP customer\nsince 2019, 3 lines"',
      '13312345678,Zhao,Shenzhen,plain',
    ].join('\r\n');
    const file = await dir.text('note.csv', text);
    const { records, counts } = await readAll(file);
    expect(records.map((record) => [record.line, record.fields, record.status])).toEqual([
      [2, ['13800138000', 'Wang', 'Beijing', 'Called twice.\r\nWill call back, maybe Friday\r\n\r\n-- ops'], 'valid'],
      [6, ['18612345678', 'Li', 'Shanghai', 'VIP customer\nsince 2019, 3 lines'], 'valid'],
      [8, ['13312345678', 'Zhao', 'Shenzhen', 'plain'], 'valid'],
    ]);
    expect(counts).toMatchObject({ rows: 3, valid: 3, blankLines: 0 });
    // In the middle of a row of a three-column file, with the row going on after it.
    const middle = await dir.text('note-middle.csv', 'mobile,note,city\n13800138000,"first line\nsecond line",Beijing\n18612345678,x,Shanghai\n');
    expect((await readAll(middle)).records.map((record) => [record.line, record.fields])).toEqual([
      [2, ['13800138000', 'first line\nsecond line', 'Beijing']],
      [4, ['18612345678', 'x', 'Shanghai']],
    ]);
  });

  it('reads a note with a phone number alone on an inner line as one row, and refuses one on a line with a delimiter', async () => {
    // A line holding only a number, no comma, is no row of a comma-separated file: the
    // note is kept as written (a swallowed row would carry the file's delimiters).
    const alone = await dir.text('note-number.csv', 'mobile,name,note\n13800138000,Wang,"changed number to:\n13912345678\nsee CRM"\n18612345678,Li,x\n');
    const { records, counts } = await readAll(alone);
    expect(records.map((record) => [record.line, record.fields, record.mobile])).toEqual([
      [2, ['13800138000', 'Wang', 'changed number to:\n13912345678\nsee CRM'], '13800138000'],
      [5, ['18612345678', 'Li', 'x'], '18612345678'],
    ]);
    expect(counts).toMatchObject({ rows: 2, valid: 2 });
    // The number on a line with a comma reads like a row: refused.
    const withComma = await dir.text('note-number-comma.csv', 'mobile,name,city,note\n13800138000,Wang,Beijing,"changed number to:\n13912345678, evenings"\n');
    expect(await rejection(readAll(withComma))).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2 });
    // So is a number ending a note in the middle of a row: the row goes on after it on that line.
    const middle = await dir.text('note-number-middle.csv', 'mobile,note,city,x\n13800138000,"changed number to:\n13912345678",Beijing,y\n');
    const error = await rejection(readAll(middle));
    expect(error).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2 });
    expect(error.message).toMatch(/line 3 looks like a row of its own \(it holds a mobile number\)/);
  });

  it('cannot see a swallowed line with no number and few delimiters inside the field (the limit of the quote check)', async () => {
    // A fully quoted file, closing quote missing after note: only "Zhao" (no number, no
    // comma) is inside the field (csv-parse keeps the quotes of such a field); Zhao's
    // number becomes the fourth field of Li's row.
    const file = await dir.text('stray-unseen.csv', '"name","mobile","note"\n"Li","13900139000","note\n"Zhao","18612345678","y"\n"Qian","13312345678","z"\n');
    const { records, counts } = await readAll(file);
    expect(records.map((record) => [record.line, record.fields])).toEqual([
      [2, ['Li', '13900139000', '"note\n"Zhao"', '18612345678', 'y']],
      [4, ['Qian', '13312345678', 'z']],
    ]);
    expect(counts).toMatchObject({ rows: 2 });
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
