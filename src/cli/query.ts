/**
 * `riskscreen query <api> <mobile>`: ask one API about one number and print the decoded
 * answer. For checking credentials and forms by hand; every success is billed.
 */
import { parseArgs } from 'node:util';
import { loadOptions } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { API_IDS, APIS, isApiId, isForm, formsOf } from '../juhe/catalogue.js';
import { JuheClient, InvalidQueryError } from '../juhe/client.js';
import { resolveJuheConfig } from '../juhe/config.js';
import { isJuheError } from '../juhe/errors.js';
import { EXIT, exitCodeOf } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';

export const QUERY_HELP = `Usage: riskscreen query <api> <mobile> [options]

Ask one Juhe API about one number and print the decoded answer. A success is billed.

APIs:
${API_IDS.map((id) => `  ${id.padEnd(13)} ${APIS[id].titleEn} (forms: ${formsOf(id).join(', ')})`).join('\n')}

Options:
  --form FORM      send the number in this form instead of the configured one
  --date YYYYMMDD  the date a resale question is about (required for resale)
  --json           print the whole outcome as JSON
  --config FILE    config file (default ./riskscreen.config.json when present)
  -h, --help       show this help

Credentials come from JUHE_KEY, JUHE_OPENID, JUHE_RSA_PUBLIC_KEY_FILE and JUHE_BASE_URL
(see the README). Exit codes: 0 answered (including "no record"), 4 configuration,
5 key/account refused, 6 quota used up, 7 service unreachable or failing, 1 anything else.
`;

export async function runQueryCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      form: { type: 'string' },
      date: { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(QUERY_HELP);
    return EXIT.ok;
  }
  const [api, mobile, ...extra] = positionals;
  if (!api || !mobile || extra.length > 0) throw new UsageError('query needs exactly <api> <mobile> (see riskscreen query --help)');
  if (!isApiId(api)) throw new UsageError(`unknown API "${api}"; APIs are ${API_IDS.join(', ')}`);
  if (values.form !== undefined && !isForm(values.form)) {
    throw new UsageError(`--form: unknown form "${values.form}"; ${api} accepts ${formsOf(api).join(', ')}`);
  }
  const options = loadOptions(values.config ? { configFile: values.config } : {});
  const config = resolveJuheConfig(options.juhe);
  const client = new JuheClient({ config, logger: createLogger({ level: options.log.level }) });
  try {
    const outcome = await client.query({
      api,
      mobile,
      ...(values.form ? { form: values.form as never } : {}),
      ...(values.date ? { date: values.date } : {}),
    });
    if (values.json) {
      io.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    } else if (outcome.kind === 'no_record') {
      io.stdout.write(`${outcome.endpoint} ${outcome.mobileMasked}: no record (${outcome.juheCode} ${outcome.reason}); not billed\n`);
    } else {
      io.stdout.write(`${outcome.endpoint} ${outcome.mobileMasked} (${outcome.form}): billed, order ${outcome.orderId ?? '-'}\n`);
      io.stdout.write(`${JSON.stringify(outcome.signals, null, 2)}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof InvalidQueryError) throw new UsageError(err.message);
    if (isJuheError(err)) {
      io.stderr.write(`riskscreen: ${err.message}\n`);
      if (values.json) io.stdout.write(`${JSON.stringify(err.toJSON(), null, 2)}\n`);
      return exitCodeOf(err);
    }
    throw err;
  } finally {
    await client.close();
  }
}

