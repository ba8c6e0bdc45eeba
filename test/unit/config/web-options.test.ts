/**
 * The `web` section of the options (riskscreen web): defaults, the RISKSCREEN_WEB_*
 * environment names, the config file, and a ConfigError naming the option for each bad
 * value.
 */
import { describe, expect, it } from 'vitest';
import { errorOf, useConfigDir } from '../../support/config-dir.js';
import { ENV_NAMES, loadOptions } from '../../../src/config/load.js';
import { WEB_DEFAULTS } from '../../../src/config/options.js';
import { validateOptions } from '../../../src/config/validate.js';
import { ConfigError } from '../../../src/shared/config-error.js';

const config = useConfigDir();
const configFile = (content: unknown) => config.configFile(content);

const web = (env: NodeJS.ProcessEnv) => loadOptions({ env, cwd: config.dir }).web;
const webFromFile = (section: Record<string, unknown>) => loadOptions({ env: {}, configFile: configFile({ web: section }), cwd: config.dir }).web;

/** A hash of the shape `riskscreen user add` writes (not of any password). */
const HASH = `scrypt$17$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}`;
const SHA = 'a'.repeat(64);

describe('web options: defaults and environment names', () => {
  it('has the documented defaults when nothing is set', () => {
    expect(web({})).toEqual({
      host: '127.0.0.1',
      port: 8080,
      users: [],
      tokens: [],
      maxUploadBytes: 200 * 1024 * 1024,
      trustProxy: false,
      sessionHours: 12,
      rubrics: [],
      tlsCert: undefined,
      tlsKey: undefined,
    });
    expect(web({})).toEqual(WEB_DEFAULTS);
  });

  it('gives each load its own lists (the defaults are never shared, so never mutated)', () => {
    const a = web({});
    a.users.push({ name: 'x', role: 'admin', hash: HASH });
    a.rubrics.push('x.json');
    expect(WEB_DEFAULTS.users).toEqual([]);
    expect(WEB_DEFAULTS.rubrics).toEqual([]);
    expect(web({}).users).toEqual([]);
  });

  it('reads every RISKSCREEN_WEB_* variable', () => {
    expect(
      web({
        RISKSCREEN_WEB_HOST: '0.0.0.0',
        RISKSCREEN_WEB_PORT: '9090',
        RISKSCREEN_WEB_MAX_UPLOAD: '50MB',
        RISKSCREEN_WEB_TRUST_PROXY: 'yes',
        RISKSCREEN_WEB_SESSION_HOURS: '8',
        RISKSCREEN_WEB_RUBRICS: 'rubrics/strict.json, rubrics/lenient.json,',
        RISKSCREEN_WEB_TLS_CERT: '/etc/tls/cert.pem',
        RISKSCREEN_WEB_TLS_KEY: '/etc/tls/key.pem',
      }),
    ).toEqual({
      host: '0.0.0.0',
      port: 9090,
      users: [],
      tokens: [],
      maxUploadBytes: 50 * 1024 * 1024,
      trustProxy: true,
      sessionHours: 8,
      rubrics: ['rubrics/strict.json', 'rubrics/lenient.json'],
      tlsCert: '/etc/tls/cert.pem',
      tlsKey: '/etc/tls/key.pem',
    });
  });

  it('names exactly these variables, and none for accounts and tokens (config file only)', () => {
    const webNames = Object.fromEntries(Object.entries(ENV_NAMES).filter(([path]) => path.startsWith('web.')));
    expect(webNames).toEqual({
      'web.host': 'RISKSCREEN_WEB_HOST',
      'web.port': 'RISKSCREEN_WEB_PORT',
      'web.maxUploadBytes': 'RISKSCREEN_WEB_MAX_UPLOAD',
      'web.trustProxy': 'RISKSCREEN_WEB_TRUST_PROXY',
      'web.sessionHours': 'RISKSCREEN_WEB_SESSION_HOURS',
      'web.rubrics': 'RISKSCREEN_WEB_RUBRICS',
      'web.tlsCert': 'RISKSCREEN_WEB_TLS_CERT',
      'web.tlsKey': 'RISKSCREEN_WEB_TLS_KEY',
    });
    expect(web({ RISKSCREEN_WEB_USERS: '[{"name":"x","role":"admin"}]', RISKSCREEN_WEB_TOKENS: 'x' })).toMatchObject({ users: [], tokens: [] });
  });

  it('lets the environment override the file, and a flag override the environment', () => {
    const path = configFile({ web: { port: 7000, host: '10.0.0.1' } });
    expect(loadOptions({ env: {}, configFile: path }).web).toMatchObject({ port: 7000, host: '10.0.0.1' });
    expect(loadOptions({ env: { RISKSCREEN_WEB_PORT: '7001' }, configFile: path }).web).toMatchObject({ port: 7001, host: '10.0.0.1' });
    const flagged = loadOptions({ env: { RISKSCREEN_WEB_PORT: '7001' }, configFile: path, overrides: { 'web.port': { value: '7002', flag: '--port' } } });
    expect(flagged.web.port).toBe(7002);
    const err = errorOf(() => loadOptions({ env: {}, configFile: path, overrides: { 'web.port': { value: '99999', flag: '--port' } } }));
    expect(err.option).toBe('--port');
  });

  it('ignores an empty variable (as if unset)', () => {
    expect(web({ RISKSCREEN_WEB_PORT: '', RISKSCREEN_WEB_MAX_UPLOAD: '' })).toMatchObject({ port: 8080, maxUploadBytes: WEB_DEFAULTS.maxUploadBytes });
  });
});

