/**
 * What the queue dashboard shows of a job's data: never the sealed number, only the
 * head of the keyed hash, and every mobile number in any string masked.
 */
import { describe, expect, it } from 'vitest';
import { boardJobData, maskWebhookUrls } from '../../../src/web/admin-board.js';

const HASH = '3f9a1c2b7d4e5f60718293a4b5c6d7e8f9012345678901234567890abcdef0123';
const SEALED = 'v1.QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo.c2VhbGVkLW51bWJlcg';

describe('boardJobData', () => {
  it('drops the sealed number, shortens the hash, keeps the rest', () => {
    const shown = boardJobData({ batch: 'b20240501-080000-ab12', api: 'status', hash: HASH, sealed: SEALED, attempt: 2 }) as Record<string, unknown>;
    expect(shown).toMatchObject({ batch: 'b20240501-080000-ab12', api: 'status', attempt: 2, hash: '3f9a1c2b7d4e…' });
    expect(shown.sealed === undefined || shown.sealed === '[sealed]').toBe(true);
    const text = JSON.stringify(shown);
    expect(text).not.toContain(SEALED);
    expect(text).not.toContain(SEALED.slice(3, 20));
    expect(text).not.toContain(HASH.slice(0, 13));
  });

  it('hides a sealed field of any kind (object, number, empty string)', () => {
    for (const sealed of [{ iv: 'abc', data: 'def' }, 12345, '', ['x']]) {
      const shown = boardJobData({ sealed }) as Record<string, unknown>;
      expect(JSON.stringify(shown)).not.toMatch(/abc|def|12345|"x"/);
      expect(shown.sealed === undefined || shown.sealed === '[sealed]').toBe(true);
    }
  });

  it('adds no hash or sealed field that was not there', () => {
    expect(boardJobData({ batch: 'b1' })).toEqual({ batch: 'b1' });
  });

  it('masks any 11-digit mobile number in strings, at any depth', () => {
    const shown = boardJobData({
      batch: 'b1',
      note: 'retry for 13800001234 after 10012',
      nested: { list: ['+8613912345678', 'call 0086 15011112222?'], deeper: { mobile: '18600001111' } },
      failedReason: 'Error: 17700009999 refused',
    });
    const text = JSON.stringify(shown);
    for (const number of ['13800001234', '13912345678', '15011112222', '18600001111', '17700009999']) expect(text).not.toContain(number);
    expect(text).toContain('138****1234');
    expect(text).toContain('10012'); // a Juhe code is not a number to mask
    expect((shown as { nested: { deeper: { mobile: string } } }).nested.deeper.mobile).toBe('186****1111');
  });

  it('masks a mobile number held as a number, and a bare string or number given as the data', () => {
    expect(JSON.stringify(boardJobData({ n: 13800001234 }))).not.toContain('13800001234');
    expect(boardJobData('13800001234')).toBe('138****1234');
    expect(boardJobData(13800001234)).toBe('138****1234');
    expect(boardJobData(null)).toBeNull();
    expect(boardJobData(42)).toBe(42);
  });

  it('masks a number inside the hash field too when it is not a string', () => {
    const shown = boardJobData({ hash: 13800001234 }) as Record<string, unknown>;
    expect(JSON.stringify(shown)).not.toContain('13800001234');
  });

  it('redacts fields named like secrets', () => {
    const shown = boardJobData({ batch: 'b1', token: 'rs_secret', openid: 'JHsecret', password: 'pw' });
    const text = JSON.stringify(shown);
    expect(text).not.toContain('rs_secret');
    expect(text).not.toContain('JHsecret');
    expect(text).not.toContain('"pw"');
  });
});

describe('webhook URLs on the board', () => {
  it('shows a webhook delivery\'s URL and a schedule\'s webhook without the query (it may hold a token)', () => {
    const delivery = boardJobData({ deliveryId: 'b1.ended', url: 'https://hooks.example.com/r?token=s3cret', body: '{}' }) as Record<string, unknown>;
    expect(delivery.url).toBe('https://hooks.example.com/r');
    const tick = boardJobData({ schedule: { name: 'n', webhook: 'https://user:pw@hooks.example.com/r?token=s3cret', inbox: '/in' } }) as { schedule: Record<string, unknown> };
    expect(tick.schedule).toMatchObject({ name: 'n', webhook: 'https://hooks.example.com/r', inbox: '/in' });
  });

  it('masks them anywhere in an answer, as the job-schedulers route returns template data untouched', () => {
    const answer = { jobSchedulers: [{ id: 'n', template: { data: { schedule: { webhook: 'https://hooks.example.com/r?token=s3cret' } } } }] };
    expect(JSON.stringify(maskWebhookUrls(answer))).not.toContain('s3cret');
    expect(maskWebhookUrls({ a: [1, 'x', null] })).toEqual({ a: [1, 'x', null] });
  });
});
