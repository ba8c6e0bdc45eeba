/**
 * Every integration test gets a data dir of its own (RISKSCREEN_DATA_DIR), removed after
 * it: the local engine keeps batches and answers there, and an answer cached by one test
 * must not spare another test's call (nor anything leak into the checkout's
 * riskscreen-data/). Work in `beforeAll` gets the test file's own data dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach } from 'vitest';

const fileDir = mkdtempSync(join(tmpdir(), 'riskscreen-test-data-'));
process.env.RISKSCREEN_DATA_DIR = fileDir;
let testDir: string | undefined;

beforeEach(() => {
  testDir = mkdtempSync(join(tmpdir(), 'riskscreen-test-data-'));
  process.env.RISKSCREEN_DATA_DIR = testDir;
});

afterEach(() => {
  if (testDir) rmSync(testDir, { recursive: true, force: true });
  testDir = undefined;
  process.env.RISKSCREEN_DATA_DIR = fileDir;
});

afterAll(() => {
  rmSync(fileDir, { recursive: true, force: true });
});