describe('web options: each bad value is a ConfigError naming the option', () => {
  it.each([
    [{ RISKSCREEN_WEB_PORT: '65536' }, 'RISKSCREEN_WEB_PORT', /whole number from 0 to 65535/],
    [{ RISKSCREEN_WEB_PORT: '70000' }, 'RISKSCREEN_WEB_PORT', /whole number from 0 to 65535 \(got "70000"\)/],
    [{ RISKSCREEN_WEB_PORT: '-1' }, 'RISKSCREEN_WEB_PORT', /whole number/],
    [{ RISKSCREEN_WEB_PORT: 'http' }, 'RISKSCREEN_WEB_PORT', /whole number/],
    [{ RISKSCREEN_WEB_PORT: '80.5' }, 'RISKSCREEN_WEB_PORT', /whole number/],
    [{ RISKSCREEN_WEB_HOST: '   ' }, 'RISKSCREEN_WEB_HOST', /non-empty/],
    [{ RISKSCREEN_WEB_SESSION_HOURS: '0' }, 'RISKSCREEN_WEB_SESSION_HOURS', /from 1 to 720/],
    [{ RISKSCREEN_WEB_SESSION_HOURS: '721' }, 'RISKSCREEN_WEB_SESSION_HOURS', /from 1 to 720/],
    [{ RISKSCREEN_WEB_MAX_UPLOAD: 'lots' }, 'RISKSCREEN_WEB_MAX_UPLOAD', /size from 1KB to 64GB, like 200MB \(got "lots"\)/],
    [{ RISKSCREEN_WEB_MAX_UPLOAD: '100' }, 'RISKSCREEN_WEB_MAX_UPLOAD', /from 1KB/],
    [{ RISKSCREEN_WEB_MAX_UPLOAD: '65GB' }, 'RISKSCREEN_WEB_MAX_UPLOAD', /to 64GB/],
    [{ RISKSCREEN_WEB_MAX_UPLOAD: '2TB' }, 'RISKSCREEN_WEB_MAX_UPLOAD', /size/],
    [{ RISKSCREEN_WEB_MAX_UPLOAD: '-5MB' }, 'RISKSCREEN_WEB_MAX_UPLOAD', /size/],
    [{ RISKSCREEN_WEB_MAX_UPLOAD: '1.2.3MB' }, 'RISKSCREEN_WEB_MAX_UPLOAD', /size/],
    [{ RISKSCREEN_WEB_TRUST_PROXY: 'maybe' }, 'RISKSCREEN_WEB_TRUST_PROXY', /must be true or false \(got "maybe"\)/],
    [{ RISKSCREEN_WEB_TRUST_PROXY: '2' }, 'RISKSCREEN_WEB_TRUST_PROXY', /true or false/],
    [{ RISKSCREEN_WEB_TLS_CERT: '/etc/tls/cert.pem' }, 'RISKSCREEN_WEB_TLS_CERT', /web.tlsCert and web.tlsKey go together/],
    [{ RISKSCREEN_WEB_TLS_KEY: '/etc/tls/key.pem' }, 'RISKSCREEN_WEB_TLS_KEY', /go together/],
  ])('%o -> %s', (env, option, problem) => {
    const err = errorOf(() => web(env));
    expect(err.option).toBe(option);
    expect(err.message).toMatch(problem);
    expect(err.message.startsWith(`${option}: `)).toBe(true);
    expect(err.code).toBe('RISKSCREEN_CONFIG');
  });

  it('names the config file key for a bad web value in the file', () => {
    const path = configFile({ web: { port: 'eighty' } });
    expect(errorOf(() => loadOptions({ env: {}, cwd: config.dir })).option).toBe(`${path}: web.port`);
    configFile({ web: { maxUploadBytes: 'lots' } });
    expect(errorOf(() => loadOptions({ env: {}, cwd: config.dir })).option).toBe(`${path}: web.maxUploadBytes`);
    configFile({ web: { users: 'li.lei' } });
    expect(errorOf(() => loadOptions({ env: {}, cwd: config.dir })).message).toMatch(/web\.users: must be a list/);
    configFile({ web: { password: 'x' } });
    expect(errorOf(() => loadOptions({ env: {}, cwd: config.dir })).message).toMatch(/web\.password: unknown option/);
  });
});

