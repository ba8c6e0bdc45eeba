import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskPhonesInText, sanitizeForLog } from '../../../src/log/logger.js';
import { resolveJuheConfig } from '../../../src/juhe/config.js';
import { JuheTransientError } from '../../../src/juhe/errors.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: destination as never }), lines };
}

describe('log lines never carry a full number, a key or an openid', () => {
  it('masks numbers at any depth, in bindings and in messages', () => {
    const { logger, lines } = capture();
    const child = logger.child({ batch: 'b1', first: '13800138000' });
    child.info({ job: { data: { mobile: '13912345678', phones: ['+8618912345678', 17312345678] } } }, 'asked about 008613800001111');
    const text = lines.join('');
    for (const full of ['13800138000', '13912345678', '18912345678', '17312345678', '13800001111']) expect(text).not.toContain(full);
    const line = JSON.parse(lines[0]!);
    expect(line.first).toBe('138****8000');
    expect(line.job.data.mobile).toBe('139****5678');
    expect(line.job.data.phones).toEqual(['189****5678', '173****5678']);
    expect(line.msg).toBe('asked about 138****1111');
    expect(line.batch).toBe('b1');
    child.child({ job: 'j1', second: '13700001111' }).info('grandchild');
    expect(JSON.parse(lines[1]!)).toMatchObject({ first: '138****8000', second: '137****1111', job: 'j1' });
  });

  it('keeps already-masked numbers readable', () => {
    const { logger, lines } = capture();
    logger.warn({ mobileMasked: '138****8000', endpoint: 'mobile_status/query' }, 'failed');
    expect(JSON.parse(lines[0]!)).toMatchObject({ mobileMasked: '138****8000', endpoint: 'mobile_status/query' });
  });

  it('never writes the key, openid or AES key, even when a config is logged whole', () => {
    const { logger, lines } = capture();
    const config = resolveJuheConfig({ key: 'abcdef0123456789', openid: 'JHopenid0123456789' });
    logger.info({ config, juhe: { key: 'abcdef0123456789' }, openid: 'JHopenid0123456789', aesKey: config.aesKey }, 'config');
    const text = lines.join('');
    expect(text).not.toContain('abcdef0123456789');
    expect(text).not.toContain('JHopenid0123456789');
    expect(text).not.toContain(config.aesKey!.toString('ascii'));
  });

  it('serializes Juhe errors with their context, masked', () => {
    const { logger, lines } = capture();
    const err = new JuheTransientError({
      api: 'status', endpoint: 'mobile_status/query', form: 'plain', mobileMasked: '138****8000',
      juheCode: 224915, reason: 'network 13800138000', meaning: 'network error at the source, retry', billed: false, maybeBilled: false,
    });
    logger.error({ err }, 'call failed');
    const line = JSON.parse(lines[0]!);
    expect(line.err).toMatchObject({ code: 'JUHE_TRANSIENT', juheCode: 224915, endpoint: 'mobile_status/query', mobileMasked: '138****8000' });
    expect(lines[0]).not.toContain('13800138000');
  });
});

describe('sanitizeForLog', () => {
  it('leaves other numbers and short digit runs alone', () => {
    expect(maskPhonesInText('order JH327201911081525223306 took 1234 ms')).toBe('order JH327201911081525223306 took 1234 ms');
    expect(sanitizeForLog({ ms: 1234, at: 1_763_800_000_000 })).toEqual({ ms: 1234, at: 1_763_800_000_000 });
  });
});
