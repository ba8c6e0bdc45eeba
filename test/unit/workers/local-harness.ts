/**
 * The local runner with no HTTP: a scripted `Querier` that answers the way the Juhe
 * client does (a `CallOutcome`, or one of the API layer's error classes with the
 * context the client would give it), memory stores and a temporary data directory.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DEFAULT_OPTIONS, type EngineOptions } from '../../../src/config/options.js';
import type { BatchView } from '../../../src/engine/batch.js';
import type { Querier } from '../../../src/engine/context.js';
import type { EngineObserver } from '../../../src/engine/observer.js';
import { deriveEngineKeys } from '../../../src/engine/keys.js';
import { callSlotsOf } from '../../../workers/engine-parts.js';
import { LocalRunner } from '../../../workers/local-runner.js';
import { memoryStores } from '../../../src/engine/memory-store.js';
import type { EngineStores } from '../../../src/engine/store.js';
import { submitBatch, type SubmitRequest } from '../../../src/engine/submit.js';
import { API_IDS, APIS, ENDPOINTS, type ApiId } from '../../../src/juhe/catalogue.js';
import type { QueryRequest } from '../../../src/juhe/client.js';
import { decodeSignals } from '../../../src/juhe/decode.js';
import { policyFor } from '../../../src/juhe/error-policy.js';
import {
  JuheAccountError,
  JuheBadRequestError,
  JuheQuotaError,
  JuheThrottleError,
  JuheTransientError,
  JuheUnknownError,
  type JuheError,
  type JuheErrorContext,
} from '../../../src/juhe/errors.js';
import type { CallOutcome } from '../../../src/juhe/model.js';
import { silentLogger } from '../../../src/log/logger.js';
import { maskMobile } from '../../../src/phone/mask.js';

/** What the fake service does with one call: answer, say "no record", or fail. */
export type Reply = 'answer' | { noRecord: number } | JuheError;

export interface FakeCall {
  api: ApiId;
  mobile: string;
  date: string | null;
  /** `<api>:<mobile>[:<date>]`: one question. */
  question: string;
  /** 1-based: how many times this question has been asked, this call included. */
  nth: number;
  startedAt: number;
  endedAt: number | null;
  /** Juhe code of the reply (0 answered), or the error's code. */
  code: number | null;
  billed: boolean;
}

export interface FakeJuheSettings {
  /** Decide the reply; default: answer. */
  reply?: (request: QueryRequest, nth: number) => Reply | Promise<Reply>;
  /** Wait before replying, per call. */
  delayMs?: number | ((request: QueryRequest) => number);
}

/** A Juhe client stand-in that records every call. */
export class FakeJuhe implements Querier {
  readonly calls: FakeCall[] = [];
  private readonly asked = new Map<string, number>();

  constructor(private readonly settings: FakeJuheSettings = {}) {}

  async query(request: QueryRequest): Promise<CallOutcome> {
    const question = questionKey(request.api, request.mobile, request.date ?? null);
    const nth = (this.asked.get(question) ?? 0) + 1;
    this.asked.set(question, nth);
    const call: FakeCall = {
      api: request.api,
      mobile: request.mobile,
      date: request.date ?? null,
      question,
      nth,
      startedAt: performance.now(),
      endedAt: null,
      code: null,
      billed: false,
    };
    this.calls.push(call);
    try {
      const delay = typeof this.settings.delayMs === 'function' ? this.settings.delayMs(request) : (this.settings.delayMs ?? 0);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      const reply = (await this.settings.reply?.(request, nth)) ?? 'answer';
      if (reply === 'answer') {
        call.code = 0;
        call.billed = true;
        return answerFor(request);
      }
      if ('noRecord' in reply) {
        call.code = reply.noRecord;
        return { ...callContext(request), kind: 'no_record', billed: false, juheCode: reply.noRecord, reason: '查询无此记录', durationMs: delay };
      }
      call.code = reply.juheCode;
      call.billed = reply.billed;
      throw reply;
    } finally {
      call.endedAt = performance.now();
    }
  }

  /** Calls of one question (or of one API, or all), in order. */
  callsOf(filter: { api?: ApiId; mobile?: string; date?: string | null } = {}): FakeCall[] {
    return this.calls.filter(
      (c) => (filter.api === undefined || c.api === filter.api) && (filter.mobile === undefined || c.mobile === filter.mobile) && (filter.date === undefined || c.date === filter.date),
    );
  }

  /** Calls per question: every value should be 1 when nothing was asked twice. */
  timesAsked(): Map<string, number> {
    return new Map(this.asked);
  }
}

export function questionKey(api: ApiId, mobile: string, date: string | null): string {
  return date ? `${api}:${mobile}:${date}` : `${api}:${mobile}`;
}

function callContext(request: QueryRequest): Pick<JuheErrorContext, 'api' | 'endpoint' | 'form' | 'mobileMasked' | 'date'> {
  const endpoint = ENDPOINTS[APIS[request.api].endpoints[0]!];
  return {
    api: request.api,
    endpoint: endpoint.id,
    form: endpoint.forms[0]!,
    mobileMasked: maskMobile(request.mobile),
    ...(request.date ? { date: request.date } : {}),
  };
}

