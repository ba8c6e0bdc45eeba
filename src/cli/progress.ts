/**
 * Progress of a batch while a command waits for it: a one-line bar redrawn on a TTY
 * (rows/s, calls, errors by code, ETA), a plain log line every few seconds otherwise.
 */
import type { BatchView } from '../engine/batch.js';

export interface ProgressSink {
  update(view: BatchView): void;
  finish(view: BatchView): void;
}

const LOG_EVERY_MS = 10_000;

export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, enabled = true): ProgressSink {
  const started = Date.now();
  let lastLog = 0;
  let drawn = false;
  return {
    update(view) {
      if (!enabled) return;
      const line = describe(view, Date.now() - started);
      if (stream.isTTY) {
        const width = Math.max(40, (stream.columns ?? 120) - 1);
        stream.write(`\r${line.length > width ? `${line.slice(0, width - 1)}…` : line.padEnd(width)}`);
        drawn = true;
      } else if (Date.now() - lastLog >= LOG_EVERY_MS) {
        lastLog = Date.now();
        stream.write(`riskscreen: ${line}\n`);
      }
    },
    finish(view) {
      if (!enabled) return;
      if (drawn) stream.write(`\r${' '.repeat(Math.max(40, (stream.columns ?? 120) - 1))}\r`);
      if (!stream.isTTY) stream.write(`riskscreen: ${describe(view, Date.now() - started)}\n`);
    },
  };
}

export function describe(view: BatchView, elapsedMs: number): string {
  const c = view.counts;
  const seconds = Math.max(elapsedMs / 1000, 0.001);
  const parts = [`${view.id} ${view.status}`];
  if (c.ingestDone) {
    const share = c.tasks > 0 ? c.final / c.tasks : 1;
    const rowsDone = Math.round(c.rows * share);
    parts.push(`${fmt(rowsDone)}/${fmt(c.rows)} rows (${Math.floor(share * 100)}%)`, `${fmt(rowsDone / seconds)} rows/s`);
    const eta = share > 0 && share < 1 ? (seconds / share) * (1 - share) : null;
    if (eta !== null) parts.push(`ETA ${clock(eta)}`);
  } else {
    parts.push(`reading ${fmt(c.rows)} rows`);
  }
  parts.push(`${fmt(c.billed)} billed calls (${fmt(c.billed / seconds)}/s)`);
  if (c.cacheHits) parts.push(`${fmt(c.cacheHits)} from cache`);
  const errors = Object.entries(view.errorsByCode).sort((a, b) => b[1] - a[1]);
  if (errors.length > 0) parts.push(`errors ${errors.slice(0, 4).map(([code, n]) => `${code}×${fmt(n)}`).join(' ')}`);
  return parts.join(' · ');
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}
