/**
 * The console's JSON API end to end on the local engine, against the emulator: every
 * route, each role, each error code (docs/http-api.md), CSRF and auth, the security
 * headers, and that no phone number is in any answer, event, URL or log line but the
 * result files an operator downloads.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLoginThrottle } from '../../../src/web/login-throttle.js';
import { login, multipart, parseEvents, startTestConsole, waitForResult, PASSWORD, type Browser, type TestConsole } from '../../support/console.js';

const SAMPLE = readFileSync(new URL('../../../examples/sample-list.csv', import.meta.url));
/** A whole mainland mobile number, anywhere in a text (not digits inside a hex hash). */
const FULL_NUMBER = /(?<![\dA-Za-z])1[3-9]\d{9}(?![\dA-Za-z])/;

let consoleUnderTest: TestConsole;
let operator: Browser;
let viewer: Browser;
let admin: Browser;
/** A batch of the sample list, done, shared by the read-only tests. */
let doneId: string;

beforeAll(async () => {
  consoleUnderTest = await startTestConsole({ throttle: new MemoryLoginThrottle({ perAccount: 3, perAddress: 1000, windowMs: 60_000 }) });
  const { app } = consoleUnderTest;
  [operator, viewer, admin] = await Promise.all([login(app, 'otto'), login(app, 'vera'), login(app, 'ada')]);
  const started = await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: '名单.csv', body: SAMPLE }, { profile: 'standard' }) });
  expect(started.statusCode, started.body).toBe(201);
  doneId = (started.json() as { id: string }).id;
  await waitForResult(operator, doneId);
}, 90_000);

afterAll(async () => {
  await consoleUnderTest?.close();
});

