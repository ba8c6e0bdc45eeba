/**
 * The `ops` section of the options (metrics and probes): defaults, the environment
 * names, the config file, the worker's --metrics-port flag over both, and a
 * ConfigError naming the option for each bad value.
 */
import { describe, expect, it } from 'vitest';
import { errorOf, useConfigDir } from '../../support/config-dir.js';
import { ENV_NAMES, loadOptions } from '../../../src/config/load.js';
import { DEFAULT_OPTIONS } from '../../../src/config/options.js';
import { OPS_DEFAULTS } from '../../../src/metrics/options.js';

const config = useConfigDir();
const ops = (env: NodeJS.ProcessEnv) => loadOptions({ env, cwd: config.dir }).ops;

describe('ops options', () => {
  it('defaults: no listener, loopback, no quota', () => {
    expect(ops({})).toEqual({ metricsPort: undefined, metricsHost: '127.0.0.1', quotaCalls: {} });
    expect(DEFAULT_OPTIONS.ops).toEqual(OPS_DEFAULTS);
  });

  it('reads RISKSCREEN_METRICS_PORT, RISKSCREEN_METRICS_HOST and RISKSCREEN_QUOTA_CALLS (per API, as RISKSCREEN_RATES)', () => {
    expect(ENV_NAMES['ops.metricsPort']).toBe('RISKSCREEN_METRICS_PORT');
    expect(ENV_NAMES['ops.metricsHost']).toBe('RISKSCREEN_METRICS_HOST');
    expect(ENV_NAMES['ops.quotaCalls']).toBe('RISKSCREEN_QUOTA_CALLS');
    expect(ops({ RISKSCREEN_METRICS_PORT: '9464', RISKSCREEN_METRICS_HOST: '0.0.0.0', RISKSCREEN_QUOTA_CALLS: 'status=1000000, tenure=500000' })).toEqual({
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
      quotaCalls: { status: 1_000_000, tenure: 500_000 },
    });
    // 0: a free port, chosen when the listener opens.
    expect(ops({ RISKSCREEN_METRICS_PORT: '0' }).metricsPort).toBe(0);
  });

  it('reads the config file, and --metrics-port over the environment', () => {
    const path = config.configFile({ ops: { metricsPort: 9100, metricsHost: '::', quotaCalls: { resale: 20000 } } });
    expect(loadOptions({ env: {}, configFile: path, cwd: config.dir }).ops).toEqual({ metricsPort: 9100, metricsHost: '::', quotaCalls: { resale: 20_000 } });
    const flagged = loadOptions({ env: { RISKSCREEN_METRICS_PORT: '9464' }, cwd: config.dir, overrides: { 'ops.metricsPort': { value: '0', flag: '--metrics-port' } } });
    expect(flagged.ops.metricsPort).toBe(0);
  });

  it.each([
    [{ RISKSCREEN_METRICS_PORT: '65536' }, 'RISKSCREEN_METRICS_PORT', /whole number from 0 to 65535/],
    [{ RISKSCREEN_METRICS_PORT: 'ninety' }, 'RISKSCREEN_METRICS_PORT', /whole number/],
    [{ RISKSCREEN_METRICS_HOST: '   ' }, 'RISKSCREEN_METRICS_HOST', /non-empty/],
    [{ RISKSCREEN_QUOTA_CALLS: 'status=lots' }, 'RISKSCREEN_QUOTA_CALLS', /status: "lots" is not a valid value/],
    [{ RISKSCREEN_QUOTA_CALLS: 'status=0' }, 'RISKSCREEN_QUOTA_CALLS', /status: "0" is not a valid value/],
    [{ RISKSCREEN_QUOTA_CALLS: 'status=1.5' }, 'RISKSCREEN_QUOTA_CALLS', /not a valid value/],
    [{ RISKSCREEN_QUOTA_CALLS: 'lines=10' }, 'RISKSCREEN_QUOTA_CALLS', /unknown API "lines"/],
    [{ RISKSCREEN_QUOTA_CALLS: '1000' }, 'RISKSCREEN_QUOTA_CALLS', /api=value pairs/],
  ])('%o is refused, naming %s', (env, option, message) => {
    const err = errorOf(() => ops(env));
    expect(err.option).toBe(option);
    expect(err.message).toMatch(message);
  });

  it('a bad --metrics-port names the flag', () => {
    const err = errorOf(() => loadOptions({ env: {}, cwd: config.dir, overrides: { 'ops.metricsPort': { value: '-1', flag: '--metrics-port' } } }));
    expect(err.option).toBe('--metrics-port');
  });

  it('a bad quota in the config file names the key', () => {
    const path = config.configFile({ ops: { quotaCalls: { status: -5 } } });
    const err = errorOf(() => loadOptions({ env: {}, configFile: path, cwd: config.dir }));
    expect(err.option).toBe(`${path}: ops.quotaCalls`);
  });
});
