/**
 * The input layer: reading phone lists (CSV, TXT, XLSX) into one record per row.
 * It knows nothing of queues or APIs. See docs/input.md.
 */
export { readPhoneList, scanPhoneList, fingerprintFile } from './reader.js';
export type { InputLayout, PhoneListReader, PhoneListScan } from './reader.js';
export type { InputFingerprint, ReadExpectation } from './fingerprint.js';
export type { PhoneRecord, RecordStatus, SkipReason, DateWarning } from './records.js';
export type { InputCounts } from './counts.js';
export { INPUT_DEFAULTS, resolveInputOptions } from './options.js';
export type { InputOptions, ResolvedInputOptions, Delimiter, HeaderMode } from './options.js';
export { InputFileError, InputOptionError, INPUT_FILE_ERROR_CODES, isInputFileError, isInputOptionError } from './errors.js';
export type { InputFileErrorCode } from './errors.js';
export { normalizeMobile, INVALID_REASONS, INVALID_REASON_CODES } from './normalize.js';
export type { InvalidReason, MobileCheck } from './normalize.js';
export { parseDate } from './dates.js';
export type { ColumnPick, ColumnSource, ColumnCandidate } from './columns.js';
export type { SheetInfo } from './xlsx.js';
