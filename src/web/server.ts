/**
 * The ops console: one Fastify app serving the page, its JSON API and (for admins, on
 * the queue engine) the queue dashboard. Assembled here: security headers, cookies,
 * streamed multipart uploads, the API's error shape, an access log that never holds a
 * query string, and the routes of auth.ts, batch-routes.ts and admin-board.ts.
 */
import { readFile } from 'node:fs/promises';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Options } from '../config/options.js';
import { PROFILES } from '../engine/profiles.js';
import { RESULT_FORMATS } from '../report/result-format.js';
import { AccountBook } from './accounts.js';
import { createAudit } from './audit.js';
import { authenticate, registerAuthRoutes, requirePermission, type AuthSettings } from './auth.js';
import { DOWNLOAD_ENCODINGS, sweepExports } from './batch-files.js';
import { registerBatchRoutes } from './batch-routes.js';
import type { ConsoleEngine } from './console-engine.js';
import { MemoryLoginThrottle, RedisLoginThrottle, type LoginThrottle } from './login-throttle.js';
import { rubricCatalogue } from './rubric-catalogue.js';
import { MemorySessionStore, RedisSessionStore, type SessionStore } from './session-store.js';
import { decoyHash } from './passwords.js';
import { loadAssets } from './static-assets.js';
import { UploadStore } from './uploads.js';
import { errorAnswer, WebError } from './web-error.js';

export interface ConsoleSettings {
  options: Options;
  engine: ConsoleEngine;
  logger: Logger;
  /** The config file the accounts are read from again when it changes (null: never). */
  accountsFile: string | null;
  reloadAccounts: () => Pick<Options['web'], 'users' | 'tokens'>;
  /** For tests: a throttle with other limits. */
  throttle?: LoginThrottle;
}

export interface ConsoleServer {
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Uploads not started are removed after this long. */
const UPLOAD_MAX_AGE_MS = 24 * 3_600_000;
/** A download's files are removed once sent; any older than this were left by a crash. */
const EXPORT_MAX_AGE_MS = 3_600_000;

/** Answered without a login, and logged at debug level when they succeed. */
const OPS_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export const CONSOLE_CSP = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  // Served over plain HTTP on a LAN, this would make the browser ask for every asset over HTTPS.
  upgradeInsecureRequests: null,
};

