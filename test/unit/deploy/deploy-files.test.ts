/**
 * deploy/: the Grafana dashboard, the Prometheus alert rules and the scrape config.
 * Every metric an expression names exists in riskscreen's registry with the type the
 * expression needs (rate() and increase() only over counters and histogram parts,
 * `_bucket`/`_sum`/`_count` only of histograms, `_total` only of counters, a histogram
 * never bare), every label it groups or selects by is one riskscreen exports, the alerts
 * cover the error policy's account, quota and transient codes, and the scrape config
 * finds the compose workers and the console. With promtool on the PATH (Debian's
 * `prometheus` package), it also checks the files and runs deploy/prometheus/alerts.test.yml.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BATCH_STATUSES } from '../../../src/engine/batch.js';
import { CODE_POLICIES } from '../../../src/juhe/error-policy.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { ROW_STATUSES } from '../../../src/report/result-row.js';
import { emptyBilledTotals } from '../../../src/engine/store.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource?: { uid: string } }>;
}
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(read('deploy/grafana/riskscreen.json')) as { uid: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query: unknown; definition?: string }> } };
const alerts = parse(read('deploy/prometheus/alerts.yml')) as { groups: Array<{ name: string; rules: Rule[] }> };
const scrape = parse(read('deploy/prometheus/prometheus.yml')) as {
  rule_files: string[];
  scrape_configs: Array<{ job_name: string; metrics_path?: string; dns_sd_configs?: Array<{ names: string[]; type: string; port: number }>; static_configs?: Array<{ targets: string[] }> }>;
};
const rules = alerts.groups.flatMap((group) => group.rules);
const dashboardExprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })));
const variableExprs = dashboard.templating.list.flatMap((variable) => (variable.definition ? [{ where: `variable ${variable.name}`, expr: variable.definition }] : []));
const alertExprs = rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr }));
const ALL_EXPRS = [...dashboardExprs, ...variableExprs, ...alertExprs];

/** Every metric of the registry with its type (every gauge registered: all readings given). */
async function registryTypes(): Promise<Map<string, string>> {
  const metrics = createMetrics({
    cluster: { queueJobs: async () => ({}), batches: async () => ({ byStatus: {}, stuck: 0 }), workersAlive: async () => 0, billedTotals: async () => emptyBilledTotals() },
  });
  const json = await metrics.registry.getMetricsAsJSON();
  return new Map(json.map((metric) => [metric.name, String(metric.type)]));
}

/** The metric names an expression uses: ours and the process metrics (plus Prometheus's own `up`). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:riskscreen|process|nodejs)_[a-z0-9_]+)\b/g)].map((match) => match[1]!);
}

/** What a name in a query stands for: the metric and the type it must have. */
function resolve(name: string, types: Map<string, string>): { metric: string; type: string } | string {
  const direct = types.get(name);
  if (direct === 'histogram') return `${name} is a histogram: query its _bucket, _sum or _count`;
  if (direct) {
    if (name.endsWith('_total') && direct !== 'counter') return `${name} ends in _total but is a ${direct}`;
    return { metric: name, type: direct };
  }
  const part = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (part && types.get(part[1]!) === 'histogram') return { metric: part[1]!, type: 'histogram' };
  return `${name} is not a metric riskscreen exports${part ? ` (${part[1]} is ${types.get(part[1]!) ?? 'unknown'})` : ''}`;
}

const RISKSCREEN_LABELS = new Set(['api', 'form', 'code', 'status', 'state', 'queue', 'level']);
const PROMETHEUS_LABELS = new Set(['le', 'instance', 'job']);

/** The codes of one category in the error policy. */
function policyCodes(category: string): string[] {
  return [...CODE_POLICIES.values()].filter((policy) => policy.category === category).map((policy) => String(policy.code));
}