describe('web.maxUploadBytes sizes', () => {
  it.each([
    ['200MB', 200 * 1024 ** 2],
    ['200mb', 200 * 1024 ** 2],
    ['200 MiB', 200 * 1024 ** 2],
    ['200M', 200 * 1024 ** 2],
    ['1.5GB', Math.floor(1.5 * 1024 ** 3)],
    ['512KB', 512 * 1024],
    ['1KB', 1024],
    ['64GB', 64 * 1024 ** 3],
    ['1048576', 1048576],
    [' 2048 B ', 2048],
  ])('%s is %d bytes', (text, bytes) => {
    expect(web({ RISKSCREEN_WEB_MAX_UPLOAD: text }).maxUploadBytes).toBe(bytes);
  });

  it('takes a number of bytes in the config file, or a size string', () => {
    expect(webFromFile({ maxUploadBytes: 10_485_760 }).maxUploadBytes).toBe(10_485_760);
    expect(webFromFile({ maxUploadBytes: '10MB' }).maxUploadBytes).toBe(10_485_760);
    expect(errorOf(() => webFromFile({ maxUploadBytes: 10 })).message).toMatch(/web\.maxUploadBytes: must be a size/);
    expect(errorOf(() => webFromFile({ maxUploadBytes: true })).message).toMatch(/web\.maxUploadBytes: must be a size/);
  });
});

describe('web.trustProxy words', () => {
  it.each(['1', 'true', 'TRUE', 'yes', 'on', ' On '])('%j is true', (word) => {
    expect(web({ RISKSCREEN_WEB_TRUST_PROXY: word }).trustProxy).toBe(true);
  });
  it.each(['0', 'false', 'no', 'off', 'OFF'])('%j is false', (word) => {
    expect(web({ RISKSCREEN_WEB_TRUST_PROXY: word }).trustProxy).toBe(false);
  });
  it('takes a JSON boolean in the file', () => {
    expect(webFromFile({ trustProxy: true }).trustProxy).toBe(true);
    expect(webFromFile({ trustProxy: false }).trustProxy).toBe(false);
  });
});

