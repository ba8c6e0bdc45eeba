/**
 * `riskscreen run` on the local engine (REDIS_URL unset) against the emulator: the
 * result file, the summary, and the exit codes a scheduler branches on.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { captureIo } from '../../support/capture-io.js';
import { FAST, useCliEmulator } from '../../support/cli-emulator.js';
import { writeNumberList } from './harness.js';

const env = useCliEmulator({ seed: 'cli-run' });

describe('riskscreen run (local engine)', () => {
  it('screens a list and writes one row per input row, exit 0', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 40, { dates: true });
    const out = join(env.dir, 'out', 'result.csv');
    const io = captureIo();
    expect(await main(['run', list.path, '--out', out, ...FAST], io)).toBe(EXIT.ok);
    const lines = readFileSync(out, 'utf8').replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines).toHaveLength(41);
    expect(lines[0]).toMatch(/^mobile,reg_date,mobile,row_status,carrier/);
    expect(io.out()).toMatch(/: done/);
    expect(io.out()).toContain(out);
    expect(io.out()).not.toMatch(/1\d{10}/); // no full number in the summary
  });

  it('stops cleanly at --max-calls and says how many rows were left, exit 6', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 30);
    const out = join(env.dir, 'result.csv');
    const io = captureIo();
    expect(await main(['run', list.path, '--out', out, '--profile', 'status', '--max-calls', '10', ...FAST, '--json'], io)).toBe(EXIT.limited);
    const view = JSON.parse(io.out());
    expect(view.counts.billed).toBe(10);
    expect(env.emulator.ledger.stats().billed).toBe(10);
    expect(view.reason).toMatch(/stopped at --max-calls 10: 20 rows left not fully screened/);
    expect(existsSync(out)).toBe(true);
  });

  it('blocks on a refused key, exit 5, with the reason', async () => {
    process.env.JUHE_KEY = 'not-the-emulators-key';
    const list = writeNumberList(env.dir, 'list.csv', 20);
    const io = captureIo();
    expect(await main(['run', list.path, '--out', join(env.dir, 'r.csv'), '--profile', 'status', ...FAST], io)).toBe(EXIT.account);
    expect(io.out()).toMatch(/blocked \(Juhe refused the account: the API key is wrong/);
  });

  it('refuses a bad file before anything is queued or called, exit 3, one line naming the file', async () => {
    const bad = join(env.dir, 'bad.csv');
    writeFileSync(bad, 'mobile,name\n13800138000,"unclosed\n');
    const io = captureIo();
    expect(await main(['run', bad, '--out', join(env.dir, 'r.csv'), ...FAST], io)).toBe(EXIT.input);
    expect(io.err()).toMatch(new RegExp(`^riskscreen: .*bad\\.csv:2: `));
    expect(io.err().trim().split('\n')).toHaveLength(1);
    expect(env.emulator.ledger.stats().calls).toBe(0);
  });

  it('names a bad --rate or --max-calls, exit 2', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 5);
    const io = captureIo();
    expect(await main(['run', list.path, '--out', join(env.dir, 'r.csv'), '--max-calls', 'lots'], io)).toBe(EXIT.usage);
    expect(io.err()).toMatch(/--max-calls/);
    const io2 = captureIo();
    expect(await main(['run', list.path, '--out', join(env.dir, 'r.csv'), '--rate', 'status=fast'], io2)).toBe(EXIT.config);
    expect(io2.err()).toMatch(/--rate/);
    const io3 = captureIo();
    expect(await main(['run', list.path, '--out', join(env.dir, 'r.csv'), '--plan', 'cheap'], io3)).toBe(EXIT.usage);
    expect(io3.err()).toMatch(/--plan: must be staged or all \(got "cheap"\)/);
  });

  it('--plan all and RISKSCREEN_PLAN=all ask everything; the default is staged, kept with the batch', async () => {
    const list = writeNumberList(env.dir, 'list.csv', 30, { dates: true });
    const plans: string[] = [];
    for (const [args, plan] of [[[], undefined], [['--plan', 'all'], undefined], [[], 'all'], [['--plan', 'staged'], 'all']] as const) {
      const io = captureIo();
      if (plan) process.env.RISKSCREEN_PLAN = plan;
      try {
        expect(await main(['run', list.path, '--out', join(env.dir, 'p.csv'), ...args, ...FAST, '--json'], io)).toBe(EXIT.ok);
      } finally {
        delete process.env.RISKSCREEN_PLAN;
      }
      plans.push((JSON.parse(io.out()) as { options: { plan: string } }).options.plan);
    }
    expect(plans).toEqual(['staged', 'all', 'all', 'staged']);
  });
});
