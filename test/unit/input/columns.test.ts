import { describe, expect, it } from 'vitest';
import { isIdColumnName, phoneNameTier, dateNameTier } from '../../../src/input/columns.js';
import { readPhoneList } from '../../../src/input/reader.js';
import { readAll, rejection, useTempDir } from './fixtures.js';

describe('header and phone column', () => {
  const dir = useTempDir();

  it.each(['mobile', 'Mobile', 'MOBILE_NO', 'Mobile No.', 'phone', 'Phone Number', 'tel', 'msisdn', '手机', '手机号', '手机号码', '电话', '联系电话', '联系方式', '客户手机号1', '手机号码（必填）', '号码'])(
    'finds the phone column named %j, second of three',
    async (name) => {
      const file = await dir.text(`name-${encodeURIComponent(name)}.csv`, `姓名,${name},城市\n张三,13800138000,北京\n李四,,上海\n`);
      const { layout, records } = await readAll(file);
      expect(layout.header).toEqual(['姓名', name, '城市']);
      expect(layout.headerLine).toBe(1);
      expect(layout.headerSource).toBe('detected');
      expect(layout.phoneColumn).toEqual({ index: 1, name, source: 'name' });
      expect(records.map((record) => record.reason)).toEqual([null, 'empty']);
    },
  );

  it('reads a file without a header: every row is a data row', async () => {
    const file = await dir.text('no-header.csv', '张三,13800138000\n李四,18612345678\n王五,bad\n');
    const { layout, records } = await readAll(file);
    expect(layout.header).toBeNull();
    expect(layout.headerLine).toBeNull();
    expect(layout.phoneColumn).toEqual({ index: 1, name: null, source: 'content' });
    expect(records.map((record) => [record.index, record.line, record.status])).toEqual([
      [0, 1, 'valid'],
      [1, 2, 'valid'],
      [2, 3, 'invalid'],
    ]);
  });

  it('takes unknown labels over a column of numbers as a header, and finds the column by content', async () => {
    const file = await dir.text('labels.csv', 'ID,Contact,Notes\n1,13800138000,x\n2,18612345678,y\n3,13312345678,z\n');
    const { layout, records } = await readAll(file);
    expect(layout.header).toEqual(['ID', 'Contact', 'Notes']);
    expect(layout.phoneColumn).toEqual({ index: 1, name: 'Contact', source: 'content' });
    expect(records).toHaveLength(3);
  });

  it('does not take a first row with a phone number in it as a header', async () => {
    const file = await dir.text('data-first.csv', 'Wang,13800138000\nLi,18612345678\n');
    const { layout, records } = await readAll(file);
    expect(layout.header).toBeNull();
    expect(records).toHaveLength(2);
  });

  it('picks by content the column where most values are mobile numbers, not landlines or IDs', async () => {
    // The order ids are 11 digits starting 13: shaped exactly like mobile numbers, and
    // on the left of the phone column, which has one value fewer. Their name puts them last.
    const rows = ['订单,座机,客户,身份'];
    for (let i = 0; i < 20; i++) rows.push(`1300000${String(1000 + i)},010-6${String(i).padStart(7, '0')},1380013${String(8000 + i)},11010519900101${String(1000 + i)}`);
    rows.push('13000001999,010-60000000,unknown,110105199001019999');
    const file = await dir.text('content.csv', rows.join('\n'));
    const { layout, counts } = await readAll(file);
    expect(layout.phoneColumn).toMatchObject({ index: 2, source: 'content' });
    expect(counts).toMatchObject({ rows: 21, valid: 20, invalid: 1 });
  });

  it.each([
    ['订单号', 'the leftmost on a tie'],
    ['会员编号', 'the leftmost on a tie'],
    ['member_no', 'the leftmost on a tie'],
    ['OrderID', 'the leftmost on a tie'],
    ['卡号', 'the leftmost on a tie'],
  ])('ranks a column named %j (ids) below the phone column by content, though it is %s', async (idName) => {
    const rows = [`${idName},联系人,Contact`];
    for (let i = 0; i < 30; i++) rows.push(`1350000${String(2000 + i)},客户${i},1390013${String(8000 + i)}`);
    const file = await dir.text(`id-${encodeURIComponent(idName)}.csv`, rows.join('\n'));
    const { layout, records } = await readAll(file);
    expect(layout.phoneColumn).toEqual({ index: 2, name: 'Contact', source: 'content' });
    expect(records[0]!.mobile).toBe('13900138000');
  });

  it('refuses to guess between two columns of mobile numbers, naming both, and takes --column', async () => {
    const rows = ['A,B,C'];
    // B has empties (only 20 numbers to A's 30): still at least half as many.
    for (let i = 0; i < 30; i++) rows.push(`1350000${String(2000 + i)},${i % 3 === 0 ? '' : `1390013${String(8000 + i)}`},x${i}`);
    const file = await dir.text('ambiguous.csv', rows.join('\n'));
    const error = await rejection(readPhoneList(file));
    expect(error).toMatchObject({ code: 'INPUT_AMBIGUOUS_PHONE_COLUMN', file, line: 1 });
    expect(String(error.message)).toMatch(/column 1 "A" \(30 valid mobile numbers in the first 30 rows\); column 2 "B" \(20 valid/);
    expect(String(error.message)).toMatch(/--column NAME or --column NUMBER/);
    expect((await readAll(file, { column: 'B' })).layout.phoneColumn).toEqual({ index: 1, name: 'B', source: 'option' });

    const headerless = await dir.text('ambiguous-no-header.csv', rows.slice(1).join('\n'));
    const second = await rejection(readPhoneList(headerless));
    expect(second).toMatchObject({ code: 'INPUT_AMBIGUOUS_PHONE_COLUMN', line: undefined });
    expect(String(second.message)).toMatch(/column 1 \(30 valid .*column 2 \(20 valid/);

    // Far fewer numbers in the second column (under half): not a rival.
    const notes = ['A,Notes'];
    for (let i = 0; i < 30; i++) notes.push(`1350000${String(2000 + i)},${i < 5 ? `1390013${String(8000 + i)}` : ''}`);
    const clear = await dir.text('not-ambiguous.csv', notes.join('\n'));
    expect((await readAll(clear)).layout.phoneColumn).toMatchObject({ index: 0, source: 'content' });
  });

  it('passes over a named column without a single valid number for a column of numbers', async () => {
    // 电话 here is the type of phone, not the number.
    const file = await dir.text('type-column.csv', '姓名,电话,号\n张三,手机,13800138000\n李四,座机,18612345678\n王五,手机,13312345678\n');
    const { layout, counts } = await readAll(file);
    expect(layout.phoneColumn).toEqual({ index: 2, name: '号', source: 'content' });
    expect(counts.valid).toBe(3);
    // A named column full of Excel-damaged numbers, next to a column of good ones: ask.
    const damaged = await dir.text('damaged-named.csv', '手机号,other\n1.38001E+10,13800138000\n1.38612E+10,18612345678\n');
    const error = await rejection(readPhoneList(damaged));
    expect(error).toMatchObject({ code: 'INPUT_AMBIGUOUS_PHONE_COLUMN' });
    expect(String(error.message)).toMatch(/column 1 "手机号" \(0 valid mobile numbers, 2 damaged .*column 2 "other" \(2 valid/);
  });

  it('does not take a first data row as the header because a type column holds a known name (手机, mobile, tel)', async () => {
    for (const type of ['手机', 'mobile', 'tel']) {
      const text = `13800138000,${type},张三\n18612345678,${type},李四\n13312345678,座机,王五\n`;
      const file = await dir.text(`type-${type}.csv`, text);
      const { layout, records, counts } = await readAll(file);
      expect(layout.header).toBeNull();
      expect(layout.phoneColumn).toEqual({ index: 0, name: null, source: 'content' });
      expect(records.map((record) => [record.line, record.mobile])).toEqual([
        [1, '13800138000'],
        [2, '18612345678'],
        [3, '13312345678'],
      ]);
      expect(counts).toMatchObject({ rows: 3, valid: 3, invalid: 0 });
    }
    // The first row's phone cell empty: 手机 comes again below, so it is a value, not a name.
    const empty = await dir.text('type-empty-first.csv', ',手机,张三\n18612345678,手机,李四\n13312345678,手机,王五\n');
    const read = await readAll(empty);
    expect(read.layout.header).toBeNull();
    expect(read.records.map((record) => record.reason)).toEqual(['empty', null, null]);
  });

  it('does not take a first row with an empty phone cell as the header', async () => {
    const file = await dir.text('empty-first.csv', '张三,,北京\n李四,13800138000,上海\n王五,18612345678,广州\n赵六,13312345678,深圳\n');
    const { layout, records } = await readAll(file);
    expect(layout.header).toBeNull();
    expect(layout.phoneColumn).toEqual({ index: 1, name: null, source: 'content' });
    expect(records.map((record) => [record.line, record.reason])).toEqual([
      [1, 'empty'],
      [2, null],
      [3, null],
      [4, null],
    ]);
  });

  it('does not take a first row that looks like the rows under it as the header', async () => {
    // The first phone cell is a word, but one that comes again in the column: a value.
    const repeated = await dir.text('first-na.csv', 'R001,张三,n/a\nR002,李四,13800138000\nR003,王五,n/a\nR004,赵六,18612345678\nR005,钱七,13312345678\n');
    expect((await readAll(repeated)).layout.header).toBeNull();
    // Not repeated, but the other cells have the shape of the cells below them (R001 over R002...).
    const shaped = await dir.text('first-shaped.csv', 'R001,2023-01-05,无\nR002,2023-02-06,13800138000\nR003,2023-03-07,18612345678\nR004,2023-04-08,13312345678\n');
    const read = await readAll(shaped);
    expect(read.layout.header).toBeNull();
    expect(read.records).toHaveLength(4);
  });

  it('finds an Excel-mangled phone column by content and refuses its rows one by one', async () => {
    const file = await dir.text('mangled.csv', 'name,n\na,1.38001E+10\nb,1.38612E+10\nc,1.33123E+10\n');
    const { layout, counts } = await readAll(file);
    expect(layout.phoneColumn).toMatchObject({ index: 1, source: 'content' });
    expect(counts.invalidByReason.scientific_notation).toBe(3);
  });

  it('prefers a mobile name to a generic one, and inside a tier the column with more numbers', async () => {
    const first = await dir.text('tiers.csv', '电话,手机号\n13800138000,18612345678\n');
    expect((await readAll(first)).layout.phoneColumn).toEqual({ index: 1, name: '手机号', source: 'name' });
    const second = await dir.text('same-tier.csv', '手机,手机号\n,18612345678\n,13312345678\n');
    expect((await readAll(second)).layout.phoneColumn).toEqual({ index: 1, name: '手机号', source: 'name' });
    const landline = await dir.text('landline-name.csv', '固定电话,联系方式\n010-12345678,13800138000\n');
    expect((await readAll(landline)).layout.phoneColumn).toMatchObject({ index: 1, name: '联系方式' });
  });

  it('takes --column by name (any case) or 1-based number', async () => {
    const file = await dir.text('column-option.csv', 'name,Backup,primary\nWang,18612345678,13800138000\n');
    expect((await readAll(file, { column: 'PRIMARY' })).layout.phoneColumn).toEqual({ index: 2, name: 'primary', source: 'option' });
    const byNumber = await readAll(file, { column: 2 });
    expect(byNumber.layout.phoneColumn).toEqual({ index: 1, name: 'Backup', source: 'option' });
    expect(byNumber.records[0]!.mobile).toBe('18612345678');
  });

  it('takes a row holding the --column name as the header, whatever else it holds', async () => {
    const file = await dir.text('column-names-header.csv', 'x1,y2\n13800138000,18612345678\n');
    const { layout } = await readAll(file, { column: 'y2' });
    expect(layout.header).toEqual(['x1', 'y2']);
    expect(layout.phoneColumn.index).toBe(1);
  });

  it('takes --header yes / no over detection', async () => {
    const file = await dir.text('header-option.csv', 'mobile\n13800138000\n18612345678\n');
    const no = await readAll(file, { header: 'no' });
    expect(no.layout).toMatchObject({ header: null, headerSource: 'option' });
    expect(no.records.map((record) => [record.fields[0], record.reason])).toEqual([
      ['mobile', 'letters'],
      ['13800138000', null],
      ['18612345678', null],
    ]);
    const numbers = await dir.text('header-yes.csv', '13900139000\n13800138000\n');
    const yes = await readAll(numbers, { header: 'yes' });
    expect(yes.layout).toMatchObject({ header: ['13900139000'], headerSource: 'option' });
    expect(yes.records).toHaveLength(1);
  });

  it('refuses --column naming a column the file does not have', async () => {
    const file = await dir.text('missing-column.csv', 'name,mobile\nWang,13800138000\n');
    const byName = await rejection(readPhoneList(file, { column: 'phone2' }));
    expect(byName).toMatchObject({ code: 'INPUT_COLUMN_NOT_FOUND', line: 1 });
    expect(String(byName.message)).toMatch(/no column named "phone2" \(the header has "name", "mobile"\)/);
    const byNumber = await rejection(readPhoneList(file, { column: 3 }));
    expect(String(byNumber.message)).toMatch(/there is no column 3: the rows have 2 columns/);
    const noHeader = await dir.text('missing-column-no-header.csv', '13800138000\n');
    expect(await rejection(readPhoneList(noHeader, { column: 'mobile' }))).toMatchObject({ code: 'INPUT_COLUMN_NOT_FOUND' });
  });
});

describe('date column and --since', () => {
  const dir = useTempDir();

  it.each(['注册日期', '入网时间', 'reg_date', 'RegDate', 'date', '日期'])('finds the date column named %j', async (name) => {
    const file = await dir.text(`date-${encodeURIComponent(name)}.csv`, `mobile,${name}\n13800138000,2023-01-05\n18612345678,2023/2/7\n`);
    const { layout, records } = await readAll(file);
    expect(layout.dateColumn).toEqual({ index: 1, name, source: 'name' });
    expect(records.map((record) => record.date)).toEqual(['20230105', '20230207']);
  });

  it('falls back to --since for empty and bad dates, and warns about bad ones without refusing the number', async () => {
    const file = await dir.text('dates.csv', 'mobile,注册日期\n13800138000,20230105\n18612345678,\n13312345678,last year\n19212345678,2023-02-30\n');
    const { records, counts } = await readAll(file, { since: '2022-12-01' });
    expect(records.map((record) => [record.status, record.date, record.dateWarning])).toEqual([
      ['valid', '20230105', null],
      ['valid', '20221201', null],
      ['valid', '20221201', 'bad_date'],
      ['valid', '20221201', 'bad_date'],
    ]);
    expect(counts).toMatchObject({ valid: 4, withDate: 4, dateWarnings: 2 });
    const without = await readAll(file);
    expect(without.records.map((record) => record.date)).toEqual(['20230105', null, null, null]);
  });

  it('uses --since for every row without a date column, and --date-column by number', async () => {
    const file = await dir.text('since.csv', 'mobile,when\n13800138000,2023-03-04\n');
    expect((await readAll(file, { since: '20220101' })).records[0]!.date).toBe('20220101');
    const chosen = await readAll(file, { dateColumn: 2 });
    expect(chosen.layout.dateColumn).toEqual({ index: 1, name: 'when', source: 'option' });
    expect(chosen.records[0]!.date).toBe('20230304');
    expect(await rejection(readPhoneList(file, { dateColumn: 1 }))).toMatchObject({ code: 'INPUT_OPTION_INVALID', option: 'dateColumn' });
  });
});

describe('duplicates', () => {
  const dir = useTempDir();

  it('marks repeats of a number, in any spelling, with the row where it first appeared', async () => {
    const file = await dir.text('dupes.csv', 'mobile\n13800138000\n18612345678\n+86 138-0013-8000\n\n138 0013 8000\nbad\n18612345678\n');
    const { records, counts } = await readAll(file);
    expect(records.map((record) => [record.index, record.line, record.status, record.reason, record.firstIndex, record.mobile])).toEqual([
      [0, 2, 'valid', null, null, '13800138000'],
      [1, 3, 'valid', null, null, '18612345678'],
      [2, 4, 'duplicate', 'duplicate', 0, '13800138000'],
      [3, 6, 'duplicate', 'duplicate', 0, '13800138000'],
      [4, 7, 'invalid', 'letters', null, null],
      [5, 8, 'duplicate', 'duplicate', 1, '18612345678'],
    ]);
    expect(counts).toMatchObject({ rows: 6, valid: 5, invalid: 1, duplicates: 3, unique: 2, blankLines: 1 });
    expect(counts.byCarrier).toEqual({ cmcc: 1, cucc: 1, ctcc: 0, cbn: 0 });
    expect(counts.byKind).toEqual({ mobile: 2, mvno: 0, iot: 0, satellite: 0 });
  });
});

describe('column name tiers', () => {
  it('ranks names', () => {
    expect(phoneNameTier('手机号码')).toBe(0);
    expect(phoneNameTier('联系电话')).toBe(1);
    expect(phoneNameTier('备用手机')).toBe(2);
    expect(phoneNameTier('备用电话号')).toBe(3);
    for (const landline of ['家庭电话', '家庭电话号', '住宅电话', '单位电话', '公司电话', '办公电话']) expect(phoneNameTier(landline)).toBeUndefined();
    expect(phoneNameTier('固定电话')).toBeUndefined();
    expect(phoneNameTier('身份证号码')).toBeUndefined();
    expect(phoneNameTier('hotel')).toBeUndefined();
    expect(dateNameTier('注册日期')).toBe(0);
    expect(dateNameTier('Date')).toBe(1);
    expect(dateNameTier('出生日期')).toBeUndefined();
  });

  it('tells id column names', () => {
    for (const name of ['订单号', '会员编号', '账号', '卡号', 'ID', 'member_no', 'OrderID', 'orderId', 'Card No.', 'uid', '用户ID']) {
      expect(isIdColumnName(name)).toBe(true);
    }
    for (const name of ['Contact', 'Notes', 'Nokia', 'Mobile No.', '会员手机号', '联系方式', '姓名', 'Phone Number']) {
      expect(isIdColumnName(name)).toBe(false);
    }
  });
});
