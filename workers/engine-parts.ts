/** Building what job code runs with (src/engine/context.ts) from the resolved options: the same for both runners. */
import type { Logger } from 'pino';
import type { Options } from '../src/config/options.js';
import { JuheClient } from '../src/juhe/client.js';
import { resolveJuheConfig, type JuheConfig } from '../src/juhe/config.js';
import pLimit, { type LimitFunction } from 'p-limit';
import type { ApiId } from '../src/juhe/catalogue.js';
import type { CallSlots, EngineContext } from '../src/engine/context.js';
import { deriveEngineKeys } from '../src/engine/keys.js';
import type { EngineStores } from '../src/engine/store.js';

export interface EngineParts {
  context: Omit<EngineContext, 'scheduler'>;
  client: JuheClient;
  juhe: JuheConfig;
}

/** `concurrency` calls in flight per API in this process. */
export function callSlotsOf(concurrency: number): CallSlots {
  const limits = new Map<ApiId, LimitFunction>();
  return (api, call) => {
    let limit = limits.get(api);
    if (!limit) limits.set(api, (limit = pLimit(concurrency)));
    return limit(call);
  };
}

export function buildEngineParts(options: Options, stores: EngineStores, logger: Logger, dataDir = options.engine.dataDir): EngineParts {
  const juhe = resolveJuheConfig(options.juhe);
  const client = new JuheClient({ config: juhe, logger });
  const context: Omit<EngineContext, 'scheduler'> = {
    stores,
    client,
    callSlots: callSlotsOf(options.engine.concurrency),
    keys: deriveEngineKeys(options.engine.secret, juhe.key),
    options: options.engine,
    logger,
    // Past the whole-call timeout, so a lock never lapses under a call still running.
    lockTtlMs: juhe.requestTimeoutMs + 10_000,
    dataDir,
  };
  return { context, client, juhe };
}
