/** `riskscreen rubric`: print the default risk rubric to copy, or check a rubric file. */
import { parseArgs } from 'node:util';
import { DEFAULT_RUBRIC_JSON, loadRubric, rubricDigest, SIGNAL_NAMES } from '../risk/index.js';
import { EXIT } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';

export const RUBRIC_HELP = `Usage: riskscreen rubric [--check FILE]

Print the default risk rubric as JSON, to copy and change:
  riskscreen rubric > my-rubric.json
then screen with it: riskscreen run list.csv --out result.csv --rubric my-rubric.json
(or RISKSCREEN_RUBRIC=my-rubric.json). docs/risk-score.md explains every field.

Options:
  --check FILE   check a rubric file: every problem is named with its key
  -h, --help     show this help

Exit codes: 0 printed or valid, 2 bad command line, 4 the rubric is invalid.
`;

export async function runRubricCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { check: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.stdout.write(RUBRIC_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`rubric takes no arguments (got ${positionals.join(' ')}); to check a file: --check FILE`);
  if (values.check === undefined) {
    io.stdout.write(`${JSON.stringify(DEFAULT_RUBRIC_JSON, null, 2)}\n`);
    return EXIT.ok;
  }
  const rubric = loadRubric(values.check);
  const weights = SIGNAL_NAMES.map((signal) => `${signal} ${rubric.signals[signal].weight}`).join(', ');
  io.stdout.write(
    `${values.check}: valid rubric "${rubric.name}" (digest ${rubricDigest(rubric)})\n` +
      `  levels: medium from ${rubric.levels.medium}, high from ${rubric.levels.high}; not low below confidence ${rubric.minConfidenceForLow}\n` +
      `  weights: ${weights}\n` +
      `  hard rules: ${rubric.hardRules.map((rule) => `${rule.name} (${rule.signal} in ${rule.in.join('/')} -> ${rule.level})`).join('; ') || 'none'}\n`,
  );
  return EXIT.ok;
}
