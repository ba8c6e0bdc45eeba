import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENDPOINTS, ENDPOINT_IDS } from '../../../src/juhe/catalogue.js';
import { aesEncryptBase64, aesKeyFromOpenid, encodeMobile, md5Hex, sha256Hex } from '../../../src/juhe/ciphers.js';
import { createPublicKey } from 'node:crypto';
import { EmulatorOptionError } from '../../../src/emulator/options.js';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import type { LedgerEntry, LedgerStats } from '../../../src/emulator/ledger.js';
import { request } from 'undici';
import { postForm, send, startTestEmulator, testPrivateKeyPem } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'riskscreen-emulator-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let emulator: RunningEmulator;
let keys: { aesKey: Buffer; rsaPublicKey: ReturnType<typeof createPublicKey> };

beforeEach(async () => {
  emulator = await startTestEmulator();
  keys = { aesKey: aesKeyFromOpenid(emulator.openid), rsaPublicKey: createPublicKey(emulator.rsaPublicKeyPem) };
});
afterEach(async () => {
  await emulator.close();
});

const MOBILE = '13800138000';

function mobileFor(id: (typeof ENDPOINT_IDS)[number]): string {
  switch (id) {
    case 'mobile_status/queryEncry':
    case 'mobileOnline/queryEncry':
    case 'twoSellTel/queryEncry':
      return encodeMobile(MOBILE, 'aes', keys);
    case 'mobile_status/queryRV2':
      return encodeMobile(MOBILE, 'rsa', keys);
    case 'mobile_online_sha256_cmcc/query':
      return sha256Hex(MOBILE);
    default:
      return MOBILE;
  }
}

