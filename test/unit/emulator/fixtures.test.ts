import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FixtureError, loadFixturesFile, parseFixtures } from '../../../src/emulator/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'riskscreen-fixtures-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fixtures', () => {
  it('normalizes every pinnable field', () => {
    const pinned = parseFixtures({
      $comment: 'ignored',
      '13800138000': {
        carrier: 'ctcc',
        province: '广东',
        city: '深圳',
        status: { state: '1', description: '停机了' },
        tenure: { code: '03' },
        resale: { activated: '20240101' },
        callDuration: { calling: '5', called: 3 },
        error: { status: 224915, tenureCmcc: 224801 },
      },
      '18912345678': { tenure: { bucket: 'left_network' }, resale: { activated: null } },
    });
    expect(pinned.size).toBe(2);
    expect(pinned.get('13800138000')).toEqual({
      carrier: 'ctcc',
      province: '广东',
      city: '深圳',
      state: '1',
      stateDescription: '停机了',
      tenure: '0-3',
      activated: '20240101',
      callingCode: 5,
      calledCode: 3,
      errors: { status: 224915, tenureCmcc: 224801 },
    });
    expect(pinned.get('18912345678')).toEqual({ tenure: 'left_network', activated: null });
  });

  it.each([
    [{ '1380013800': {} }, /allocated 11-digit/],
    [{ '10000000000': {} }, /allocated 11-digit/],
    [{ '13800138000': { colour: 'red' } }, /unknown field "colour"/],
    [{ '13800138000': { status: { state: '5' } } }, /status.state/],
    [{ '13800138000': { tenure: { code: '3.5' } } }, /tenure needs/],
    [{ '13800138000': { resale: { activated: '2024-01-01' } } }, /resale.activated/],
    [{ '13800138000': { callDuration: { calling: '12' } } }, /callDuration.calling/],
    [{ '13800138000': { error: { status: 224805 } } }, /belongs to another API/],
    [{ '13800138000': { error: { weather: 10001 } } }, /not an API/],
    [{ '13800138000': { error: { status: 123 } } }, /not a documented error code/],
    [{ '13800138000': { carrier: 'att' } }, /carrier must be/],
    [[], /must be a JSON object/],
  ])('refuses %j', (json, message) => {
    expect(() => parseFixtures(json, 'test.json')).toThrow(FixtureError);
    expect(() => parseFixtures(json, 'test.json')).toThrow(message);
  });

  it('masks the number in messages', () => {
    expect(() => parseFixtures({ '13800138000': { colour: 'red' } })).toThrow(/entry 138\*\*\*\*8000/);
  });

  it('loads a file and names it when it cannot', async () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ '13800138000': { status: { state: 4 } } }));
    expect((await loadFixturesFile(good)).get('13800138000')).toEqual({ state: '4' });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    await expect(loadFixturesFile(bad)).rejects.toThrow(/fixtures .*bad\.json: is not JSON/);
    await expect(loadFixturesFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot be read \(ENOENT\)/);
  });
});
