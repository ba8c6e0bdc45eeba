import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../../src/juhe/catalogue.js';
import {
  aesEncryptBase64,
  aesKeyFromOpenid,
  encodeMobile,
  md5Hex,
  rsaOaepEncryptBase64,
  sha256Hex,
} from '../../../src/juhe/ciphers.js';
import { MobileDecoder, type MobileDecoding } from '../../../src/emulator/requests.js';
import { ReverseIndex } from '../../../src/emulator/reverse-index.js';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const aesKey = aesKeyFromOpenid('the-openid');
const wrongAesKey = aesKeyFromOpenid('another-openid');
const keys = { aesKey, rsaPublicKey: publicKey };
const MOBILE = '13800138000';

function decoder(known: string[] = []): { decoder: MobileDecoder; index: ReverseIndex } {
  const index = new ReverseIndex();
  index.rememberAll(known);
  return { decoder: new MobileDecoder(aesKey, privateKey, index), index };
}

function expectNumber(result: MobileDecoding, mobile: string, form: string): void {
  expect(result).toEqual({ ok: true, identity: { kind: 'number', mobile, sha256: sha256Hex(mobile), form } });
}

function expectProblem(result: MobileDecoding, problem: 'wrong_openid' | 'bad_parameter'): void {
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.problem).toBe(problem);
}

