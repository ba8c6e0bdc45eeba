import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { captureIo } from '../../support/capture-io.js';
import { startScriptedServer, type ScriptedServer } from '../../support/http-server.js';

const saved = { ...process.env };
let server: ScriptedServer;

beforeEach(async () => {
  server = await startScriptedServer();
  process.env.JUHE_KEY = 'clikey0123456789';
  process.env.JUHE_BASE_URL = server.url;
  process.env.LOG_LEVEL = 'silent';
  delete process.env.JUHE_OPENID;
  delete process.env.JUHE_RSA_PUBLIC_KEY_FILE;
});
afterEach(async () => {
  process.env = { ...saved };
  await server.close();
});

describe('riskscreen query', () => {
  it('prints the decoded answer of a billed call', async () => {
    server.handle((_req, res) => res.end('{"reason":"成功","result":{"res":1,"orderid":"JH9"},"error_code":0}'));
    const io = captureIo();
    expect(await main(['query', 'resale', '13800138000', '--date', '20200101', '--json'], io)).toBe(EXIT.ok);
    const outcome = JSON.parse(io.out());
    expect(outcome).toMatchObject({ kind: 'success', billed: true, form: 'sha256', signals: { resale: { value: 'recycled' } } });
    expect(server.received[0]!.url).toBe('/twoSellTel/queryEncry');
    expect(io.out()).not.toContain('13800138000');
  });

  it.each([
    [10001, EXIT.account],
    [10012, EXIT.limited],
    [224915, EXIT.unavailable],
  ])('exits with the documented code for error_code %s', async (code, exit) => {
    server.handle((_req, res) => res.end(JSON.stringify({ reason: 'x', error_code: code })));
    const io = captureIo();
    expect(await main(['query', 'status', '13800138000'], io)).toBe(exit);
    expect(io.err()).toMatch(new RegExp(`^riskscreen: mobile_status/query 138\\*\\*\\*\\*8000: ${code}`));
  });

  it('refuses a malformed number before calling, exit 2', async () => {
    const io = captureIo();
    expect(await main(['query', 'status', '1380013800'], io)).toBe(EXIT.usage);
    expect(server.received).toHaveLength(0);
  });
});
