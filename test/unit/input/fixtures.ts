/**
 * Fixtures for the input tests, made by the tests themselves: text in any encoding
 * (iconv-lite), workbooks (exceljs), written to a temp dir that is removed afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll } from 'vitest';
import { readPhoneList } from '../../../src/input/reader.js';
import type { InputOptions } from '../../../src/input/options.js';
import type { PhoneRecord } from '../../../src/input/records.js';
import type { InputCounts } from '../../../src/input/counts.js';
import type { InputLayout } from '../../../src/input/reader.js';

export interface TempDir {
  path(name: string): string;
  /** Writes `text` in `encoding` (iconv-lite name), with a BOM if asked. Returns the path. */
  text(name: string, text: string, encoding?: string, bom?: boolean): Promise<string>;
  bytes(name: string, bytes: Uint8Array): Promise<string>;
  xlsx(name: string, sheets: Record<string, unknown[][]>): Promise<string>;
}

/** A temp dir for one test file, created before its tests and removed after. */
export function useTempDir(): TempDir {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'riskscreen-input-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const path = (name: string) => join(dir, name);
  return {
    path,
    async text(name, text, encoding = 'utf-8', bom = false) {
      const file = path(name);
      await writeFile(file, iconv.encode(text, encoding, { addBOM: bom }));
      return file;
    },
    async bytes(name, bytes) {
      const file = path(name);
      await writeFile(file, bytes);
      return file;
    },
    async xlsx(name, sheets) {
      const file = path(name);
      const workbook = new ExcelJS.Workbook();
      for (const [sheetName, rows] of Object.entries(sheets)) {
        const sheet = workbook.addWorksheet(sheetName);
        for (const row of rows) sheet.addRow(row);
      }
      await workbook.xlsx.writeFile(file);
      return file;
    },
  };
}

export interface ReadResult {
  layout: InputLayout;
  records: PhoneRecord[];
  counts: InputCounts;
}

/** Reads a whole list into memory, for small fixtures. */
export async function readAll(file: string, options: InputOptions = {}): Promise<ReadResult> {
  const reader = await readPhoneList(file, options);
  const records: PhoneRecord[] = [];
  for await (const record of reader) records.push(record);
  return { layout: reader.layout, records, counts: reader.counts() };
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown>;
  }
  throw new Error('expected a rejection, got a result');
}
