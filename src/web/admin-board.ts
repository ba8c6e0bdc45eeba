/**
 * The queue dashboard for admins: bull-board, mounted under the console's own login
 * (an encapsulated plugin whose hook lets only admins through), read-only, and never
 * showing a phone number. Job payloads hold only a keyed hash and a sealed (encrypted)
 * number; the formatter shows the hash's head and puts `[sealed]` for the sealed field, and every
 * answer the board sends (data, return values, failure reasons, stack traces, options)
 * is passed through the same masking as the logs. Job logs are refused: riskscreen
 * writes none, and an entry someone else wrote could hold anything.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sanitizeForLog } from '../log/logger.js';
import { safeWebhookUrl } from '../nightly/webhook-send.js';
import type { BullmqQueues } from '../../workers/bullmq-queues.js';
import { errorAnswer } from './web-error.js';

export const ADMIN_PREFIX = '/admin/queues';

/**
 * What the board shows of a job's data: the batch, the API and the hash's head; never the
 * sealed number. A webhook's URL (its own, or a schedule's) shows origin and path only: a
 * receiver's query string may carry a token.
 */
export function boardJobData(data: unknown): unknown {
  if (typeof data !== 'object' || data === null) return sanitizeForLog(data);
  const { sealed, hash, url, schedule, ...rest } = data as Record<string, unknown>;
  const webhook = (schedule as { webhook?: unknown } | undefined)?.webhook;
  return sanitizeForLog({
    ...rest,
    ...(typeof hash === 'string' ? { hash: `${hash.slice(0, 12)}…` } : {}),
    ...(sealed !== undefined ? { sealed: '[sealed]' } : {}),
    ...(typeof url === 'string' ? { url: safeWebhookUrl(url) } : {}),
    ...(typeof schedule === 'object' && schedule !== null ? { schedule: { ...schedule, ...(typeof webhook === 'string' ? { webhook: safeWebhookUrl(webhook) } : {}) } } : {}),
  });
}

/**
 * Every `webhook` or `url` string anywhere in an answer, shown as origin and path: the
 * board's job-schedulers route shows a schedule's template data as it is, which no
 * formatter reaches.
 */
export function maskWebhookUrls(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskWebhookUrls(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      (key === 'webhook' || key === 'url') && typeof item === 'string' ? safeWebhookUrl(item) : maskWebhookUrls(item, depth + 1),
    ]),
  );
}

export async function mountAdminBoard(
  app: FastifyInstance,
  queues: BullmqQueues,
  guard: (request: FastifyRequest) => Promise<void>,
): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(ADMIN_PREFIX);
  const adapters = queues.all().map((queue) => {
    const adapter = new BullMQAdapter(queue, { readOnlyMode: true, allowRetries: false });
    adapter.setFormatter('data', boardJobData);
    adapter.setFormatter('returnValue', (value: unknown) => sanitizeForLog(value));
    adapter.setFormatter('progress', (value: unknown) => sanitizeForLog(value));
    adapter.setFormatter('name', (name: string) => String(sanitizeForLog(name)));
    return adapter;
  });
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'riskscreen queues', hideRedisDetails: true, hideDocsLink: true },
      handlerHooks: {
        before: ({ method, route }) => {
          if (String(method).toLowerCase() !== 'get') return { allow: false, status: 403, message: 'the queue dashboard is read-only' };
          if (String(route).endsWith('/logs')) return { allow: false, status: 403, message: 'job logs are not shown' };
        },
        after: (_context, result) => sanitizeForLog(maskWebhookUrls(result)) as typeof result,
      },
    },
  });
  await app.register(
    async (scope) => {
      // Answered here: bull-board's plugin has an error handler of its own, which would make a refusal a 500.
      scope.addHook('onRequest', async (request, reply) => {
        try {
          await guard(request);
        } catch (err) {
          const answer = errorAnswer(err);
          return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
        }
      });
      // bull-board's page uses inline styles: its prefix gets its own, looser style rule.
      scope.addHook('onSend', async (_request, reply) => {
        reply.header(
          'content-security-policy',
          "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        );
      });
      await scope.register(serverAdapter.registerPlugin(), { prefix: ADMIN_PREFIX });
    },
  );
}
