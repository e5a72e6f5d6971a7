/**
 * Streaming, tolerant reader of a trace directory (or of one process file).
 *
 * A process file is read in chunks of bytes and split on newlines here; no file ever becomes
 * one string (traces can be gigabytes, a V8 string stops at ~512 MB). UTF-8 needs no decoder
 * state across chunks: a newline byte never occurs inside a multi-byte character, and only
 * whole lines are decoded. Hot records are read by {@link RecordScanner} without `JSON.parse`.
 *
 * Tolerance (format/spec.ts): a cut last line, a missing end record, unknown record types and
 * invalid records become warnings, and every readable record is kept. A newer format version
 * is a warning too. Only input that is not a trace at all (a missing or empty directory, a
 * file whose first line is not a Weft header) is a {@link TraceError}, whose message says
 * what to do.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import {
  FORMAT_VERSION, PROCESS_FILE_PATTERN, RUN_FILE, validateHeader, validateRecord,
  type RunInfo, type TraceHeader, type TraceRecord,
} from '../format/spec';
import { RecordScanner } from './record-scanner';

export type TraceErrorCode = 'not-found' | 'not-a-trace' | 'empty' | 'unreadable';

/** A trace that cannot be read at all. The message says what happened and what to do. */
export class TraceError extends Error {
  constructor(readonly code: TraceErrorCode, message: string) {
    super(message);
    this.name = 'TraceError';
  }
}

/** Receives one process file: its header, then each record in file order. */
export interface RecordSink {
  begin(header: TraceHeader): void;
  /**
   * One valid record. `rec` may be a scratch array that the reader reuses for the next
   * record (that is how the hot path avoids an allocation per record): copy what you keep.
   */
  record(rec: TraceRecord): void;
}

export interface ReadOptions {
  /** Bytes per read; lines longer than this grow the buffer. Small values are for tests. */
  chunkBytes?: number;
}

export interface FileReadResult {
  file: string;
  header: TraceHeader;
  bytes: number;
  /** Records handed to the sink (the header not included). */
  records: number;
  /** True when the file has its end record (`Z`). */
  complete: boolean;
  /** The latest timestamp read (the end record's, when there is one); the header's start if none. */
  lastNs: number;
  warnings: string[];
}

export interface TraceFile {
  path: string;
  bytes: number;
}

export interface TraceListing {
  files: TraceFile[];
  run: RunInfo | null;
  warnings: string[];
}

/** Codes of the definition records, the only ones without a timestamp in field 1. */
const UNTIMED = new Set(['S', 'O', 'F']);
const INVALID_EXAMPLES = 3;

/**
 * The process files of a trace directory in a stable order (pid, then serial), or the one
 * file given, with the launcher's run.json when present.
 */
export async function listTraceFiles(target: string): Promise<TraceListing> {
  let st;
  try {
    st = await fsp.stat(target);
  } catch {
    throw new TraceError('not-found', `trace not found: ${target} does not exist. Pass the directory that "weft run" wrote (by default .weft/<script>-<date>-<time>).`);
  }
  if (st.isFile()) return { files: [{ path: target, bytes: st.size }], run: null, warnings: [] };
  if (!st.isDirectory()) throw new TraceError('not-a-trace', `${target} is neither a trace directory nor a trace file (.jsonl).`);
  let names: string[];
  try {
    names = await fsp.readdir(target);
  } catch (e) {
    throw new TraceError('unreadable', `cannot read the trace directory ${target}: ${(e as Error).message}. Check its permissions.`);
  }
  const key = (n: string): [number, number] => {
    const m = PROCESS_FILE_PATTERN.exec(n);
    return [Number(m?.[1]), Number(m?.[2])];
  };
  const processFiles = names.filter((n) => PROCESS_FILE_PATTERN.test(n)).sort((a, b) => {
    const [pa, sa] = key(a);
    const [pb, sb] = key(b);
    return pa - pb || sa - sb;
  });
  if (processFiles.length === 0) {
    throw new TraceError('empty', `no Weft trace files (weft-<pid>-<n>.jsonl) in ${target}. If the program was meant to be traced there, run it with "weft run --out ${target} script.py".`);
  }
  const files: TraceFile[] = [];
  for (const n of processFiles) {
    const p = path.join(target, n);
    files.push({ path: p, bytes: (await fsp.stat(p)).size });
  }
  const warnings: string[] = [];
  let run: RunInfo | null = null;
  if (names.includes(RUN_FILE)) {
    try {
      const value = JSON.parse(await fsp.readFile(path.join(target, RUN_FILE), 'utf8')) as unknown;
      if (typeof value === 'object' && value !== null && (value as RunInfo).format === 'weft-run') run = value as RunInfo;
      else warnings.push(`${RUN_FILE} is not a Weft run description; it was ignored.`);
    } catch (e) {
      warnings.push(`${RUN_FILE} could not be read (${(e as Error).message}); exit codes come from the trace files only.`);
    }
  }
  return { files, run, warnings };
}

/** Formats a duration in ns for messages. */
function seconds(ns: number): string {
  return ns >= 1e9 ? `${(ns / 1e9).toFixed(2)} s` : `${(ns / 1e6).toFixed(1)} ms`;
}

/**
 * Reads one process file, handing the header and each valid record to the sink.
 * Throws a {@link TraceError} only when the file is not a Weft trace or cannot be opened.
 */