describe('emulator over HTTP', () => {
  it('serves every documented path, by POST form and by GET query, marked as the emulator', async () => {
    for (const id of ENDPOINT_IDS) {
      const params = { key: emulator.key, mobile: mobileFor(id), ...(ENDPOINTS[id].api === 'resale' ? { date: '20200101' } : {}) };
      const post = await postForm(emulator, ENDPOINTS[id].path, params);
      expect(post.status).toBe(200);
      expect(post.headers['x-riskscreen-emulator']).toBe('1');
      expect(post.headers['content-type']).toBe('application/json;charset=utf-8');
      expect(Object.keys(post.json)).toEqual(['reason', 'result', 'error_code']);
      // 13800138000 is China Mobile: everything answers except China Telecom's call minutes.
      expect(post.json.error_code).toBe(id === 'ctccCallduration/query' ? 232403 : 0);
      const get = await send(emulator, `${ENDPOINTS[id].path}?${new URLSearchParams(params).toString()}`);
      expect(get.json.error_code).toBe(post.json.error_code);
    }
    const stats = (await send(emulator, '/__sim/stats')).json as unknown as LedgerStats;
    expect(stats.calls).toBe(ENDPOINT_IDS.length * 2);
  });

  it('lets the POST body win over the query string, and ignores bodies that are not forms', async () => {
    const both = await send(emulator, `/mobile_status/query?key=wrong&mobile=${MOBILE}`, {
      method: 'POST',
      body: `key=${emulator.key}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(both.json.error_code).toBe(0);
    const json = await send(emulator, '/mobile_status/query', {
      method: 'POST',
      body: JSON.stringify({ key: emulator.key, mobile: MOBILE }),
      contentType: 'application/json',
    });
    expect(json.json.error_code).toBe(10001);
  });

  it('expects base64 url-encoded exactly once', async () => {
    let cipher = encodeMobile(MOBILE, 'aes', keys);
    let n = 0;
    while (!cipher.includes('+')) cipher = encodeMobile(`1380013${String(8001 + n++).padStart(4, '0')}`, 'aes', keys);
    const path = '/mobile_status/queryEncry';
    const once = `key=${emulator.key}&mobile=${encodeURIComponent(cipher)}`;
    const raw = `key=${emulator.key}&mobile=${cipher}`; // '+' arrives as a space
    const twice = `key=${emulator.key}&mobile=${encodeURIComponent(encodeURIComponent(cipher))}`;
    const post = (body: string): Promise<{ json: Record<string, unknown> }> =>
      send(emulator, path, { method: 'POST', body, contentType: 'application/x-www-form-urlencoded' });
    expect((await post(once)).json.error_code).toBe(0);
    expect((await post(raw)).json.error_code).toBe(10004);
    expect((await post(twice)).json.error_code).toBe(10004);
  });

  it('answers the documented error for each wrong request', async () => {
    const key = emulator.key;
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['/mobile_status/query', { mobile: MOBILE }, 10001, '错误的请求KEY'],
      ['/mobile_status/query', { key: 'not-the-key', mobile: MOBILE }, 10001, '错误的请求KEY'],
      ['/mobile_status/queryEncry', { key, mobile: aesEncryptBase64(MOBILE, aesKeyFromOpenid('other-openid')) }, 10004, '错误的OPENID'],
      ['/twoSellTel/queryEncry', { key, mobile: aesEncryptBase64(md5Hex(MOBILE), aesKeyFromOpenid('other-openid')), date: '20200101' }, 10004, '错误的OPENID'],
      ['/mobile_status/queryRV2', { key, mobile: encodeMobile(MOBILE, 'aes', keys) }, 224902, '参数错误'],
      ['/mobile_status/query', { key, mobile: '1380013800' }, 224902, '参数错误'],
      ['/mobileOnline/query', { key, mobile: '10012345678' }, 224804, '参数错误'],
      ['/mobile_online_sha256_cmcc/query', { key, mobile: sha256Hex(MOBILE).toUpperCase() }, 224804, '参数错误'],
      ['/twoSellTel/queryEncry', { key, mobile: md5Hex(MOBILE).slice(2), date: '20200101' }, 10004, '错误的OPENID'],
      ['/twoSellTel/queryEncry', { key, mobile: md5Hex(MOBILE).toUpperCase(), date: '20200101' }, 232702, '参数异常'],
      ['/twoSellTel/query', { key, mobile: MOBILE, date: '2020-01-01' }, 232702, '参数异常'],
      ['/twoSellTel/query', { key, mobile: MOBILE }, 232702, '参数异常'],
      ['/ctccCallduration/query', { key, mobile: 'abc' }, 232402, '参数错误，具体请看reason'],
      ['/ctccCallduration/query', { key, mobile: '13012345678' }, 232403, '查无记录'],
    ];
    for (const [path, params, code, reason] of cases) {
      const answer = await postForm(emulator, path, params);
      expect({ path, ...answer.json }).toEqual({ path, reason, result: null, error_code: code });
    }
  });

  it('refuses paths and methods the service does not have', async () => {
    const missing = await send(emulator, '/mobile_status/queryV3');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-riskscreen-emulator']).toBe('1');
    expect((await send(emulator, '/mobile_status/query', { method: 'PUT', body: '' })).status).toBe(405);
    expect((await send(emulator, '/__sim/nothing')).status).toBe(404);
    const huge = await send(emulator, '/mobile_status/query', { method: 'POST', body: `key=${'k'.repeat(70_000)}`, contentType: 'application/x-www-form-urlencoded' });
    expect(huge.status).toBe(413);
  });

  it('writes the public key for the client and removes its own temporary file on close', async () => {
    expect(readFileSync(emulator.rsaPublicKeyFile, 'utf8')).toBe(emulator.rsaPublicKeyPem);
    expect(emulator.rsaPublicKeyPem).toContain('-----BEGIN PUBLIC KEY-----');
    expect(createPublicKey(emulator.rsaPublicKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(emulator.env).toEqual({
      JUHE_BASE_URL: emulator.url,
      JUHE_KEY: 'riskscreen-demo-key',
      JUHE_OPENID: 'riskscreen-demo-openid',
      JUHE_RSA_PUBLIC_KEY_FILE: emulator.rsaPublicKeyFile,
    });
    const file = emulator.rsaPublicKeyFile;
    await emulator.close();
    expect(existsSync(file)).toBe(false);
  });

  it('loads a private key file, writes the public key where told, and leaves that file alone', async () => {
    const privateFile = join(dir, 'private.pem');
    const publicFile = join(dir, 'public.pem');
    writeFileSync(privateFile, testPrivateKeyPem());
    const other = await startTestEmulator({ rsaPrivateKeyPem: undefined, rsaPrivateKeyFile: privateFile, rsaPublicKeyFile: publicFile, key: 'k2', openid: 'o2' });
    try {
      expect(other.rsaPublicKeyFile).toBe(publicFile);
      expect(other.rsaPublicKeyPem).toBe(emulator.rsaPublicKeyPem);
      const answer = await postForm(other, '/mobile_status/queryRV2', { key: 'k2', mobile: encodeMobile(MOBILE, 'rsa', keys) });
      expect(answer.json.error_code).toBe(0);
    } finally {
      await other.close();
    }
    expect(existsSync(publicFile)).toBe(true);
    writeFileSync(join(dir, 'garbage.pem'), 'not a key');
    await expect(startTestEmulator({ rsaPrivateKeyPem: undefined, rsaPrivateKeyFile: join(dir, 'garbage.pem') })).rejects.toThrow(EmulatorOptionError);
  });

  it('fails to start on a port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startTestEmulator({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('exposes the ledger as JSON lines, stats, info and reset', async () => {
    await postForm(emulator, '/mobile_status/query', { key: emulator.key, mobile: MOBILE });
    await postForm(emulator, '/mobile_status/query', { key: emulator.key, mobile: MOBILE });
    await postForm(emulator, '/mobile_online_sha256_cmcc/query', { key: emulator.key, mobile: sha256Hex('13900139000') });
    await postForm(emulator, '/mobile_status/query', { key: 'bad', mobile: '13700137000' });
    const calls = await send(emulator, '/__sim/calls');
    expect(calls.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const entries = calls.text.trim().split('\n').map((line) => JSON.parse(line) as LedgerEntry);
    expect(entries.map(({ seq, endpoint, form, mobile, hash, hash_type, error_code, billed }) => ({ seq, endpoint, form, mobile, hash, hash_type, error_code, billed }))).toEqual([
      { seq: 0, endpoint: 'mobile_status/query', form: 'plain', mobile: MOBILE, hash: null, hash_type: null, error_code: 0, billed: true },
      { seq: 1, endpoint: 'mobile_status/query', form: 'plain', mobile: MOBILE, hash: null, hash_type: null, error_code: 0, billed: true },
      { seq: 2, endpoint: 'mobile_online_sha256_cmcc/query', form: 'sha256', mobile: null, hash: sha256Hex('13900139000'), hash_type: 'sha256', error_code: 0, billed: true },
      { seq: 3, endpoint: 'mobile_status/query', form: 'plain', mobile: '13700137000', hash: null, hash_type: null, error_code: 10001, billed: false },
    ]);
    for (const entry of entries) {
      expect(Date.now() - Date.parse(entry.time)).toBeLessThan(60_000);
      // t_ms: the limiter's monotonic clock, ms since the epoch with fractions, close to the wall clock.
      expect(Math.abs(entry.t_ms - Date.parse(entry.time))).toBeLessThan(1_000);
    }
    expect(entries.map((e) => e.t_ms)).toEqual([...entries.map((e) => e.t_ms)].sort((a, b) => a - b));
    expect(entries.some((e) => !Number.isInteger(e.t_ms))).toBe(true);
    const page = await send(emulator, '/__sim/calls?from=1&limit=2');
    expect(page.text.trim().split('\n').map((line) => (JSON.parse(line) as LedgerEntry).seq)).toEqual([1, 2]);

    const stats = (await send(emulator, '/__sim/stats')).json as unknown as LedgerStats;
    expect(stats).toEqual({
      calls: 4,
      billed: 3,
      byEndpoint: { 'mobile_status/query': { '0': 2, '10001': 1 }, 'mobile_online_sha256_cmcc/query': { '0': 1 } },
      byCode: { '0': 3, '10001': 1 },
      duplicateBilled: 1,
      duplicateBilledCalls: 1,
      duplicateBilledPairs: [{ endpoint: 'mobile_status/query', mobile: MOBILE, hash: null, hash_type: null, date: null, times: 2 }],
      duplicateBilledByApi: 1,
      duplicateBilledByApiCalls: 1,
      duplicateBilledByApiQuestions: [{ api: 'status', endpoint: 'mobile_status/query', mobile: MOBILE, hash: null, hash_type: null, date: null, times: 2 }],
    });
    expect(emulator.ledger.stats()).toEqual(stats);

    const info = (await send(emulator, '/__sim/info')).json;
    expect(info).toMatchObject({ emulator: true, url: emulator.url, key: emulator.key, openid: emulator.openid, rsaPublicKeyFile: emulator.rsaPublicKeyFile, knownNumbers: 0 });

    const reset = await send(emulator, '/__sim/reset', { method: 'POST', body: '' });
    expect(reset.json).toEqual({ reset: true });
    expect(((await send(emulator, '/__sim/stats')).json as unknown as LedgerStats).calls).toBe(0);
    expect((await send(emulator, '/__sim/calls')).text).toBe('');
  });

  it('bills a resale question per date, and counts one question billed on two endpoints of an API', async () => {
    const key = emulator.key;
    await postForm(emulator, '/twoSellTel/query', { key, mobile: MOBILE, date: '20200101' });
    await postForm(emulator, '/twoSellTel/query', { key, mobile: MOBILE, date: '20210101' });
    let stats = (await send(emulator, '/__sim/stats')).json as unknown as LedgerStats;
    expect(stats).toMatchObject({ billed: 2, duplicateBilled: 0, duplicateBilledByApi: 0 });
    await postForm(emulator, '/twoSellTel/queryEncry', { key, mobile: encodeMobile(MOBILE, 'aes', keys), date: '20210101' });
    await postForm(emulator, '/mobile_status/query', { key, mobile: MOBILE });
    await postForm(emulator, '/mobile_status/queryRV2', { key, mobile: encodeMobile(MOBILE, 'rsa', keys) });
    stats = (await send(emulator, '/__sim/stats')).json as unknown as LedgerStats;
    expect(stats).toMatchObject({ billed: 5, duplicateBilled: 0, duplicateBilledByApi: 2, duplicateBilledByApiCalls: 2 });
    expect(stats.duplicateBilledByApiQuestions).toEqual([
      { api: 'resale', endpoint: 'twoSellTel/query', mobile: MOBILE, hash: null, hash_type: null, date: '20210101', times: 2 },
      { api: 'status', endpoint: 'mobile_status/query', mobile: MOBILE, hash: null, hash_type: null, date: null, times: 2 },
    ]);
  });

  it('learns numbers from POST /__sim/numbers, as a JSON array or one a line, all or nothing', async () => {
    const unknown = '13912340000';
    const before = await postForm(emulator, '/twoSellTel/queryEncry', { key: emulator.key, mobile: md5Hex(unknown), date: '20200101' });
    const asJson = await send(emulator, '/__sim/numbers', { method: 'POST', body: JSON.stringify([unknown, '13912340001']), contentType: 'application/json' });
    expect(asJson.status).toBe(200);
    expect(asJson.json).toEqual({ added: 2, known: 2 });
    const asLines = await send(emulator, '/__sim/numbers', { method: 'POST', body: '13912340001\r\n13912340002\n\n', contentType: 'text/plain' });
    expect(asLines.json).toEqual({ added: 1, known: 3 });
    const bad = await send(emulator, '/__sim/numbers', { method: 'POST', body: '13912340003\nnope\n', contentType: 'text/plain' });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: 'line 2: "****" is not an allocated 11-digit mobile number' });
    expect(emulator.knownNumbers).toBe(3);
    // The md5 is now answered as the number, and the answer is the number's own.
    const after = await postForm(emulator, '/twoSellTel/queryEncry', { key: emulator.key, mobile: md5Hex(unknown), date: '20200101' });
    const plain = await postForm(emulator, '/twoSellTel/query', { key: emulator.key, mobile: unknown, date: '20200101' });
    expect(after.json.result).toMatchObject({ res: (plain.json.result as { res: number }).res });
    const entries = [...emulator.ledger.entries()];
    expect(entries[0]).toMatchObject({ mobile: null, hash: md5Hex(unknown) });
    expect(entries[1]).toMatchObject({ mobile: unknown, hash: null, form: 'md5' });
    expect(before.json.error_code).toBe(0);
    // Known numbers survive a reset: they are what the service knows, not what happened.
    await send(emulator, '/__sim/reset', { method: 'POST', body: '' });
    expect(((await send(emulator, '/__sim/info')).json as { knownNumbers: number }).knownNumbers).toBe(3);
  });

  it('streams a large ledger completely to a slow reader, and keeps serving meanwhile', async () => {
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const mobile = String(13_900_000_000 + i);
      emulator.ledger.record({ timeMs: Date.now(), tMs: performance.timeOrigin + performance.now(), endpoint: 'mobileOnline/query', identity: { kind: 'number', mobile, sha256: sha256Hex(mobile), form: 'plain' }, errorCode: 0 });
    }
    const response = await request(`${emulator.url}/__sim/calls`);
    expect(response.headers['x-riskscreen-ledger-rows']).toBe(String(n));
    let text = '';
    let chunks = 0;
    for await (const chunk of response.body) {
      text += (chunk as Buffer).toString();
      if (++chunks === 2) {
        // The server is waiting for this reader to drain, not holding the event loop.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const started = performance.now();
        expect((await postForm(emulator, '/mobile_status/query', { key: emulator.key, mobile: MOBILE })).json.error_code).toBe(0);
        expect(performance.now() - started).toBeLessThan(1_000);
      }
    }
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(n); // the call made while streaming is not in this read
    lines.forEach((line, i) => {
      const entry = JSON.parse(line) as LedgerEntry;
      if (entry.seq !== i || entry.mobile !== String(13_900_000_000 + i)) throw new Error(`line ${i}: ${line}`);
    });
    expect(chunks).toBeGreaterThan(10);
  });

  it('ends a ledger stream at a reset, with only whole lines from before it', async () => {
    const n = 200_000;
    for (let i = 0; i < n; i++) emulator.ledger.record({ timeMs: Date.now(), tMs: performance.timeOrigin + performance.now(), endpoint: 'mobileOnline/query', identity: undefined, errorCode: 10011 });
    const response = await request(`${emulator.url}/__sim/calls`);
    expect(response.headers['x-riskscreen-ledger-rows']).toBe(String(n));
    let text = '';
    let reset = false;
    for await (const chunk of response.body) {
      text += (chunk as Buffer).toString();
      if (!reset) {
        reset = true;
        // Let the server fill the socket and wait for it to drain, then reset under it.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect((await send(emulator, '/__sim/reset', { method: 'POST', body: '' })).json).toEqual({ reset: true });
        // A new ledger, longer than where the stream stands: none of it may appear in this read.
        await postForm(emulator, '/mobile_status/query', { key: emulator.key, mobile: MOBILE });
        for (let i = 1; i < n; i++) emulator.ledger.record({ timeMs: Date.now(), tMs: performance.timeOrigin + performance.now(), endpoint: 'ctccCallduration/query', identity: undefined, errorCode: 232402 });
      }
    }
    expect(text.endsWith('\n')).toBe(true);
    const seqs = text.trim().split('\n').map((line) => (JSON.parse(line) as LedgerEntry).seq);
    expect(seqs.length).toBeGreaterThan(0);
    expect(seqs.length).toBeLessThan(n);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    const stale = text.trim().split('\n').filter((line) => !line.includes('"endpoint":"mobileOnline/query"') || !line.includes('"error_code":10011'));
    expect(stale).toEqual([]);
    const after = await request(`${emulator.url}/__sim/calls?limit=1`);
    expect(after.headers['x-riskscreen-ledger-rows']).toBe('1');
    expect(JSON.parse(await after.body.text())).toMatchObject({ seq: 0, endpoint: 'mobile_status/query', mobile: MOBILE });
  });
});
