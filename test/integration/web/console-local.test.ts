/**
 * The console on the local engine across a restart: a batch running when the web
 * process stops is taken up again when it starts, paying only for what was not
 * answered; and the `riskscreen web` command line.
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../../src/web/passwords.js';
import { runCli } from '../../support/capture-io.js';
import { login, multipart, startTestConsole, waitForResult } from '../../support/console.js';

const SAMPLE = Buffer.from(readFileSync(new URL('../../../examples/sample-list.csv', import.meta.url), 'utf8').split('\n').slice(0, 301).join('\n'));

describe('the console on the local engine', () => {
  it('a batch running when the console stops goes on when it starts again, paying again only for calls cut off at the stop', async () => {
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
      // Every unique valid number asked once over both processes (the ledger of each emulator
      // counts its own calls), but for calls out at the stop: the console interrupts them, the
      // service may have billed one whose answer never came back, and it is asked again. At
      // most one per call slot (RISKSCREEN_CONCURRENCY, 32); in practice zero or one.
      const billedAfter = second.emulator.ledger.stats().billed;
      expect(billedBefore + billedAfter).toBeGreaterThanOrEqual(done.counts.billed);
      expect(billedBefore + billedAfter - done.counts.billed).toBeLessThanOrEqual(32);
      expect(done.counts.unique).toBe(done.counts.tasks);
      expect(second.logs().some((line) => line.msg === 'resuming a console batch left unfinished' && line.batch === id)).toBe(true);
    } finally {
      await second.close();
    }
  });

  it('a batch cancelled (riskscreen cancel) while the console was stopped gets its result when the console starts again', async () => {
    const first = await startTestConsole({ env: { RISKSCREEN_RATES: 'status=40' }, emulator: { seed: 'cancelled-while-down' } });
    let id: string;
    try {
      const operator = await login(first.app, 'otto');
      id = (await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: 'down.csv', body: SAMPLE }, { profile: 'status' }) })).json().id;
      for (;;) {
        const detail = (await operator.request({ url: `/api/batches/${id}` })).json();
        if (detail.counts.ingestDone && detail.counts.final >= 20) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await first.close();
    }
    const cancel = await runCli(['cancel', id]);
    expect(cancel.code, cancel.err).toBe(0);

    const second = await startTestConsole({ emulator: { seed: 'cancelled-while-down' } });
    try {
      const done = await waitForResult(await login(second.app, 'otto'), id, 20_000);
      expect(done).toMatchObject({ status: 'cancelled', result: { rows: { total: 300 } } });
      expect(done.result.rows.by_status.not_screened).toBeGreaterThan(0);
      expect(second.emulator.ledger.stats().calls).toBe(0);
    } finally {
      await second.close();
    }
  });
});

describe('stopping the console', () => {
  it('ends open event streams and returns, a batch page open or not', async () => {
    const running = await startTestConsole({ env: { RISKSCREEN_RATES: 'status=5' } });
    const operator = await login(running.app, 'otto');
    const { id } = (await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: 'open.csv', body: SAMPLE }, { profile: 'status' }) })).json();
    await running.app.listen({ host: '127.0.0.1', port: 0 });
    const address = running.app.server.address() as { port: number };
    const events: string[] = [];
    const streamEnded = new Promise<void>((resolve) => {
      get({ host: '127.0.0.1', port: address.port, path: `/api/batches/${id}/events`, headers: { cookie: operator.cookie } }, (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => events.push(chunk));
        response.on('end', resolve);
        response.on('close', resolve);
      });
    });
    while (!events.join('').includes('event: batch')) await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await running.close();
    await streamEnded;
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('sessions end where they are used', () => {
  it('an open event stream ends after logout, and a new password ends the sessions made with the old one', async () => {
    const running = await startTestConsole({ env: { RISKSCREEN_RATES: 'status=5' } });
    try {
      const operator = await login(running.app, 'otto');
      const other = await login(running.app, 'otto');
      const { id } = (await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: 'watched.csv', body: SAMPLE }, { profile: 'status' }) })).json();
      await running.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = running.app.server.address() as { port: number };
      let text = '';
      const ended = new Promise<void>((resolve) => {
        get({ host: '127.0.0.1', port, path: `/api/batches/${id}/events`, headers: { cookie: operator.cookie } }, (response) => {
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('close', resolve);
        });
      });
      while (!text.includes('event: batch')) await new Promise((resolve) => setTimeout(resolve, 50));
      const loggedOutAt = Date.now();
      expect((await operator.request({ method: 'POST', url: '/api/logout' })).statusCode).toBe(204);
      await ended;
      expect(Date.now() - loggedOutAt).toBeLessThan(8_000);
      expect(text).not.toContain('event: end'); // ended for the session, not because the batch did

      // A new password for otto: the other session, made with the old one, ends.
      expect((await other.request({ url: '/api/session' })).statusCode).toBe(200);
      // (As a config file read again would; this console's accounts are the options' own.)
      const otto = running.options.web.users.find((user) => user.name === 'otto')!;
      otto.hash = await hashPassword('a brand new password', 10);
      expect((await other.request({ url: '/api/session' })).statusCode).toBe(401);
      await running.app.inject({ method: 'POST', url: `/api/batches/${id}/cancel`, headers: { authorization: `Bearer ${running.tokens.operator}` } });
    } finally {
      await running.close();
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
