import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorOf, useConfigDir } from '../../support/config-dir.js';
import { fileFormOf } from '../../../src/config/env-file.js';
import { ENV_NAMES, loadOptions } from '../../../src/config/load.js';

const config = useConfigDir();
const secretFile = (name: string, content: string): string => {
  const path = join(config.dir, name);
  writeFileSync(path, content);
  return path;
};

describe('NAME_FILE: an option read from a file (compose and Kubernetes secrets)', () => {
  it('reads the secrets from files, without the trailing newline echo and editors add', () => {
    const options = loadOptions({
      env: {
        JUHE_KEY_FILE: secretFile('juhe_key', 'k3y-from-a-file\n'),
        JUHE_OPENID_FILE: secretFile('juhe_openid', 'openid-value\r\n'),
        RISKSCREEN_SECRET_FILE: secretFile('riskscreen_secret', 'a-long-secret-for-hashing-numbers'),
      },
      cwd: config.dir,
    });
    expect(options.juhe.key).toBe('k3y-from-a-file');
    expect(options.juhe.openid).toBe('openid-value');
    expect(options.engine.secret).toBe('a-long-secret-for-hashing-numbers');
  });

  it('works for any option with a variable, and validation then names the _FILE variable', () => {
    expect(loadOptions({ env: { JUHE_CONNECTIONS_FILE: secretFile('c', '16\n') }, cwd: config.dir }).juhe.connections).toBe(16);
    const err = errorOf(() => loadOptions({ env: { JUHE_CONNECTIONS_FILE: secretFile('c', 'many\n') }, cwd: config.dir }));
    expect(err.option).toBe('JUHE_CONNECTIONS_FILE');
  });

  it('refuses NAME and NAME_FILE both set, naming both and neither value', () => {
    const err = errorOf(() =>
      loadOptions({ env: { JUHE_KEY: 'plain-secret-value', JUHE_KEY_FILE: secretFile('k', 'file-secret-value') }, cwd: config.dir }),
    );
    expect(err.option).toBe('JUHE_KEY and JUHE_KEY_FILE');
    expect(err.code).toBe('RISKSCREEN_CONFIG');
    expect(err.message).not.toMatch(/secret-value/);
  });

  it('names the variable and the path of a file it cannot read, or one that is empty', () => {
    const missing = join(config.dir, 'no-such-file');
    const err = errorOf(() => loadOptions({ env: { JUHE_KEY_FILE: missing }, cwd: config.dir }));
    expect(err.option).toBe('JUHE_KEY_FILE');
    expect(err.message).toContain(missing);
    expect(err.message).toMatch(/ENOENT/);
    const empty = secretFile('empty', '\n');
    expect(errorOf(() => loadOptions({ env: { JUHE_KEY_FILE: empty }, cwd: config.dir })).message).toMatch(/is empty/);
    if (process.getuid?.() !== 0) {
      // (root reads a file whatever its mode)
      const closed = secretFile('closed', 'k');
      chmodSync(closed, 0o000);
      expect(errorOf(() => loadOptions({ env: { JUHE_KEY_FILE: closed }, cwd: config.dir })).message).toMatch(/EACCES/);
    }
  });

  it('never quotes the secret when its value is refused', () => {
    const err = errorOf(() => loadOptions({ env: { JUHE_OPENID_FILE: secretFile('o', 'two words-secret\n') }, cwd: config.dir }));
    expect(err.option).toBe('JUHE_OPENID_FILE');
    expect(err.message).not.toMatch(/words-secret/);
  });

  it('treats an empty NAME or NAME_FILE as unset, as the plain form always has', () => {
    const path = secretFile('k', 'from-file');
    expect(loadOptions({ env: { JUHE_KEY: '', JUHE_KEY_FILE: path }, cwd: config.dir }).juhe.key).toBe('from-file');
    expect(loadOptions({ env: { JUHE_KEY: 'from-env', JUHE_KEY_FILE: '' }, cwd: config.dir }).juhe.key).toBe('from-env');
  });

  it('gives no _FILE form to a variable that already names a file', () => {
    expect(fileFormOf('JUHE_RSA_PUBLIC_KEY_FILE')).toBeUndefined();
    expect(fileFormOf('JUHE_KEY')).toBe('JUHE_KEY_FILE');
    // Every other option has one.
    const names = Object.values(ENV_NAMES).filter((name) => !name.endsWith('_FILE'));
    expect(names.every((name) => fileFormOf(name) === `${name}_FILE`)).toBe(true);
  });
});
