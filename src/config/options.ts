/**
 * riskscreen's options: one typed object with a documented default for each option.
 * Layered, lowest first: these defaults, then a JSON config file, then environment
 * variables, then command-line flags. `load.ts` does the layering; `validate.ts` is
 * the one place options are checked. The API layer's and the engine's own options are
 * declared beside the code that reads them (src/juhe/options.ts, src/engine/options.ts),
 * so those layers never reach up into this one; they are composed here.
 */
import { ENGINE_DEFAULTS, type EngineOptions } from '../engine/options.js';
import { JUHE_DEFAULTS, type JuheOptions } from '../juhe/options.js';
import type { OutputEncoding } from '../report/output-encoding.js';

export type { EngineOptions, JuheOptions };

export interface ReportOptions {
  /** A risk rubric JSON file (see rubrics/default.json); unset: the shipped default. Env `RISKSCREEN_RUBRIC`. */
  rubric: string | undefined;
  /** Encoding of result files: `utf8-bom` (Excel reads it), `utf8`, or `gb18030` for old systems. Env `RISKSCREEN_OUTPUT_ENCODING`. */
  encoding: OutputEncoding;
}

export interface Options {
  juhe: JuheOptions;
  engine: EngineOptions;
  report: ReportOptions;
  log: {
    /** pino level: fatal, error, warn, info, debug, trace, silent. Env `LOG_LEVEL`. */
    level: string;
  };
}

export const DEFAULT_OPTIONS: Options = {
  juhe: JUHE_DEFAULTS,
  engine: ENGINE_DEFAULTS,
  report: { rubric: undefined, encoding: 'utf8-bom' },
  log: { level: 'info' },
};

/** Options in a partial form, as a config file, the environment or flags give them. */
export interface PartialOptions {
  juhe?: Partial<JuheOptions>;
  engine?: Partial<EngineOptions>;
  report?: Partial<ReportOptions>;
  log?: Partial<Options['log']>;
}
