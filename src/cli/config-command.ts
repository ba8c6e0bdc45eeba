/** `riskscreen config`: the resolved configuration, secrets masked, and what each API will send. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadOptions } from '../config/load.js';
import { API_IDS, endpointFor, FORM_SENDS_CLEAR_NUMBER } from '../juhe/catalogue.js';
import { describeJuheConfig, resolveJuheConfig } from '../juhe/config.js';
import { loadRubric, rubricDigest } from '../risk/index.js';
import { safeRedisUrl } from '../shared/redis-url.js';
import type { Options } from '../config/options.js';
import { EXIT } from './exit-codes.js';
import type { CommandIo } from './io.js';

export const CONFIG_HELP = `Usage: riskscreen config [--config FILE] [--json]

Print the resolved configuration (defaults, then the config file, then the environment),
with the key and openid masked, the endpoint and form each API will use, the risk
rubric, the result files' encoding and workbook language, the engine (Redis URL
without its password, the engine secret only as set or derived), the console (accounts
and tokens by name and role, never their hashes), nightly webhooks and the metrics
listener.
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
  const report = { rubric: { file: options.report.rubric ?? null, name: rubric.name, digest: rubricDigest(rubric) }, encoding: options.report.encoding, language: options.report.language };
  const view = { juhe: describeJuheConfig(config), apis, report, engine: engineView(options), web: webView(options), nightly: options.nightly, ops: options.ops, log: options.log };
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
    io.stdout.write(`\nrubric:        ${report.rubric.name} (${report.rubric.file ?? 'shipped'}, digest ${report.rubric.digest})\nresult files:  ${report.encoding}\nlanguage:      ${report.language} (an Excel result's sheet names and summary)\n`);
    for (const [title, section] of [
      ['engine', view.engine],
      ['console (riskscreen web)', view.web],
      ['nightly webhooks', view.nightly],
      ['metrics (riskscreen worker)', view.ops],
      ['log', view.log],
    ] as const) {
      io.stdout.write(`\n${title}\n`);
      for (const [name, value] of Object.entries(section)) io.stdout.write(`  ${name.padEnd(20)} ${textOf(value)}\n`);
    }
  }
  return EXIT.ok;
}

/** The engine's options, with the Redis password and the engine secret left out. */
function engineView(options: Options) {
  const { redisUrl, secret, dataDir, ...rest } = options.engine;
  return {
    redisUrl: redisUrl === undefined ? 'unset: the local engine' : safeRedisUrl(redisUrl),
    secret: secret === undefined ? 'derived from JUHE_KEY' : 'set',
    dataDir: resolve(dataDir),
    ...rest,
  };
}

/** The console's options: accounts and tokens by name and role only. */
function webView(options: Options) {
  const { users, tokens, ...rest } = options.web;
  return {
    ...rest,
    users: users.map((user) => `${user.name} (${user.role})`),
    tokens: tokens.map((token) => `${token.name} (${token.role})`),
  };
}

function textOf(value: unknown): string {
  if (value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(', ');
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    return entries.length === 0 ? '-' : entries.map(([key, item]) => `${key}=${String(item)}`).join(', ');
  }
  return String(value);
}