/** The alternatives of the `code=~"a|b|c"` matchers in an expression (each once, however often the matcher is repeated). */
function codeAlternatives(expr: string): string[] {
  return [...new Set([...expr.matchAll(/code=~"([^"]+)"/g)].flatMap((match) => match[1]!.split('|')))];
}

/** The `status` values each metric has: a batch's status, or a result row's. */
const STATUS_VALUES: Record<string, readonly string[]> = { riskscreen_batches: BATCH_STATUSES, riskscreen_result_rows_total: ROW_STATUSES };

describe('deploy/: dashboard, alerts and scrape config', () => {
  it('every metric an expression uses exists with the right type', async () => {
    const types = await registryTypes();
    const problems: string[] = [];
    let checked = 0;
    for (const { where, expr } of ALL_EXPRS) {
      for (const name of metricNames(expr)) {
        const found = resolve(name, types);
        if (typeof found === 'string') problems.push(`${where}: ${found}`);
        checked++;
      }
      // rate(), irate() and increase() only over counters and histogram parts.
      for (const match of expr.matchAll(/\b(rate|irate|increase)\(\s*([a-z_:][a-z0-9_:]*)/g)) {
        const found = resolve(match[2]!, types);
        if (typeof found !== 'string' && found.type === 'gauge') problems.push(`${where}: ${match[1]}() over the gauge ${match[2]}`);
      }
      // histogram_quantile() over buckets only.
      for (const match of expr.matchAll(/histogram_quantile\([^,]+,[^()]*\([^()]*\(\s*([a-z_:][a-z0-9_:]*)/g)) {
        if (!match[1]!.endsWith('_bucket')) problems.push(`${where}: histogram_quantile over ${match[1]}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });

  it('groups and selects only by labels riskscreen (or Prometheus) puts on the series', () => {
    const problems: string[] = [];
    for (const { where, expr } of ALL_EXPRS) {
      for (const match of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
        for (const label of match[1]!.split(',').map((part) => part.trim()).filter(Boolean)) {
          if (!RISKSCREEN_LABELS.has(label) && !PROMETHEUS_LABELS.has(label)) problems.push(`${where}: by ${label}`);
        }
      }
      for (const match of expr.matchAll(/\{([^}]*)\}/g)) {
        for (const matcher of match[1]!.split(',').map((part) => part.trim()).filter(Boolean)) {
          const label = /^([a-z_]+)\s*(=~|!~|!=|=)/.exec(matcher)?.[1];
          if (!label || (!RISKSCREEN_LABELS.has(label) && !PROMETHEUS_LABELS.has(label))) problems.push(`${where}: {${matcher}}`);
        }
      }
      for (const match of expr.matchAll(/\b(riskscreen_[a-z_]+)\{[^}]*\bstatus!?=~?"([^"]+)"/g)) {
        const values = STATUS_VALUES[match[1]!];
        for (const value of match[2]!.split('|')) if (!values?.includes(value)) problems.push(`${where}: ${match[1]} has no status ${value}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('the dashboard: every panel on the datasource variable; the variables; a uid for links', () => {
    expect(dashboard.uid).toBe('riskscreen');
    const variables = new Map(dashboard.templating.list.map((variable) => [variable.name, variable]));
    expect(variables.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe('${datasource}');
    }
    // What the brief asks the dashboard to show, by the metric each needs.
    const used = new Set(dashboardExprs.flatMap(({ expr }) => metricNames(expr)));
    for (const name of [
      'riskscreen_juhe_calls_total',
      'riskscreen_juhe_billed_calls_total',
      'riskscreen_juhe_maybe_billed_calls_total',
      'riskscreen_juhe_call_duration_seconds_bucket',
      'riskscreen_rate_gate_wait_seconds_bucket',
      'riskscreen_juhe_holds_total',
      'riskscreen_cache_hits_total',
      'riskscreen_queue_jobs',
      'riskscreen_batches',
      'riskscreen_batches_stuck',
      'riskscreen_workers_alive',
      'riskscreen_result_rows_total',
      'riskscreen_juhe_connect_failures_total',
      'riskscreen_juhe_quota_calls',
      'riskscreen_juhe_recorded_billed_calls',
      'riskscreen_juhe_recorded_maybe_billed_calls',
    ]) {
      expect(used.has(name), name).toBe(true);
    }
  });

  it('the alerts: each with a severity and a summary; gauges of shared state taken with max(), never summed', () => {
    const names = rules.map((rule) => rule.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'RiskscreenQuotaNearlySpent',
        'RiskscreenQuotaSpent',
        'RiskscreenKeyRefused',
        'RiskscreenBatchBlocked',
        'RiskscreenBatchStuck',
        'RiskscreenNoWorkerAlive',
        'RiskscreenTargetDown',
        'RiskscreenHighTransientErrorRate',
      ]),
    );
    for (const rule of rules) {
      expect(['warning', 'critical'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      for (const gauge of ['riskscreen_batches', 'riskscreen_batches_stuck', 'riskscreen_workers_alive', 'riskscreen_queue_jobs', 'riskscreen_juhe_quota_calls', 'riskscreen_juhe_recorded_billed_calls']) {
        expect(rule.expr, rule.alert).not.toMatch(new RegExp(`sum[^(]*\\(\\s*${gauge}\\b`));
      }
    }
  });

  it('the alerts follow the error policy: every account code refuses the key, the quota codes spend it, every transient code counts as transient', () => {
    const byName = new Map(rules.map((rule) => [rule.alert, rule]));
    expect(codeAlternatives(byName.get('RiskscreenKeyRefused')!.expr).sort()).toEqual(policyCodes('account').sort());
    expect(codeAlternatives(byName.get('RiskscreenQuotaSpent')!.expr).sort()).toEqual(policyCodes('quota').sort());
    const transient = codeAlternatives(byName.get('RiskscreenHighTransientErrorRate')!.expr);
    // Attempts that could not connect are not calls: the transient share adds them (a network where nothing connects fires too).
    expect(byName.get('RiskscreenHighTransientErrorRate')!.expr).toContain('riskscreen_juhe_connect_failures_total');
    // A code's first call makes its series: the quota and key alerts see a series that appears, not only one that rises.
    for (const alert of ['RiskscreenQuotaSpent', 'RiskscreenKeyRefused']) expect(byName.get(alert)!.expr, alert).toMatch(/unless[\s\S]*offset 15m/);
    expect(transient).toEqual(expect.arrayContaining([...policyCodes('transient'), 'juhe_transient', 'http_5..']));
  });

  it('the scrape config: the workers by DNS on 9464, the console on web:8080, the rules beside it', () => {
    expect(scrape.rule_files).toEqual(['alerts.yml']);
    const workers = scrape.scrape_configs.find((config) => config.job_name === 'riskscreen-worker')!;
    expect(workers.metrics_path).toBe('/metrics');
    expect(workers.dns_sd_configs).toEqual([expect.objectContaining({ names: ['worker'], type: 'A', port: 9464 })]);
    const web = scrape.scrape_configs.find((config) => config.job_name === 'riskscreen-web')!;
    expect(web.metrics_path).toBe('/metrics');
    expect(web.static_configs).toEqual([{ targets: ['web:8080'] }]);
    // TargetDown's job matcher covers both jobs.
    for (const config of scrape.scrape_configs) expect(config.job_name).toMatch(/^riskscreen-/);
  });

  const promtool = (() => {
    try {
      execFileSync('promtool', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  // Skipped only outside CI: .ci/run installs promtool, so there it must run.
  it.skipIf(!promtool && !process.env.CI)('promtool: the config and rules are valid, every dashboard query parses, and the alerts fire as alerts.test.yml says', () => {
    if (!promtool) throw new Error("promtool is not on the PATH; .ci/run installs it (Debian's prometheus package: apt-get install -y prometheus)");
    const dir = mkdtempSync(join(tmpdir(), 'riskscreen-promtool-'));
    try {
      execFileSync('promtool', ['check', 'config', join(ROOT, 'deploy/prometheus/prometheus.yml')], { stdio: 'pipe' });
      // Each dashboard query as a recording rule, with Grafana's variables given values.
      const recording = dashboardExprs.map(({ expr }, i) => ({
        record: `dashboard:query_${i}`,
        expr: expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '6h').replaceAll('$api', '.*'),
      }));
      writeFileSync(join(dir, 'dashboard.yml'), JSON.stringify({ groups: [{ name: 'dashboard', rules: recording }] }));
      execFileSync('promtool', ['check', 'rules', join(dir, 'dashboard.yml')], { stdio: 'pipe' });
      execFileSync('promtool', ['test', 'rules', join(ROOT, 'deploy/prometheus/alerts.test.yml')], { stdio: 'pipe' });
    } catch (err) {
      const out = err as { stdout?: Buffer; stderr?: Buffer };
      throw new Error(`${out.stdout?.toString() ?? ''}${out.stderr?.toString() ?? ''}` || String(err));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
