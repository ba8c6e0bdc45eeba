/**
 * The console's batch routes (docs/http-api.md): uploads and their preview, starting a
 * batch, the list, a batch, its live events, cancel, and its files. Every route runs
 * after `authenticate`; what a role may do is checked here, per route.
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MultipartFile } from '@fastify/multipart';
import type { Options } from '../config/options.js';
import { BATCH_STATUSES, isBatchId, type BatchStatus, type BatchView } from '../engine/batch.js';
import { deriveEngineKeys } from '../engine/keys.js';
import { InputFileError, InputOptionError } from '../input/errors.js';
import { maskPhonesInText } from '../log/logger.js';
import { manifestPathOf, readManifest, type ResultManifest } from '../report/manifest.js';
import { resultFormat, ResultFormatError, type ResultFormat } from '../report/result-format.js';
import { RESULT_LANGUAGES, type ResultLanguage } from '../report/result-language.js';
import type { Audit } from './audit.js';
import { addressOf, authenticate, requirePermission, resolvePrincipal, type AuthSettings, type Principal } from './auth.js';
import { batchFile, DOWNLOAD_ENCODINGS, isFileKind } from './batch-files.js';
import { batchDetail, batchSummary } from './batch-json.js';
import { BatchWatch } from './batch-watch.js';
import { isActive, type ConsoleEngine } from './console-engine.js';
import { previewRubricOf, previewUpload } from './preview.js';
import type { RubricChoice } from './rubric-catalogue.js';
import { inputOptionsOf, profileOf, runRequestOf, RUN_FIELDS } from './run-request.js';
import type { UploadStore, Upload } from './uploads.js';
import { notFound, WebError } from './web-error.js';

export interface BatchRouteSettings {
  options: Options;
  engine: ConsoleEngine;
  uploads: UploadStore;
  rubrics: readonly RubricChoice[];
  audit: Audit;
  auth: AuthSettings;
  onWatchError: (err: unknown, id: string) => void;
}

/** A comment line this often keeps proxies from closing a quiet event stream. */
const SSE_KEEPALIVE_MS = 15_000;
/** How often an open event stream asks whether its session or token still holds. */
const SSE_RECHECK_MS = 5_000;
const MAX_PER_PAGE = 100;

/** The input layer's "cannot read this list", in the upload's own name (not its path in the data dir). */
export function inputErrorOf(err: unknown, upload: Pick<Upload, 'name' | 'path'>): unknown {
  if (err instanceof InputFileError) {
    const where = err.line !== undefined ? `line ${err.line}: ` : '';
    // A problem may quote cells (a header row that was data): numbers in it are masked.
    const problem = maskPhonesInText(err.problem.split(upload.path).join(upload.name));
    return new WebError('RISKSCREEN_INPUT_UNREADABLE', `${upload.name}: ${where}${problem}`, {
      file: upload.name,
      line: err.line ?? null,
      column: err.column ?? null,
      problem,
      inputCode: err.code,
    });
  }
  if (err instanceof InputOptionError) {
    return new WebError('RISKSCREEN_BAD_OPTION', `${err.option}: ${err.problem}`, { field: err.option });
  }
  return err;
}

export interface BatchRoutes {
  watch: BatchWatch;
  /** Ends every open event stream (the server is stopping: they would hold it open). */
  endStreams(): void;
}

