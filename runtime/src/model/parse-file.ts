/**
 * The pure parse step: one process file in, one {@link ParsedFile} out. The piscina worker
 * (worker/parse-worker.ts) is a thin entry around this function, and the in-process parser
 * calls it directly, so both produce exactly the same data.
 */
import { readProcessFile, type ReadOptions } from '../reader/read-trace';
import { FileParser } from './file-handlers';
import type { ParsedFile } from './parsed-file';

export async function parseProcessFile(file: string, opts: ReadOptions = {}): Promise<ParsedFile> {
  const parser = new FileParser();
  const r = await readProcessFile(file, parser, opts);
  return parser.finish({ path: r.file, bytes: r.bytes, records: r.records, lastNs: r.lastNs, warnings: r.warnings });
}
