import { afterEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/juhe/ciphers.js';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import { postForm, startTestEmulator } from './support.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

function nth(i: number): string {
  return `1380000${String(i).padStart(4, '0')}`;
}

async function status(e: RunningEmulator, mobile: string, timeoutMs?: number): Promise<number> {
  return (await postForm(e, '/mobile_status/query', { key: e.key, mobile }, timeoutMs)).json.error_code as number;
}

describe('emulator faults over HTTP', () => {
  it('delays every answer by a fixed latency', async () => {
    emulator = await startTestEmulator({ latencyMs: 150 });
    const started = performance.now();
    await Promise.all([status(emulator, nth(1)), status(emulator, nth(2)), status(emulator, nth(3))]);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(1_000); // concurrent, not queued
  });

  it('spreads latency over a range', async () => {
    emulator = await startTestEmulator({ latencyMs: '20-120' });
    await status(emulator, nth(999)); // a warm connection, so each time below is the drawn delay
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      await status(emulator, nth(i));
      times.push(performance.now() - started);
    }
    expect(Math.min(...times)).toBeGreaterThanOrEqual(18);
    expect(Math.min(...times)).toBeLessThan(50);
    expect(Math.max(...times)).toBeGreaterThan(90);
    expect(Math.max(...times)).toBeLessThan(1_000);
  });

  it('bills a call whose answer the client gave up waiting for', async () => {
    emulator = await startTestEmulator({ latencyMs: 400 });
    await expect(status(emulator, nth(1), 100)).rejects.toThrow();
    expect(emulator.ledger.stats()).toMatchObject({ calls: 1, billed: 1 });
    // And closing with an answer still pending is prompt.
    const pending = status(emulator, nth(2)).catch(() => 'dropped');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    await emulator.close();
    expect(performance.now() - started).toBeLessThan(300);
    expect(await pending).toBe('dropped');
  });

  it('injects a code at its rate on its own API only, unbilled', async () => {
    emulator = await startTestEmulator({ errorRates: '224805=0.5', seed: 'faults' });
    const tenure = await Promise.all(
      Array.from({ length: 400 }, async (_, i) => (await postForm(emulator!, '/mobileOnline/query', { key: emulator!.key, mobile: nth(i) })).json),
    );
    const injected = tenure.filter((body) => body.error_code === 224805);
    expect(injected.length).toBeGreaterThan(150);
    expect(injected.length).toBeLessThan(250);
    expect(injected[0]).toEqual({ reason: '网络异常,请重试', result: null, error_code: 224805 });
    expect(emulator.ledger.stats().billed).toBe(tenure.filter((body) => body.error_code === 0).length);
    expect(tenure.filter((body) => ![0, 224805, 224801].includes(body.error_code as number))).toEqual([]);
    const statuses = await Promise.all(Array.from({ length: 50 }, (_, i) => status(emulator!, nth(i))));
    expect(statuses.filter((code) => code !== 0 && code !== 224922)).toEqual([]);
  });

  it('answers 10011 over the per-key rate, then lets calls through once the second has passed', async () => {
    emulator = await startTestEmulator({ qps: 5 });
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => status(emulator!, nth(i))));
    expect(first.filter((code) => code === 0)).toHaveLength(5);
    expect(first.filter((code) => code === 10011)).toHaveLength(15);
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const second = await Promise.all(Array.from({ length: 6 }, (_, i) => status(emulator!, nth(100 + i))));
    expect(second.filter((code) => code === 0)).toHaveLength(5);
    expect(emulator.ledger.stats()).toMatchObject({ calls: 26, billed: 10, byCode: { '0': 10, '10011': 16 } });
  });

  it('answers 10012 to every call after the quota of billed calls', async () => {
    emulator = await startTestEmulator({ quota: 3 });
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push(await status(emulator, nth(i)));
    expect(codes).toEqual([0, 0, 0, 10012, 10012, 10012]);
    const other = await postForm(emulator, '/mobile_online_sha256_cmcc/query', { key: emulator.key, mobile: sha256Hex(nth(9)) });
    expect(other.json).toEqual({ reason: '请求超过次数限制', result: null, error_code: 10012 });
    expect(emulator.ledger.billed).toBe(3);
  });

  it('faults the same (number, attempt) pairs for concurrent clients in any order', async () => {
    const rates = '224805=0.3,232701=0.3';
    const mobiles = Array.from({ length: 120 }, (_, i) => nth(i));
    /** Each number asked on two APIs until answered, by `workers` concurrent clients taking from one queue. */
    const run = async (order: string[], workers: number): Promise<string[]> => {
      const e = await startTestEmulator({ errorRates: rates, seed: 'concurrent', latencyMs: '0-5' });
      try {
        const queue = order.flatMap((mobile): Array<{ path: string; params: Record<string, string> }> => [
          { path: '/mobileOnline/query', params: { key: e.key, mobile } },
          { path: '/twoSellTel/query', params: { key: e.key, mobile, date: '20200101' } },
        ]);
        const worker = async (): Promise<void> => {
          for (let job = queue.shift(); job; job = queue.shift()) {
            const code = (await postForm(e, job.path, job.params)).json.error_code;
            if (code === 224805 || code === 232701) queue.push(job);
          }
        };
        await Promise.all(Array.from({ length: workers }, worker));
        // (endpoint, number, attempt) of every injected error, from the ledger.
        const attempts = new Map<string, number>();
        const faulted: string[] = [];
        for (const entry of e.ledger.entries()) {
          const question = `${entry.endpoint} ${entry.mobile} ${entry.date ?? ''}`;
          const n = attempts.get(question) ?? 0;
          attempts.set(question, n + 1);
          if (entry.error_code === 224805 || entry.error_code === 232701) faulted.push(`${question} #${n}`);
        }
        expect(e.ledger.stats()).toMatchObject({ duplicateBilled: 0, duplicateBilledByApi: 0 });
        return faulted.sort();
      } finally {
        await e.close();
      }
    };
    const one = await run(mobiles, 1);
    expect(one.length).toBeGreaterThan(50);
    expect(await run([...mobiles].reverse(), 8)).toEqual(one);
    expect(await run([...mobiles.slice(60), ...mobiles.slice(0, 60)], 3)).toEqual(one);
  });

  it('answers 224924 when a number is asked again within the window', async () => {
    emulator = await startTestEmulator({ sameNumberWindowMs: 300 });
    expect(await status(emulator, nth(1))).toBe(0);
    expect(await status(emulator, nth(1))).toBe(224924);
    expect(await status(emulator, nth(2))).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 320));
    expect(await status(emulator, nth(1))).toBe(0);
  });
});