/** Deterministic answers, shaped like the documents' examples and read by the real decoder. */
export function answerFor(request: QueryRequest): CallOutcome {
  const last = Number(request.mobile.slice(-1));
  const place = { province: '广东', city: '深圳', isp: { cmcc: '移动', cucc: '联通', ctcc: '电信', cbn: '广电' }[request.carrier ?? 'cmcc'] };
  const result: Record<string, unknown> =
    request.api === 'status'
      ? { state: String(last % 5), ...place }
      : request.api === 'tenure'
        ? { code: ['03', '04', '1', '2', '3', '99'][last % 6], ...place }
        : request.api === 'tenureCmcc'
          ? { code: String((last % 5) + 1) }
          : request.api === 'resale'
            ? { res: (last % 3) + 1 }
            : { callingDur: String(last), calledDur: String(11 - last), ...place };
  return {
    ...callContext(request),
    kind: 'success',
    billed: true,
    juheCode: 0,
    reason: '成功',
    signals: decodeSignals(request.api, result, request.date),
    orderId: `J${Date.now()}`,
    durationMs: 1,
  };
}

/** The error the client throws for a Juhe `error_code`, with the policy's meaning, advice and hold-off. */
export function juheError(request: QueryRequest, code: number, overrides: Partial<JuheErrorContext> = {}): JuheError {
  const policy = policyFor(code, request.api);
  const context: JuheErrorContext = {
    ...callContext(request),
    juheCode: code,
    reason: policy.reasonZh,
    meaning: policy.meaning,
    httpStatus: 200,
    billed: false,
    maybeBilled: false,
    ...(policy.retry ? { retry: policy.retry } : {}),
    ...(policy.holdOffMs !== undefined ? { holdOffMs: policy.holdOffMs } : {}),
    ...overrides,
  };
  switch (policy.category) {
    case 'transient':
      return new JuheTransientError(context);
    case 'throttle':
      return new JuheThrottleError(context);
    case 'quota':
      return new JuheQuotaError(context);
    case 'account':
      return new JuheAccountError(context);
    case 'bad_request':
      return new JuheBadRequestError(context);
    default:
      return new JuheUnknownError(context);
  }
}

/** Small retry advice so a test waits milliseconds, not minutes. */
export const QUICK_RETRY = { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 } as const;

export interface HarnessSettings {
  juhe: Querier;
  concurrency?: number;
  /** Calls per second, every API (default 1000: out of the way). */
  rate?: number;
  rates?: Partial<Record<ApiId, number>>;
  maxWaiting?: number;
  /** Share stores (the result cache) with another harness. */
  stores?: EngineStores;
  /** Told what the jobs do (metrics). */
  observe?: EngineObserver;
}

export interface Harness {
  runner: LocalRunner;
  stores: EngineStores;
  dir: string;
  /** Write a CSV into the temp dir; returns its path. */
  csv(name: string, lines: readonly string[]): Promise<string>;
  /** Submit a file and run it to the end (plan `all` unless given); the finished record. */
  screen(file: string, request?: Omit<SubmitRequest, 'file' | 'input'> & { input?: SubmitRequest['input'] }): Promise<BatchView>;
  /** The result file: BOM-stripped CSV rows, header first. */
  resultRows(view: BatchView): Promise<string[][]>;
  /** Result rows as objects by column name. */
  resultRecords(view: BatchView): Promise<Array<Record<string, string>>>;
  close(): Promise<void>;
}

export async function harness(settings: HarnessSettings): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'riskscreen-local-test-'));
  const dataDir = join(dir, 'data');
  const stores = settings.stores ?? memoryStores();
  const rate = settings.rate ?? 1_000;
  const options: EngineOptions = {
    ...structuredClone(DEFAULT_OPTIONS.engine),
    dataDir,
    concurrency: settings.concurrency ?? 8,
    rates: { ...(Object.fromEntries(API_IDS.map((api) => [api, rate])) as Record<ApiId, number>), ...settings.rates },
    maxWaiting: settings.maxWaiting ?? DEFAULT_OPTIONS.engine.maxWaiting,
  };
  const runner = new LocalRunner({
    context: {
      stores,
      client: settings.juhe,
      callSlots: callSlotsOf(options.concurrency),
      keys: deriveEngineKeys('local-engine-test-secret', undefined),
      options,
      logger: silentLogger,
      lockTtlMs: 5_000,
      dataDir,
      ...(settings.observe ? { observe: settings.observe } : {}),
    },
  });
  const resultRows = async (view: BatchView): Promise<string[][]> => {
    if (!view.resultPath) throw new Error(`batch ${view.id} has no result file (${view.status}: ${view.reason})`);
    const text = await readFile(view.resultPath, 'utf8');
    if (!text.startsWith('\uFEFF')) throw new Error('the result file should start with a BOM');
    return parse(text.slice(1), { relax_column_count: true }) as string[][];
  };
  return {
    runner,
    stores,
    dir,
    async csv(name, lines) {
      const path = join(dir, name);
      await writeFile(path, `${lines.join('\n')}\n`);
      return path;
    },
    async screen(file, request = {}) {
      // `all` unless a test asks for staged: most tests here are about the engine's
      // mechanics, and the fake service's lines are often not in service (state = last digit % 5).
      const { meta } = await submitBatch(stores.batches, dataDir, { file, input: {}, plan: 'all', ...request });
      await runner.run(meta.id);
      return (await stores.batches.get(meta.id))!;
    },
    resultRows,
    async resultRecords(view) {
      const [header, ...rows] = await resultRows(view);
      return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i] ?? ''])));
    },
    async close() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Distinct valid numbers of one carrier. */
export function numbers(carrier: 'cmcc' | 'cucc' | 'ctcc' | 'cbn', count: number, start = 0): string[] {
  const prefix = { cmcc: '138', cucc: '186', ctcc: '189', cbn: '192' }[carrier];
  return Array.from({ length: count }, (_, i) => `${prefix}${String(10_000_000 + (start + i) * 7_919).slice(-8)}`);
}

/** Resolves when `check` is true, polling; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
