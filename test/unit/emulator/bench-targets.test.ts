import { describe, expect, it } from 'vitest';
import { benchFailures, MEMORY_LIMIT_MB, TARGET_REQUESTS_PER_SECOND } from '../../../bench/emulator-throughput.js';

describe('emulator bench targets', () => {
  const passing = { plainRequestsPerSecond: 9_000, duplicateBilled: 0, duplicateBilledByApi: 0, memoryPeakRssMb: 240, memoryDuplicates: 0 };

  it('passes when plain forms meet 5,000 req/s, nothing was billed twice and memory stayed under the limit', () => {
    expect(benchFailures(passing)).toEqual([]);
    expect(benchFailures({ ...passing, plainRequestsPerSecond: TARGET_REQUESTS_PER_SECOND })).toEqual([]);
  });

  it('fails below 5,000 req/s for plain forms, on any duplicate, and at the memory limit', () => {
    expect(benchFailures({ ...passing, plainRequestsPerSecond: 4_999 })).toEqual([
      'plain forms served 4999 requests a second, below the target of 5000',
    ]);
    expect(benchFailures({ ...passing, plainRequestsPerSecond: Number.NaN })).toHaveLength(1);
    expect(benchFailures({ ...passing, duplicateBilled: 1 })).toEqual([expect.stringMatching(/billed twice: 1 by endpoint, 0 by API/)]);
    expect(benchFailures({ ...passing, duplicateBilledByApi: 2 })).toEqual([expect.stringMatching(/0 by endpoint, 2 by API/)]);
    expect(benchFailures({ ...passing, memoryPeakRssMb: MEMORY_LIMIT_MB })).toEqual([expect.stringMatching(/peaked at 300 MB/)]);
    expect(benchFailures({ ...passing, memoryDuplicates: 3 })).toEqual([expect.stringMatching(/memory run billed 3 questions twice/)]);
    expect(benchFailures({ plainRequestsPerSecond: 100, duplicateBilled: 1, duplicateBilledByApi: 1 })).toHaveLength(2);
  });
});