describe('web.rubrics', () => {
  it('is a list in the file, or a comma string (file or env)', () => {
    expect(webFromFile({ rubrics: ['rubrics/strict.json', ' rubrics/b.json '] }).rubrics).toEqual(['rubrics/strict.json', 'rubrics/b.json']);
    expect(webFromFile({ rubrics: 'a.json,b.json' }).rubrics).toEqual(['a.json', 'b.json']);
    expect(web({ RISKSCREEN_WEB_RUBRICS: ' a.json ,, b.json ' }).rubrics).toEqual(['a.json', 'b.json']);
    expect(web({ RISKSCREEN_WEB_RUBRICS: ',' }).rubrics).toEqual([]);
  });

  it('refuses a list with a non-string or empty entry, naming its index, and a non-list', () => {
    const path = configFile({ web: { rubrics: ['a.json', ''] } });
    expect(errorOf(() => loadOptions({ env: {}, configFile: path })).option).toBe(`${path}: web.rubrics[1]`);
    configFile({ web: { rubrics: [7] } });
    expect(errorOf(() => loadOptions({ env: {}, configFile: path })).option).toBe(`${path}: web.rubrics[0]`);
    configFile({ web: { rubrics: { strict: 'a.json' } } });
    const err = errorOf(() => loadOptions({ env: {}, configFile: path }));
    expect(err.option).toBe(`${path}: web.rubrics`);
    expect(err.message).toMatch(/must be a list of rubric files/);
  });
});

