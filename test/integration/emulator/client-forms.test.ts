/**
 * The API layer's client against the emulator, in every form, for numbers of every
 * carrier: each answer decodes to what the emulator's world says about the number,
 * carrier-specific APIs answer "no record" for other carriers, faults surface as the
 * client's error classes, and the ledger holds exactly the calls that were made.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { APIS, FORMS, formsOf, API_IDS, type ApiId, type Form } from '../../../src/juhe/catalogue.js';
import { sha256Hex } from '../../../src/juhe/ciphers.js';
import { JuheClient } from '../../../src/juhe/client.js';
import { resolveJuheConfig } from '../../../src/juhe/config.js';
import { JuheAccountError, JuheQuotaError, JuheThrottleError, JuheTransientError } from '../../../src/juhe/errors.js';
import type { CallOutcome } from '../../../src/juhe/model.js';
import type { Carrier } from '../../../src/phone/carrier.js';
import { parseFixtures } from '../../../src/emulator/fixtures.js';
import type { LedgerEntry } from '../../../src/emulator/ledger.js';
import { TENURE_CODES } from '../../../src/juhe/tenure-codes.js';
import type { RunningEmulator } from '../../../src/emulator/server.js';
import { World } from '../../../src/emulator/world.js';
import { REFERENCE_DATE, send, startTestEmulator } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'riskscreen-client-forms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let emulator: RunningEmulator | undefined;
let client: JuheClient | undefined;
afterEach(async () => {
  await client?.close();
  await emulator?.close();
  client = undefined;
  emulator = undefined;
});

const PREFIX: Record<Carrier, string> = { cmcc: '138', cucc: '130', ctcc: '189', cbn: '192' };
const DATE = '20180101';

/** A distinct number per carrier and form, so no (endpoint, number) pair is asked twice. */
function numberFor(carrier: Carrier, form: Form): string {
  return `${PREFIX[carrier]}${FORMS.indexOf(form)}${'4725613'}`;
}

function clientFor(e: RunningEmulator, overrides: { openid?: string } = {}): JuheClient {
  const config = resolveJuheConfig({
    key: e.key,
    openid: overrides.openid ?? e.openid,
    rsaPublicKeyPem: e.rsaPublicKeyPem,
    baseUrl: e.url,
  });
  return new JuheClient({ config });
}

