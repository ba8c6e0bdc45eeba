import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../../../src/cli/main.js';
import { EXIT } from '../../../src/cli/exit-codes.js';
import { captureIo } from '../../support/capture-io.js';

const saved = { ...process.env };
beforeEach(() => {
  for (const name of Object.keys(process.env)) if (name.startsWith('JUHE_') || name === 'RISKSCREEN_CONFIG') delete process.env[name];
});
afterEach(() => {
  process.env = { ...saved };
});

describe('riskscreen CLI', () => {
  it('prints help listing every command, and exits 2 with no command', async () => {
    const io = captureIo();
    expect(await main([], io)).toBe(EXIT.usage);
    for (const name of Object.keys(COMMANDS)) expect(io.out()).toContain(name);
    expect(io.out()).toMatch(/Exit codes:/);
  });

  it('has a real --help for every command', async () => {
    for (const name of Object.keys(COMMANDS)) {
      const io = captureIo();
      expect(await main([name, '--help'], io)).toBe(EXIT.ok);
      expect(io.out()).toMatch(new RegExp(`Usage: riskscreen ${name}`));
    }
  });

  it('refuses an unknown command or option in one line, exit 2', async () => {
    const io = captureIo();
    expect(await main(['fly'], io)).toBe(EXIT.usage);
    expect(io.err()).toBe('riskscreen: unknown command "fly"; commands are ' + Object.keys(COMMANDS).join(', ') + '\n');
    const io2 = captureIo();
    expect(await main(['config', '--nope'], io2)).toBe(EXIT.usage);
    expect(io2.err()).toMatch(/^riskscreen: .*--nope/);
  });

  it('reports a configuration problem naming the option, exit 4, no stack trace', async () => {
    const io = captureIo();
    expect(await main(['config'], io)).toBe(EXIT.config);
    expect(io.err()).toMatch(/^riskscreen: configuration: JUHE_KEY: is not set/);
    expect(io.err()).not.toMatch(/\n\s+at /);
  });

  it('shows the form each API sends without revealing the key', async () => {
    process.env.JUHE_KEY = 'abcdef0123456789';
    process.env.JUHE_OPENID = 'openid-0123456789';
    const io = captureIo();
    expect(await main(['config', '--json'], io)).toBe(EXIT.ok);
    const view = JSON.parse(io.out());
    expect(view.apis.status).toEqual({ form: 'aes', endpoint: 'mobile_status/queryEncry', clearNumberOnTheWire: false });
    expect(view.apis.callDuration.clearNumberOnTheWire).toBe(true);
    expect(io.out()).not.toContain('abcdef0123456789');
    expect(io.out()).not.toContain('openid-0123456789');
    expect(view.report).toMatchObject({ rubric: { file: null, name: 'default' }, encoding: 'utf8-bom', language: 'zh' });
  });

  it('shows the engine, console, nightly and metrics options, without the Redis password or the engine secret', async () => {
    process.env.JUHE_KEY = 'abcdef0123456789';
    process.env.REDIS_URL = 'rediss+cluster://app:hunter2-secret@10.0.0.1:7000,10.0.0.2:7001';
    process.env.RISKSCREEN_SECRET = 'engine-secret-0123456789';
    process.env.RISKSCREEN_METRICS_PORT = '9464';
    process.env.RISKSCREEN_QUOTA_CALLS = 'status=100000';
    process.env.RISKSCREEN_WEB_PORT = '8181';
    const json = captureIo();
    expect(await main(['config', '--json'], json)).toBe(EXIT.ok);
    const view = JSON.parse(json.out());
    expect(view.engine).toMatchObject({ redisUrl: 'rediss+cluster://***@10.0.0.1:7000,10.0.0.2:7001', secret: 'set', prefix: '{riskscreen}', concurrency: 32 });
    expect(view.web).toMatchObject({ port: 8181, users: [], tokens: [] });
    expect(view.nightly).toMatchObject({ webhookTimeoutMs: 10_000 });
    expect(view.ops).toMatchObject({ metricsPort: 9464, quotaCalls: { status: 100_000 } });
    const text = captureIo();
    expect(await main(['config'], text)).toBe(EXIT.ok);
    expect(text.out()).toMatch(/\nengine\n {2}redisUrl\s+rediss\+cluster:\/\/\*\*\*@10\.0\.0\.1:7000,10\.0\.0\.2:7001\n/);
    expect(text.out()).toMatch(/\nmetrics \(riskscreen worker\)\n {2}metricsPort\s+9464\n/);
    expect(text.out()).toMatch(/ {2}rates\s+status=20, tenure=20/);
    for (const out of [json.out(), text.out()]) {
      expect(out).not.toContain('hunter2');
      expect(out).not.toContain('engine-secret');
      expect(out).not.toContain('abcdef0123456789');
    }
  });

  it('names the workbook language from the environment (zh by default), and a bad one exits 4', async () => {
    process.env.JUHE_KEY = 'abcdef0123456789';
    const plain = captureIo();
    expect(await main(['config'], plain)).toBe(EXIT.ok);
    expect(plain.out()).toMatch(/\nresult files:\s+utf8-bom\nlanguage:\s+zh \(an Excel result's sheet names and summary\)\n/);
    process.env.RISKSCREEN_LANGUAGE = 'en';
    const json = captureIo();
    expect(await main(['config', '--json'], json)).toBe(EXIT.ok);
    expect(JSON.parse(json.out()).report.language).toBe('en');
    process.env.RISKSCREEN_LANGUAGE = 'fr';
    const bad = captureIo();
    expect(await main(['config'], bad)).toBe(EXIT.config);
    expect(bad.err()).toBe('riskscreen: configuration: RISKSCREEN_LANGUAGE: must be one of zh, en (got "fr")\n');
    delete process.env.RISKSCREEN_LANGUAGE;
  });

  it('names the rubric and output encoding from the environment, and a bad one exits 4', async () => {
    process.env.JUHE_KEY = 'abcdef0123456789';
    process.env.RISKSCREEN_OUTPUT_ENCODING = 'gb18030';
    const io = captureIo();
    expect(await main(['config'], io)).toBe(EXIT.ok);
    expect(io.out()).toMatch(/rubric:\s+default \(shipped, digest [0-9a-f]{16}\)\nresult files:\s+gb18030/);
    process.env.RISKSCREEN_OUTPUT_ENCODING = 'latin1';
    const bad = captureIo();
    expect(await main(['config'], bad)).toBe(EXIT.config);
    expect(bad.err()).toBe('riskscreen: configuration: RISKSCREEN_OUTPUT_ENCODING: must be one of utf8-bom, utf8, gb18030 (got "latin1")\n');
    delete process.env.RISKSCREEN_OUTPUT_ENCODING;
    process.env.RISKSCREEN_RUBRIC = '/nonexistent/rubric.json';
    const missing = captureIo();
    expect(await main(['config'], missing)).toBe(EXIT.config);
    expect(missing.err()).toMatch(/rubric \/nonexistent\/rubric\.json: cannot be read \(ENOENT\)/);
  });
});
