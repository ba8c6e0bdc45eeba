/**
 * `riskscreen webhook test URL` sends one signed test event now, so a receiver can be
 * checked before the first night; `riskscreen webhook log` shows the recorded attempts
 * of real deliveries (queue engine).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadOptions } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { NightlyStore } from '../nightly/nightly-store.js';
import { testPayload } from '../nightly/webhook-event.js';
import { checkWebhookUrl, createWebhookAgent, safeWebhookUrl, sendWebhook } from '../nightly/webhook-send.js';
import { openQueueSession } from '../../workers/sessions.js';
import { EXIT } from './exit-codes.js';
import { UsageError, type CommandIo } from './io.js';
import { WEBHOOK_SECRET_ENV, webhookSecretFrom } from './webhook-secret.js';

export const WEBHOOK_HELP = `Usage: riskscreen webhook test URL [--secret S]
       riskscreen webhook log [--limit N] [--json]

test: POST one signed webhook.test event to URL now and say how the receiver answered
  (status, time, the start of its answer). The secret is --secret or ${WEBHOOK_SECRET_ENV};
  use the one the schedule (or submit --webhook) signs with. Not retried.
log: the newest recorded attempts of real deliveries (queue engine, REDIS_URL): when,
  which event and delivery, the answer or error, and when the next attempt is due.

Receivers: docs/webhooks.md (the payload, the signature, a verifying example).

Options:
  --secret S      the signing secret (test)
  --limit N       attempts shown (log; default 50)
  --json          print JSON (log)
  --config FILE   config file
  -h, --help      show this help

Exit codes: 0 delivered (test) or shown (log), 1 the receiver did not answer 2xx,
2 bad command line, 7 Redis unreachable (log).
`;

export async function runWebhookCommand(argv: string[], io: CommandIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      secret: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    io.stdout.write(WEBHOOK_HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const [sub, ...rest] = positionals;
  const options = loadOptions(values.config ? { configFile: values.config } : {});
  if (sub === 'test') {
    if (rest.length !== 1) throw new UsageError('webhook test needs exactly one URL');
    const url = checkWebhookUrl('URL', rest[0]!);
    if (values.secret === undefined && !env[WEBHOOK_SECRET_ENV] && !env[`${WEBHOOK_SECRET_ENV}_FILE`]) {
      throw new UsageError(`--secret: give the secret the receiver checks signatures with (or set ${WEBHOOK_SECRET_ENV})`);
    }
    let secret: string | null;
    try {
      secret = webhookSecretFrom(values.secret, env, true);
    } catch (err) {
      throw new UsageError((err as Error).message.replace('--webhook-secret', '--secret'));
    }
    const payload = testPayload(`test.${randomBytes(6).toString('hex')}`);
    const dispatcher = createWebhookAgent({ timeoutMs: options.nightly.webhookTimeoutMs });
    try {
      const outcome = await sendWebhook({
        url,
        secret: secret!,
        body: JSON.stringify(payload),
        event: payload.event,
        deliveryId: payload.delivery_id,
        attempt: 1,
        timeoutMs: options.nightly.webhookTimeoutMs,
        dispatcher,
      });
      const answer = outcome.responseExcerpt ? `; it answered: ${outcome.responseExcerpt}` : '';
      if (outcome.ok) {
        io.stdout.write(`delivered webhook.test ${payload.delivery_id} to ${safeWebhookUrl(url)}: HTTP ${outcome.status} in ${outcome.ms} ms${answer}\n`);
        return EXIT.ok;
      }
      io.stderr.write(`riskscreen: webhook.test to ${safeWebhookUrl(url)} not delivered: ${outcome.error} (${outcome.ms} ms)${answer}\n`);
      return EXIT.internal;
    } finally {
      await dispatcher.close();
    }
  }
  if (sub === 'log') {
    if (rest.length > 0) throw new UsageError('webhook log takes no argument');
    const limit = values.limit === undefined ? 50 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 2_000) throw new UsageError(`--limit: must be a whole number from 1 to 2000 (got ${JSON.stringify(values.limit)})`);
    const session = await openQueueSession(options, createLogger({ level: options.log.level }), { juhe: false });
    try {
      const attempts = await new NightlyStore(session.redis, session.queues.prefix).attempts(limit);
      if (values.json) {
        io.stdout.write(`${JSON.stringify(attempts, null, 2)}\n`);
        return EXIT.ok;
      }
      if (attempts.length === 0) io.stdout.write('no webhook attempts recorded\n');
      for (const a of attempts) {
        const outcome = a.ok ? `delivered (HTTP ${a.status})` : `${a.error}${a.gaveUp ? '; given up' : a.nextAttempt ? `; next attempt ${a.nextAttempt}` : ''}`;
        const answered = !a.ok && a.response ? `  answered: ${a.response}` : '';
        io.stdout.write(`${a.at}  ${a.event}  ${a.delivery}  attempt ${a.attempt}  ${a.url}  ${outcome}  ${a.ms} ms${answered}\n`);
      }
      return EXIT.ok;
    } finally {
      await session.close();
    }
  }
  throw new UsageError(`unknown webhook subcommand "${sub}"; use test or log (see riskscreen webhook --help)`);
}