describe('without a session or token', () => {
  const routes: Array<[string, string]> = [
    ['GET', '/api/session'],
    ['POST', '/api/logout'],
    ['GET', '/api/batches'],
    ['POST', '/api/batches'],
    ['GET', '/api/batches/b20261206-101500-a1b2'],
    ['GET', '/api/batches/b20261206-101500-a1b2/events'],
    ['POST', '/api/batches/b20261206-101500-a1b2/cancel'],
    ['GET', '/api/batches/b20261206-101500-a1b2/files/result'],
    ['POST', '/api/uploads'],
    ['GET', '/api/uploads/u0123456789abcdef01234567/preview'],
    ['DELETE', '/api/uploads/u0123456789abcdef01234567'],
    ['GET', '/admin/queues'],
  ];
  it.each(routes)('%s %s answers 401 RISKSCREEN_AUTH_REQUIRED', async (method, url) => {
    const response = await consoleUnderTest.app.inject({ method: method as 'GET', url });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'RISKSCREEN_AUTH_REQUIRED' });
  });

  it('a wrong bearer token or a made-up cookie is no better', async () => {
    const { app } = consoleUnderTest;
    expect((await app.inject({ url: '/api/batches', headers: { authorization: 'Bearer rs_nope' } })).statusCode).toBe(401);
    expect((await app.inject({ url: '/api/batches', headers: { cookie: 'rs_session=made-up' } })).statusCode).toBe(401);
  });

  it('only the page shell and its assets are served: they hold no data', async () => {
    const { app } = consoleUnderTest;
    const page = await app.inject({ url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const scripts = [...page.body.matchAll(/src="\/assets\/([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const name of scripts) expect((await app.inject({ url: `/assets/${name}` })).statusCode).toBe(200);
    expect((await app.inject({ url: '/assets/..%2fserver.ts' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/assets/index.html' })).statusCode).toBe(404);
  });
});

describe('login and logout', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie (not Secure over plain HTTP) and answers the user and a CSRF token', async () => {
    const response = await consoleUnderTest.app.inject({ method: 'POST', url: '/api/login', payload: { name: 'vera', password: PASSWORD } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ user: { name: 'vera', role: 'viewer' }, csrfToken: expect.any(String) });
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^rs_session=[\w-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
  });

  it('a wrong password and an unknown name both answer 401 RISKSCREEN_LOGIN_FAILED, saying not which', async () => {
    const { app } = consoleUnderTest;
    const wrong = await app.inject({ method: 'POST', url: '/api/login', payload: { name: 'ada', password: 'nope nope nope' } });
    const unknown = await app.inject({ method: 'POST', url: '/api/login', payload: { name: 'nobody', password: PASSWORD } });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json()).toEqual(unknown.json());
    expect(wrong.json()).toMatchObject({ code: 'RISKSCREEN_LOGIN_FAILED' });
  });

  it('a login that is not JSON answers 415; one without a password 400', async () => {
    const { app } = consoleUnderTest;
    const form = await app.inject({ method: 'POST', url: '/api/login', payload: 'name=ada&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.statusCode).toBe(415);
    expect(form.json()).toMatchObject({ code: 'RISKSCREEN_UNSUPPORTED_MEDIA' });
    const empty = await app.inject({ method: 'POST', url: '/api/login', payload: { name: 'ada' } });
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ code: 'RISKSCREEN_BAD_REQUEST', details: { field: 'password' } });
  });

  it('after too many failed logins the account is refused with 429 and Retry-After, even with the right password', async () => {
    const { app } = consoleUnderTest;
    // A fresh account name: the throttle counts per account (limit 3 in this console).
    for (let i = 0; i < 3; i++) {
      expect((await app.inject({ method: 'POST', url: '/api/login', payload: { name: 'otto', password: `wrong ${i} password` } })).statusCode).toBe(401);
    }
    const refused = await app.inject({ method: 'POST', url: '/api/login', payload: { name: 'otto', password: PASSWORD } });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ code: 'RISKSCREEN_LOGIN_THROTTLED' });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // Sessions made before go on working.
    expect((await operator.request({ url: '/api/session' })).statusCode).toBe(200);
  });

  it('guesses sent in parallel are counted as they start: past the limit they are refused before any password is checked', async () => {
    const { app } = consoleUnderTest;
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => app.inject({ method: 'POST', url: '/api/login', payload: { name: 'mallory', password: `guess number ${i}` } })),
    );
    const codes = answers.map((answer) => answer.statusCode).sort();
    expect(codes).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
  });

  it('logout ends the session on the server: the same cookie is refused afterwards', async () => {
    const browser = await login(consoleUnderTest.app, 'ada');
    expect((await browser.request({ url: '/api/session' })).statusCode).toBe(200);
    expect((await browser.request({ method: 'POST', url: '/api/logout' })).statusCode).toBe(204);
    const after = await browser.request({ url: '/api/batches' });
    expect(after.statusCode).toBe(401);
  });

  it('the session answer says the engine, the limits, the profiles and the rubrics', async () => {
    const session = (await viewer.request({ url: '/api/session' })).json();
    expect(session).toMatchObject({
      user: { name: 'vera', role: 'viewer' },
      engine: { kind: 'local' },
      limits: { maxUploadBytes: 200 * 1024 * 1024 },
      rubrics: [{ id: 'default' }],
      formats: ['csv', 'xlsx', 'jsonl', 'parquet'],
      encodings: ['utf8-bom', 'gb18030'],
    });
    expect(session.profiles.map((p: { name: string }) => p.name)).toContain('standard');
  });

  it('behind a proxy (web.trustProxy): the cookie is Secure when it says https, the address is the one it saw, the Origin is checked against its Host', async () => {
    const proxied = await startTestConsole({ web: { trustProxy: true } });
    try {
      const viaProxy = { 'x-forwarded-proto': 'https', host: 'console.example.cn', 'x-forwarded-for': '6.6.6.6, 10.1.2.3' };
      const response = await proxied.app.inject({ method: 'POST', url: '/api/login', payload: { name: 'ada', password: PASSWORD }, headers: viaProxy });
      expect(String(response.headers['set-cookie'])).toMatch(/; Secure/);
      // What the client wrote into X-Forwarded-For (6.6.6.6) is not believed: the proxy's own entry is.
      expect(proxied.logs().find((line) => line.event === 'login')).toMatchObject({ address: '10.1.2.3' });
      const cookie = String(response.headers['set-cookie']).split(';')[0]!;
      const logout = await proxied.app.inject({
        method: 'POST',
        url: '/api/logout',
        headers: { ...viaProxy, cookie, 'x-csrf-token': response.json().csrfToken, origin: 'https://console.example.cn' },
      });
      expect(logout.statusCode).toBe(204);
    } finally {
      await proxied.close();
    }
  });
});

