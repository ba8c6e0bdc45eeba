/** `dateColumn: 'none'` (`--date-column none`): no date column, even where a header names one. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scanPhoneList } from '../../../src/input/index.js';

const dir = mkdtempSync(join(tmpdir(), 'riskscreen-date-none-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dateColumn none', () => {
  const file = join(dir, 'list.csv');
  writeFileSync(file, '手机号,注册日期\n13800138000,2024-01-02\n13900139000,2023-05-06\n');

  it('finds the date column by name without it, and reads none with it', async () => {
    expect((await scanPhoneList(file, {})).layout.dateColumn).toMatchObject({ index: 1, source: 'name' });
    expect((await scanPhoneList(file, { dateColumn: 'none' })).layout.dateColumn).toBeNull();
    expect((await scanPhoneList(file, { dateColumn: ' NONE ', since: '20240101' })).layout).toMatchObject({ dateColumn: null, since: '20240101' });
  });

  it('is only a word for the date column: a phone column named none is a name', async () => {
    await expect(scanPhoneList(file, { column: 'none' })).rejects.toMatchObject({ code: 'INPUT_COLUMN_NOT_FOUND' });
  });
});
