import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyRiskscreenSignature } from '../../../docs/examples/verify-webhook.mjs';
import { SIGNATURE_HEADER, signatureHeader, verifySignature } from '../../../src/nightly/webhook-signature.js';

const SECRET = 'whsec-test-секрет';
const BODY = '{"event":"batch.done","batch":{"id":"b-1"},"note":"二次放号"}';
const T = 1_780_000_000;

function hex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text).digest('hex');
}

describe('signatureHeader', () => {
  it('is t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    expect(SIGNATURE_HEADER).toBe('x-riskscreen-signature');
    expect(signatureHeader(SECRET, BODY, T)).toBe(`t=${T},v1=${hex(SECRET, `${T}.${BODY}`)}`);
  });

  it('refuses a timestamp that is not whole unix seconds', () => {
    expect(() => signatureHeader(SECRET, BODY, 1.5)).toThrow(RangeError);
    expect(() => signatureHeader(SECRET, BODY, -1)).toThrow(RangeError);
  });
});

describe('verifySignature', () => {
  const header = signatureHeader(SECRET, BODY, T);

  it('accepts its own signature, saying when it was signed', () => {
    expect(verifySignature(header, BODY, SECRET, { now: T })).toEqual({ ok: true, timestamp: T });
  });

  it('says missing for no header or an empty one', () => {
    expect(verifySignature(undefined, BODY, SECRET, { now: T })).toEqual({ ok: false, reason: 'missing' });
    expect(verifySignature('  ', BODY, SECRET, { now: T })).toEqual({ ok: false, reason: 'missing' });
  });

  it('says malformed without a t, without a v1, with a bad t or parts that are not key=value', () => {
    const v1 = hex(SECRET, `${T}.${BODY}`);
    for (const bad of [`v1=${v1}`, `t=${T}`, `t=${T},v0=${v1}`, `t=abc,v1=${v1}`, `t=-5,v1=${v1}`, `t=${T},t=${T},v1=${v1}`, `t=${T},garbage,v1=${v1}`, 'sha256=abc']) {
      expect(verifySignature(bad, BODY, SECRET, { now: T }), bad).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('says mismatch for another secret, a changed body, a changed timestamp or a v1 of the wrong length', () => {
    expect(verifySignature(header, BODY, 'other secret', { now: T })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(header, BODY.replace('b-1', 'b-2'), SECRET, { now: T })).toEqual({ ok: false, reason: 'mismatch' });
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(verifySignature(moved, BODY, SECRET, { now: T })).toEqual({ ok: false, reason: 'mismatch' });
    const short = `t=${T},v1=${hex(SECRET, `${T}.${BODY}`).slice(0, 62)}`;
    expect(verifySignature(short, BODY, SECRET, { now: T })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(`t=${T},v1=not-hex`, BODY, SECRET, { now: T })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('says stale outside 300 s either way by default, and honours a tolerance', () => {
    expect(verifySignature(header, BODY, SECRET, { now: T + 300 }).ok).toBe(true);
    expect(verifySignature(header, BODY, SECRET, { now: T - 300 }).ok).toBe(true);
    expect(verifySignature(header, BODY, SECRET, { now: T + 301 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(header, BODY, SECRET, { now: T - 301 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(header, BODY, SECRET, { now: T + 60, toleranceSeconds: 30 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifySignature(header, BODY, SECRET, { now: T + 3000, toleranceSeconds: 3600 }).ok).toBe(true);
  });

  it('checks the signature before the time: a stale forgery is a mismatch', () => {
    expect(verifySignature(header, BODY, 'other secret', { now: T + 10_000 })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('uses the clock when no now is given', () => {
    const fresh = signatureHeader(SECRET, BODY, Math.floor(Date.now() / 1000));
    expect(verifySignature(fresh, BODY, SECRET).ok).toBe(true);
    expect(verifySignature(header, BODY, SECRET)).toEqual({ ok: false, reason: 'stale' });
  });

  it('accepts any of several v1 entries (a secret being rotated), ignores unknown schemes and spaces', () => {
    const oldV1 = hex('old secret', `${T}.${BODY}`);
    const newV1 = hex(SECRET, `${T}.${BODY}`);
    const rotated = ` t=${T} , v1=${oldV1}, v2=whatever ,v1=${newV1},`;
    expect(verifySignature(rotated, BODY, SECRET, { now: T })).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(rotated, BODY, 'old secret', { now: T })).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(rotated, BODY, 'a third secret', { now: T })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(`t=${T},v1=${newV1.toUpperCase()}`, BODY, SECRET, { now: T }).ok).toBe(true);
  });

  it('agrees with the receiver example in docs/examples, on text and on raw bytes', () => {
    expect(verifyRiskscreenSignature(header, BODY, SECRET, { now: T })).toBe(true);
    expect(verifyRiskscreenSignature(header, Buffer.from(BODY, 'utf8'), SECRET, { now: T + 299 })).toBe(true);
    expect(verifyRiskscreenSignature(header, BODY, 'other secret', { now: T })).toBe(false);
    expect(verifyRiskscreenSignature(header, BODY, SECRET, { now: T + 301 })).toBe(false);
    expect(verifyRiskscreenSignature(header, BODY, SECRET, { now: T + 301, toleranceSeconds: 600 })).toBe(true);
    expect(verifyRiskscreenSignature(undefined, BODY, SECRET, { now: T })).toBe(false);
    expect(verifyRiskscreenSignature(`t=${T}`, BODY, SECRET, { now: T })).toBe(false);
  });
});