describe('CSRF', () => {
  it('a state-changing request with the cookie but without the token is refused with 403 RISKSCREEN_CSRF', async () => {
    const { app } = consoleUnderTest;
    const noToken = await app.inject({ method: 'POST', url: `/api/batches/${doneId}/cancel`, headers: { cookie: operator.cookie } });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json()).toMatchObject({ code: 'RISKSCREEN_CSRF' });
    const wrongToken = await app.inject({ method: 'POST', url: '/api/uploads', headers: { cookie: operator.cookie, 'x-csrf-token': viewer.csrf } });
    expect(wrongToken.json()).toMatchObject({ code: 'RISKSCREEN_CSRF' });
    const logout = await app.inject({ method: 'POST', url: '/api/logout', headers: { cookie: operator.cookie } });
    expect(logout.statusCode).toBe(403);
  });

  it('a request from another site is refused even with the token', async () => {
    const response = await operator.request({ method: 'POST', url: `/api/batches/${doneId}/cancel`, headers: { origin: 'https://evil.example' } });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'RISKSCREEN_CSRF' });
  });

  it('reads need no token, and a bearer token needs none', async () => {
    const { app, tokens } = consoleUnderTest;
    expect((await app.inject({ url: '/api/batches', headers: { cookie: viewer.cookie } })).statusCode).toBe(200);
    const cancel = await app.inject({ method: 'POST', url: `/api/batches/${doneId}/cancel`, headers: { authorization: `Bearer ${tokens.operator}` } });
    expect(cancel.statusCode).toBe(409); // past the CSRF check: the batch has finished
  });
});

describe('roles', () => {
  it('a viewer sees batches and counts but gets 403 on uploads, starts, cancels and files', async () => {
    expect((await viewer.request({ url: '/api/batches' })).statusCode).toBe(200);
    expect((await viewer.request({ url: `/api/batches/${doneId}` })).statusCode).toBe(200);
    const refused = [
      await viewer.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'a.csv', body: SAMPLE }) }),
      await viewer.request({ method: 'POST', url: '/api/batches', payload: { uploadId: 'u0123456789abcdef01234567' } }),
      await viewer.request({ method: 'POST', url: `/api/batches/${doneId}/cancel` }),
      await viewer.request({ url: `/api/batches/${doneId}/files/result` }),
      await viewer.request({ url: `/api/batches/${doneId}/files/masked` }),
      await viewer.request({ url: '/api/uploads/u0123456789abcdef01234567/preview' }),
      await viewer.request({ url: '/admin/queues' }),
    ];
    for (const response of refused) {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'RISKSCREEN_FORBIDDEN', details: { role: 'viewer' } });
    }
  });

  it('a viewer token is a viewer too', async () => {
    const { app, tokens } = consoleUnderTest;
    const response = await app.inject({ url: `/api/batches/${doneId}/files/result`, headers: { authorization: `Bearer ${tokens.viewer}` } });
    expect(response.statusCode).toBe(403);
  });

  it('the queue dashboard is for admins; on the local engine there is none, and the admin is told so', async () => {
    expect((await operator.request({ url: '/admin/queues' })).statusCode).toBe(403);
    const forAdmin = await admin.request({ url: '/admin/queues' });
    expect(forAdmin.statusCode).toBe(404);
    expect(forAdmin.json().message).toMatch(/queue engine/);
  });
});

