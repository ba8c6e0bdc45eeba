/**
 * The console on the local engine across a restart: a batch running when the web
 * process stops is taken up again when it starts, paying only for what was not
 * answered; and the `riskscreen web` command line.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/capture-io.js';
import { login, multipart, startTestConsole, waitForResult } from '../../support/console.js';

const SAMPLE = Buffer.from(readFileSync(new URL('../../../examples/sample-list.csv', import.meta.url), 'utf8').split('\n').slice(0, 301).join('\n'));

describe('the console on the local engine', () => {
  it('a batch running when the console stops goes on when it starts again, and no question is paid twice', async () => {
    const slow = { RISKSCREEN_RATES: 'status=40,tenure=40,tenureCmcc=40,resale=40,callDuration=40' };
    const first = await startTestConsole({ env: slow, emulator: { seed: 'restart' } });
    let id: string;
    let billedBefore: number;
    try {
      const operator = await login(first.app, 'otto');
      const started = await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: 'restart.csv', body: SAMPLE }, { profile: 'status' }) });
      id = started.json().id;
      for (;;) {
        const detail = (await operator.request({ url: `/api/batches/${id}` })).json();
        if (detail.counts.final >= 40) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await first.close();
      billedBefore = first.emulator.ledger.stats().billed;
    }
    expect(billedBefore).toBeGreaterThan(0);

    const second = await startTestConsole({ env: { RISKSCREEN_RATES: 'status=2000' }, emulator: { seed: 'restart' } });
    try {
      const operator = await login(second.app, 'otto');
      const done = await waitForResult(operator, id);
      expect(done).toMatchObject({ status: 'done', result: { rows: { total: 300 } } });
      // Every unique valid number asked once over both processes (the ledger of each emulator counts its own calls).
      const billedAfter = second.emulator.ledger.stats().billed;
      expect(billedBefore + billedAfter).toBe(done.counts.billed);
      expect(done.counts.unique).toBe(done.counts.tasks);
      expect(second.logs().some((line) => line.msg === 'resuming a console batch left unfinished' && line.batch === id)).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe('riskscreen web', () => {
  it('--help says what it serves and how to make accounts', async () => {
    const { code, out } = await runCli(['web', '--help']);
    expect(code).toBe(0);
    expect(out).toContain('riskscreen user add NAME --role operator');
    expect(out).toContain('--no-worker');
  });

  it('--no-worker without REDIS_URL is a usage error', async () => {
    const saved = process.env.REDIS_URL;
    delete process.env.REDIS_URL;
    try {
      const { code, err } = await runCli(['web', '--no-worker']);
      expect(code).toBe(2);
      expect(err).toMatch(/--no-worker: only with the queue engine/);
    } finally {
      if (saved !== undefined) process.env.REDIS_URL = saved;
    }
  });

  it('a bad --port names the flag', async () => {
    const { code, err } = await runCli(['web', '--port', '99999']);
    expect(code).toBe(4);
    expect(err).toMatch(/--port: must be a whole number from 0 to 65535/);
  });
});
