import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf, useConfigDir } from '../../support/config-dir.js';
import { loadOptions } from '../../../src/config/load.js';
import { DEFAULT_OPTIONS } from '../../../src/config/options.js';
import { describeJuheConfig, resolveJuheConfig } from '../../../src/juhe/config.js';

const config = useConfigDir();
const configFile = (content: unknown) => config.configFile(content);

describe('layering: defaults, config file, env, flags', () => {
  it('uses documented defaults when nothing is set', () => {
    expect(loadOptions({ env: {}, cwd: config.dir })).toEqual(DEFAULT_OPTIONS);
  });

  it('lets the config file override defaults, env override the file, and flags override env', () => {
    configFile({ juhe: { connections: 8, connectTimeoutMs: 1000, baseUrl: 'http://127.0.0.1:1111' } });
    const fileOnly = loadOptions({ env: {}, cwd: config.dir });
    expect(fileOnly.juhe).toMatchObject({ connections: 8, connectTimeoutMs: 1000, baseUrl: 'http://127.0.0.1:1111' });

    const withEnv = loadOptions({ env: { JUHE_CONNECTIONS: '16', JUHE_BASE_URL: 'http://127.0.0.1:2222/' }, cwd: config.dir });
    expect(withEnv.juhe).toMatchObject({ connections: 16, connectTimeoutMs: 1000, baseUrl: 'http://127.0.0.1:2222' });

    const withFlag = loadOptions({
      env: { JUHE_CONNECTIONS: '16' },
      cwd: config.dir,
      overrides: { 'juhe.connections': { value: '32', flag: '--connections' } },
    });
    expect(withFlag.juhe.connections).toBe(32);
  });

  it('reads JUHE_FORMS as api=form pairs and a config file object alike', () => {
    expect(loadOptions({ env: { JUHE_FORMS: 'status=rsa, resale=md5+aes' }, cwd: config.dir }).juhe.forms).toEqual({
      status: 'rsa',
      resale: 'md5+aes',
    });
    configFile({ juhe: { forms: { tenure: 'plain' } } });
    expect(loadOptions({ env: {}, cwd: config.dir }).juhe.forms).toEqual({ tenure: 'plain' });
  });

  it('uses RISKSCREEN_CONFIG or an explicit file', () => {
    const path = join(config.dir, 'other.json');
    writeFileSync(path, JSON.stringify({ log: { level: 'debug' } }));
    expect(loadOptions({ env: { RISKSCREEN_CONFIG: path }, cwd: config.dir }).log.level).toBe('debug');
    expect(loadOptions({ env: {}, configFile: path, cwd: config.dir }).log.level).toBe('debug');
  });

  it('report.language: zh unless the config file or RISKSCREEN_LANGUAGE says en', () => {
    expect(DEFAULT_OPTIONS.report.language).toBe('zh');
    expect(loadOptions({ env: {}, cwd: config.dir }).report.language).toBe('zh');
    configFile({ report: { language: 'en', encoding: 'gb18030' } });
    expect(loadOptions({ env: {}, cwd: config.dir }).report).toMatchObject({ language: 'en', encoding: 'gb18030' });
    expect(loadOptions({ env: { RISKSCREEN_LANGUAGE: ' ZH ' }, cwd: config.dir }).report.language).toBe('zh');
  });

  it('engine.plan: staged unless the config file or RISKSCREEN_PLAN says all', () => {
    expect(DEFAULT_OPTIONS.engine.plan).toBe('staged');
    expect(loadOptions({ env: {}, cwd: config.dir }).engine.plan).toBe('staged');
    configFile({ engine: { plan: 'all' } });
    expect(loadOptions({ env: {}, cwd: config.dir }).engine.plan).toBe('all');
    expect(loadOptions({ env: { RISKSCREEN_PLAN: ' Staged ' }, cwd: config.dir }).engine.plan).toBe('staged');
  });
});