export async function readProcessFile(file: string, sink: RecordSink, opts: ReadOptions = {}): Promise<FileReadResult> {
  const base = path.basename(file);
  let fh;
  try {
    fh = await fsp.open(file, 'r');
  } catch (e) {
    throw new TraceError('unreadable', `cannot open ${file}: ${(e as Error).message}. Check that it exists and is readable.`);
  }
  const scanner = new RecordScanner();
  const warnings: string[] = [];
  let buf = Buffer.allocUnsafe(Math.max(64, opts.chunkBytes ?? 4 << 20));
  let have = 0;
  let bytes = 0;
  let lineNo = 0;
  let header: TraceHeader | null = null;
  let records = 0;
  let complete = false;
  let afterEnd = 0;
  let endCount = -1;
  /** Non-empty record lines (valid or not) and how many preceded the end record. */
  let recordLines = 0;
  let linesBeforeEnd = -1;
  let lastNs = 0;
  let invalid = 0;
  const invalidExamples: string[] = [];
  const unknown = new Map<string, number>();

  const noteInvalid = (what: string): void => {
    invalid++;
    if (invalidExamples.length < INVALID_EXAMPLES) invalidExamples.push(`line ${lineNo}: ${what}`);
  };

  const accept = (rec: TraceRecord): void => {
    const code = rec[0];
    if (complete) afterEnd++;
    if (!UNTIMED.has(code)) {
      const t = rec[1] as number;
      if (t > lastNs) lastNs = t;
      if ((code === 'W' || code === 'X') && (rec[2] as number) > lastNs) lastNs = rec[2] as number;
    }
    if (code === 'Z' && !complete) {
      complete = true;
      endCount = rec[4];
      linesBeforeEnd = recordLines - 1;
    }
    records++;
    sink.record(rec);
  };

  /** The general path: any valid JSON, with a precise reason when the record is invalid. */
  const slowLine = (text: string, isLast: boolean): void => {
    if (text.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (header === null) throw new TraceError('not-a-trace', `${file} is not a Weft trace: its first line is not JSON. Weft reads the directories that "weft run" writes.`);
      if (!isLast) recordLines++;
      if (isLast) warnings.push(`${base}: the last line is cut short (the process was probably killed while writing); it was skipped.`);
      else noteInvalid(`not JSON: ${text.slice(0, 80)}`);
      return;
    }
    if (header !== null) recordLines++;
    if (header === null) {
      const err = validateHeader(value);
      if (err !== null) throw new TraceError('not-a-trace', `${file} is not a Weft trace: ${err}. Weft reads the directories that "weft run" writes.`);
      header = value as TraceHeader;
      lastNs = header.startNs;
      if (header.version > FORMAT_VERSION) {
        warnings.push(`${base} was written in trace format v${header.version}, newer than this Weft reads (v${FORMAT_VERSION}); what this version understands was read. Update Weft to see everything.`);
      }
      sink.begin(header);
      return;
    }
    const err = validateRecord(value);
    if (err === null) {
      accept(value as TraceRecord);
    } else if (err.startsWith('unknown record type')) {
      const code = String((value as unknown[])[0]);
      unknown.set(code, (unknown.get(code) ?? 0) + 1);
    } else {
      noteInvalid(err);
    }
  };

  try {
    for (;;) {
      if (have === buf.length) {
        // A line longer than the buffer: grow it (rare; a huge argv or name).
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, have, buf.length - have, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      const total = have + bytesRead;
      const lastNl = buf.lastIndexOf(NEWLINE_BYTE, total - 1);
      if (lastNl < 0) {
        have = total;
        continue;
      }
      // Whole lines are [0, lastNl]; the scanner never reads past a newline it cannot match.
      let s = 0;
      while (s <= lastNl) {
        lineNo++;
        if (header !== null) {
          const rec = scanner.scan(buf, s, lastNl + 1);
          if (rec !== null) recordLines++;
          if (rec !== null) {
            accept(rec);
            s = scanner.end + 1;
            continue;
          }
        }
        const e = buf.indexOf(NEWLINE_BYTE, s);
        slowLine(buf.toString('utf8', s, e), false);
        s = e + 1;
      }
      have = total - (lastNl + 1);
      if (have > 0) buf.copy(buf, 0, lastNl + 1, total);
    }
    if (have > 0) {
      lineNo++;
      slowLine(buf.toString('utf8', 0, have), true);
    }
  } finally {
    await fh.close();
  }

  if (header === null) {
    throw new TraceError('empty', `${file} is empty: the process was stopped before the agent wrote anything (killed at once?). Nothing can be shown for it.`);
  }
  const h: TraceHeader = header;
  for (const [code, n] of unknown) {
    warnings.push(`${base}: ${n} record(s) of unknown type "${code}" were skipped (written by a newer Weft?).`);
  }
  if (invalid > 0) {
    warnings.push(`${base}: ${invalid} invalid record(s) were skipped, e.g. ${invalidExamples.join('; ')}.`);
  }
  if (!complete) {
    warnings.push(`process ${h.pid} was cut short (killed or crashed?): read up to ${seconds(lastNs - h.startNs)} after it started; its trace has no end record.`);
  } else {
    if (afterEnd > 0) warnings.push(`${base}: ${afterEnd} record(s) follow the end record; they were read.`);
    if (endCount !== linesBeforeEnd) {
      warnings.push(`${base}: the end record counts ${endCount} records but the file has ${linesBeforeEnd} before it; ${endCount > linesBeforeEnd ? 'some were lost' : 'the count is wrong'}.`);
    }
  }
  return { file, header: h, bytes, records, complete, lastNs, warnings };
}

const NEWLINE_BYTE = 10;
