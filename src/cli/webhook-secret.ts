/** The webhook signing secret of `schedule add` and `submit`: the flag, else the environment (kept out of `ps`). */
import { ScheduleError } from '../nightly/schedule.js';
import { envValue } from '../config/env-file.js';

export const WEBHOOK_SECRET_ENV = 'RISKSCREEN_WEBHOOK_SECRET';
export const MIN_WEBHOOK_SECRET = 16;

/** The secret when a webhook is given (required then), null without one; a secret without a webhook is a mistake worth saying. */
export function webhookSecretFrom(flag: string | undefined, env: NodeJS.ProcessEnv, hasWebhook: boolean): string | null {
  // RISKSCREEN_WEBHOOK_SECRET, or RISKSCREEN_WEBHOOK_SECRET_FILE naming a file that holds it.
  const fromEnv = envValue(env, WEBHOOK_SECRET_ENV)?.value;
  if (!hasWebhook) {
    if (flag !== undefined) throw new ScheduleError('--webhook-secret', 'is given without --webhook: where should the events go?');
    return null;
  }
  const secret = flag ?? fromEnv;
  const option = flag !== undefined ? '--webhook-secret' : WEBHOOK_SECRET_ENV;
  if (secret === undefined) {
    throw new ScheduleError('--webhook-secret', `is required with --webhook (or set ${WEBHOOK_SECRET_ENV}): receivers check each event's signature with it`);
  }
  if (secret.length < MIN_WEBHOOK_SECRET) throw new ScheduleError(option, `must be at least ${MIN_WEBHOOK_SECRET} characters (a random one: openssl rand -hex 32)`);
  if (/[\r\n]/.test(secret)) throw new ScheduleError(option, 'must be one line');
  return secret;
}