describe('web.users and web.tokens (config file only)', () => {
  it('reads users and tokens', () => {
    const got = webFromFile({
      users: [
        { name: 'li.lei', role: 'operator', hash: HASH },
        { name: '韩梅梅', role: 'viewer', hash: HASH },
        { name: 'ops@example.com', role: 'admin', hash: HASH },
      ],
      tokens: [{ name: 'crm-sync', role: 'operator', sha256: SHA }],
    });
    expect(got.users).toEqual([
      { name: 'li.lei', role: 'operator', hash: HASH },
      { name: '韩梅梅', role: 'viewer', hash: HASH },
      { name: 'ops@example.com', role: 'admin', hash: HASH },
    ]);
    expect(got.tokens).toEqual([{ name: 'crm-sync', role: 'operator', sha256: SHA }]);
  });

  it('keeps only name, role and the secret of each entry', () => {
    const got = webFromFile({ users: [{ name: 'a', role: 'viewer', hash: HASH, password: 'plain' }] });
    expect(got.users).toEqual([{ name: 'a', role: 'viewer', hash: HASH }]);
  });

  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['a bad role', { users: [{ name: 'a', role: 'root', hash: HASH }] }, 'web.users[0].role', /must be one of viewer, operator, admin \(got "root"\)/],
    ['no role', { users: [{ name: 'a', hash: HASH }] }, 'web.users[0].role', /must be one of/],
    ['a duplicate name', { users: [{ name: 'a', role: 'viewer', hash: HASH }, { name: 'a', role: 'admin', hash: HASH }] }, 'web.users[1].name', /"a" is listed twice/],
    ['a name with a space', { users: [{ name: 'li lei', role: 'viewer', hash: HASH }] }, 'web.users[0].name', /1 to 64 letters/],
    ['a name too long', { users: [{ name: 'x'.repeat(65), role: 'viewer', hash: HASH }] }, 'web.users[0].name', /1 to 64/],
    ['an empty name', { users: [{ name: '', role: 'viewer', hash: HASH }] }, 'web.users[0].name', /1 to 64/],
    ['a name with a colon', { users: [{ name: 'a:b', role: 'viewer', hash: HASH }] }, 'web.users[0].name', /1 to 64/],
    ['a bad hash', { users: [{ name: 'a', role: 'viewer', hash: 'hunter2hunter2' }] }, 'web.users[0].hash', /not a password hash made by riskscreen user add/],
    ['a bcrypt hash', { users: [{ name: 'a', role: 'viewer', hash: `bcrypt$17$8$1$${'A'.repeat(22)}$${'B'.repeat(43)}` }] }, 'web.users[0].hash', /not a password hash/],
    ['a hash with a short key', { users: [{ name: 'a', role: 'viewer', hash: `scrypt$17$8$1$${'A'.repeat(22)}$BBBB` }] }, 'web.users[0].hash', /not a password hash/],
    ['a hash whose cost would take 16 GiB a login', { users: [{ name: 'a', role: 'viewer', hash: `scrypt$22$32$1$${'A'.repeat(22)}$${'B'.repeat(43)}` }] }, 'web.users[0].hash', /scrypt cost riskscreen does not compute/],
    ['no hash', { users: [{ name: 'a', role: 'viewer' }] }, 'web.users[0].hash', /not a password hash/],
    ['an entry that is not an object', { users: ['a'] }, 'web.users[0]', /must be an object with name, role and hash/],
    ['users not a list', { users: { a: HASH } }, 'web.users', /must be a list/],
    ['a bad sha256', { tokens: [{ name: 't', role: 'viewer', sha256: 'abc' }] }, 'web.tokens[0].sha256', /not the hex sha256/],
    ['an upper-case sha256', { tokens: [{ name: 't', role: 'viewer', sha256: 'A'.repeat(64) }] }, 'web.tokens[0].sha256', /not the hex sha256/],
    ['a token instead of its sha256', { tokens: [{ name: 't', role: 'viewer', sha256: `rs_${'A'.repeat(43)}` }] }, 'web.tokens[0].sha256', /not the hex sha256/],
    ['a duplicate token name', { tokens: [{ name: 't', role: 'viewer', sha256: SHA }, { name: 't', role: 'viewer', sha256: 'b'.repeat(64) }] }, 'web.tokens[1].name', /listed twice/],
    ['a bad token role', { tokens: [{ name: 't', role: 'Admin', sha256: SHA }] }, 'web.tokens[0].role', /must be one of/],
  ];
  it.each(cases)('refuses %s, naming the entry', (_what, section, key, problem) => {
    const path = configFile({ web: section });
    const err = errorOf(() => loadOptions({ env: {}, configFile: path }));
    expect(err.option).toBe(`${path}: ${key}`);
    expect(err.message).toMatch(problem);
  });

  it('never quotes a hash or a sha256 back', () => {
    const path = configFile({ web: { users: [{ name: 'a', role: 'viewer', hash: 'scrypt$secret-looking-value' }] } });
    expect(errorOf(() => loadOptions({ env: {}, configFile: path })).message).not.toContain('secret-looking-value');
    configFile({ web: { tokens: [{ name: 't', role: 'viewer', sha256: 'deadbeefdeadbeef' }] } });
    expect(errorOf(() => loadOptions({ env: {}, configFile: path })).message).not.toContain('deadbeefdeadbeef');
  });

  it('allows a user and a token of the same name (two lists)', () => {
    const got = webFromFile({ users: [{ name: 'a', role: 'viewer', hash: HASH }], tokens: [{ name: 'a', role: 'admin', sha256: SHA }] });
    expect(got.users[0]!.name).toBe('a');
    expect(got.tokens[0]!.name).toBe('a');
  });
});

describe('validateOptions, called directly', () => {
  it('names the source it is given', () => {
    const err = errorOf(() => validateOptions({ 'web.port': { value: 65_536, source: 'somewhere' } }));
    expect(err.option).toBe('somewhere');
    expect(validateOptions({ 'web.port': { value: 0, source: 'x' } }).web.port).toBe(0);
  });
});
