/**
 * For tests of the options: a temp dir of the test's own (as the cwd of loadOptions),
 * a config file written into it, and the ConfigError a call throws.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { ConfigError } from '../../src/shared/config-error.js';

export interface ConfigDir {
  /** The test's own dir. */
  readonly dir: string;
  /** Writes `riskscreen.config.json` (an object as JSON, a string as it is); answers its path. */
  configFile(content: unknown): string;
}

export function useConfigDir(): ConfigDir {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'riskscreen-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return {
    get dir() {
      return dir;
    },
    configFile(content) {
      const path = join(dir, 'riskscreen.config.json');
      writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
      return path;
    },
  };
}

export function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
