/**
 * The staged plan: which of a number's questions are asked first, and which wait for
 * that answer. A number asked its line status and something else asks the line status
 * first; the others travel with that job (`ApiJobData.next`) and are queued the moment
 * its answer arrives, unless the answer decides the level by itself (a hard rule of the
 * rubric to the top level: src/risk/staging.ts), in which case they are recorded as
 * decided and never asked. No batch-wide barrier: each number moves on alone, so every
 * API's rate stays busy. Under `all`, or with a rubric whose hard rules decide nothing on
 * line status, everything is asked at once, as before plans existed.
 *
 * Staged per number at its first row: a later row of the same number with another
 * date asks its own resale question at once (its line status job may be long gone),
 * so such a question is paid for even when the line turns out not in service. Rare,
 * and never wrong: it is a question `all` asks too.
 */
import type { ApiId } from '../juhe/catalogue.js';
import type { Signals } from '../juhe/model.js';
import { decidingAnswers, firstStageSignal, SIGNAL_APIS, signalOfApi, type Rubric, type SignalName } from '../risk/index.js';
import type { Plan } from './batch.js';
import type { PlannedTask } from './plan.js';

/** A question that waits for its number's first answer (its task id is `<api>.<hash>`). */
export interface NextQuestion {
  api: ApiId;
  hash: string;
  date: string | null;
}

export interface StagedQuestions {
  /** Asked now. */
  now: PlannedTask[];
  /** The question of `now` the others wait for, with them and the answers that decide; null when nothing waits. */
  first: { task: PlannedTask; next: NextQuestion[]; decides: string[] } | null;
}

export class StagePlanner {
  /** The first-stage answers that decide the level; null: this batch stages nothing. */
  private readonly decides: string[] | null;
  private readonly firstApis: readonly ApiId[];

  constructor(plan: Plan, rubric: Rubric) {
    const deciding = decidingAnswers(rubric);
    const signal = plan === 'staged' ? firstStageSignal(deciding, ['line_status']) : null;
    this.decides = signal ? [...deciding.get(signal)!.keys()] : null;
    this.firstApis = signal ? SIGNAL_APIS[signal as Exclude<SignalName, 'number_kind'>] : [];
  }

  /** Whether any number of this batch can be staged. */
  get stages(): boolean {
    return this.decides !== null;
  }

  /** The first-stage answers that decide the level (empty: nothing is staged). */
  get decidingValues(): readonly string[] {
    return this.decides ?? [];
  }

  /** Split one row's questions (as planned by planRecord, after ingest's dedupe). */
  split(tasks: readonly PlannedTask[]): StagedQuestions {
    if (this.decides === null || tasks.length < 2) return { now: [...tasks], first: null };
    const first = tasks.find((task) => this.firstApis.includes(task.api));
    if (!first) return { now: [...tasks], first: null };
    const next = tasks.filter((task) => task !== first).map((task) => ({ api: task.api, hash: task.hash, date: task.date }));
    return { now: [first], first: { task: first, next, decides: this.decides } };
  }
}

/** The value of an API's signal in its answer (what `decides` lists), or null. */
export function stageValue(api: ApiId, signals: Signals): string | null {
  switch (signalOfApi(api)) {
    case 'line_status':
      return signals.lineStatus?.value ?? null;
    case 'tenure':
      return signals.tenure?.value ?? null;
    case 'resale':
      return signals.resale?.value ?? null;
    case 'call_minutes':
      return null;
  }
}
