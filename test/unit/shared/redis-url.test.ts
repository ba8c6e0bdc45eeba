import { describe, expect, it } from 'vitest';
import { loadOptions } from '../../../src/config/load.js';
import { parseRedisUrl, RedisUrlError, safeRedisUrl } from '../../../src/shared/redis-url.js';

describe('REDIS_URL forms', () => {
  it('reads one server, with and without TLS, a password, a user and a database', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ cluster: false, tls: false, nodes: [{ host: '127.0.0.1', port: 6379 }] });
    expect(parseRedisUrl('redis://redis')).toEqual({ cluster: false, tls: false, nodes: [{ host: 'redis', port: 6379 }] });
    expect(parseRedisUrl('rediss://:p%40ss@cache.example.com:6380/2')).toEqual({
      cluster: false,
      tls: true,
      nodes: [{ host: 'cache.example.com', port: 6380 }],
      password: 'p@ss',
      db: 2,
    });
    expect(parseRedisUrl('redis://app:secret@[::1]:7000')).toMatchObject({ username: 'app', password: 'secret', nodes: [{ host: '::1', port: 7000 }] });
  });

  it('takes a password holding "@", "/", "?" or ":" as it is, up to the last "@"', () => {
    expect(parseRedisUrl('redis://:p@ssw0rd@cache:6379')).toMatchObject({ password: 'p@ssw0rd', nodes: [{ host: 'cache', port: 6379 }] });
    expect(parseRedisUrl('redis://user:p/ss?w:d@cache:6379/1')).toMatchObject({ username: 'user', password: 'p/ss?w:d', nodes: [{ host: 'cache', port: 6379 }], db: 1 });
    expect(safeRedisUrl('redis://:p@ssw0rd@cache:6379')).toBe('redis://***@cache:6379');
    expect(safeRedisUrl('redis://user:p/ss@cache:6379/0')).toBe('redis://***@cache:6379/0');
  });

  it('reads a cluster by its seed nodes, plain or TLS', () => {
    expect(parseRedisUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,10.0.0.3')).toEqual({
      cluster: true,
      tls: false,
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '10.0.0.3', port: 6379 },
      ],
    });
    expect(parseRedisUrl('rediss+cluster://user:pw@c1.example.com:6380')).toMatchObject({ cluster: true, tls: true, username: 'user', password: 'pw' });
  });

  it.each([
    ['http://127.0.0.1:6379', /must start with redis:\/\/, rediss:\/\//],
    ['127.0.0.1:6379', /is not a Redis URL/],
    ['redis://h1:7000,h2:7001', /needs redis\+cluster:\/\//],
    ['redis+cluster://h1:7000/3', /has only database 0/],
    ['redis://h1:99999', /port 99999 .* outside 1\.\.65535/],
    ['redis://h1:6379/abc', /only path a Redis URL takes is a database number/],
    ['redis://h1:6379?tls=true', /takes no \?query/],
    ['redis+cluster://h1:7000,,h2:7001', /names no host/],
    ['redis://ca che:6379', /is not host or host:port/],
  ])('refuses %s with a reason', (url, reason) => {
    expect(() => parseRedisUrl(url)).toThrow(RedisUrlError);
    expect(() => parseRedisUrl(url)).toThrow(reason);
  });

  it('hides the password in messages', () => {
    expect(safeRedisUrl('rediss+cluster://user:pw@h1:1,h2:2')).toBe('rediss+cluster://***@h1:1,h2:2');
  });
});

describe('REDIS_URL in the options', () => {
  it('takes every form, and REDIS_TLS_CA_FILE', () => {
    const options = loadOptions({ env: { REDIS_URL: 'rediss+cluster://h1:7000,h2:7001', REDIS_TLS_CA_FILE: '/etc/ssl/redis-ca.pem' }, cwd: '/' });
    expect(options.engine.redisUrl).toBe('rediss+cluster://h1:7000,h2:7001');
    expect(options.engine.redisTlsCaFile).toBe('/etc/ssl/redis-ca.pem');
  });

  it('refuses a TLS CA with a URL that is not TLS (the CA would be ignored and the connection plain)', () => {
    expect(() => loadOptions({ env: { REDIS_URL: 'redis://h1:6379', REDIS_TLS_CA_FILE: '/etc/ssl/redis-ca.pem' }, cwd: '/' })).toThrow(
      /REDIS_TLS_CA_FILE.*REDIS_URL is not a TLS URL: use rediss:\/\//,
    );
  });

  it('names the variable and the problem, never the password', () => {
    expect(() => loadOptions({ env: { REDIS_URL: 'redis://user:hunter2@h1:7000,h2:7001' }, cwd: '/' })).toThrow(/REDIS_URL.*redis\+cluster/);
    try {
      loadOptions({ env: { REDIS_URL: 'redis://user:hunter2@h1:7000,h2:7001' }, cwd: '/' });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('refuses a cluster with a prefix that is not one hash tag: its keys would spread over slots', () => {
    expect(() => loadOptions({ env: { REDIS_URL: 'redis+cluster://h1:7000', RISKSCREEN_PREFIX: 'riskscreen' }, cwd: '/' })).toThrow(
      /RISKSCREEN_PREFIX.*must be one \{hash tag\}/,
    );
    expect(loadOptions({ env: { REDIS_URL: 'redis://h1:7000', RISKSCREEN_PREFIX: 'riskscreen' }, cwd: '/' }).engine.prefix).toBe('riskscreen');
  });
});
