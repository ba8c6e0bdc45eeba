import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENDPOINTS, type ApiId } from '../../../src/juhe/catalogue.js';
import { CODE_POLICIES, isBilled, policyFor, TRANSPORT_FAILURES, type Category } from '../../../src/juhe/error-policy.js';

const vendorDir = new URL('../../../docs/juhe-vendor/', import.meta.url);

/** Every error code listed in a vendor document's tables, read from the document itself. */
function codesInDocuments(): Map<number, Set<string>> {
  const found = new Map<number, Set<string>>();
  for (const file of readdirSync(vendorDir).filter((name) => name.endsWith('.txt'))) {
    const text = readFileSync(new URL(file, vendorDir), 'utf8');
    for (const match of text.matchAll(/^\|?\s*(\d{5,6})\s*[|\t]/gm)) {
      const code = Number(match[1]);
      if (!found.has(code)) found.set(code, new Set());
      found.get(code)!.add(file);
    }
  }
  return found;
}

const docApi: Record<string, ApiId> = Object.fromEntries(
  Object.values(ENDPOINTS).map((endpoint) => [endpoint.doc, endpoint.api]),
);

/** The classification every documented code must have. */
const EXPECTED: Record<number, Category> = {
  0: 'success',
  10001: 'account', 10002: 'account', 10003: 'account', 10004: 'account', 10005: 'account',
  10007: 'account', 10008: 'account', 10009: 'account', 10021: 'account',
  10011: 'throttle', 224924: 'throttle',
  10012: 'quota', 10013: 'quota',
  10014: 'transient', 10020: 'transient',
  224801: 'no_record', 224804: 'bad_request', 224805: 'transient', 224808: 'transient',
  224902: 'bad_request', 224915: 'transient', 224919: 'transient', 224922: 'no_record',
  232701: 'transient', 232702: 'bad_request', 232703: 'no_record', 232704: 'transient',
  232401: 'transient', 232402: 'bad_request', 232403: 'no_record', 232404: 'transient',
};

describe('the error-policy table', () => {
  const documented = codesInDocuments();

  it('reads a plausible number of codes out of the five documents', () => {
    expect(documented.size).toBeGreaterThanOrEqual(30);
  });

  it('has an entry for every code in every document, attributed to the right API', () => {
    for (const [code, files] of documented) {
      const policy = CODE_POLICIES.get(code);
      expect(policy, `code ${code} from ${[...files].join(', ')}`).toBeDefined();
      if (code >= 200_000) {
        for (const file of files) expect(policy!.apis).toContain(docApi[file]);
      } else {
        expect(policy!.apis).toBe('all');
      }
    }
  });

  it('lists nothing the documents do not (besides success)', () => {
    for (const code of CODE_POLICIES.keys()) {
      if (code !== 0) expect(documented.has(code), `code ${code}`).toBe(true);
    }
  });

  it.each(Object.entries(EXPECTED))('classifies %s as %s', (code, category) => {
    expect(policyFor(Number(code)).category).toBe(category);
  });

  it('covers every documented code in the expectations above', () => {
    for (const code of documented.keys()) expect(EXPECTED[code], `code ${code}`).toBeDefined();
  });

  it('bills error_code 0 only', () => {
    expect(isBilled(0)).toBe(true);
    for (const code of CODE_POLICIES.keys()) if (code !== 0) expect(isBilled(code)).toBe(false);
  });

  it('gives every transient code bounded retry advice and every throttle a hold-off', () => {
    for (const policy of CODE_POLICIES.values()) {
      if (policy.category === 'transient') {
        expect(policy.retry!.maxAttempts).toBeGreaterThan(1);
        expect(policy.retry!.maxAttempts).toBeLessThanOrEqual(10);
        expect(policy.retry!.maxDelayMs).toBeGreaterThanOrEqual(policy.retry!.baseDelayMs);
      } else {
        expect(policy.retry).toBeUndefined();
      }
      if (policy.category === 'throttle') expect(policy.holdOffMs).toBeGreaterThan(0);
    }
  });

  it('retries a failure that may have been billed at most once (one lost answer, one extra bill at most)', () => {
    for (const failure of Object.values(TRANSPORT_FAILURES)) {
      if (failure.maybeBilled && 'retry' in failure) expect(failure.retry.maxAttempts).toBe(2);
    }
  });

  it('reads a service code only for the API that documents it', () => {
    expect(policyFor(232703, 'resale').category).toBe('no_record');
    expect(policyFor(232703, 'status').category).toBe('unknown');
    expect(policyFor(232703, 'status').meaning).toMatch(/another API/);
    expect(policyFor(10012, 'callDuration').category).toBe('quota');
    // The sha256 CMCC document lists none: its sibling mobileOnline's codes are read.
    expect(policyFor(224801, 'tenureCmcc').category).toBe('no_record');
    expect(policyFor(224922, 'tenureCmcc').category).toBe('unknown');
  });

  it('calls an undocumented code unknown, never retried', () => {
    const policy = policyFor(999_999);
    expect(policy.category).toBe('unknown');
    expect(policy.retry).toBeUndefined();
    expect(policy.meaning).toContain('999999');
  });

  it('classifies failures without a Juhe code', () => {
    expect(TRANSPORT_FAILURES.connect).toMatchObject({ category: 'transient', maybeBilled: false });
    expect(TRANSPORT_FAILURES.response_lost).toMatchObject({ category: 'transient', maybeBilled: true });
    expect(TRANSPORT_FAILURES.aborted).toMatchObject({ category: 'transient', maybeBilled: true });
    expect(TRANSPORT_FAILURES.http_unavailable).toMatchObject({ category: 'transient', maybeBilled: false });
    expect(TRANSPORT_FAILURES.http_gateway).toMatchObject({ category: 'transient', maybeBilled: true });
    expect(TRANSPORT_FAILURES.http_429.category).toBe('throttle');
    expect(TRANSPORT_FAILURES.http_other.category).toBe('bad_request');
    expect(TRANSPORT_FAILURES.unreadable).toMatchObject({ category: 'unknown', maybeBilled: true });
  });

  it('is documented: docs/juhe-api.md lists every code under its category', () => {
    const doc = readFileSync(new URL('../../../docs/juhe-api.md', import.meta.url), 'utf8');
    const rows = doc.split('\n').filter((line) => line.startsWith('| '));
    const label: Record<Category, string> = {
      success: 'success', no_record: 'no record', transient: 'transient', throttle: 'throttle',
      quota: 'quota', account: 'account', bad_request: 'bad request', unknown: 'unknown',
    };
    for (const policy of CODE_POLICIES.values()) {
      const row = rows.find((line) => line.startsWith(`| ${label[policy.category]} |`));
      expect(row, policy.category).toBeDefined();
      expect(row, `code ${policy.code}`).toMatch(new RegExp(`\\b${policy.code}\\b`));
    }
  });
});
