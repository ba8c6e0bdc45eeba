/**
 * Allocated prefixes of Chinese 11-digit mobile numbers, kept as data: carrier and
 * kind of number for each prefix (3, 4 or 5 digits; the longest match wins).
 *
 * The carrier is a prior, not a fact: since number portability (携号转网, 2019) a
 * number can move to another carrier and keep its prefix. The APIs' own `isp` field,
 * when returned, is the better answer.
 *
 * Sources: MIIT numbering plan allocations and the carriers' published ranges.
 */
import type { Carrier } from './carrier.js';

/** The date this table was last checked against the allocations. */
export const PREFIX_TABLE_CHECKED = '2026-11-22';

/**
 * - `mobile`: an ordinary subscriber number of the carrier.
 * - `mvno`: a virtual operator (虚拟运营商) on the carrier's network: 162, 165, 167, 170, 171.
 * - `iot`: data-only or IoT numbers (物联网/上网卡): 14x.
 * - `satellite`: satellite phones: 1349, 17400-17405.
 */
export const NUMBER_KINDS = ['mobile', 'mvno', 'iot', 'satellite'] as const;
export type NumberKind = (typeof NUMBER_KINDS)[number];

export interface PrefixInfo {
  prefix: string;
  carrier: Carrier;
  kind: NumberKind;
}

type Row = readonly [prefix: string, carrier: Carrier, kind: NumberKind];

const TABLE: readonly Row[] = [
  // China Mobile 中国移动
  ['134', 'cmcc', 'mobile'], // 1340-1348; 1349 below is not China Mobile's
  // 1349: satellite phones of China Satcom (中国卫通), moved to China Telecom in 2009.
  // Listed here, next to 134, to keep the table's order (generators depend on it).
  ['1349', 'ctcc', 'satellite'],
  ['135', 'cmcc', 'mobile'],
  ['136', 'cmcc', 'mobile'],
  ['137', 'cmcc', 'mobile'],
  ['138', 'cmcc', 'mobile'],
  ['139', 'cmcc', 'mobile'],
  ['147', 'cmcc', 'iot'],
  ['148', 'cmcc', 'iot'],
  ['150', 'cmcc', 'mobile'],
  ['151', 'cmcc', 'mobile'],
  ['152', 'cmcc', 'mobile'],
  ['157', 'cmcc', 'mobile'],
  ['158', 'cmcc', 'mobile'],
  ['159', 'cmcc', 'mobile'],
  ['165', 'cmcc', 'mvno'],
  ['1703', 'cmcc', 'mvno'],
  ['1705', 'cmcc', 'mvno'],
  ['1706', 'cmcc', 'mvno'],
  ['172', 'cmcc', 'mobile'],
  ['178', 'cmcc', 'mobile'],
  ['182', 'cmcc', 'mobile'],
  ['183', 'cmcc', 'mobile'],
  ['184', 'cmcc', 'mobile'],
  ['187', 'cmcc', 'mobile'],
  ['188', 'cmcc', 'mobile'],
  ['195', 'cmcc', 'mobile'],
  ['197', 'cmcc', 'mobile'],
  ['198', 'cmcc', 'mobile'],
  // China Unicom 中国联通
  ['130', 'cucc', 'mobile'],
  ['131', 'cucc', 'mobile'],
  ['132', 'cucc', 'mobile'],
  ['145', 'cucc', 'iot'],
  ['146', 'cucc', 'iot'],
  ['155', 'cucc', 'mobile'],
  ['156', 'cucc', 'mobile'],
  ['166', 'cucc', 'mobile'],
  ['167', 'cucc', 'mvno'],
  ['1704', 'cucc', 'mvno'],
  ['1707', 'cucc', 'mvno'],
  ['1708', 'cucc', 'mvno'],
  ['1709', 'cucc', 'mvno'],
  ['171', 'cucc', 'mvno'],
  ['175', 'cucc', 'mobile'],
  ['176', 'cucc', 'mobile'],
  ['185', 'cucc', 'mobile'],
  ['186', 'cucc', 'mobile'],
  ['196', 'cucc', 'mobile'],
  // China Telecom 中国电信
  ['133', 'ctcc', 'mobile'],
  ['141', 'ctcc', 'iot'],
  ['149', 'ctcc', 'iot'],
  ['153', 'ctcc', 'mobile'],
  ['162', 'ctcc', 'mvno'],
  ['1700', 'ctcc', 'mvno'],
  ['1701', 'ctcc', 'mvno'],
  ['1702', 'ctcc', 'mvno'],
  ['173', 'ctcc', 'mobile'],
  ['17400', 'ctcc', 'satellite'],
  ['17401', 'ctcc', 'satellite'],
  ['17402', 'ctcc', 'satellite'],
  ['17403', 'ctcc', 'satellite'],
  ['17404', 'ctcc', 'satellite'],
  ['17405', 'ctcc', 'satellite'],
  ['177', 'ctcc', 'mobile'],
  ['180', 'ctcc', 'mobile'],
  ['181', 'ctcc', 'mobile'],
  ['189', 'ctcc', 'mobile'],
  ['190', 'ctcc', 'mobile'],
  ['191', 'ctcc', 'mobile'],
  ['193', 'ctcc', 'mobile'],
  ['199', 'ctcc', 'mobile'],
  // China Broadnet 中国广电
  ['192', 'cbn', 'mobile'],
];

const BY_PREFIX: ReadonlyMap<string, PrefixInfo> = new Map(
  TABLE.map(([prefix, carrier, kind]) => [prefix, { prefix, carrier, kind }]),
);

/**
 * The allocation an 11-digit number falls in (longest prefix wins), or undefined for
 * an unallocated prefix. The caller has already checked the number is 11 digits.
 */
export function lookupPrefix(mobile: string): PrefixInfo | undefined {
  for (let length = 5; length >= 3; length--) {
    const info = BY_PREFIX.get(mobile.slice(0, length));
    if (info) return info;
  }
  return undefined;
}

/** Every allocated prefix, for generators and tests. */
export function allPrefixes(): readonly PrefixInfo[] {
  return [...BY_PREFIX.values()];
}
