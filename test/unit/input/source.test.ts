/**
 * How a read touches the file: one open, one descriptor for the sample and the rows,
 * and no more bytes than it needs before refusing a line that never ends.
 */
import type { FileHandle } from 'node:fs/promises';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { readPhoneList, scanPhoneList } from '../../../src/input/reader.js';
import { rejection, useTempDir } from './fixtures.js';

const io = vi.hoisted(() => ({ opens: [] as string[], stats: 0, bytesRead: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open = async (...args: Parameters<typeof actual.open>): Promise<FileHandle> => {
    io.opens.push(String(args[0]));
    const handle = await actual.open(...args);
    return new Proxy(handle, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (property === 'read') {
          return async (...readArgs: unknown[]) => {
            const result = await (value as (...a: unknown[]) => Promise<{ bytesRead: number }>).apply(target, readArgs);
            io.bytesRead += result.bytesRead;
            return result;
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  const stat = async (...args: Parameters<typeof actual.stat>) => {
    io.stats++;
    return actual.stat(...args);
  };
  return { ...actual, default: { ...actual, open, stat }, open, stat };
});

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const createReadStream = () => {
    throw new Error('a read must not open the file a second time by path');
  };
  return { ...actual, default: { ...actual, createReadStream }, createReadStream };
});

describe('one file descriptor per read', () => {
  const dir = useTempDir();

  beforeEach(() => {
    io.opens.length = 0;
    io.stats = 0;
    io.bytesRead = 0;
  });

  it('opens a CSV once, reads the sample and the rows from that descriptor', async () => {
    const lines = ['mobile,name'];
    for (let i = 0; i < 60_000; i++) lines.push(`${13800000000 + i},客户${i}`);
    const file = await dir.text('big.csv', lines.join('\n') + '\n');
    io.opens.length = 0;
    io.bytesRead = 0;
    const scan = await scanPhoneList(file);
    expect(scan.counts.rows).toBe(60_000);
    expect(io.opens).toEqual([file]);
    expect(io.stats).toBe(0);
    // Every byte read once: the sample is the first chunk of the stream, not read again.
    expect(io.bytesRead).toBe(scan.fingerprint.bytes);
  });

  it('opens a workbook once too, and reads one within the sample once', async () => {
    const file = await dir.xlsx('list.xlsx', { S: [['mobile'], [13800138000], [18612345678]] });
    io.opens.length = 0;
    io.bytesRead = 0;
    const scan = await scanPhoneList(file);
    expect(scan.counts.rows).toBe(2);
    expect(io.opens).toEqual([file]);
    expect(io.bytesRead).toBe(scan.fingerprint.bytes);
    // A bigger one is read by position (its zip directory, then the parts), then hashed in order.
    const rows: unknown[][] = [['mobile', 'note']];
    for (let i = 0; i < 60_000; i++) rows.push([13800000000 + i, `备注${i}-${(i * 7919) % 100_003}`]);
    const big = await dir.xlsx('big.xlsx', { S: rows });
    io.opens.length = 0;
    const bigScan = await scanPhoneList(big);
    expect(bigScan.fingerprint.bytes).toBeGreaterThan(1024 * 1024);
    expect(bigScan.counts.rows).toBe(60_000);
    expect(io.opens).toEqual([big]);
  });

  it('stops reading a file with no line ends soon after the line limit, not at its end', async () => {
    const file = await dir.text('endless.txt', '1'.repeat(8 * 1024 * 1024));
    io.bytesRead = 0;
    const error = await rejection(scanPhoneList(file));
    expect(error).toMatchObject({ code: 'INPUT_LINE_TOO_LONG', line: 1 });
    // 1 MiB limit: the 1 MiB sample and one more 256 KiB chunk, of 8 MiB.
    expect(io.bytesRead).toBeLessThanOrEqual(1.25 * 1024 * 1024);
  });

  it('stops reading a quoted field left open soon after the limit, not at the end of the file', async () => {
    const lines = ['mobile,name', '13800138000,"open'];
    for (let i = 0; i < 400_000; i++) lines.push(`${13900000000 + i},name`);
    const file = await dir.text('runaway.csv', lines.join('\n'));
    io.bytesRead = 0;
    const error = await rejection(readPhoneList(file, { maxLineBytes: 64 * 1024 }));
    expect(error).toMatchObject({ code: 'INPUT_UNCLOSED_QUOTE', line: 2 });
    expect(io.bytesRead).toBeLessThanOrEqual(1024 * 1024);
  });
});
