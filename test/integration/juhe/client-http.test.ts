import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JuheClient } from '../../../src/juhe/client.js';
import { resolveJuheConfig, type JuheSettings } from '../../../src/juhe/config.js';
import {
  JuheAbortedError,
  JuheAccountError,
  JuheBadRequestError,
  JuheError,
  JuheQuotaError,
  JuheThrottleError,
  JuheTransientError,
  JuheUnknownError,
} from '../../../src/juhe/errors.js';
import { closedPort, startScriptedServer, type ScriptedServer } from '../../support/http-server.js';

const KEY = 'secretkey0123456789';
const OPENID = 'JHsecretopenid42';
const MOBILE = '13800138000';

let server: ScriptedServer;
let client: JuheClient;

function makeClient(settings: Partial<JuheSettings> = {}): JuheClient {
  return new JuheClient({
    config: resolveJuheConfig({
      key: KEY,
      openid: OPENID,
      baseUrl: server.url,
      headersTimeoutMs: 2_000,
      bodyTimeoutMs: 2_000,
      requestTimeoutMs: 5_000,
      connectTimeoutMs: 1_000,
      ...settings,
    }),
  });
}

function json(status: number, body: unknown) {
  return (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

async function failure(promise: Promise<unknown>): Promise<JuheError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(JuheError);
    const error = err as JuheError;
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain(OPENID);
    expect(error.message).not.toContain(MOBILE);
    expect(JSON.stringify(error.toJSON())).not.toContain(MOBILE);
    return error;
  }
  throw new Error('expected the call to fail');
}

beforeEach(async () => {
  server = await startScriptedServer();
  client = makeClient();
});

afterEach(async () => {
  await client.close();
  await server.close();
});

describe('what goes over the wire', () => {
  it('POSTs a form body to the documented path on keep-alive connections', async () => {
    server.handle(json(200, { reason: '成功', result: { state: '0' }, error_code: 0 }));
    for (let i = 0; i < 20; i++) await client.query({ api: 'status', mobile: MOBILE, form: 'plain' });
    expect(server.received).toHaveLength(20);
    for (const req of server.received) {
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/mobile_status/query');
      expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(req.body).toBe(`key=${KEY}&mobile=${MOBILE}`);
    }
    // Keep-alive: the pool may open a second connection while the first is being
    // released, but twenty calls must not need twenty connections.
    expect(server.connections).toBeLessThanOrEqual(2);
  });
});

describe('answers', () => {
  it('decodes a success whose result is a JSON string, and marks it billed', async () => {
    server.handle(
      json(200, {
        reason: '成功',
        result: JSON.stringify({ code: '03', desc: '(0,3]', province: '北京', city: '北京', isp: '联通', orderid: 'JH1' }),
        error_code: '0',
      }),
    );
    const outcome = await client.query({ api: 'tenure', mobile: MOBILE, form: 'aes' });
    expect(outcome).toMatchObject({
      kind: 'success',
      billed: true,
      juheCode: 0,
      endpoint: 'mobileOnline/queryEncry',
      form: 'aes',
      mobileMasked: '138****8000',
      orderId: 'JH1',
      signals: {
        tenure: { value: '0-3', raw: '03', encoding: 'mobileOnline' },
        location: { carrier: 'cucc', province: '北京', city: '北京' },
      },
    });
  });

  it('returns no record as a result, not billed', async () => {
    server.handle(json(200, { reason: '查询无此记录', result: null, error_code: 224922 }));
    const outcome = await client.query({ api: 'status', mobile: MOBILE });
    expect(outcome).toMatchObject({ kind: 'no_record', billed: false, juheCode: 224922, reason: '查询无此记录' });
  });

  it.each([
    [10001, 'account', JuheAccountError],
    [10012, 'quota', JuheQuotaError],
    [10011, 'throttle', JuheThrottleError],
    [224924, 'throttle', JuheThrottleError],
    [224915, 'transient', JuheTransientError],
    [224902, 'bad_request', JuheBadRequestError],
    [123456, 'unknown', JuheUnknownError],
  ] as const)('maps error_code %s to %s', async (code, category, ErrorClass) => {
    server.handle(json(200, { reason: `reason for ${code}`, result: null, error_code: code }));
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error.category).toBe(category);
    expect(error.juheCode).toBe(code);
    expect(error.reason).toBe(`reason for ${code}`);
    expect(error.endpoint).toBe('mobile_status/queryEncry');
    expect(error.mobileMasked).toBe('138****8000');
    expect(error.billed).toBe(false);
    if (code === 224924) expect((error as JuheThrottleError).scope).toBe('number');
    if (code === 10011) expect((error as JuheThrottleError).scope).toBe('ip');
    if (code === 224915) expect(error.retry?.maxAttempts).toBeGreaterThan(1);
  });

  it('scrubs the key, the openid, the number and what was sent for it from a reason the service echoed', async () => {
    server.handle((_req, res, body) => {
      const sent = new URLSearchParams(body).get('mobile');
      res.end(JSON.stringify({ reason: `bad key ${KEY} for +86${MOBILE} (${OPENID}) sent ${sent}`, error_code: 10001 }));
    });
    const error = await failure(client.query({ api: 'resale', mobile: MOBILE, form: 'sha256', date: '20200101' }));
    expect(error.reason).toBe('bad key [redacted] for 138****8000 ([redacted]) sent [redacted]');
    expect(error.date).toBe('20200101');
  });

  it('a billed answer whose result cannot be read is unknown, billed, never retried', async () => {
    server.handle(json(200, { reason: '成功', result: { state: '9' }, error_code: 0 }));
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toBeInstanceOf(JuheUnknownError);
    expect(error.billed).toBe(true);
    expect(error.juheCode).toBe(0);
    expect(error.retry).toBeUndefined();
  });
});

