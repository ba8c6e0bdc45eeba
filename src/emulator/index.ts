/** The Juhe emulator's public surface: start it in code (`riskscreen sim` is src/cli/sim.ts). */
export { startEmulator, EMULATOR_HEADER, type RunningEmulator, type PrintableOptions } from './server.js';
export {
  DEMO_KEY,
  DEMO_OPENID,
  EMULATOR_DEFAULTS,
  EmulatorFileError,
  EmulatorOptionError,
  MAX_QPS,
  resolveEmulatorOptions,
  type EmulatorOptions,
  type ResolvedEmulatorOptions,
} from './options.js';
export { FixtureError, parseFixtures, loadFixturesFile, type PinnedFacts, type FixtureMap } from './fixtures.js';
export { KnownNumbersError } from './known-numbers.js';
export type { LedgerEntry, LedgerStats, DuplicatePair, DuplicateQuestion } from './ledger.js';
