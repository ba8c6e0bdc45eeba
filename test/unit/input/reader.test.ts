import { describe, expect, it } from 'vitest';
import { collectLayoutRows, LAYOUT_LIMITS, readPhoneList, scanPhoneList } from '../../../src/input/reader.js';
import type { RawRow } from '../../../src/input/rows.js';
import { useTempDir } from './fixtures.js';

describe('the reader API', () => {
  const dir = useTempDir();

  async function bigList(name: string, rows: number): Promise<string> {
    const lines = ['mobile,name'];
    for (let i = 0; i < rows; i++) lines.push(`${i % 10 === 9 ? 'bad' : 13800000000 + i},n${i}`);
    return dir.text(name, lines.join('\n') + '\n');
  }

  it('reports counts as it goes and says when it has finished', async () => {
    const reader = await readPhoneList(await bigList('counts.csv', 3000));
    expect(reader.finished).toBe(false);
    expect(reader.counts().rows).toBe(0);
    let seen = 0;
    for await (const record of reader) {
      seen++;
      if (seen === 1500) {
        expect(reader.counts().rows).toBe(1500);
        expect(reader.finished).toBe(false);
      }
      expect(record.index).toBe(seen - 1);
    }
    expect(reader.finished).toBe(true);
    expect(reader.counts()).toMatchObject({ rows: 3000, valid: 2700, invalid: 300, unique: 2700 });
    // counts() is a snapshot: changing it changes nothing.
    reader.counts().invalidByReason.letters = 0;
    expect(reader.counts().invalidByReason.letters).toBe(300);
  });

  it('can be read once only', async () => {
    const reader = await readPhoneList(await bigList('once.csv', 10));
    for await (const record of reader) void record;
    await expect(async () => {
      for await (const record of reader) void record;
    }).rejects.toThrow(/only once/);
  });

  it('stops cleanly when the caller stops early, or closes without reading', async () => {
    const reader = await readPhoneList(await bigList('early.csv', 5000));
    let taken = 0;
    for await (const record of reader) {
      void record;
      if (++taken === 10) break;
    }
    expect(reader.counts().rows).toBe(10);
    expect(reader.finished).toBe(false);
    const unread = await readPhoneList(await bigList('unread.csv', 5000));
    await unread.close();
  });

  it('decides the layout on at most 1,000 rows or 4 MiB of them, whichever comes first', async () => {
    let pulled = 0;
    async function* rows(fieldBytes: number): AsyncGenerator<RawRow> {
      for (let line = 1; line <= 100_000; line++) {
        pulled++;
        yield { fields: ['13800138000', 'x'.repeat(fieldBytes)], line };
      }
    }
    // Wide rows (about 900 KiB each): the byte cap stops the sample at 5 rows (4.4 MiB).
    const wide = await collectLayoutRows(rows(900 * 1024));
    expect(LAYOUT_LIMITS).toEqual({ rows: 1000, bytes: 4 * 1024 * 1024 });
    expect(wide.rows).toHaveLength(5);
    expect(wide.ended).toBe(false);
    expect(pulled).toBe(5);
    // Narrow rows: the row cap.
    pulled = 0;
    const narrow = await collectLayoutRows(rows(10));
    expect(narrow.rows).toHaveLength(1000);
    expect(pulled).toBe(1000);
    // Counted in UTF-8 bytes of the fields, the same for any read.
    pulled = 0;
    expect((await collectLayoutRows(rows(10), { rows: 1000, bytes: 21 * 3 })).rows).toHaveLength(3);
  });

  it('reads a file of wide rows within the byte cap all the same', async () => {
    const lines = ['mobile,note'];
    for (let i = 0; i < 12; i++) lines.push(`${13800000000 + i},${'备'.repeat(200_000)}`);
    const file = await dir.text('wide.csv', lines.join('\n') + '\n');
    const scan = await scanPhoneList(file);
    expect(scan.layout.phoneColumn).toMatchObject({ index: 0, name: 'mobile' });
    expect(scan.counts.rows).toBe(12);
  });

  it('scans: layout, counts and the first invalid rows', async () => {
    const scan = await scanPhoneList(await bigList('scan.csv', 100), {}, { keepInvalid: 3 });
    expect(scan.layout.phoneColumn).toEqual({ index: 0, name: 'mobile', source: 'name' });
    expect(scan.counts.rows).toBe(100);
    expect(scan.firstInvalid.map((record) => [record.line, record.reason])).toEqual([
      [11, 'letters'],
      [21, 'letters'],
      [31, 'letters'],
    ]);
    expect(scan.layout.bytes).toBeGreaterThan(0);
    expect(scan.layout.mtimeMs).toBeGreaterThan(0);
  });
});