describe('request decoding', () => {
  it('reads every form on its endpoint', () => {
    const { decoder: d } = decoder([MOBILE]);
    expectNumber(d.decode(ENDPOINTS['mobile_status/query'], MOBILE), MOBILE, 'plain');
    expectNumber(d.decode(ENDPOINTS['mobile_status/queryEncry'], encodeMobile(MOBILE, 'aes', keys)), MOBILE, 'aes');
    expectNumber(d.decode(ENDPOINTS['mobile_status/queryRV2'], encodeMobile(MOBILE, 'rsa', keys)), MOBILE, 'rsa');
    expectNumber(d.decode(ENDPOINTS['mobileOnline/queryEncry'], encodeMobile(MOBILE, 'aes', keys)), MOBILE, 'aes');
    // A known number, so the hashes reverse to it.
    expectNumber(d.decode(ENDPOINTS['mobile_online_sha256_cmcc/query'], sha256Hex(MOBILE)), MOBILE, 'sha256');
    const encry = ENDPOINTS['twoSellTel/queryEncry'];
    expectNumber(d.decode(encry, md5Hex(MOBILE)), MOBILE, 'md5');
    expectNumber(d.decode(encry, sha256Hex(MOBILE)), MOBILE, 'sha256');
    expectNumber(d.decode(encry, encodeMobile(MOBILE, 'aes', keys)), MOBILE, 'aes');
    expectNumber(d.decode(encry, encodeMobile(MOBILE, 'md5+aes', keys)), MOBILE, 'md5+aes');
    expectNumber(d.decode(encry, encodeMobile(MOBILE, 'sha256+aes', keys)), MOBILE, 'sha256+aes');
  });

  it('reports a hash of a number it does not know as the hash, even after seeing the number in clear', () => {
    const { decoder: d } = decoder();
    const sha = sha256Hex('13900139000');
    const md5 = md5Hex('13900139000');
    const hashes = (): MobileDecoding[] => [
      d.decode(ENDPOINTS['mobile_online_sha256_cmcc/query'], sha),
      d.decode(ENDPOINTS['twoSellTel/queryEncry'], md5),
      d.decode(ENDPOINTS['twoSellTel/queryEncry'], aesEncryptBase64(md5, aesKey)),
    ];
    const before = hashes();
    expect(before).toEqual([
      { ok: true, identity: { kind: 'sha256', sha256: sha, form: 'sha256' } },
      { ok: true, identity: { kind: 'md5', md5, form: 'md5' } },
      { ok: true, identity: { kind: 'md5', md5, form: 'md5+aes' } },
    ]);
    // Seeing the number in clear (plain, AES, RSA) teaches the decoder nothing.
    expectNumber(d.decode(ENDPOINTS['mobile_status/query'], '13900139000'), '13900139000', 'plain');
    expectNumber(d.decode(ENDPOINTS['mobileOnline/queryEncry'], encodeMobile('13900139000', 'aes', keys)), '13900139000', 'aes');
    expectNumber(d.decode(ENDPOINTS['mobile_status/queryRV2'], encodeMobile('13900139000', 'rsa', keys)), '13900139000', 'rsa');
    expect(hashes()).toEqual(before);
  });

  it('answers AES under another openid as a wrong openid (10004), for every number', () => {
    const { decoder: d } = decoder();
    for (let i = 0; i < 300; i++) {
      const mobile = `138${String(i * 9_973).padStart(8, '0').slice(-8)}`;
      expectProblem(d.decode(ENDPOINTS['mobile_status/queryEncry'], aesEncryptBase64(mobile, wrongAesKey)), 'wrong_openid');
      expectProblem(d.decode(ENDPOINTS['twoSellTel/queryEncry'], aesEncryptBase64(sha256Hex(mobile), wrongAesKey)), 'wrong_openid');
    }
  });

  it('treats base64 that is not url-decoded exactly once as a wrong openid', () => {
    const { decoder: d } = decoder();
    let cipher = encodeMobile(MOBILE, 'aes', keys);
    for (let i = 0; !/[+/=]/.test(cipher); i++) cipher = encodeMobile(`1380013${String(8000 + i)}`, 'aes', keys);
    expectProblem(d.decode(ENDPOINTS['mobile_status/queryEncry'], encodeURIComponent(cipher)), 'wrong_openid');
    expectProblem(d.decode(ENDPOINTS['mobile_status/queryEncry'], cipher.replace(/\+/g, ' ').replace(/=/g, '')), 'wrong_openid');
    expectProblem(d.decode(ENDPOINTS['mobile_status/queryEncry'], 'AAAA'), 'wrong_openid');
  });

  it('answers bad numbers, hashes and RSA as parameter errors', () => {
    const { decoder: d } = decoder();
    const plain = ENDPOINTS['mobile_status/query'];
    expectProblem(d.decode(plain, undefined), 'bad_parameter');
    expectProblem(d.decode(plain, ''), 'bad_parameter');
    expectProblem(d.decode(plain, '1380013800'), 'bad_parameter');
    expectProblem(d.decode(plain, '138001380001'), 'bad_parameter');
    expectProblem(d.decode(plain, '10000000000'), 'bad_parameter'); // unallocated prefix
    expectProblem(d.decode(plain, '+8613800138000'), 'bad_parameter');
    expectProblem(d.decode(ENDPOINTS['mobile_status/queryEncry'], aesEncryptBase64('1380013800x', aesKey)), 'bad_parameter');
    expectProblem(d.decode(ENDPOINTS['mobile_status/queryEncry'], MOBILE), 'bad_parameter');
    const sha = ENDPOINTS['mobile_online_sha256_cmcc/query'];
    expectProblem(d.decode(sha, sha256Hex(MOBILE).toUpperCase()), 'bad_parameter');
    expectProblem(d.decode(sha, sha256Hex(MOBILE).slice(1)), 'bad_parameter');
    expectProblem(d.decode(sha, md5Hex(MOBILE)), 'bad_parameter');
    const encry = ENDPOINTS['twoSellTel/queryEncry'];
    expectProblem(d.decode(encry, md5Hex(MOBILE).toUpperCase()), 'bad_parameter');
    expectProblem(d.decode(encry, sha256Hex(MOBILE).toUpperCase()), 'bad_parameter');
    expectProblem(d.decode(encry, MOBILE), 'bad_parameter');
    expectProblem(d.decode(encry, aesEncryptBase64(sha256Hex(MOBILE).toUpperCase(), aesKey)), 'bad_parameter');
    const rsa = ENDPOINTS['mobile_status/queryRV2'];
    expectProblem(d.decode(rsa, rsaOaepEncryptBase64(MOBILE, other.publicKey)), 'bad_parameter');
    expectProblem(d.decode(rsa, 'not base64!'), 'bad_parameter');
    expectProblem(d.decode(rsa, rsaOaepEncryptBase64('12345', publicKey)), 'bad_parameter');
  });

  it('never adds to the index, and skips RSA when told to', () => {
    const { decoder: d, index } = decoder();
    d.decode(ENDPOINTS['mobile_status/query'], MOBILE);
    d.decode(ENDPOINTS['mobile_status/queryRV2'], encodeMobile(MOBILE, 'rsa', keys));
    d.decode(ENDPOINTS['twoSellTel/queryEncry'], encodeMobile(MOBILE, 'aes', keys));
    expect(index.size).toBe(0);
    const rsa = encodeMobile(MOBILE, 'rsa', keys);
    expect(d.decode(ENDPOINTS['mobile_status/queryRV2'], rsa, { decryptRsa: false })).toMatchObject({ ok: false, form: 'rsa', problem: 'not_decrypted' });
    expectNumber(d.decode(ENDPOINTS['mobile_status/queryEncry'], encodeMobile(MOBILE, 'aes', keys), { decryptRsa: false }), MOBILE, 'aes');
  });
});
