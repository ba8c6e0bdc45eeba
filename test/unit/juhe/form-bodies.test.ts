import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS, ENDPOINT_IDS, endpointFor, type ApiId, type Form } from '../../../src/juhe/catalogue.js';
import { rsaOaepDecryptBase64 } from '../../../src/juhe/ciphers.js';
import { InvalidQueryError, JuheClient } from '../../../src/juhe/client.js';
import { resolveJuheConfig } from '../../../src/juhe/config.js';

const dir = new URL('../../fixtures/ciphers/', import.meta.url);
const fixtures = JSON.parse(readFileSync(new URL('vectors.json', dir), 'utf8'));
const publicPem = readFileSync(new URL('test-rsa-public.pem', dir), 'utf8');
const privateKey = createPrivateKey(readFileSync(new URL('test-rsa-private.pem', dir), 'utf8'));
const vector = fixtures.vectors[0] as Record<string, string>;
const MOBILE = vector.mobile!;
const KEY = 'k3y0123456789abcdef';

const client = new JuheClient({
  config: resolveJuheConfig({ key: KEY, openid: fixtures.openid, rsaPublicKeyPem: publicPem }),
});

/** URLSearchParams encoding of a value: what must appear in the body, encoded once. */
const enc = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);

// 13800138000 is China Mobile; the China Telecom-only API gets a Telecom number.
const CTCC = '18912345678';
const ctccVector = (fixtures.vectors as Array<Record<string, string>>).find((v) => v.mobile === CTCC)!;

const cases: Array<{ api: ApiId; form: Form; path: string; origin: string; date?: string; mobile: string; number?: string }> = [
  { api: 'status', form: 'plain', origin: 'http://v.juhe.cn', path: '/mobile_status/query', mobile: MOBILE },
  { api: 'status', form: 'aes', origin: 'http://v.juhe.cn', path: '/mobile_status/queryEncry', mobile: vector.aes! },
  { api: 'tenure', form: 'plain', origin: 'http://v.juhe.cn', path: '/mobileOnline/query', mobile: MOBILE },
  { api: 'tenure', form: 'aes', origin: 'http://v.juhe.cn', path: '/mobileOnline/queryEncry', mobile: vector.aes! },
  { api: 'tenureCmcc', form: 'sha256', origin: 'http://apis.juhe.cn', path: '/mobile_online_sha256_cmcc/query', mobile: vector.sha256! },
  { api: 'resale', form: 'plain', origin: 'http://apis.juhe.cn', path: '/twoSellTel/query', mobile: MOBILE, date: '20160101' },
  { api: 'resale', form: 'md5', origin: 'http://apis.juhe.cn', path: '/twoSellTel/queryEncry', mobile: vector.md5!, date: '20160101' },
  { api: 'resale', form: 'sha256', origin: 'http://apis.juhe.cn', path: '/twoSellTel/queryEncry', mobile: vector.sha256!, date: '20160101' },
  { api: 'resale', form: 'aes', origin: 'http://apis.juhe.cn', path: '/twoSellTel/queryEncry', mobile: vector.aes!, date: '20160101' },
  { api: 'resale', form: 'md5+aes', origin: 'http://apis.juhe.cn', path: '/twoSellTel/queryEncry', mobile: vector['md5+aes']!, date: '20160101' },
  { api: 'resale', form: 'sha256+aes', origin: 'http://apis.juhe.cn', path: '/twoSellTel/queryEncry', mobile: vector['sha256+aes']!, date: '20160101' },
  { api: 'callDuration', form: 'plain', origin: 'http://apis.juhe.cn', path: '/ctccCallduration/query', mobile: ctccVector.mobile!, number: CTCC },
];