describe('uploads and the preview', () => {
  it('an upload answers 201 with its id, cleaned name, size and sha256; the preview reads it as the input layer does, numbers masked', async () => {
    const uploaded = await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'C:\\fakepath\\客户名单.csv', body: SAMPLE }) });
    expect(uploaded.statusCode).toBe(201);
    const { upload } = uploaded.json();
    expect(upload).toMatchObject({ id: expect.stringMatching(/^u[0-9a-f]{24}$/), name: '客户名单.csv', bytes: SAMPLE.length });
    const preview = await operator.request({ url: `/api/uploads/${upload.id}/preview` });
    expect(preview.statusCode).toBe(200);
    const body = preview.json();
    expect(body.counts).toMatchObject({ rows: 3000, valid: 2810, invalid: 190, duplicates: 173, unique: 2637 });
    expect(body.layout).toMatchObject({ encoding: 'utf-8', delimiter: ',', phoneColumn: { number: 1, name: '手机号' }, dateColumn: { number: 3, name: '注册日期' } });
    expect(body.invalid.reduce((sum: number, entry: { count: number }) => sum + entry.count, 0)).toBe(190);
    const example = body.invalid.find((entry: { reason: string }) => entry.reason === 'landline').examples[0];
    expect(example).toMatchObject({ line: expect.any(Number), value: expect.stringContaining('****') });
    expect(body.billableUpperBound).toBe(Object.values(body.questions as Record<string, number>).reduce((a, b) => a + b, 0));
    expect(body.cached).not.toBeNull();
    expect(preview.body).not.toMatch(FULL_NUMBER);
  });

  it('the cache saves what an earlier batch already asked: a second preview of the same list counts it', async () => {
    const uploaded = (await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'again.csv', body: SAMPLE }) })).json();
    const preview = (await operator.request({ url: `/api/uploads/${uploaded.upload.id}/preview?profile=standard` })).json();
    expect(preview.cacheSaves).toBeGreaterThan(0);
    expect(preview.cacheSaves).toBeLessThanOrEqual(preview.billableUpperBound);
  });

  it('the preview gives both plans: the same upper bound, and the staged bill from the line statuses the cache knows, under the chosen rubric', async () => {
    const uploaded = (await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'plans.csv', body: SAMPLE }) })).json();
    const url = `/api/uploads/${uploaded.upload.id}/preview?profile=standard`;
    const preview = (await operator.request({ url })).json();
    // The batch of the same list (staged, the server's default plan) asked every line status and left some questions decided.
    const done = (await consoleUnderTest.engine.get(doneId))!;
    expect(done.options.plan).toBe('staged');
    expect(done.counts.decided).toBeGreaterThan(0);
    expect(preview.plan).toBe('staged');
    expect(preview.staging).toMatchObject({
      rubric: 'default',
      decidingValues: ['inactive', 'pre_cancel'],
      numbers: 2637,
      known: 2637,
      knownFromCache: 2637,
      knownFromEarlier: 0,
      savedTotal: done.counts.decided,
    });
    expect(preview.plans.all).toMatchObject({ upperBound: preview.billableUpperBound, expected: preview.billableUpperBound - preview.cacheSaves });
    expect(preview.plans.staged).toMatchObject({ upperBound: preview.billableUpperBound, expected: preview.plans.all.expected - done.counts.decided });
    expect(preview.plans.staged.expected).toBe(0); // every other question was asked by that batch, or is decided
    expect(JSON.stringify(preview)).not.toMatch(FULL_NUMBER);

    // An unknown rubric is named; the default one by id gives the same figures.
    const unknown = await operator.request({ url: `${url}&rubric=nope` });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ code: 'RISKSCREEN_BAD_OPTION', details: { field: 'rubric' } });
    expect((await operator.request({ url: `${url}&rubric=default` })).json().plans).toEqual(preview.plans);
  });

  it('changing the phone column in the preview re-reads with it', async () => {
    const { upload } = (await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'cols.csv', body: SAMPLE }) })).json();
    const preview = (await operator.request({ url: `/api/uploads/${upload.id}/preview?column=2` })).json();
    expect(preview.layout.phoneColumn).toMatchObject({ number: 2, source: 'option' });
    expect(preview.counts.valid).toBe(0);
    expect(preview.warnings.join(' ')).toMatch(/no row has a valid mobile number/);
  });

  it('a file that cannot be read answers 422 with the file name, line and problem; nothing is queued', async () => {
    const before = (await operator.request({ url: '/api/batches' })).json().total;
    const bad = '手机号,姓名\n13800138000,"张三\n13900139000,李四\n';
    const { upload } = (await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'broken.csv', body: bad }) })).json();
    const preview = await operator.request({ url: `/api/uploads/${upload.id}/preview` });
    expect(preview.statusCode).toBe(422);
    expect(preview.json()).toMatchObject({
      code: 'RISKSCREEN_INPUT_UNREADABLE',
      details: { file: 'broken.csv', line: 2, inputCode: 'INPUT_UNCLOSED_QUOTE' },
    });
    expect(preview.json().message).toMatch(/^broken\.csv: line 2: /);
    expect(preview.body).not.toContain(consoleUnderTest.engine.dataDir);
    const start = await operator.request({ method: 'POST', url: '/api/batches', payload: { uploadId: upload.id } });
    expect(start.statusCode).toBe(422);
    expect((await operator.request({ url: '/api/batches' })).json().total).toBe(before);
  });

  it('only .csv, .txt and .xlsx are taken (415), and only multipart (415)', async () => {
    const xls = await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'old.xls', body: 'x' }) });
    expect(xls.statusCode).toBe(415);
    expect(xls.json()).toMatchObject({ code: 'RISKSCREEN_UNSUPPORTED_MEDIA' });
    const json = await operator.request({ method: 'POST', url: '/api/uploads', payload: { file: 'x' } });
    expect(json.statusCode).toBe(415);
  });

  it("someone else's upload, a made-up id and a path are all 404", async () => {
    const { upload } = (await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'mine.csv', body: SAMPLE }) })).json();
    const other = await login(consoleUnderTest.app, 'ada'); // an admin may; make a second operator-like check with a token
    expect((await other.request({ url: `/api/uploads/${upload.id}/preview` })).statusCode).toBe(200);
    const { app, tokens } = consoleUnderTest;
    const byToken = await app.inject({ url: `/api/uploads/${upload.id}/preview`, headers: { authorization: `Bearer ${tokens.operator}` } });
    expect(byToken.statusCode).toBe(404);
    expect((await operator.request({ url: '/api/uploads/u000000000000000000000000/preview' })).statusCode).toBe(404);
    expect((await operator.request({ url: '/api/uploads/..%2F..%2Fetc/preview' })).statusCode).toBe(404);
  });

  it('DELETE throws an upload away', async () => {
    const { upload } = (await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'gone.csv', body: SAMPLE }) })).json();
    expect((await operator.request({ method: 'DELETE', url: `/api/uploads/${upload.id}` })).statusCode).toBe(204);
    expect((await operator.request({ url: `/api/uploads/${upload.id}/preview` })).statusCode).toBe(404);
  });

  it('an upload over web.maxUploadBytes answers 413 and keeps nothing', async () => {
    const small = await startTestConsole({ web: { maxUploadBytes: 64 * 1024 } });
    try {
      const browser = await login(small.app, 'otto');
      const response = await browser.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'big.csv', body: SAMPLE }) });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toMatchObject({ code: 'RISKSCREEN_UPLOAD_TOO_LARGE', details: { file: 'big.csv' } });
      const uploads = join(small.engine.dataDir, 'uploads');
      expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

