/**
 * The environment variables riskscreen reads: every option's (src/config/load.ts
 * ENV_NAMES), their NAME_FILE forms, and the few read outside the options, each of which
 * must still be found in the code, so this list cannot outlive a rename.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileFormOf } from '../../../src/config/env-file.js';
import { ENV_NAMES } from '../../../src/config/load.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Read outside the options layer: by the config file lookup, main's --debug, the webhook secret, the healthcheck. */
export const OTHER_ENV = ['RISKSCREEN_CONFIG', 'RISKSCREEN_DEBUG', 'RISKSCREEN_WEBHOOK_SECRET', 'RISKSCREEN_HEALTH_URL'] as const;

export function knownEnvNames(): Set<string> {
  const names = new Set<string>(OTHER_ENV);
  for (const name of Object.values(ENV_NAMES)) {
    names.add(name);
    const file = fileFormOf(name);
    if (file) names.add(file);
  }
  return names;
}

/** The text of every source file the image runs (src, workers, jobs, bin). */
export function sourceText(): string {
  const parts: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|js)$/.test(name)) parts.push(readFileSync(path, 'utf8'));
    }
  };
  for (const top of ['src', 'workers', 'jobs', 'bin']) walk(join(ROOT, top));
  return parts.join('\n');
}