describe('the exact form body of every endpoint in every form', () => {
  it.each(cases)('$api / $form -> POST $origin$path', ({ api, form, origin, path, date, mobile, number }) => {
    const call = client.prepare({ api, mobile: number ?? MOBILE, form, ...(date ? { date } : {}) });
    expect(call.url.toString()).toBe(`${origin}${path}`);
    expect(call.url.search).toBe('');
    const expected = `key=${KEY}&mobile=${enc(mobile)}${date ? `&date=${date}` : ''}`;
    expect(call.body.toString()).toBe(expected);
  });

  it('matches literal bodies, written out by hand', () => {
    expect(client.prepare({ api: 'status', mobile: MOBILE, form: 'aes' }).body.toString()).toBe(
      `key=${KEY}&mobile=JATI59WnnF3CrzuakaSJpw%3D%3D`,
    );
    expect(client.prepare({ api: 'resale', mobile: MOBILE, form: 'md5', date: '20160101' }).body.toString()).toBe(
      `key=${KEY}&mobile=7945bd83237335e5376ff44d62e4f0ae&date=20160101`,
    );
    expect(client.prepare({ api: 'resale', mobile: MOBILE, form: 'md5+aes', date: '20160101' }).body.toString()).toBe(
      `key=${KEY}&mobile=7oNSoWNdsw6dJA69i3Zisi3y%2B8nxj2dEKdKzNLq8VVMioXovPvL4KyBB6ZlC80Tr&date=20160101`,
    );
  });

  it('covers every catalogued endpoint and every form each one accepts', () => {
    const covered = new Set(cases.map((c) => `${endpointFor(c.api, c.form)!.id}:${c.form}`));
    covered.add('mobile_status/queryRV2:rsa'); // randomized, so checked by decryption below
    const all = ENDPOINT_IDS.flatMap((id) => ENDPOINTS[id].forms.map((form) => `${id}:${form}`));
    expect([...covered].sort()).toEqual(all.sort());
  });

  it('url-encodes base64 exactly once: + and / become %2B and %2F, never %252B (= is covered by the aes bodies above)', () => {
    const both = (fixtures.vectors as Array<Record<string, string>>).find((v) => /\+/.test(v['md5+aes']!) && /\//.test(v['md5+aes']!))!;
    const call = client.prepare({ api: 'resale', mobile: both.mobile!, form: 'md5+aes', date: '20160101' });
    const body = call.body.toString();
    expect(body).toContain('%2B');
    expect(body).toContain('%2F');
    expect(body).not.toMatch(/%25/);
    expect(new URLSearchParams(body).get('mobile')).toBe(both['md5+aes']);
  });

  it('sends an RSA-OAEP ciphertext the private key decrypts to the number (status / rsa -> queryRV2)', () => {
    const call = client.prepare({ api: 'status', mobile: MOBILE, form: 'rsa' });
    expect(call.url.toString()).toBe('http://v.juhe.cn/mobile_status/queryRV2');
    const params = new URLSearchParams(call.body.toString());
    expect([...params.keys()]).toEqual(['key', 'mobile']);
    expect(params.get('key')).toBe(KEY);
    expect(rsaOaepDecryptBase64(params.get('mobile')!, privateKey)).toBe(MOBILE);
  });

  it('JUHE_BASE_URL replaces scheme and host of both origins and keeps the documented paths', () => {
    const local = new JuheClient({ config: resolveJuheConfig({ key: KEY, baseUrl: 'http://127.0.0.1:9999' }) });
    expect(local.prepare({ api: 'status', mobile: MOBILE, form: 'plain' }).url.toString()).toBe(
      'http://127.0.0.1:9999/mobile_status/query',
    );
    expect(local.prepare({ api: 'callDuration', mobile: CTCC }).url.toString()).toBe(
      'http://127.0.0.1:9999/ctccCallduration/query',
    );
    const prefixed = new JuheClient({ config: resolveJuheConfig({ key: KEY, baseUrl: 'https://gw.example/juhe/' }) });
    expect(prefixed.prepare({ api: 'tenureCmcc', mobile: MOBILE }).url.toString()).toBe(
      'https://gw.example/juhe/mobile_online_sha256_cmcc/query',
    );
  });

  it('refuses what the service would refuse before spending anything', () => {
    expect(() => client.prepare({ api: 'status', mobile: '1380013800' })).toThrow(InvalidQueryError);
    expect(() => client.prepare({ api: 'status', mobile: '1380013800a' })).toThrow(/not an 11-digit/);
    expect(() => client.prepare({ api: 'resale', mobile: MOBILE })).toThrow(/needs a date/);
    expect(() => client.prepare({ api: 'resale', mobile: MOBILE, date: '20230230' })).toThrow(/needs a date/);
    expect(() => client.prepare({ api: 'resale', mobile: MOBILE, date: '2023-01-01' })).toThrow(/needs a date/);
    expect(() => client.prepare({ api: 'status', mobile: MOBILE, date: '20230101' })).toThrow(/takes no date/);
    expect(() => client.prepare({ api: 'callDuration', mobile: CTCC, form: 'aes' })).toThrow(/no aes form/);
  });

  it('refuses a number of another carrier for a carrier-specific API, unless the caller knows better', () => {
    expect(() => client.prepare({ api: 'callDuration', mobile: MOBILE })).toThrow(/answers only ctcc numbers; 138\*\*\*\*8000 is cmcc/);
    expect(() => client.prepare({ api: 'tenureCmcc', mobile: CTCC })).toThrow(/answers only cmcc/);
    expect(() => client.prepare({ api: 'tenureCmcc', mobile: '10012345678' })).toThrow(/of no known carrier/);
    // Ported from China Mobile to China Telecom: the caller passes the carrier it saw.
    expect(client.prepare({ api: 'callDuration', mobile: MOBILE, carrier: 'ctcc' }).url.pathname).toBe('/ctccCallduration/query');
  });

  it('names the missing credential when a call asks for a form it needs (exit 4 in the CLI)', () => {
    const bare = new JuheClient({ config: resolveJuheConfig({ key: KEY }) });
    expect(() => bare.prepare({ api: 'status', mobile: MOBILE, form: 'aes' })).toThrow(/JUHE_OPENID: is not set; the aes form needs it/);
    expect(() => bare.prepare({ api: 'status', mobile: MOBILE, form: 'rsa' })).toThrow(/JUHE_RSA_PUBLIC_KEY_FILE/);
  });

  it('never puts the full number in an error message', () => {
    try {
      client.prepare({ api: 'status', mobile: '138001380001' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).not.toContain('138001380001');
      expect((err as Error).message).toContain('138****0001');
    }
  });
});

describe('default forms: encrypted whenever the credentials allow', () => {
  it('with key, openid and RSA key: rsa for status, aes for tenure, sha256+aes for resale', () => {
    const config = resolveJuheConfig({ key: KEY, openid: 'x', rsaPublicKeyPem: publicPem });
    expect(config.forms).toEqual({
      status: 'rsa',
      tenure: 'aes',
      tenureCmcc: 'sha256',
      resale: 'sha256+aes',
      callDuration: 'plain',
    });
  });

  it('with key and openid only: aes where offered', () => {
    const config = resolveJuheConfig({ key: KEY, openid: 'x' });
    expect(config.forms.status).toBe('aes');
    expect(config.forms.tenure).toBe('aes');
    expect(config.forms.resale).toBe('sha256+aes');
  });

  it('with a key alone: hashes where offered, plain otherwise', () => {
    const config = resolveJuheConfig({ key: KEY });
    expect(config.forms).toEqual({
      status: 'plain',
      tenure: 'plain',
      tenureCmcc: 'sha256',
      resale: 'sha256',
      callDuration: 'plain',
    });
  });

  it('a chosen form wins, and one whose credentials are missing is refused naming the option', () => {
    expect(resolveJuheConfig({ key: KEY, openid: 'x', forms: { status: 'plain' } }).forms.status).toBe('plain');
    expect(() => resolveJuheConfig({ key: KEY, forms: { status: 'rsa' } })).toThrow(/JUHE_FORMS.*JUHE_RSA_PUBLIC_KEY_FILE/);
    expect(() => resolveJuheConfig({ key: KEY, forms: { resale: 'md5+aes' } })).toThrow(/JUHE_FORMS.*JUHE_OPENID/);
  });
});
