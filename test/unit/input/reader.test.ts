import { describe, expect, it } from 'vitest';
import { readPhoneList, scanPhoneList } from '../../../src/input/reader.js';
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