describe('validation names the option as the user set it', () => {
  it.each([
    [{ JUHE_BASE_URL: 'not a url' }, 'JUHE_BASE_URL', /is not a URL/],
    [{ JUHE_BASE_URL: 'ftp://x' }, 'JUHE_BASE_URL', /http/],
    [{ JUHE_BASE_URL: 'http://u:p@x' }, 'JUHE_BASE_URL', /credentials/],
    [{ JUHE_CONNECTIONS: '0' }, 'JUHE_CONNECTIONS', /whole number from 1/],
    [{ JUHE_CONNECT_TIMEOUT_MS: 'fast' }, 'JUHE_CONNECT_TIMEOUT_MS', /whole number/],
    [{ JUHE_FORMS: 'status' }, 'JUHE_FORMS', /api=form/],
    [{ JUHE_FORMS: 'balance=plain' }, 'JUHE_FORMS', /unknown API "balance"/],
    [{ JUHE_FORMS: 'status=sha256' }, 'JUHE_FORMS', /status has no sha256 form; it accepts plain, aes, rsa/],
    [{ JUHE_FORMS: 'status=base64' }, 'JUHE_FORMS', /unknown form/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /must be one of/],
    [{ RISKSCREEN_OUTPUT_ENCODING: 'latin1' }, 'RISKSCREEN_OUTPUT_ENCODING', /^RISKSCREEN_OUTPUT_ENCODING: must be one of utf8-bom, utf8, gb18030 \(got "latin1"\)$/],
    [{ RISKSCREEN_LANGUAGE: 'fr' }, 'RISKSCREEN_LANGUAGE', /^RISKSCREEN_LANGUAGE: must be one of zh, en \(got "fr"\)$/],
    [{ RISKSCREEN_PLAN: 'some' }, 'RISKSCREEN_PLAN', /^RISKSCREEN_PLAN: must be staged or all \(got "some"\)/],
  ])('%o -> %s', (env, option, problem) => {
    const err = errorOf(() => loadOptions({ env, cwd: config.dir }));
    expect(err.option).toBe(option);
    expect(err.message).toMatch(problem);
    expect(err.code).toBe('RISKSCREEN_CONFIG');
  });

  it('names the config file and key for a bad value or an unknown option', () => {
    const path = configFile({ juhe: { connections: -1 } });
    expect(errorOf(() => loadOptions({ env: {}, cwd: config.dir })).option).toBe(`${path}: juhe.connections`);
    const language = configFile({ report: { language: 'english' } });
    expect(errorOf(() => loadOptions({ env: {}, cwd: config.dir })).message).toBe(`${language}: report.language: must be one of zh, en (got "english")`);
    configFile({ juhe: { conections: 4 } });
    expect(errorOf(() => loadOptions({ env: {}, cwd: config.dir })).message).toMatch(/juhe\.conections: unknown option/);
    configFile('{ not json');
    expect(errorOf(() => loadOptions({ env: {}, cwd: config.dir })).message).toMatch(/not valid JSON/);
  });

  it('never echoes a secret value', () => {
    const err = errorOf(() => loadOptions({ env: { JUHE_KEY: 'abc secret-value' }, cwd: config.dir }));
    expect(err.option).toBe('JUHE_KEY');
    expect(err.message).not.toContain('secret-value');
  });
});

describe('the resolved Juhe configuration', () => {
  it('requires a key, naming JUHE_KEY', () => {
    const err = errorOf(() => resolveJuheConfig(loadOptions({ env: {} }).juhe));
    expect(err.option).toBe('JUHE_KEY');
  });

  it('names JUHE_RSA_PUBLIC_KEY_FILE for a missing or bad PEM', () => {
    expect(errorOf(() => resolveJuheConfig({ key: 'k', rsaPublicKeyFile: join(config.dir, 'missing.pem') })).message).toMatch(
      /JUHE_RSA_PUBLIC_KEY_FILE: cannot read .*ENOENT/,
    );
    const bad = join(config.dir, 'bad.pem');
    writeFileSync(bad, '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n');
    expect(errorOf(() => resolveJuheConfig({ key: 'k', rsaPublicKeyFile: bad })).option).toBe('JUHE_RSA_PUBLIC_KEY_FILE');
  });

  it('refuses a private key given as the public key', () => {
    const privatePem = readFileSync(new URL('../../fixtures/ciphers/test-rsa-private.pem', import.meta.url), 'utf8');
    expect(errorOf(() => resolveJuheConfig({ key: 'k', rsaPublicKeyPem: privatePem })).message).toMatch(/holds a private key/);
  });

  it('refuses a whole-call timeout no longer than the connect timeout', () => {
    const err = errorOf(() => loadOptions({ env: { JUHE_REQUEST_TIMEOUT_MS: '3000', JUHE_CONNECT_TIMEOUT_MS: '5000' }, cwd: config.dir }));
    expect(err.option).toBe('JUHE_REQUEST_TIMEOUT_MS');
    expect(err.message).toMatch(/must be longer than the connect timeout/);
  });

  it('serializes itself masked, so logging the config by mistake leaks nothing', () => {
    const config = resolveJuheConfig({ key: 'abcdef0123456789', openid: 'JHopenid0123456789' });
    const text = JSON.stringify({ config });
    expect(text).not.toContain('abcdef0123456789');
    expect(text).not.toContain('JHopenid0123456789');
    expect(text).not.toContain('aesKey');
  });

  it('masks the key and openid in its printable view', () => {
    const config = resolveJuheConfig({ key: 'abcdef0123456789', openid: 'JHopenid0123456789' });
    const text = JSON.stringify(describeJuheConfig(config));
    expect(text).not.toContain('abcdef0123456789');
    expect(text).not.toContain('JHopenid0123456789');
    expect(text).toContain('ab***89');
  });
});
