/** A result file of the format asked for, open for rows (see result-sink.ts). */
import { openCsvSink } from './result-csv.js';
import { openJsonlSink } from './result-jsonl.js';
import { openParquetSink } from './result-parquet.js';
import type { ResultFormat } from './result-format.js';
import type { ResultSink, SinkOptions } from './result-sink.js';
import { openXlsxSink } from './result-xlsx.js';

export function openSink(format: ResultFormat, options: SinkOptions): Promise<ResultSink> {
  switch (format) {
    case 'csv':
      return openCsvSink(options);
    case 'xlsx':
      return openXlsxSink(options);
    case 'jsonl':
      return openJsonlSink(options);
    case 'parquet':
      return openParquetSink(options);
  }
}
