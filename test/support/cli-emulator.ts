/**
 * For tests of `riskscreen` commands run in-process against the emulator: before each
 * test a fresh emulator and temp dir, and an environment holding only the emulator's
 * settings (no JUHE_*, RISKSCREEN_* or REDIS_URL from the shell, so the local engine);
 * after it, the environment restored and everything removed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';

/** Rates the emulator can take, so runs are quick; and no progress display. */
export const FAST = ['--rate', 'status=2000,tenure=2000,tenureCmcc=2000,resale=2000,callDuration=2000', '--quiet'];

export interface CliEmulator {
  readonly emulator: RunningEmulator;
  readonly dir: string;
  /** The environment as it was before the test (UPDATE_GOLDEN and such are read here). */
  readonly savedEnv: NodeJS.ProcessEnv;
}

export function useCliEmulator(options: EmulatorOptions & { seed: string }): CliEmulator {
  const saved = { ...process.env };
  const state = { emulator: null as RunningEmulator | null, dir: '' };
  beforeEach(async () => {
    state.emulator = await startEmulator({ port: 0, ...options });
    state.dir = mkdtempSync(join(tmpdir(), `riskscreen-${options.seed}-`));
    for (const name of Object.keys(process.env)) if (name.startsWith('JUHE_') || name.startsWith('RISKSCREEN_') || name === 'REDIS_URL') delete process.env[name];
    // The local engine's data dir is the test's own: nothing cached by another test.
    Object.assign(process.env, state.emulator.env, { LOG_LEVEL: 'silent', RISKSCREEN_DATA_DIR: join(state.dir, 'riskscreen-data') });
  });
  afterEach(async () => {
    process.env = { ...saved };
    await state.emulator?.close();
    rmSync(state.dir, { recursive: true, force: true });
  });
  return {
    get emulator() {
      if (!state.emulator) throw new Error('useCliEmulator: the emulator exists only inside a test');
      return state.emulator;
    },
    get dir() {
      return state.dir;
    },
    savedEnv: saved,
  };
}
