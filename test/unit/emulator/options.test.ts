import { describe, expect, it } from 'vitest';
import {
  DEMO_KEY,
  DEMO_OPENID,
  EMULATOR_DEFAULTS,
  EmulatorOptionError,
  MAX_QPS,
  parseErrorRates,
  parseLatency,
  parseNotInService,
  parseWholeNumber,
  resolveEmulatorOptions,
  todayInChina,
} from '../../../src/emulator/options.js';

function optionError(run: () => unknown): EmulatorOptionError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(EmulatorOptionError);
    return err as EmulatorOptionError;
  }
  throw new Error('expected an EmulatorOptionError');
}

describe('emulator options', () => {
  it('has documented defaults: demo account, port 8080 on 127.0.0.1, no faults', () => {
    const resolved = resolveEmulatorOptions({ referenceDate: '20250101' });
    expect(resolved.key).toBe(DEMO_KEY);
    expect(resolved.openid).toBe(DEMO_OPENID);
    expect(DEMO_KEY).toBe('riskscreen-demo-key');
    expect(DEMO_OPENID).toBe('riskscreen-demo-openid');
    expect(resolved.port).toBe(8080);
    expect(resolved.host).toBe('127.0.0.1');
    expect(resolved.seed).toBe(EMULATOR_DEFAULTS.seed);
    expect(resolved.latency).toEqual({ minMs: 0, maxMs: 0 });
    expect(resolved.qps).toBeUndefined();
    expect(resolved.quota).toBeUndefined();
    expect(resolved.sameNumberWindowMs).toBeUndefined();
    expect(Object.values(resolved.errorRates).every((rates) => rates.length === 0)).toBe(true);
  });

  it('defaults the reference date to today in China (UTC+8)', () => {
    // 2025-03-01 17:00 UTC is already 2 March in Beijing.
    expect(todayInChina(Date.UTC(2025, 2, 1, 17, 0))).toBe('20250302');
    expect(todayInChina(Date.UTC(2025, 2, 1, 15, 59))).toBe('20250301');
    expect(resolveEmulatorOptions().referenceDate).toMatch(/^\d{8}$/);
  });

  it('parses latency as N or A-B', () => {
    expect(parseLatency('25')).toEqual({ minMs: 25, maxMs: 25 });
    expect(parseLatency('10-50')).toEqual({ minMs: 10, maxMs: 50 });
    expect(resolveEmulatorOptions({ latencyMs: '5-9' }).latency).toEqual({ minMs: 5, maxMs: 9 });
    expect(resolveEmulatorOptions({ latencyMs: 7 }).latency).toEqual({ minMs: 7, maxMs: 7 });
    expect(optionError(() => parseLatency('50-10')).message).toMatch(/^--latency-ms: .*backwards/);
    expect(optionError(() => parseLatency('fast')).option).toBe('--latency-ms');
    expect(optionError(() => resolveEmulatorOptions({ latencyMs: -1 })).option).toBe('--latency-ms');
  });

  it('parses error rates and splits them by API: system codes to all, service codes to their own', () => {
    expect(parseErrorRates('224805=0.2, 10014=0.01')).toEqual({ 224805: 0.2, 10014: 0.01 });
    const resolved = resolveEmulatorOptions({ errorRates: '224805=0.2,10014=0.01' });
    expect(resolved.errorRates.tenure).toEqual([
      { code: 10014, probability: 0.01 },
      { code: 224805, probability: 0.2 },
    ]);
    expect(resolved.errorRates.status).toEqual([{ code: 10014, probability: 0.01 }]);
    // The sha256 CMCC tenure API documents no codes and borrows mobileOnline's.
    expect(resolved.errorRates.tenureCmcc).toEqual(resolved.errorRates.tenure);
    expect(resolved.errorRates.resale).toEqual([{ code: 10014, probability: 0.01 }]);
    expect(resolved.errorRatesGiven).toEqual({ 224805: 0.2, 10014: 0.01 });
  });

  it('refuses undocumented codes, probabilities out of range, repeated codes and sums over 1', () => {
    expect(optionError(() => resolveEmulatorOptions({ errorRates: '999999=0.1' })).message).toMatch(/not an error code/);
    expect(optionError(() => resolveEmulatorOptions({ errorRates: '0=0.1' })).option).toBe('--error-rate');
    expect(optionError(() => resolveEmulatorOptions({ errorRates: { 224805: 1.5 } })).message).toMatch(/between 0 and 1/);
    expect(optionError(() => parseErrorRates('224805=0.1,224805=0.2')).message).toMatch(/twice/);
    expect(optionError(() => parseErrorRates('224805')).message).toMatch(/CODE=P/);
    expect(optionError(() => resolveEmulatorOptions({ errorRates: '224805=0.6,224808=0.5' })).message).toMatch(/more than 1/);
  });

  it('checks whole-number options and names the flag', () => {
    expect(parseWholeNumber('--qps', '50')).toBe(50);
    expect(optionError(() => parseWholeNumber('--qps', '5.5')).message).toBe('--qps: "5.5" is not a whole number');
    expect(optionError(() => resolveEmulatorOptions({ qps: 0 })).option).toBe('--qps');
    expect(resolveEmulatorOptions({ qps: MAX_QPS }).qps).toBe(1_000_000);
    const tooMany = optionError(() => resolveEmulatorOptions({ qps: MAX_QPS + 1 }));
    expect(tooMany.option).toBe('--qps');
    expect(tooMany.message).toMatch(/^--qps: 1000001 is over the ceiling of 1000000/);
    expect(optionError(() => resolveEmulatorOptions({ qps: 1e12 })).option).toBe('--qps');
    expect(optionError(() => resolveEmulatorOptions({ knownNumbers: '' })).option).toBe('--numbers');
    expect(optionError(() => resolveEmulatorOptions({ knownNumbers: 5 as unknown as string })).option).toBe('--numbers');
    expect(resolveEmulatorOptions({ knownNumbers: ['13800138000'] }).knownNumbers).toEqual(['13800138000']);
    expect(resolveEmulatorOptions({ quota: 0 }).quota).toBe(0);
    expect(optionError(() => resolveEmulatorOptions({ quota: -1 })).option).toBe('--quota');
    expect(optionError(() => resolveEmulatorOptions({ sameNumberWindowMs: 0 })).option).toBe('--same-number-window-ms');
    expect(optionError(() => resolveEmulatorOptions({ port: 70_000 })).option).toBe('--port');
    expect(optionError(() => resolveEmulatorOptions({ key: '' })).option).toBe('--key');
    expect(optionError(() => resolveEmulatorOptions({ openid: '' })).option).toBe('--openid');
    expect(optionError(() => resolveEmulatorOptions({ referenceDate: '20250230' })).option).toBe('--reference-date');
    expect(
      optionError(() => resolveEmulatorOptions({ rsaPrivateKeyPem: 'x', rsaPrivateKeyFile: '/tmp/x' })).option,
    ).toBe('--rsa-private-key');
  });

  it('takes the share of lines not in service as 0.2 or 20%, and names the flag when it is wrong', () => {
    expect(resolveEmulatorOptions({ referenceDate: '20250101' }).notInService).toBeUndefined();
    expect(parseNotInService('0.2')).toBe(0.2);
    expect(parseNotInService(' 20% ')).toBe(0.2);
    expect(parseNotInService('1')).toBe(1);
    expect(parseNotInService('0')).toBe(0);
    expect(resolveEmulatorOptions({ notInService: 0.15 }).notInService).toBe(0.15);
    expect(resolveEmulatorOptions({ notInService: '35%' }).notInService).toBe(0.35);
    const words = optionError(() => parseNotInService('a fifth'));
    expect(words.option).toBe('--not-in-service');
    expect(words.message).toBe('--not-in-service: "a fifth" is not a share of lines: 0.2 or 20% (between 0 and 1, or 0% and 100%)');
    expect(optionError(() => parseNotInService('120%')).message).toMatch(/^--not-in-service: 1\.2 is not a share of lines between 0 and 1 \(0\.2 for 20%/);
    expect(optionError(() => parseNotInService('-0.1')).option).toBe('--not-in-service');
    expect(optionError(() => resolveEmulatorOptions({ notInService: 1.5 })).option).toBe('--not-in-service');
    expect(optionError(() => resolveEmulatorOptions({ notInService: Number.NaN })).option).toBe('--not-in-service');
    expect(optionError(() => resolveEmulatorOptions({ notInService: '0.2.1' })).option).toBe('--not-in-service');
  });
});