describe('failures without a Juhe answer', () => {
  it('an HTML 502 page is transient; the gateway may have been answered, so it is retried once at most', async () => {
    server.handle((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>');
    });
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toBeInstanceOf(JuheTransientError);
    expect(error).toMatchObject({ httpStatus: 502, juheCode: null, billed: false, maybeBilled: true });
    expect(error.retry?.maxAttempts).toBe(2);
    expect(error.message).toMatch(/HTTP server error/);
  });

  it('an HTML 503 page: the service did not take the request, not billed', async () => {
    server.handle((_req, res) => res.writeHead(503, { 'content-type': 'text/html' }).end('<html>Service Unavailable</html>'));
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toMatchObject({ category: 'transient', httpStatus: 503, maybeBilled: false });
  });

  it('reads an answer in the charset the server names (GBK)', async () => {
    // "不在网" in GBK, written as bytes so the server really sends GBK.
    const gbk = Buffer.concat([
      Buffer.from('{"error_code":0,"reason":"ok","result":{"state":"3","description":"'),
      Buffer.from([0xb2, 0xbb, 0xd4, 0xda, 0xcd, 0xf8]),
      Buffer.from('"}}'),
    ]);
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json; charset=GBK' }).end(gbk));
    const outcome = await client.query({ api: 'status', mobile: MOBILE });
    expect(outcome.kind === 'success' && outcome.signals.lineStatus).toEqual({ value: 'inactive', raw: '3', description: '不在网' });
  });

  it('a code documented for another API is unknown, never a silent "no record"', async () => {
    server.handle(json(200, { reason: '查无记录', error_code: 232703 }));
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toBeInstanceOf(JuheUnknownError);
    expect(error.juheCode).toBe(232703);
  });

  it('a Juhe answer inside a 5xx is still read as that answer', async () => {
    server.handle(json(503, { reason: '接口维护', error_code: 10020 }));
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toMatchObject({ juheCode: 10020, category: 'transient' });
  });

  it('HTTP 429 without a Juhe body is a throttle; 404 is a bad request', async () => {
    server.handle((_req, res) => res.writeHead(429).end('slow down'));
    expect(await failure(client.query({ api: 'status', mobile: MOBILE }))).toBeInstanceOf(JuheThrottleError);
    server.handle((_req, res) => res.writeHead(404).end('not found'));
    expect(await failure(client.query({ api: 'status', mobile: MOBILE }))).toBeInstanceOf(JuheBadRequestError);
  });

  it('a 200 that is not JSON is unknown and may have been billed, so it is not retried', async () => {
    server.handle((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>'));
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toBeInstanceOf(JuheUnknownError);
    expect(error).toMatchObject({ httpStatus: 200, maybeBilled: true });
    expect(error.retry).toBeUndefined();
  });

  it('headers timeout: transient, and the answer may have been billed', async () => {
    await client.close();
    client = makeClient({ headersTimeoutMs: 300 });
    server.handle(() => {
      /* never answer */
    });
    const started = Date.now();
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error).toBeInstanceOf(JuheTransientError);
    expect(error).toMatchObject({ juheCode: null, maybeBilled: true, billed: false });
    expect(error.reason).toMatch(/UND_ERR_HEADERS_TIMEOUT/);
  });

  it('body timeout: headers then silence', async () => {
    await client.close();
    client = makeClient({ bodyTimeoutMs: 300 });
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"reason":"成功",');
    });
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toBeInstanceOf(JuheTransientError);
    expect(error.reason).toMatch(/UND_ERR_BODY_TIMEOUT/);
    expect(error.maybeBilled).toBe(true);
  });

  it('the whole-call ceiling holds even when undici timeouts are longer', async () => {
    await client.close();
    client = makeClient({ headersTimeoutMs: 60_000, requestTimeoutMs: 400 });
    server.handle(() => {});
    const started = Date.now();
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(error.reason).toMatch(/no answer within 400 ms/);
    expect(error.maybeBilled).toBe(true);
  });

  it('connection reset after the request was sent: transient, may have been billed', async () => {
    server.handle((req) => req.socket.destroy());
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toBeInstanceOf(JuheTransientError);
    expect(error).toMatchObject({ juheCode: null, maybeBilled: true, notSent: false });
  });

  it('connection refused: transient, never billed', async () => {
    await client.close();
    client = new JuheClient({ config: resolveJuheConfig({ key: KEY, baseUrl: `http://127.0.0.1:${await closedPort()}` }) });
    const error = await failure(client.query({ api: 'status', mobile: MOBILE }));
    expect(error).toBeInstanceOf(JuheTransientError);
    // The request never left: not a call (the metrics count it apart).
    expect(error).toMatchObject({ maybeBilled: false, notSent: true });
    expect(error.toJSON()).toMatchObject({ notSent: true });
    expect(error.reason).toMatch(/ECONNREFUSED/);
  });

  it("the caller's abort after sending is a JuheAbortedError that may have been billed", async () => {
    server.handle(() => {});
    const controller = new AbortController();
    const pending = client.query({ api: 'status', mobile: MOBILE, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 100);
    const error = await failure(pending);
    expect(error).toBeInstanceOf(JuheAbortedError);
    expect(error).toMatchObject({ code: 'JUHE_ABORTED', category: 'transient', maybeBilled: true });
    expect(error.reason).toMatch(/shutting down/);
    expect(server.received).toHaveLength(1);
  });

  it('an abort while waiting for a connection sends nothing and rejects with the reason', async () => {
    await client.close();
    client = makeClient({ connections: 1 });
    server.handle(() => {});
    const controller = new AbortController();
    const first = client.query({ api: 'status', mobile: MOBILE }).catch(() => undefined);
    const queued = client.query({ api: 'status', mobile: MOBILE, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 100));
    controller.abort(new Error('never mind'));
    await expect(queued).rejects.toThrow('never mind');
    await expect(queued).rejects.not.toBeInstanceOf(JuheError);
    expect(server.received).toHaveLength(1);
    void first;
  });

  it('calls waiting for a connection do not time out as "maybe billed": the timer starts when they are sent', async () => {
    await client.close();
    client = makeClient({ connections: 1, requestTimeoutMs: 1_500, connectTimeoutMs: 500 });
    server.handle((_req, res) => setTimeout(() => res.end('{"error_code":0,"reason":"成功","result":{"state":"0"}}'), 600));
    const outcomes = await Promise.all([1, 2, 3].map(() => client.query({ api: 'status', mobile: MOBILE })));
    expect(outcomes.map((o) => o.kind)).toEqual(['success', 'success', 'success']);
    expect(server.received).toHaveLength(3);
  });
});