describe('starting, reading and cancelling batches', () => {
  it('bad run options answer 422 naming the field', async () => {
    const { upload } = (await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'opts.csv', body: SAMPLE }) })).json();
    for (const [payload, field] of [
      [{ uploadId: upload.id, maxCalls: 0 }, 'maxCalls'],
      [{ uploadId: upload.id, rubric: 'strictest' }, 'rubric'],
      [{ uploadId: upload.id, profile: 'everything' }, 'profile'],
      [{ uploadId: upload.id, colour: 'red' }, 'colour'],
      [{ uploadId: upload.id, since: '2024-13-45' }, 'since'],
    ] as const) {
      const response = await operator.request({ method: 'POST', url: '/api/batches', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      expect(response.json()).toMatchObject({ code: 'RISKSCREEN_BAD_OPTION', details: { field } });
    }
    const noUpload = await operator.request({ method: 'POST', url: '/api/batches', payload: { profile: 'standard' } });
    expect(noUpload.statusCode).toBe(400);
  });

  it('one upload started twice at once becomes one batch: the other start answers 409', async () => {
    const { upload } = (await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'twice.csv', body: SAMPLE }) })).json();
    const before = (await operator.request({ url: '/api/batches' })).json().total;
    const starts = await Promise.all([1, 2].map(() => operator.request({ method: 'POST', url: '/api/batches', payload: { uploadId: upload.id, profile: 'status', maxCalls: 1 } })));
    expect(starts.map((start) => start.statusCode).sort()).toEqual([201, 409]);
    expect(starts.find((start) => start.statusCode === 409)!.json()).toMatchObject({ code: 'RISKSCREEN_UPLOAD_TAKEN' });
    expect((await operator.request({ url: '/api/batches' })).json().total).toBe(before + 1);
    await waitForResult(operator, starts.find((start) => start.statusCode === 201)!.json().id);
  });

  it('a one-step start that fails keeps no upload; a two-step one keeps it for another try', async () => {
    const uploadsDir = join(consoleUnderTest.engine.dataDir, 'uploads');
    const count = () => (existsSync(uploadsDir) ? readdirSync(uploadsDir).length : 0);
    const before = count();
    const body = multipart({ name: 'late-field.csv', body: SAMPLE });
    // A field after the file.
    const boundary = body.headers['content-type']!.split('boundary=')[1]!;
    const withLateField = Buffer.concat([
      body.payload.subarray(0, body.payload.lastIndexOf(Buffer.from(`--${boundary}--`))),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="profile"\r\n\r\nstatus\r\n--${boundary}--\r\n`),
    ]);
    const refused = await operator.request({ method: 'POST', url: '/api/batches', payload: withLateField, headers: body.headers });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'RISKSCREEN_BAD_REQUEST', details: { field: 'profile' } });
    const badOption = await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: 'one-step.csv', body: SAMPLE }, { maxCalls: 'lots' }) });
    expect(badOption.statusCode).toBe(422);
    expect(count()).toBe(before);
    const { upload } = (await operator.request({ method: 'POST', url: '/api/uploads', ...multipart({ name: 'two-step.csv', body: SAMPLE }) })).json();
    expect((await operator.request({ method: 'POST', url: '/api/batches', payload: { uploadId: upload.id, maxCalls: 'lots' } })).statusCode).toBe(422);
    expect((await operator.request({ url: `/api/uploads/${upload.id}/preview` })).statusCode).toBe(200);
  });

  it('the list shows the batch newest first, with who uploaded it, its status and rows by level; filters and pages', async () => {
    const list = (await viewer.request({ url: '/api/batches' })).json();
    const entry = list.batches.find((batch: { id: string }) => batch.id === doneId);
    expect(entry).toMatchObject({ name: '名单.csv', submittedBy: 'otto', status: 'done', rows: 3000, progress: { percent: 100 } });
    expect(entry.levels.high + entry.levels.medium + entry.levels.low + entry.levels.unscored).toBe(3000);
    const ids = list.batches.map((batch: { id: string }) => batch.id);
    expect([...ids].sort().reverse()).toEqual(ids);
    expect((await viewer.request({ url: '/api/batches?status=failed' })).json()).toMatchObject({ batches: [], total: 0 });
    expect((await viewer.request({ url: '/api/batches?status=done&perPage=1&page=1' })).json().batches).toHaveLength(1);
    const bad = await viewer.request({ url: '/api/batches?status=sleeping' });
    expect(bad.statusCode).toBe(422);
    expect((await viewer.request({ url: '/api/batches?perPage=1000' })).statusCode).toBe(422);
  });

  it('a batch answers its counts, errors by code with their meaning, and, done, the level by status table', async () => {
    const detail = (await viewer.request({ url: `/api/batches/${doneId}` })).json();
    expect(detail).toMatchObject({ id: doneId, status: 'done', counts: { rows: 3000, ingestDone: 1 }, result: { rows: { total: 3000 } } });
    expect(detail.result.rows.by_status_and_level.screened).toBeDefined();
    expect(detail.counts.billed).toBeGreaterThan(0);
    expect(JSON.stringify(detail)).not.toMatch(FULL_NUMBER);
  });

  it('unknown or malformed batch ids are 404; cancel of a finished batch is 409', async () => {
    expect((await viewer.request({ url: '/api/batches/b20200101-000000-zzzz' })).json()).toMatchObject({ code: 'RISKSCREEN_NOT_FOUND' });
    expect((await viewer.request({ url: '/api/batches/..%2Fsecret' })).statusCode).toBe(404);
    expect((await viewer.request({ url: '/api/nothing-here' })).statusCode).toBe(404);
    const finishedBefore = (await viewer.request({ url: `/api/batches/${doneId}` })).json().times.finished;
    const cancel = await operator.request({ method: 'POST', url: `/api/batches/${doneId}/cancel` });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json()).toMatchObject({ code: 'RISKSCREEN_BATCH_FINISHED' });
    expect((await viewer.request({ url: `/api/batches/${doneId}` })).json().times.finished).toBe(finishedBefore);
  });

  it('the events of a finished batch: its state, then end, and the stream closes; no number in them', async () => {
    const response = await viewer.request({ url: `/api/batches/${doneId}/events` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(response.headers['content-security-policy']).toBeDefined();
    const events = parseEvents(response.body);
    expect(events.map((event) => event.event)).toEqual(['batch', 'end']);
    expect(JSON.parse(events[0]!.data)).toMatchObject({ id: doneId, status: 'done' });
    expect(response.body).not.toMatch(FULL_NUMBER);
  });

  it('a running batch can be cancelled: no more calls, and its result is still written, the rest not screened', async () => {
    const slow = await startTestConsole({ env: { RISKSCREEN_RATES: 'status=5,tenure=5,tenureCmcc=5,resale=5,callDuration=5' } });
    try {
      const browser = await login(slow.app, 'otto');
      const started = await browser.request({ method: 'POST', url: '/api/batches', ...multipart({ name: 'slow.csv', body: SAMPLE }) });
      const { id } = started.json();
      const files = await browser.request({ url: `/api/batches/${id}/files/result` });
      expect(files.statusCode).toBe(409);
      expect(files.json()).toMatchObject({ code: 'RISKSCREEN_NO_RESULT_YET' });
      const cancelled = await browser.request({ method: 'POST', url: `/api/batches/${id}/cancel` });
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json()).toMatchObject({ status: 'cancelled', reason: 'cancelled by otto in the console' });
      const detail = await waitForResult(browser, id);
      expect(detail.status).toBe('cancelled');
      expect(detail.result.rows.by_status.not_screened).toBeGreaterThan(0);
      expect(slow.emulator.ledger.stats().billed).toBeLessThan(200);
    } finally {
      await slow.close();
    }
  });
});

describe('files', () => {
  const text = (response: { rawPayload: Buffer }, encoding = 'utf8') => iconv.decode(response.rawPayload, encoding).replace(/^\ufeff/, '');

  it('the result has every input row, as an attachment named after the batch; masked shows no whole number', async () => {
    const result = await operator.request({ url: `/api/batches/${doneId}/files/result` });
    expect(result.statusCode).toBe(200);
    expect(result.headers['content-disposition']).toBe(`attachment; filename="${doneId}.csv"`);
    expect(result.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = text(result).trim().split(/\r?\n/);
    expect(lines.length).toBeGreaterThanOrEqual(3001); // a header and 3,000 rows (a quoted cell may hold a line break)
    expect(text(result)).toMatch(FULL_NUMBER);
    const masked = await operator.request({ url: `/api/batches/${doneId}/files/masked` });
    expect(masked.statusCode).toBe(200);
    expect(text(masked)).toContain('mobile_hash');
    expect(text(masked).match(FULL_NUMBER)?.[0]).toBeUndefined();
  });

  it('GB18030 on request, per level, and the manifest', async () => {
    const gb = await operator.request({ url: `/api/batches/${doneId}/files/result?encoding=gb18030` });
    expect(gb.headers['content-type']).toMatch(/gb18030/);
    expect(text(gb, 'gb18030')).toContain('手机号');
    const detail = (await operator.request({ url: `/api/batches/${doneId}` })).json();
    const high = await operator.request({ url: `/api/batches/${doneId}/files/high` });
    expect(high.statusCode).toBe(200);
    expect(text(high).trim().split(/\r?\n/).length - 1).toBeGreaterThanOrEqual(detail.levels.high);
    const manifest = await operator.request({ url: `/api/batches/${doneId}/files/manifest` });
    expect(manifest.json()).toMatchObject({ kind: 'riskscreen.result', batch: { id: doneId } });
    expect((await operator.request({ url: `/api/batches/${doneId}/files/result?encoding=latin1` })).statusCode).toBe(422);
    expect((await operator.request({ url: `/api/batches/${doneId}/files/everything` })).statusCode).toBe(404);
  });

  it('an unknown format or language is refused naming the field and listing the values, before anything is written', async () => {
    const format = await operator.request({ url: `/api/batches/${doneId}/files/result?format=xls` });
    expect(format.statusCode).toBe(422);
    expect(format.json()).toMatchObject({ code: 'RISKSCREEN_BAD_OPTION', details: { field: 'format' } });
    expect(format.json().message).toBe('format: "xls" is not a result format; use one of csv, xlsx, jsonl, parquet');
    const lang = await operator.request({ url: `/api/batches/${doneId}/files/result?format=xlsx&lang=fr` });
    expect(lang.statusCode).toBe(422);
    expect(lang.json()).toMatchObject({ code: 'RISKSCREEN_BAD_OPTION', details: { field: 'lang' }, message: 'lang: one of zh, en' });
    // format=csv is the default, said or not.
    const csv = await operator.request({ url: `/api/batches/${doneId}/files/high?format=csv&encoding=gb18030&lang=en` });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="${doneId}.high.gb18030.csv"`);
    expect(csv.headers['content-type']).toBe('text/csv; charset=gb18030');
  });

  // Needs the XLSX writer (src/report/result-xlsx.ts).
  it('an Excel workbook: its content type, a name ending .xlsx for the result and a level, every row in it', async () => {
    const result = await operator.request({ url: `/api/batches/${doneId}/files/result?format=xlsx&lang=zh` });
    expect(result.statusCode, result.body.slice(0, 300)).toBe(200);
    expect(result.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(result.headers['content-disposition']).toBe(`attachment; filename="${doneId}.xlsx"`);
    expect(result.rawPayload.subarray(0, 2).toString('latin1')).toBe('PK');
    const workbook = async (payload: Buffer) => {
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(payload as unknown as ArrayBuffer);
      return book;
    };
    // lang=zh: the sheets are named in Chinese; the header is the list's own, then the added columns.
    const results = (await workbook(result.rawPayload)).getWorksheet('结果');
    expect(results).toBeDefined();
    expect(results!.getRow(1).getCell(1).text).toBe('手机号');
    expect(results!.actualRowCount).toBe(3001);
    const high = await operator.request({ url: `/api/batches/${doneId}/files/high?format=xlsx&lang=en&encoding=gb18030` });
    expect(high.statusCode).toBe(200);
    expect(high.headers['content-disposition']).toBe(`attachment; filename="${doneId}.high.xlsx"`);
    const detail = (await operator.request({ url: `/api/batches/${doneId}` })).json();
    const highSheet = (await workbook(high.rawPayload)).getWorksheet('Results');
    expect(highSheet).toBeDefined();
    expect(highSheet!.actualRowCount - 1).toBe(detail.levels.high);
  });

  it('changes against an earlier batch picked from the list', async () => {
    const again = await operator.request({ method: 'POST', url: '/api/batches', ...multipart({ name: '名单-二.csv', body: SAMPLE }) });
    const secondId = again.json().id;
    await waitForResult(operator, secondId);
    const changes = await operator.request({ url: `/api/batches/${secondId}/files/changes?compare=${doneId}` });
    expect(changes.statusCode).toBe(200);
    expect(changes.headers['content-disposition']).toContain('.changes.csv');
    const noCompare = await operator.request({ url: `/api/batches/${secondId}/files/changes` });
    expect(noCompare.json()).toMatchObject({ code: 'RISKSCREEN_BAD_REQUEST', details: { field: 'compare' } });
    const withChange = await operator.request({ url: `/api/batches/${secondId}/files/result?compare=${doneId}` });
    expect(text(withChange).split(/\r?\n/)[0]).toContain('change');
  });

  it('nothing is left behind in the data dir by a download', async () => {
    await operator.request({ url: `/api/batches/${doneId}/files/masked` });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const exports = join(consoleUnderTest.engine.dataDir, 'exports');
    expect(existsSync(exports) ? readdirSync(exports) : []).toEqual([]);
  });
});

