import { createHash } from 'node:crypto';
import { appendFile, copyFile, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { fingerprintFile, readPhoneList, scanPhoneList, type InputFingerprint } from '../../../src/input/index.js';
import type { PhoneRecord } from '../../../src/input/records.js';
import { readAll, rejection, useTempDir } from './fixtures.js';

/** A fixed, whole-second modification time, so restoring it is exact on any file system. */
const MTIME = new Date('2024-03-01T08:00:00Z');

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function drain(reader: AsyncIterable<PhoneRecord>): Promise<PhoneRecord[]> {
  const records: PhoneRecord[] = [];
  for await (const record of reader) records.push(record);
  return records;
}

describe('fingerprints: reads of a file agree, or say it changed', () => {
  const dir = useTempDir();

  async function list(name: string, rows = 3000): Promise<string> {
    const lines = ['手机号,姓名,注册日期'];
    for (let i = 0; i < rows; i++) lines.push(`${i % 17 === 5 ? 'bad' : 13800000000 + (i % 2500)},客户${i},2023-01-${String(1 + (i % 28)).padStart(2, '0')}`);
    const file = await dir.text(name, lines.join('\r\n') + '\r\n', 'utf-8', true);
    await utimes(file, MTIME, MTIME);
    return file;
  }

  it('scans to a fingerprint of the file: size, time, inode, SHA-256 of every byte (BOM included), rows, layout', async () => {
    const file = await list('scan.csv');
    const info = await stat(file);
    const scan = await scanPhoneList(file);
    expect(scan.fingerprint).toEqual({
      bytes: info.size,
      mtimeMs: info.mtimeMs,
      ino: info.ino,
      sha256: await sha256(file),
      rows: 3000,
      layoutKey: expect.any(String),
    });
    expect(JSON.parse(scan.fingerprint.layoutKey)).toEqual({
      v: 1,
      format: 'text',
      encoding: 'utf-8',
      delimiter: ',',
      sheet: null,
      headerLine: 1,
      phoneColumn: 0,
      dateColumn: 2,
      since: null,
    });
    // The same from the reader once it has finished, and not before.
    const reader = await readPhoneList(file);
    expect(() => reader.fingerprint()).toThrow(/once the reader has read to the end/);
    await drain(reader);
    expect(reader.fingerprint()).toEqual(scan.fingerprint);
    expect(await fingerprintFile(file)).toEqual(scan.fingerprint);
  });

  it('gives identical records and layouts on every read of the same bytes', async () => {
    const file = await list('twice.csv');
    const first = await readAll(file);
    const second = await readAll(file);
    expect(second.layout).toEqual(first.layout);
    expect(second.records).toEqual(first.records);
    expect(second.counts).toEqual(first.counts);
    // And with expect: the third read proves it.
    const scan = await scanPhoneList(file);
    const reader = await readPhoneList(file, {}, { expect: scan.fingerprint });
    expect(await drain(reader)).toEqual(first.records);
    expect(reader.finished).toBe(true);
  });

  it('refuses a file rewritten with the same size and time, after the last record (INPUT_CHANGED)', async () => {
    const file = await list('rewritten.csv');
    const scan = await scanPhoneList(file);
    // One digit changed in place, the time put back: size and time say nothing.
    const bytes = await readFile(file);
    const at = bytes.indexOf('13800000007');
    bytes[at + 10] = '9'.charCodeAt(0);
    await writeFile(file, bytes);
    await utimes(file, MTIME, MTIME);
    expect((await stat(file)).mtimeMs).toBe(scan.fingerprint.mtimeMs);

    const reader = await readPhoneList(file, {}, { expect: scan.fingerprint });
    const seen: PhoneRecord[] = [];
    const error = await rejection(
      (async () => {
        for await (const record of reader) seen.push(record);
      })(),
    );
    expect(error).toMatchObject({ code: 'INPUT_CHANGED', file });
    expect(String(error.message)).toMatch(/not the one that was checked: its bytes are not the same \(SHA-256\)/);
    expect(seen).toHaveLength(3000);
    expect(reader.finished).toBe(false);
    expect(() => reader.fingerprint()).toThrow();
  });

  it('refuses a file of another size or time before the first record', async () => {
    const file = await list('resized.csv');
    const scan = await scanPhoneList(file);
    await appendFile(file, '13900139000,追加,2023-05-06\r\n');
    await utimes(file, MTIME, MTIME);
    const resized = await rejection(readPhoneList(file, {}, { expect: scan.fingerprint }));
    expect(resized).toMatchObject({ code: 'INPUT_CHANGED' });
    expect(String(resized.message)).toMatch(/it is \d+ bytes, not \d+/);

    const touched = await list('touched.csv');
    const before = await scanPhoneList(touched);
    await utimes(touched, MTIME, new Date(MTIME.getTime() + 60_000));
    const error = await rejection(readPhoneList(touched, {}, { expect: before.fingerprint }));
    expect(error).toMatchObject({ code: 'INPUT_CHANGED' });
    expect(String(error.message)).toMatch(/modified at 2024-03-01T08:01:00.000Z, not 2024-03-01T08:00:00.000Z/);
  });

  it('refuses a read that decides another layout (other options), before the first record', async () => {
    const file = await list('layout.csv');
    const scan = await scanPhoneList(file);
    const error = await rejection(readPhoneList(file, { since: '20230101' }, { expect: scan.fingerprint }));
    expect(error).toMatchObject({ code: 'INPUT_CHANGED' });
    expect(String(error.message)).toMatch(/read with another layout/);
    expect(await rejection(readPhoneList(file, { header: 'no' }, { expect: scan.fingerprint }))).toMatchObject({ code: 'INPUT_CHANGED' });
    // A fingerprint that does not match on rows: after the last record.
    const wrongRows: InputFingerprint = { ...scan.fingerprint, rows: scan.fingerprint.rows + 1 };
    const reader = await readPhoneList(file, {}, { expect: wrongRows });
    const late = await rejection(drain(reader));
    expect(String(late.message)).toMatch(/it has 3000 rows, not 3001/);
  });

  it('reads a stored copy against the copy\'s fingerprint; the inode is compared only when asked', async () => {
    const file = await list('original.csv');
    const scan = await scanPhoneList(file);
    const copy = dir.path('copy.csv');
    await copyFile(file, copy);
    const stored = await fingerprintFile(copy);
    // The content is the scanned file's; the file is another.
    expect(stored).toMatchObject({ sha256: scan.fingerprint.sha256, rows: scan.fingerprint.rows, layoutKey: scan.fingerprint.layoutKey });
    expect(stored.ino).not.toBe(scan.fingerprint.ino);
    expect(await drain(await readPhoneList(copy, {}, { expect: stored }))).toHaveLength(3000);

    // The original's fingerprint with the copy's size and time: only compareInode tells them apart.
    const info = await stat(copy);
    const original = { ...scan.fingerprint, mtimeMs: info.mtimeMs };
    expect(await drain(await readPhoneList(copy, {}, { expect: original }))).toHaveLength(3000);
    const other = await rejection(readPhoneList(copy, {}, { expect: original, compareInode: true }));
    expect(other).toMatchObject({ code: 'INPUT_CHANGED' });
    expect(String(other.message)).toMatch(/another file \(inode/);
  });

  it('refuses a file that grows while it is read, at the end', async () => {
    const file = await list('growing.csv', 60_000);
    const reader = await readPhoneList(file);
    let appended = false;
    const error = await rejection(
      (async () => {
        for await (const record of reader) {
          if (!appended && record.index === 10) {
            appended = true;
            await appendFile(file, '13900139000,追加,2023-05-06\r\n');
          }
        }
      })(),
    );
    expect(error).toMatchObject({ code: 'INPUT_CHANGED' });
    expect(String(error.message)).toMatch(/changed while it was being read/);
  });

  it('fingerprints workbooks the same way, every byte hashed', async () => {
    const file = await dir.xlsx('list.xlsx', { S: [['mobile', 'name'], [13800138000, 'a'], [18612345678, 'b']] });
    const scan = await scanPhoneList(file);
    expect(scan.fingerprint).toMatchObject({ bytes: (await stat(file)).size, sha256: await sha256(file), rows: 2 });
    expect(JSON.parse(scan.fingerprint.layoutKey)).toMatchObject({ format: 'xlsx', sheet: [1, 'S'], encoding: null });
    expect(await drain(await readPhoneList(file, {}, { expect: scan.fingerprint }))).toHaveLength(2);
  });
});