export function registerBatchRoutes(app: FastifyInstance, settings: BatchRouteSettings): BatchRoutes {
  const { engine, uploads, audit, options } = settings;
  const manifests = new Map<string, ResultManifest>();
  const joinKey = () => deriveEngineKeys(options.engine.secret, options.juhe.key).joinKey;
  // The input layer refuses files over its own limit (200 MiB by default): an upload the
  // console took must not be refused when it is read.
  const maxFileBytes = Math.max(options.web.maxUploadBytes, 200 * 1024 * 1024);

  const auth = async (request: FastifyRequest, permission?: 'operate' | 'admin'): Promise<Principal> => {
    const principal = await authenticate(request, settings.auth);
    if (permission) requirePermission(principal, permission);
    return principal;
  };

  /** A finished batch's manifest, read once (it never changes). */
  const manifestOf = async (view: BatchView): Promise<ResultManifest | null> => {
    if (!view.resultPath) return null;
    const known = manifests.get(view.id);
    if (known) return known;
    const manifest = await readManifest(manifestPathOf(view.resultPath)).catch(() => null);
    if (manifest) manifests.set(view.id, manifest);
    return manifest;
  };

  const mustGet = async (id: string): Promise<BatchView> => {
    const view = isBatchId(id) ? await engine.get(id) : undefined;
    if (!view) throw notFound(`batch ${id}`);
    return view;
  };

  const detailOf = async (view: BatchView) => batchDetail(view, await engine.health(view), await manifestOf(view), Date.now());

  const watch = new BatchWatch(
    async (id) => {
      const view = await engine.get(id);
      if (!view) return null;
      return { json: JSON.stringify(await detailOf(view)), finished: view.resultPath !== null || view.status === 'failed' };
    },
    1_000,
    settings.onWatchError,
  );

  const principalUser = (principal: Principal) => ({ name: principal.name, admin: principal.role === 'admin' });

  // ---- uploads -------------------------------------------------------------------

  const savePart = async (part: MultipartFile, principal: Principal, address: string): Promise<Upload> => {
    const upload = await uploads.save(part, principal.name);
    audit.record({ event: 'upload', user: principal.name, upload: upload.id, file: upload.name, bytes: upload.bytes, sha256: upload.sha256 }, address);
    return upload;
  };

  app.post('/api/uploads', async (request, reply) => {
    const principal = await auth(request, 'operate');
    if (!request.isMultipart()) throw new WebError('RISKSCREEN_UNSUPPORTED_MEDIA', 'send the list as multipart/form-data, in a part named "file"');
    const part = await request.file();
    if (!part || part.fieldname !== 'file') {
      part?.file.resume();
      throw new WebError('RISKSCREEN_BAD_REQUEST', 'no file: send the list in a part named "file"', { field: 'file' });
    }
    const upload = await savePart(part, principal, addressOf(request));
    return reply.code(201).send({ upload: { id: upload.id, name: upload.name, bytes: upload.bytes, sha256: upload.sha256 } });
  });

  app.get('/api/uploads/:id/preview', async (request) => {
    const principal = await auth(request, 'operate');
    const upload = await uploads.get((request.params as { id: string }).id, principalUser(principal));
    const query = request.query as Record<string, unknown>;
    const unknown = Object.keys(query).filter((field) => !(RUN_FIELDS as readonly string[]).includes(field));
    if (unknown.length > 0) throw new WebError('RISKSCREEN_BAD_OPTION', `${unknown[0]}: unknown option`, { field: unknown[0] });
    try {
      return await previewUpload(upload, inputOptionsOf(query, maxFileBytes), profileOf(query.profile), engine.cache, {
        rubric: previewRubricOf(query.rubric, settings.rubrics),
        plan: options.engine.plan,
      });
    } catch (err) {
      throw inputErrorOf(err, upload);
    }
  });

  app.delete('/api/uploads/:id', async (request, reply) => {
    const principal = await auth(request, 'operate');
    const upload = await uploads.get((request.params as { id: string }).id, principalUser(principal));
    await uploads.remove(upload.id);
    return reply.code(204).send();
  });

  // ---- starting a batch --------------------------------------------------------------

  app.post('/api/batches', async (request, reply) => {
    const principal = await auth(request, 'operate');
    const address = addressOf(request);
    let fields: Record<string, unknown>;
    let uploadId: string;
    if (request.isMultipart()) {
      // Fields come first (busboy reads in order), then the file.
      fields = {};
      let saved: Upload | null = null;
      try {
        for await (const part of request.parts()) {
          if (part.type === 'field') {
            if (saved) throw new WebError('RISKSCREEN_BAD_REQUEST', `the field "${part.fieldname}" came after the file; send the fields first`, { field: part.fieldname });
            fields[part.fieldname] = part.value;
          } else if (part.fieldname === 'file' && !saved) saved = await savePart(part, principal, address);
          else {
            part.file.resume();
            throw new WebError('RISKSCREEN_BAD_REQUEST', `one file, in a part named "file" (got "${part.fieldname}")`, { field: part.fieldname });
          }
        }
      } catch (err) {
        // This request's own upload: nobody else can start it, so it goes with the request.
        if (saved) await uploads.remove(saved.id);
        throw err;
      }
      if (!saved) throw new WebError('RISKSCREEN_BAD_REQUEST', 'no file: send the list in a part named "file", after the fields', { field: 'file' });
      uploadId = saved.id;
    } else {
      fields = (request.body ?? {}) as Record<string, unknown>;
      if (typeof fields !== 'object' || Array.isArray(fields)) throw new WebError('RISKSCREEN_BAD_REQUEST', 'send a JSON object', {});
      if (typeof fields.uploadId !== 'string') throw new WebError('RISKSCREEN_BAD_REQUEST', 'uploadId: which upload? (POST /api/uploads first, or send the file as multipart)', { field: 'uploadId' });
      uploadId = fields.uploadId;
    }
    // Taken aside first: the same upload started twice at once becomes one batch.
    const claimed = await uploads.claim(uploadId, principalUser(principal));
    const upload = claimed.upload;
    const { uploadId: _ignored, ...runFields } = fields;
    let meta;
    try {
      const run = runRequestOf(runFields, settings.rubrics, maxFileBytes, settings.options.engine.plan);
      meta = await engine.submit({ file: upload.path, name: upload.name, ...run, submittedBy: principal.name });
    } catch (err) {
      // A bad option or list: the upload stays for another try, but a one-step upload goes.
      if (request.isMultipart()) await claimed.done();
      else await claimed.giveBack();
      throw inputErrorOf(err, upload);
    }
    // The list is copied into the batch's folder: the upload is done with.
    await claimed.done();
    const view = await engine.get(meta.id);
    audit.record(
      { event: 'start', user: principal.name, batch: meta.id, file: upload.name, sha256: meta.input.sha256, rows: meta.input.fingerprint.rows, profile: meta.options.profile, plan: meta.options.plan, maxCalls: meta.options.maxCalls },
      address,
    );
    return reply.code(201).send({ id: meta.id, batch: view ? batchSummary(view, null) : null });
  });

  // ---- reading batches ---------------------------------------------------------------

  app.get('/api/batches', async (request) => {
    await auth(request);
    const query = request.query as { status?: string; page?: string; perPage?: string };
    const status = query.status ?? '';
    if (status && status !== 'active' && !(BATCH_STATUSES as readonly string[]).includes(status)) {
      throw new WebError('RISKSCREEN_BAD_OPTION', `status: one of active, ${BATCH_STATUSES.join(', ')}`, { field: 'status' });
    }
    const page = wholeNumber('page', query.page, 1, 1_000_000);
    const perPage = wholeNumber('perPage', query.perPage, 20, MAX_PER_PAGE);
    const all = await engine.list();
    const chosen = all.filter((entry) => !status || (status === 'active' ? isActive(entry.status) : entry.status === (status as BatchStatus)));
    const slice = chosen.slice((page - 1) * perPage, page * perPage);
    const views = (await Promise.all(slice.map((entry) => engine.get(entry.id)))).filter((view): view is BatchView => Boolean(view));
    return {
      batches: await Promise.all(views.map(async (view) => batchSummary(view, await manifestOf(view)))),
      page,
      perPage,
      total: chosen.length,
    };
  });

  app.get('/api/batches/:id', async (request) => {
    await auth(request);
    return detailOf(await mustGet((request.params as { id: string }).id));
  });

  const streams = new Set<() => void>();
  app.get('/api/batches/:id/events', async (request, reply) => {
    await auth(request);
    const view = await mustGet((request.params as { id: string }).id);
    // Asked again while the stream is open: a logout, a removed account or a new password ends it.
    const stillAllowed = async () => (await resolvePrincipal(request, settings.auth)) !== null;
    serveEvents(request, reply, watch, view.id, streams, stillAllowed);
  });

  app.post('/api/batches/:id/cancel', async (request) => {
    const principal = await auth(request, 'operate');
    const view = await mustGet((request.params as { id: string }).id);
    if (!(await engine.cancel(view.id, principal.name))) {
      throw new WebError('RISKSCREEN_BATCH_FINISHED', `batch ${view.id} has already finished (${view.status}); there is nothing to cancel`, { status: view.status });
    }
    audit.record({ event: 'cancel', user: principal.name, batch: view.id }, addressOf(request));
    return detailOf(await mustGet(view.id));
  });

  app.get('/api/batches/:id/files/:kind', async (request, reply) => {
    const principal = await auth(request, 'operate');
    const { id, kind } = request.params as { id: string; kind: string };
    const view = await mustGet(id);
    if (!isFileKind(kind)) throw notFound(`file kind "${kind}" (kinds: result, masked, high, medium, low, unscored, changes, manifest)`);
    const query = request.query as { format?: unknown; encoding?: unknown; lang?: unknown; compare?: string };
    for (const field of ['format', 'encoding', 'lang'] as const) {
      if (query[field] !== undefined && typeof query[field] !== 'string') throw new WebError('RISKSCREEN_BAD_OPTION', `${field}: give it once`, { field });
    }
    const format = downloadFormat(query.format as string | undefined);
    const encoding = (query.encoding as string | undefined) ?? 'utf8-bom';
    if (!(DOWNLOAD_ENCODINGS as readonly string[]).includes(encoding)) {
      throw new WebError('RISKSCREEN_BAD_OPTION', `encoding: one of ${DOWNLOAD_ENCODINGS.join(', ')}`, { field: 'encoding' });
    }
    // The page sends its own language; an API client without one gets report.language's.
    const language = (query.lang as string | undefined)?.trim().toLowerCase() || options.report.language;
    if (!(RESULT_LANGUAGES as readonly string[]).includes(language)) {
      throw new WebError('RISKSCREEN_BAD_OPTION', `lang: one of ${RESULT_LANGUAGES.join(', ')}`, { field: 'lang' });
    }
    const compareWith = query.compare ? await mustGet(query.compare) : null;
    const file = await batchFile(
      view,
      kind,
      { format, encoding: encoding as (typeof DOWNLOAD_ENCODINGS)[number], language: language as ResultLanguage, compareWith },
      joinKey,
      engine.dataDir,
    );
    audit.record({ event: 'download', user: principal.name, batch: view.id, kind, format, encoding, language, compare: compareWith?.id ?? null }, addressOf(request));
    const stream = createReadStream(file.path);
    stream.on('close', () => file.cleanup().catch((err: unknown) => request.log.warn({ err }, 'could not remove a sent download')));
    return reply
      .header('content-type', file.contentType)
      .header('content-disposition', `attachment; filename="${file.downloadName}"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });

  return {
    watch,
    endStreams() {
      for (const end of [...streams]) end();
    },
  };
}

/** A download's `format` (CSV when absent), or a 422 naming the field and listing the formats. */
function downloadFormat(value: string | undefined): ResultFormat {
  if (value === undefined || value === '') return 'csv';
  try {
    return resultFormat('format', value);
  } catch (err) {
    if (err instanceof ResultFormatError) throw new WebError('RISKSCREEN_BAD_OPTION', err.message, { field: 'format' });
    throw err;
  }
}

function wholeNumber(field: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new WebError('RISKSCREEN_BAD_OPTION', `${field}: a whole number from 1 to ${max}`, { field });
  return Number(value);
}

/** Server-sent events of one batch, through the shared watch, until it ends, the client leaves or the server stops. */
function serveEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  watch: BatchWatch,
  id: string,
  streams: Set<() => void>,
  stillAllowed: () => Promise<boolean>,
): void {
  // The security headers set so far (helmet's) go out with the stream's own.
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = String(value);
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store, no-transform',
    connection: 'keep-alive',
    // nginx buffers responses unless told not to.
    'x-accel-buffering': 'no',
  });
  raw.write('retry: 3000\n\n');
  const keepalive = setInterval(() => raw.write(': keepalive\n\n'), SSE_KEEPALIVE_MS);
  const recheck = setInterval(() => {
    stillAllowed().then(
      (allowed) => allowed || end(),
      () => undefined, // the store did not answer: asked again at the next check
    );
  }, SSE_RECHECK_MS);
  let stop = () => {};
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    streams.delete(end);
    clearInterval(keepalive);
    clearInterval(recheck);
    stop();
    if (!raw.writableEnded) raw.end();
  };
  streams.add(end);
  // The client may have gone while the batch was being looked up: its close is past.
  if (request.raw.destroyed || raw.destroyed) return end();
  // The response's close: the connection ended (the client left) or the stream did.
  raw.on('close', end);
  stop = watch.subscribe(id, (event, data) => {
    if (ended) return;
    raw.write(`event: ${event}\ndata: ${data}\n\n`);
    if (event === 'end') end();
  });
  if (ended) stop();
}
