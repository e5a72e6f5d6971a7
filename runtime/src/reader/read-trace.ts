/**
 * Streaming reader of a trace directory (or one process file).
 *
 * Files are read in chunks and split on newlines here, never loaded as one string: a trace
 * can be larger than V8's maximum string. The reader is tolerant (see format/spec.ts): a cut
 * last line, a missing end record, unknown or invalid records become warnings and everything
 * readable is kept. Only a path that is not a trace at all is an error.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import {
  FORMAT_VERSION, PROCESS_FILE_PATTERN, RUN_FILE, validateHeader, validateRecord,
  type RunInfo, type TraceHeader, type TraceRecord,
} from '../format/spec';

/** A trace that cannot be read at all; the message says what to do. */
export class TraceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceError';
  }
}

export interface FileSink {
  /** Called once per record of the file, in file order. */
  record(rec: TraceRecord): void;
}

export interface ReadOptions {
  /** Validate every record against its shape (slower; on by default). */
  validate?: boolean;
}

export interface FileResult {
  file: string;
  header: TraceHeader;
  records: number;
  complete: boolean;
}

/** Lists the process files of a directory, or the single file given. */
export async function listTraceFiles(target: string): Promise<{ files: string[]; run: RunInfo | null }> {
  let st;
  try {
    st = await fsp.stat(target);
  } catch {
    throw new TraceError(`trace not found: ${target} does not exist. Pass the directory that "weft run --out" wrote.`);
  }
  if (st.isFile()) return { files: [target], run: null };
  if (!st.isDirectory()) throw new TraceError(`${target} is neither a trace directory nor a trace file.`);
  let names: string[];
  try {
    names = await fsp.readdir(target);
  } catch (e) {
    throw new TraceError(`cannot read trace directory ${target}: ${(e as Error).message}`);
  }
  const files = names
    .filter((n) => PROCESS_FILE_PATTERN.test(n))
    .sort((a, b) => {
      const ma = PROCESS_FILE_PATTERN.exec(a);
      const mb = PROCESS_FILE_PATTERN.exec(b);
      return Number(ma?.[1]) - Number(mb?.[1]) || Number(ma?.[2]) - Number(mb?.[2]);
    })
    .map((n) => path.join(target, n));
  if (files.length === 0) {
    throw new TraceError(
      `no Weft trace files (weft-<pid>-<n>.jsonl) in ${target}. Did the program start? Run it with "weft run --out ${target} script.py".`,
    );
  }
  let run: RunInfo | null = null;
  if (names.includes(RUN_FILE)) {
    try {
      run = JSON.parse(await fsp.readFile(path.join(target, RUN_FILE), 'utf8')) as RunInfo;
    } catch {
      run = null;
    }
  }
  return { files, run };
}

/**
 * Reads one process file, handing each record to the sink made from its header.
 * Warnings are appended to `warnings`.
 */
export async function readProcessFile(
  file: string,
  makeSink: (header: TraceHeader) => FileSink,
  warnings: string[],
  opts: ReadOptions = {},
): Promise<FileResult> {
  const validate = opts.validate ?? true;
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  let rest = '';
  let lineNo = 0;
  let header: TraceHeader | null = null;
  let sink: FileSink | null = null;
  let count = 0;
  let complete = false;
  let endCount = -1;
  const unknown = new Map<string, number>();
  let invalid = 0;
  const invalidExamples: string[] = [];
  const base = path.basename(file);

  const handle = (line: string, isLast: boolean): void => {
    lineNo++;
    if (line.length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (lineNo === 1) {
        throw new TraceError(`${file} is not a Weft trace: its first line is not JSON.`);
      }
      if (isLast) {
        warnings.push(`${base}: the last line is cut short (the process was probably killed while writing); it was skipped.`);
      } else {
        invalid++;
        if (invalidExamples.length < 3) invalidExamples.push(`line ${lineNo}: ${line.slice(0, 80)}`);
      }
      return;
    }
    if (lineNo === 1) {
      const err = validateHeader(value);
      if (err !== null) throw new TraceError(`${file} is not a Weft trace: ${err}.`);
      header = value as TraceHeader;
      if (header.version > FORMAT_VERSION) {
        warnings.push(`${base} was written in trace format v${header.version}, newer than this Weft (v${FORMAT_VERSION}); records this version does not know are skipped. Update Weft to see everything.`);
      }
      sink = makeSink(header);
      return;
    }
    if (complete) {
      invalid++;
      return;
    }
    if (validate) {
      const err = validateRecord(value);
      if (err !== null) {
        if (err.startsWith('unknown record type')) {
          const code = String((value as unknown[])[0]);
          unknown.set(code, (unknown.get(code) ?? 0) + 1);
          count++; // read and understood as "newer", so not lost
        } else {
          invalid++;
          if (invalidExamples.length < 3) invalidExamples.push(`line ${lineNo}: ${err}`);
        }
        return;
      }
    } else if (!Array.isArray(value)) {
      invalid++;
      return;
    }
    const rec = value as TraceRecord;
    if (rec[0] === 'Z') {
      complete = true;
      endCount = rec[4];
    }
    count++;
    (sink as FileSink | null)?.record(rec);
  };

  // The decoder keeps a multi-byte character that straddles two chunks whole.
  const decoder = new StringDecoder('utf8');
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = rest + decoder.write(chunk);
    let start = 0;
    let nl = text.indexOf('\n', start);
    while (nl !== -1) {
      handle(text.slice(start, nl), false);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) handle(rest, true);

  if (header === null) throw new TraceError(`${file} is empty: the process wrote nothing (it may have been killed at once).`);
  const h = header as TraceHeader;
  for (const [code, n] of unknown) {
    warnings.push(`${base}: ${n} record(s) of unknown type "${code}" were skipped (written by a newer Weft?).`);
  }
  if (invalid > 0) {
    warnings.push(`${base}: ${invalid} invalid record(s) skipped, e.g. ${invalidExamples.join('; ')}.`);
  }
  if (!complete) {
    warnings.push(`process ${h.pid} was cut short (killed or crashed?): its trace has no end record; everything up to the last complete line was read.`);
  } else if (endCount >= 0 && endCount !== count - 1) {
    warnings.push(`${base}: the end record counts ${endCount} records but ${count - 1} were read; some were lost.`);
  }
  return { file, header: h, records: count, complete };
}
