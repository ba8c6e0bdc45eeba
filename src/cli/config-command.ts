/** `riskscreen config`: the resolved configuration, secrets masked, and what each API will send. */
import { parseArgs } from 'node:util';
import { loadOptions } from '../config/load.js';
import { API_IDS, endpointFor, FORM_SENDS_CLEAR_NUMBER } from '../juhe/catalogue.js';
import { describeJuheConfig, resolveJuheConfig } from '../juhe/config.js';
import { loadRubric, rubricDigest } from '../risk/index.js';
import { EXIT } from './exit-codes.js';
import type { CommandIo } from './io.js';

export const CONFIG_HELP = `Usage: riskscreen config [--config FILE] [--json]

Print the resolved configuration (defaults, then the config file, then the environment),
with the key and openid masked, the endpoint and form each API will use, and the risk
rubric and result-file encoding.
Exit codes: 0 valid, 4 invalid (the message names the option, or the rubric's key).
`;

export async function runConfigCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(CONFIG_HELP);
    return EXIT.ok;
  }
  const options = loadOptions(values.config ? { configFile: values.config } : {});
  const config = resolveJuheConfig(options.juhe);
  const apis = Object.fromEntries(
    API_IDS.map((api) => {
      const form = config.forms[api];
      const endpoint = endpointFor(api, form)!;
      return [api, { form, endpoint: endpoint.id, clearNumberOnTheWire: FORM_SENDS_CLEAR_NUMBER[form] }];
    }),
  );
  const rubric = loadRubric(options.report.rubric);
  const report = { rubric: { file: options.report.rubric ?? null, name: rubric.name, digest: rubricDigest(rubric) }, encoding: options.report.encoding };
  const view = { juhe: describeJuheConfig(config), apis, report, log: options.log };
  if (values.json) {
    io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  } else {
    const juhe = view.juhe;
    io.stdout.write(`key:           ${juhe.key}\nopenid:        ${juhe.openid}\nrsa key:       ${juhe.rsaPublicKey}\nbase url:      ${juhe.baseUrl}\n\n`);
    io.stdout.write('api           form         endpoint                           number on the wire\n');
    for (const [api, info] of Object.entries(apis)) {
      io.stdout.write(
        `${api.padEnd(13)} ${info.form.padEnd(12)} ${info.endpoint.padEnd(34)} ${info.clearNumberOnTheWire ? 'in clear' : 'encrypted or hashed'}\n`,
      );
    }
    io.stdout.write(`\nrubric:        ${report.rubric.name} (${report.rubric.file ?? 'shipped'}, digest ${report.rubric.digest})\nresult files:  ${report.encoding}\n`);
  }
  return EXIT.ok;
}
