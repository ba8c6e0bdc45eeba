/**
 * Atomicity under SIGKILL: `riskscreen run` killed while it writes the result files
 * leaves no final file and no manifest: a reader that waits for the manifest never sees
 * a half-written result. A list of many rows over few numbers keeps the screening short
 * and the writing long enough to be caught in the act (the kill happens only once the
 * temporary file is seen, and the test checks it was).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';

let emulator: RunningEmulator;
let dir: string;

beforeEach(async () => {
  emulator = await startEmulator({ port: 0, seed: 'atomic-kill' });
  dir = mkdtempSync(join(tmpdir(), 'riskscreen-atomic-'));
});
afterEach(async () => {
  await emulator.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 80,000 rows over 150 numbers: 150 questions, 80,000 rows to write (four times, with --split). */
function bigList(): string {
  const path = join(dir, 'list.csv');
  const lines = ['mobile,name'];
  for (let i = 0; i < 80_000; i++) lines.push(`1380013${String(8000 + (i % 150)).padStart(4, '0')},客户${i}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('JUHE_') && !name.startsWith('RISKSCREEN_') && name !== 'REDIS_URL') env[name] = value;
  }
  return { ...env, ...emulator.env, LOG_LEVEL: 'silent', RISKSCREEN_DATA_DIR: join(dir, 'riskscreen-data') };
}

/** Runs `riskscreen run` and SIGKILLs it as soon as a temporary file of the result appears. Returns the temp name seen. */
async function runAndKillWhileWriting(list: string, out: string): Promise<string | null> {
  const outDir = join(out, '..');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', list, '--out', out, '--split', '--profile', 'status', '--quiet', '--rate', 'status=5000'], {
    cwd: process.cwd(),
    env: childEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  let seen: string | null = null;
  const deadline = Date.now() + 50_000;
  while (!seen && child.exitCode === null && Date.now() < deadline) {
    const temp = existsSync(outDir) ? readdirSync(outDir).find((name) => /^\.result\.csv\..+\.tmp$/.test(name)) : undefined;
    if (temp) {
      seen = temp;
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  const how = await exited;
  if (!seen) throw new Error(`the run ended (${how}) before its result file was seen being written: ${stderr}`);
  expect(how).toBe('SIGKILL');
  return seen;
}

describe('result files under SIGKILL', () => {
  it('a run killed while writing leaves no result file and no manifest', async () => {
    const list = bigList();
    const out = join(dir, 'out', 'result.csv');
    mkdirSync(join(dir, 'out'));
    const temp = await runAndKillWhileWriting(list, out);
    expect(temp).toBeTruthy();
    const left = readdirSync(join(dir, 'out'));
    expect(left).not.toContain('result.csv');
    expect(left).not.toContain('result.manifest.json');
    for (const name of left) expect(name).toMatch(/^\..+\.tmp$/); // only temporary files, never a final name
  }, 90_000);

  it('killed while rewriting a finished result: the old manifest is gone first, the old file untouched', async () => {
    const list = bigList();
    const out = join(dir, 'out', 'result.csv');
    mkdirSync(join(dir, 'out'));
    // A finished result from before, as a downstream reader last saw it.
    writeFileSync(out, 'old result\r\n');
    writeFileSync(join(dir, 'out', 'result.manifest.json'), '{"kind":"riskscreen.result"}\n');
    await runAndKillWhileWriting(list, out);
    expect(existsSync(join(dir, 'out', 'result.manifest.json'))).toBe(false);
    expect(readFileSync(out, 'utf8')).toBe('old result\r\n');
  }, 90_000);
});