describe('security headers', () => {
  it('a CSP without inline script, frame-ancestors none, nosniff, no referrer', async () => {
    const response = await consoleUnderTest.app.inject({ url: '/' });
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    const api = await viewer.request({ url: '/api/batches' });
    expect(api.headers['content-security-policy']).toBeDefined();
  });
});

describe('the audit log and the access log', () => {
  it('records logins, uploads, starts, cancels and downloads with the user and address; the whole log holds no number and no query string', async () => {
    const audit = consoleUnderTest.logs().filter((line) => line.audit === true);
    const events = new Set(audit.map((line) => line.event));
    for (const event of ['login', 'login_failed', 'logout', 'upload', 'start', 'download']) expect(events, event).toContain(event);
    const start = audit.find((line) => line.event === 'start');
    expect(start).toMatchObject({ user: 'otto', batch: doneId, file: '名单.csv', rows: 3000, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), address: expect.any(String) });
    const download = audit.find((line) => line.event === 'download');
    expect(download).toMatchObject({ user: 'otto', kind: expect.any(String) });
    const requests = consoleUnderTest.logs().filter((line) => line.msg === 'request');
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.some((line) => String(line.path).includes('?'))).toBe(false);
    expect(consoleUnderTest.logText()).not.toMatch(FULL_NUMBER);
    expect(consoleUnderTest.logText()).not.toContain(PASSWORD);
  });
});
