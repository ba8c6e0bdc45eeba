/**
 * `riskscreen sim` as its own process, for the CLI test that stops it with a real
 * signal: `node --import tsx test/integration/emulator/sim-main.ts [flags]`.
 */
import { runSimCommand } from '../../../src/cli/sim.js';

process.exitCode = await runSimCommand(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