describe('the API client against the emulator', () => {
  it.each(['fixtures', 'knownNumbers', 'POST /__sim/numbers'] as const)(
    'gets the right decoded answer in every form, for numbers of every carrier, and the ledger is exact (numbers known by %s)',
    async (how) => {
    const carriers = Object.keys(PREFIX) as Carrier[];
    const numbers = carriers.flatMap((carrier) => FORMS.map((form) => numberFor(carrier, form)));
    // The real service knows every subscriber; the emulator knows the numbers it was told,
    // as fixtures, by the knownNumbers option (--numbers FILE) or by POST /__sim/numbers.
    // Told either way, hash-only forms reach the same number. As fixtures, China Telecom
    // lines are pinned as in use so call minutes have a record to return.
    const fixtures: Record<string, unknown> = {};
    if (how === 'fixtures') for (const mobile of numbers) fixtures[mobile] = mobile.startsWith(PREFIX.ctcc) ? { status: { state: '0' } } : {};
    const fixturesFile = join(dir, 'numbers.json');
    writeFileSync(fixturesFile, JSON.stringify(fixtures));
    const numbersFile = join(dir, 'numbers.txt');
    writeFileSync(numbersFile, `${numbers.join('\n')}\n`);
    emulator = await startTestEmulator({
      seed: 'client-forms',
      ...(how === 'fixtures' ? { fixtures: fixturesFile } : {}),
      ...(how === 'knownNumbers' ? { knownNumbers: numbersFile } : {}),
    });
    if (how === 'POST /__sim/numbers') {
      const added = await send(emulator, '/__sim/numbers', { method: 'POST', body: JSON.stringify(numbers), contentType: 'application/json' });
      expect(added.json).toEqual({ added: numbers.length, known: numbers.length });
    }
    expect(emulator.knownNumbers).toBe(numbers.length);
    client = clientFor(emulator);
    const world = new World('client-forms', REFERENCE_DATE, parseFixtures(fixtures));

    const made: Array<{ api: ApiId; form: Form; mobile: string; outcome: CallOutcome }> = [];
    for (const carrier of carriers) {
      for (const form of FORMS) {
        const mobile = numberFor(carrier, form);
        const facts = world.factsFor({ kind: 'number', mobile, sha256: sha256Hex(mobile), form });
        for (const api of API_IDS) {
          if (!formsOf(api).includes(form)) continue;
          // The client refuses a carrier-specific API for a number of another carrier unless
          // told the number was ported; claiming so sends it, and the service has no record.
          const onlyCarrier = APIS[api].onlyCarrier;
          const outcome = await client.query({
            api,
            mobile,
            form,
            ...(api === 'resale' ? { date: DATE } : {}),
            ...(onlyCarrier ? { carrier: onlyCarrier } : {}),
          });
          made.push({ api, form, mobile, outcome });
          const where = `${carrier} ${api} ${form}`;
          expect(outcome.form, where).toBe(form);
          const expected = world.answer(api, { kind: 'number', mobile, sha256: sha256Hex(mobile), form }, api === 'resale' ? DATE : undefined);
          if (expected.kind === 'error') {
            // No record: another carrier on a carrier-specific API, an inactive line's call
            // minutes, or the ~1% a source does not know.
            expect(outcome, where).toMatchObject({ kind: 'no_record', juheCode: expected.code, billed: false });
            if (api === 'tenureCmcc' && carrier !== 'cmcc') expect(expected.code).toBe(224801);
            if (api === 'callDuration' && carrier !== 'ctcc') expect(expected.code).toBe(232403);
            continue;
          }
          expect(outcome.kind, where).toBe('success');
          if (outcome.kind !== 'success') continue;
          switch (api) {
            case 'status':
              expect(outcome.signals.lineStatus?.raw, where).toBe(facts.state);
              expect(outcome.signals.location?.carrier, where).toBe(carrier);
              expect(outcome.signals.location?.province, where).toBe(facts.province);
              break;
            case 'tenure':
              expect(outcome.signals.tenure, where).toMatchObject({ value: facts.tenure, raw: TENURE_CODES.mobileOnline[facts.tenure], encoding: 'mobileOnline' });
              expect(outcome.signals.location?.carrier, where).toBe(carrier);
              if (form !== 'plain') expect(outcome.orderId, where).toMatch(/^JH2481\d{20}$/);
              break;
            case 'tenureCmcc':
              expect(carrier, where).toBe('cmcc');
              expect(outcome.signals.tenure, where).toMatchObject({ value: facts.tenure, raw: TENURE_CODES.cmccSha256[facts.tenure], encoding: 'cmccSha256' });
              expect(outcome.orderId, where).toMatch(/^J\d{18}$/);
              break;
            case 'resale':
              expect(outcome.signals.resale, where).toEqual({
                value: ['recycled', 'not_recycled', 'no_activation_date'][expected.res! - 1],
                raw: String(expected.res),
                date: DATE,
              });
              expect(outcome.orderId, where).toMatch(/^JH327\d{18}$/);
              break;
            case 'callDuration':
              expect(carrier, where).toBe('ctcc');
              expect(outcome.signals.callMinutes?.calling.raw, where).toBe(String(facts.callingCode));
              expect(outcome.signals.callMinutes?.called.raw, where).toBe(String(facts.calledCode));
              break;
          }
        }
      }
    }
    // Every form of every API was exercised: 3 status + 2 tenure + 1 sha256 tenure + 6 resale + 1 call minutes, per carrier.
    expect(made).toHaveLength(carriers.length * 13);

    const lines = (await send(emulator, '/__sim/calls')).text.trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as LedgerEntry);
    expect(entries).toHaveLength(made.length);
    entries.forEach((entry, i) => {
      const call = made[i]!;
      expect(entry).toMatchObject({
        seq: i,
        endpoint: call.outcome.endpoint,
        form: call.form,
        mobile: call.mobile, // every form, hashes included, understood as the number
        hash: null,
        error_code: call.outcome.juheCode,
        billed: call.outcome.kind === 'success',
        date: call.api === 'resale' ? DATE : null,
      });
    });
    const successes = made.filter((call) => call.outcome.kind === 'success').length;
    const stats = emulator.ledger.stats();
    expect(stats).toMatchObject({ calls: made.length, billed: successes, duplicateBilled: 0, duplicateBilledCalls: 0 });
    expect(stats).toMatchObject({ duplicateBilledByApi: 0, duplicateBilledByApiCalls: 0 });
    },
  );

  it('answers an unknown number sent as sha256 as China Mobile, records the hash, and answers the same after seeing it in clear', async () => {
    emulator = await startTestEmulator();
    client = clientFor(emulator);
    const telecom = '18955501234';
    // The caller believes the number moved to China Mobile; the emulator cannot tell from the hash.
    const first = await client.query({ api: 'tenureCmcc', mobile: telecom, carrier: 'cmcc' });
    expect(first.kind).toBe('success');
    const resale = await client.query({ api: 'resale', mobile: telecom, form: 'md5', date: DATE });
    // Seen in clear afterwards: the answers to its hashes must not change (order independence).
    await client.query({ api: 'status', mobile: telecom, form: 'plain' });
    await client.query({ api: 'resale', mobile: telecom, form: 'aes', date: '20190101' });
    const second = await client.query({ api: 'tenureCmcc', mobile: telecom, carrier: 'cmcc' });
    expect(second.kind).toBe('success');
    expect(second.kind === 'success' && second.signals.tenure).toEqual(first.kind === 'success' && first.signals.tenure);
    const resaleAgain = await client.query({ api: 'resale', mobile: telecom, form: 'md5', date: DATE });
    expect(resaleAgain.kind === 'success' && resaleAgain.signals.resale).toEqual(resale.kind === 'success' && resale.signals.resale);
    const entries = [...emulator.ledger.entries()];
    expect(entries[0]).toMatchObject({ mobile: null, hash: sha256Hex(telecom), hash_type: 'sha256', billed: true });
    expect(entries[4]).toMatchObject({ mobile: null, hash: sha256Hex(telecom), hash_type: 'sha256', billed: true });
    // Billed twice (tenureCmcc, and resale by md5 for one date): the ledger says so.
    expect(emulator.ledger.stats()).toMatchObject({ duplicateBilled: 2, duplicateBilledByApi: 2 });
  });

  it('answers a number ported by fixtures as its new carrier', async () => {
    const ported = '18900001111';
    emulator = await startTestEmulator({ fixtures: { [ported]: { carrier: 'cmcc', tenure: { bucket: '12-24' } } } });
    client = clientFor(emulator);
    const status = await client.query({ api: 'status', mobile: ported, form: 'rsa' });
    expect(status.kind === 'success' && status.signals.location).toMatchObject({ carrier: 'cmcc', ispRaw: '移动' });
    const tenure = await client.query({ api: 'tenureCmcc', mobile: ported, carrier: 'cmcc' });
    expect(tenure.kind === 'success' && tenure.signals.tenure).toMatchObject({ value: '12-24', raw: '4' });
    expect(await client.query({ api: 'callDuration', mobile: ported })).toMatchObject({ kind: 'no_record', juheCode: 232403 });
  });

  it('surfaces the emulator faults as the client error classes', async () => {
    emulator = await startTestEmulator({ quota: 2, errorRates: '224805=1' });
    client = clientFor(emulator, { openid: 'not-the-openid' });
    await expect(client.query({ api: 'status', mobile: '13800138000', form: 'aes' })).rejects.toMatchObject({ juheCode: 10004 });
    await expect(client.query({ api: 'status', mobile: '13800138000', form: 'aes' })).rejects.toBeInstanceOf(JuheAccountError);
    await expect(client.query({ api: 'tenure', mobile: '13800138000', form: 'plain' })).rejects.toBeInstanceOf(JuheTransientError);
    await client.query({ api: 'status', mobile: '13800138001', form: 'plain' });
    await client.query({ api: 'status', mobile: '13800138002', form: 'rsa' });
    await expect(client.query({ api: 'status', mobile: '13800138003', form: 'plain' })).rejects.toBeInstanceOf(JuheQuotaError);
    await client.close();
    await emulator.close();

    emulator = await startTestEmulator({ qps: 1, sameNumberWindowMs: 60_000 });
    client = clientFor(emulator);
    await client.query({ api: 'status', mobile: '13800138000', form: 'plain' });
    const throttled = await client.query({ api: 'status', mobile: '13800138001', form: 'plain' }).catch((err: unknown) => err);
    expect(throttled).toBeInstanceOf(JuheThrottleError);
    expect((throttled as JuheThrottleError).scope).toBe('ip');
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    const again = await client.query({ api: 'status', mobile: '13800138000', form: 'rsa' }).catch((err: unknown) => err);
    expect(again).toBeInstanceOf(JuheThrottleError);
    expect((again as JuheThrottleError).scope).toBe('number');
  });
});
