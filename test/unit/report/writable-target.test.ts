import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkWritableTarget } from '../../../src/report/export.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-target-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('checkWritableTarget (before any call)', () => {
  it('makes a missing folder, as mkdir -p would, and leaves no probe file behind', async () => {
    await checkWritableTarget(join(dir, 'a', 'b', 'result.csv'));
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual([]);
  });

  it('refuses a target that is a folder', async () => {
    mkdirSync(join(dir, 'result.csv'));
    await expect(checkWritableTarget(join(dir, 'result.csv'))).rejects.toThrow(/result\.csv: is a folder; give a file name/);
  });

  it('refuses a folder that is a file, naming it', async () => {
    writeFileSync(join(dir, 'plain'), 'x');
    await expect(checkWritableTarget(join(dir, 'plain', 'result.csv'))).rejects.toThrow(/its folder .*plain cannot be used|plain is not a folder/);
  });
});