export async function buildConsoleServer(settings: ConsoleSettings): Promise<ConsoleServer> {
  const { options, engine, logger } = settings;
  const web = options.web;
  const rubrics = rubricCatalogue(web.rubrics);
  const { index, assets } = loadAssets();
  const audit = createAudit(logger);
  const accounts = new AccountBook(web, settings.accountsFile, settings.reloadAccounts, logger);
  const sessions: SessionStore = engine.redis ? new RedisSessionStore(engine.redis, options.engine.prefix) : new MemorySessionStore();
  const throttle = settings.throttle ?? (engine.redis ? new RedisLoginThrottle(engine.redis, options.engine.prefix) : new MemoryLoginThrottle());
  const auth: AuthSettings = { accounts, sessions, throttle, audit, sessionHours: web.sessionHours };
  const uploads = new UploadStore(engine.dataDir, web.maxUploadBytes);
  // Made now, not at the first login with an unknown name (which would take twice as long, and say so).
  decoyHash().catch((err: unknown) => logger.warn({ err }, 'could not make the decoy password hash'));

  const app = Fastify({
    loggerInstance: logger.child({ component: 'web' }),
    // Fastify's own request lines hold the URL with its query; ours (below) do not.
    logController: new LogController({ disableRequestLogging: true }),
    // One hop: the proxy in front. Its X-Forwarded-For ends with the address it saw; what
    // a client wrote before that is not believed (`true` would believe all of it).
    trustProxy: web.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
    bodyLimit: 64 * 1024,
    ...(web.tlsCert && web.tlsKey ? { https: await tlsOptions(web.tlsCert, web.tlsKey) } : {}),
  }) as unknown as FastifyInstance;
  app.decorateRequest('principal', null);

  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP },
    // Only over TLS: a console on a LAN over plain HTTP must not be told to go HTTPS.
    strictTransportSecurity: Boolean(web.tlsCert),
    crossOriginEmbedderPolicy: false,
    // As the CSP's frame-ancestors 'none', for browsers that read only this header.
    frameguard: { action: 'deny' },
  });
  await app.register(cookie);
  await app.register(multipart, {
    limits: { fileSize: web.maxUploadBytes, files: 1, fields: 20, fieldSize: 1_000, parts: 22, headerPairs: 50 },
  });

  app.addHook('onResponse', async (request, reply) => {
    // Probes and scrapes come every few seconds: at debug level, unless they fail.
    const path = request.url.split('?')[0]!;
    const level = OPS_PATHS.has(path) && reply.statusCode < 400 ? 'debug' : 'info';
    // The path only: a query string is the user's to type, and could hold anything.
    request.log[level](
      { method: request.method, path, status: reply.statusCode, ms: Math.round(reply.elapsedTime), user: request.principal?.name ?? null, address: request.ip },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError | WebError, request, reply) => {
    const answer = errorAnswer(error);
    if (answer.status >= 500) request.log.error({ err: error, path: request.url.split('?')[0] }, 'request failed');
    if (error instanceof WebError && error.headers) void reply.headers(error.headers);
    return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ code: 'RISKSCREEN_NOT_FOUND', message: `nothing at ${request.method} ${request.url.split('?')[0]}` }),
  );

  // ---- the page ------------------------------------------------------------------------
  const page = (body: Buffer, type: string) => (_request: FastifyRequest, reply: FastifyReply) => reply.type(type).header('cache-control', 'no-cache').send(body);
  app.get('/', page(index.body, index.type));
  app.get('/index.html', page(index.body, index.type));
  app.get('/assets/:name', async (request, reply) => {
    const asset = assets.get((request.params as { name: string }).name);
    if (!asset) throw new WebError('RISKSCREEN_NOT_FOUND', 'no such asset');
    return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
  });
  // ---- ops: no login, like a load balancer's or Prometheus's probes; nothing in them names a number, key or batch.
  // As the worker's listener answers them (src/metrics/ops-server.ts): GET and HEAD, never cached.
  app.get('/healthz', async (_request, reply) => reply.header('cache-control', 'no-store').send({ ok: true, engine: engine.kind }));
  app.get('/readyz', async (_request, reply) => {
    const readiness = await engine.readiness();
    void reply.header('cache-control', 'no-store');
    return readiness.ready ? { ready: true, engine: engine.kind } : reply.code(503).send({ ready: false, engine: engine.kind, reason: readiness.reason });
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type(engine.metrics.contentType).header('cache-control', 'no-store').send(await engine.metrics.exposition()),
  );
  for (const url of OPS_PATHS) {
    app.route({
      method: ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url,
      // Answered before any body is read.
      onRequest: async (_request, reply) =>
        reply
          .code(405)
          .header('allow', 'GET, HEAD')
          .header('cache-control', 'no-store')
          .type('application/json; charset=utf-8')
          .send({ code: 'RISKSCREEN_METHOD', message: 'only GET and HEAD are answered here' }),
      handler: async () => undefined,
    });
  }

  // ---- the API -------------------------------------------------------------------------
  registerAuthRoutes(app, auth, async () => ({
    engine: { kind: engine.kind, durable: engine.kind === 'queue' },
    limits: { maxUploadBytes: web.maxUploadBytes },
    profiles: Object.values(PROFILES).map((profile) => ({ name: profile.name, apis: profile.apis })),
    rubrics: rubrics.map((choice) => ({ id: choice.id, name: choice.name })),
    formats: RESULT_FORMATS,
    encodings: DOWNLOAD_ENCODINGS,
  }));
  const batchRoutes = registerBatchRoutes(app, {
    options,
    engine,
    uploads,
    rubrics,
    audit,
    auth,
    onWatchError: (err, id) => logger.warn({ err, batch: id }, 'could not read a watched batch'),
  });
  if (engine.queues) {
    // Loaded only here: bull-board costs the local engine's console some 24 MiB for nothing.
    const { mountAdminBoard } = await import('./admin-board.js');
    await mountAdminBoard(app, engine.queues, async (request) => {
      requirePermission(await authenticate(request, auth), 'admin');
    });
  } else {
    app.get('/admin/queues', async (request) => {
      requirePermission(await authenticate(request, auth), 'admin');
      throw new WebError('RISKSCREEN_NOT_FOUND', 'the queue dashboard is there only on the queue engine (REDIS_URL); the local engine has no queues');
    });
  }

  // Uploads never started, and downloads a crash left behind (full numbers: not kept).
  const sweep = () => {
    uploads.sweep(UPLOAD_MAX_AGE_MS).catch((err: unknown) => logger.warn({ err }, 'could not sweep old uploads'));
    sweepExports(engine.dataDir, EXPORT_MAX_AGE_MS).catch((err: unknown) => logger.warn({ err }, 'could not sweep old downloads'));
  };
  sweep();
  const sweeper = setInterval(sweep, 3_600_000).unref();

  return {
    app,
    async close() {
      clearInterval(sweeper);
      batchRoutes.watch.close();
      batchRoutes.endStreams();
      await app.close();
      await sessions.close();
    },
  };
}

async function tlsOptions(cert: string, key: string): Promise<{ cert: Buffer; key: Buffer }> {
  return { cert: await readFile(cert), key: await readFile(key) };
}
