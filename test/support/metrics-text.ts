/**
 * Reading a Prometheus text exposition (what /metrics answers) in tests: every
 * riskscreen_ sample by `name{labels}`, the sum of one metric's samples, or one
 * metric's samples by their label part.
 */

/** `name{labels}` -> value of every riskscreen_ sample. */
export function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(riskscreen_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (match) found.set(match[1]!, Number(match[2]));
  }
  return found;
}

/** The sum of one metric's samples (from `samples`) whose label part (`{api="status",...}`, or '' without labels) matches `filter`. */
export function total(got: ReadonlyMap<string, number>, name: string, filter: (labels: string) => boolean = () => true): number {
  let sum = 0;
  for (const [key, value] of got) {
    const at = key.indexOf('{');
    if ((at < 0 ? key : key.slice(0, at)) === name && filter(at < 0 ? '' : key.slice(at))) sum += value;
  }
  return sum;
}

/** One metric's samples (any name, riskscreen's or not), from their label part (`{le="0.1",api="status"}`, or '') to the value. */
export function series(text: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match && match[1] === name) found.set(match[2] ?? '', Number(match[3]));
  }
  return found;
}
