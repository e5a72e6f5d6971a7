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
 *
 * Hostile input (a folder anyone may hand to `weft summary`) is bounded at every step, so no
 * input crashes or hangs the reader: only regular files are opened (a FIFO blocked the open,
 * a link to /dev/zero grew the line buffer until the process aborted at 4 GB); a line longer
 * than {@link MAX_LINE_BYTES} or nested deeper than MAX_JSON_DEPTH is an invalid record;
 * record types are looked up as own properties; integers must lie within ±2^63; values are
 * quoted in messages through describeValue/printable, short and without control characters.
 *
 * A listing may span several trace folders read as one run (MPI ranks, workers on several
 * machines): several targets, or one folder whose subfolders are traces.
 */
import { constants as fsConstants, promises as fsp, type Dirent, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import {
  FORMAT_VERSION, PROCESS_FILE_PATTERN, RUN_FILE, validateHeader, validateRecord,
  type RunInfo, type TraceHeader, type TraceRecord,
} from '../format/spec';
import { firstLine, MAX_JSON_DEPTH, nestsDeeperThan, printable } from '../format/safe-values';
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
  /** Longest line read (default {@link MAX_LINE_BYTES}); longer ones are skipped as damaged. */
  maxLineBytes?: number;
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

/** A process file of a listing: a {@link TraceFile} and the folder it is in. */
export interface ListedTraceFile extends TraceFile {
  /** Index into {@link TraceListing.folders}. */
  folder: number;
}

/** One trace folder of a listing (a single file given alone is a folder of its own). */
export interface TraceFolder {
  path: string;
  /** The folder's run.json, when it has a readable one. */
  run: RunInfo | null;
}

export interface TraceListing {
  /** Sorted by folder, then host id (v1 names first), pid, serial. */
  files: ListedTraceFile[];
  folders: TraceFolder[];
  /** The first folder's run.json (what a one-folder reader needs). */
  run: RunInfo | null;
  warnings: string[];
}

/**
 * Names of process files: v2 `weft-<12 hex host id>-<pid>-<serial>.jsonl` and v1
 * `weft-<pid>-<serial>.jsonl` (trace format v2, "Files and keys"). Group 1 is the host id
 * (undefined for v1), 2 the pid, 3 the serial: spec.ts's PROCESS_FILE_PATTERN, under the name
 * the reader's callers know.
 */
export const TRACE_FILE_NAME = PROCESS_FILE_PATTERN;

interface NamedFile {
  name: string;
  host: string;
  pid: number;
  serial: number;
}

function parseFileName(name: string): NamedFile | null {
  const m = TRACE_FILE_NAME.exec(name);
  return m === null ? null : { name, host: m[1] ?? '', pid: Number(m[2]), serial: Number(m[3]) };
}

/** Host id ('' for v1 names, so they come first), then pid, then serial. */
function byHostPidSerial(a: NamedFile, b: NamedFile): number {
  return (a.host < b.host ? -1 : a.host > b.host ? 1 : 0) || a.pid - b.pid || a.serial - b.serial;
}

/** Codes of the definition records, the only ones without a timestamp in field 1. */
const UNTIMED = new Set(['S', 'O', 'F']);
const INVALID_EXAMPLES = 3;
/** Unknown record types warned about one by one; the rest are counted together. */
const UNKNOWN_TYPES_NAMED = 10;
/**
 * Longest line the reader reads (ReadOptions.maxLineBytes). The agent's longest records are
 * an argv or a name; a line of 64 MiB is damage (a file of zeros, a link to /dev/zero, which
 * grew the line buffer until the process aborted at 4 GB), skipped as an invalid record.
 */
export const MAX_LINE_BYTES = 64 << 20;

/** What a file name stands for, when it is not a regular file (for a warning). */
function notRegular(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * The size of `p` when it is a regular file (or a link to one); otherwise a sentence saying
 * what it is, for a warning. Links are followed once by stat: a dangling link (ENOENT) and a
 * link that loops (ELOOP) are named as such, and only regular files are ever opened, so a FIFO
 * cannot block the reader and a link to /dev/zero cannot feed it forever.
 */
async function regularFileSize(p: string): Promise<number | string> {
  let st: Stats;
  try {
    st = await fsp.stat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'a link to a file that does not exist';
    if (code === 'ELOOP') return 'a link that loops (it leads back to itself)';
    return `unreadable (${firstLine((e as Error).message)})`;
  }
  return st.isFile() ? st.size : notRegular(st);
}

/** The process files of one directory, sorted; none when it has none. */
async function processFilesIn(dir: string): Promise<NamedFile[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    throw new TraceError('unreadable', `cannot read the trace directory ${dir}: ${firstLine((e as Error).message)}. Check its permissions.`);
  }
  const files: NamedFile[] = [];
  for (const n of names) {
    const f = parseFileName(n);
    if (f !== null) files.push(f);
  }
  return files.sort(byHostPidSerial);
}

/**
 * The trace folders a directory stands for: itself when it holds process files, else its
 * subfolders that do (a folder of folders, one level deep: one per MPI rank or machine,
 * in name order). Empty when neither.
 */
async function foldersOf(dir: string): Promise<{ path: string; files: NamedFile[] }[]> {
  const own = await processFilesIn(dir);
  if (own.length > 0) return [{ path: dir, files: own }];
  let entries: Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: { path: string; files: NamedFile[] }[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const sub = path.join(dir, e.name);
    // A link to a folder counts too; stat follows it (and fails quietly on a broken one).
    const isDir = e.isDirectory() || (e.isSymbolicLink() && (await fsp.stat(sub).then((s) => s.isDirectory(), () => false)));
    if (!isDir) continue;
    const files = await processFilesIn(sub).catch(() => []);
    if (files.length > 0) out.push({ path: sub, files });
  }
  return out;
}

async function readRunInfo(dir: string, warnings: string[], several: boolean): Promise<RunInfo | null> {
  const file = path.join(dir, RUN_FILE);
  const where = several ? file : RUN_FILE;
  // No run.json is normal (a trace not written by the launcher); anything odd is named.
  if (!(await fsp.lstat(file).then(() => true, () => false))) return null;
  const size = await regularFileSize(file);
  if (typeof size === 'string') {
    warnings.push(`${where} is ${size}; it was ignored.`);
    return null;
  }
  if (size > MAX_LINE_BYTES) {
    warnings.push(`${where} is ${Math.round(size / 2 ** 20)} MiB, too big for a run description; it was ignored.`);
    return null;
  }
  try {
    const value = JSON.parse(await fsp.readFile(file, 'utf8')) as unknown;
    if (typeof value === 'object' && value !== null && (value as RunInfo).format === 'weft-run') return value as RunInfo;
    warnings.push(`${where} is not a Weft run description; it was ignored.`);
  } catch (e) {
    warnings.push(`${where} could not be read (${firstLine((e as Error).message, 120)}); exit codes come from the trace files only.`);
  }
  return null;
}

/**
 * The process files of one or more traces, in a stable order (folder, then host id, pid,
 * serial), with each folder's run.json. A target is a trace directory, a folder of trace
 * directories (see {@link foldersOf}) or one process file. A target that does not exist is a
 * {@link TraceError} naming it; a target without trace files is one when it is the only target,
 * else a warning. Names that are not regular files (directories, FIFOs, devices, dangling or
 * looping links) are skipped with a warning that names them.
 */
export async function listTraceFiles(target: string | readonly string[]): Promise<TraceListing> {
  const targets: readonly string[] = typeof target === 'string' ? [target] : target;
  if (targets.length === 0) throw new TraceError('not-found', 'no trace given. Pass the directory that "weft run" wrote (by default .weft/<script>-<date>-<time>).');
  const several = targets.length > 1;
  const warnings: string[] = [];
  const folders: TraceFolder[] = [];
  const files: ListedTraceFile[] = [];
  const seen = new Set<string>();
  let skipped = 0;
  for (const t of targets) {
    let st: Stats;
    try {
      st = await fsp.stat(t);
    } catch {
      throw new TraceError('not-found', `trace not found: ${t} does not exist. Pass the directory that "weft run" wrote (by default .weft/<script>-<date>-<time>).`);
    }
    const resolved = path.resolve(t);
    if (seen.has(resolved)) {
      warnings.push(`${t} was given twice; it was read once.`);
      continue;
    }
    seen.add(resolved);
    if (st.isFile()) {
      files.push({ path: t, bytes: st.size, folder: folders.length });
      folders.push({ path: t, run: null });
      continue;
    }
    if (!st.isDirectory()) throw new TraceError('not-a-trace', `${t} is neither a trace directory nor a trace file (.jsonl) but ${notRegular(st)}.`);
    const found = await foldersOf(t);
    if (found.length === 0) {
      const msg = `no Weft trace files (weft-<pid>-<n>.jsonl) in ${t}`;
      if (!several) throw new TraceError('empty', `${msg}. If the program was meant to be traced there, run it with "weft run --out ${t} script.py".`);
      warnings.push(`${msg}; it was skipped.`);
      continue;
    }
    for (const f of found) {
      const index = folders.length;
      const named = several || found.length > 1 || f.path !== t;
      for (const n of f.files) {
        const p = path.join(f.path, n.name);
        const size = await regularFileSize(p);
        if (typeof size === 'string') {
          warnings.push(`${named ? p : n.name} is ${size}, not a trace file; it was skipped.`);
          skipped++;
        } else {
          files.push({ path: p, bytes: size, folder: index });
        }
      }
      folders.push({ path: f.path, run: await readRunInfo(f.path, warnings, named) });
    }
  }
  if (files.length === 0) {
    const where = targets.join(', ');
    if (skipped > 0) throw new TraceError('empty', `no readable Weft trace files in ${where}: ${warnings.slice(0, 3).join(' ')}${warnings.length > 3 ? ' …' : ''} Pass a directory that "weft run" wrote.`);
    throw new TraceError('empty', `no Weft trace files (weft-<pid>-<n>.jsonl) in ${where}. Pass the directories that "weft run" wrote.`);
  }
  return { files, folders, run: folders[0]?.run ?? null, warnings };
}

/**
 * Reads one process file, handing the header and each valid record to the sink.
 * Throws a {@link TraceError} only when the file is not a Weft trace or cannot be read: not
 * a regular file, unopenable, an I/O error, or a first line that is not a Weft header.
 */
export async function readProcessFile(file: string, sink: RecordSink, opts: ReadOptions = {}): Promise<FileReadResult> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO to read waits for a writer, forever if none comes (the
    // listing skips FIFOs, but a file can change between listing and reading). It has no
    // effect on a regular file; fstat below refuses anything else.
    fh = await fsp.open(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new TraceError('unreadable', `cannot open ${file}: ${firstLine((e as Error).message)}. Check that it exists and is readable.`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new TraceError('unreadable', `${file} is ${notRegular(st)}, not a trace file; pass a directory that "weft run" wrote.`);
    return await readOpenFile(file, fh, sink, opts);
  } finally {
    await fh.close();
  }
}

async function readOpenFile(file: string, fh: FileHandle, sink: RecordSink, opts: ReadOptions): Promise<FileReadResult> {
  const base = path.basename(file);
  const scanner = new RecordScanner();
  const warnings: string[] = [];
  const chunk = Math.max(64, opts.chunkBytes ?? 4 << 20);
  const maxLine = Math.max(chunk, opts.maxLineBytes ?? MAX_LINE_BYTES);
  const mib = (n: number): string => (n >= 1 << 20 ? `${Math.round(n / 2 ** 20)} MiB` : `${n} bytes`);
  let buf = Buffer.allocUnsafe(chunk);
  let have = 0;
  /** True inside a line longer than maxLine: its bytes are dropped up to its newline. */
  let skipping = false;
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
  /** Records of unknown types beyond the first UNKNOWN_TYPES_NAMED types. */
  let unknownOther = 0;

  const noteInvalid = (what: string): void => {
    invalid++;
    if (invalidExamples.length < INVALID_EXAMPLES) invalidExamples.push(`line ${lineNo}: ${what}`);
  };

  const notATrace = (why: string): TraceError =>
    new TraceError('not-a-trace', `${file} is not a Weft trace: ${why}. Weft reads the directories that "weft run" writes.`);

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
  const slowLine = (b: Buffer, start: number, end: number, isLast: boolean): void => {
    // Checked on the bytes, before JSON.parse spends seconds on a line nested millions deep.
    if (nestsDeeperThan(b, start, end)) {
      if (header === null) throw notATrace(`its first line nests deeper than ${MAX_JSON_DEPTH} levels`);
      recordLines++;
      noteInvalid(`nested deeper than ${MAX_JSON_DEPTH} levels`);
      return;
    }
    const text = b.toString('utf8', start, end);
    if (text.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (header === null) throw notATrace('its first line is not JSON');
      if (!isLast) recordLines++;
      if (isLast) warnings.push(`${base}: the last line is cut short (the process was probably killed while writing); it was skipped.`);
      else noteInvalid(`not JSON: ${printable(text.slice(0, 80))}`);
      return;
    }
    if (header !== null) recordLines++;
    if (header === null) {
      const err = validateHeader(value);
      if (err !== null) throw notATrace(err);
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
      // A type code of any length is possible in a damaged file: the key is its start, and
      // only the first few types are named, so the warnings stay short.
      const raw = String((value as unknown[])[0]);
      const code = raw.length > 20 ? `${raw.slice(0, 20)}…` : raw;
      if (unknown.has(code) || unknown.size < UNKNOWN_TYPES_NAMED) unknown.set(code, (unknown.get(code) ?? 0) + 1);
      else unknownOther++;
    } else {
      noteInvalid(err);
    }
  };

  for (;;) {
    if (have === buf.length) {
      if (buf.length >= maxLine) {
        // One line fills the largest buffer: damage (a file of zeros). Drop it up to its end.
        if (header === null) throw notATrace(`its first line is longer than ${mib(maxLine)}`);
        skipping = true;
        have = 0;
      } else {
        // A line longer than the buffer: grow it (rare; a huge argv or name).
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxLine));
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
    }
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, have, buf.length - have, null));
    } catch (e) {
      throw new TraceError('unreadable', `cannot read ${file}: ${firstLine((e as Error).message)}. Check that it is a readable file.`);
    }
    if (bytesRead === 0) break;
    bytes += bytesRead;
    const total = have + bytesRead;
    let s = 0;
    if (skipping) {
      const nl = buf.indexOf(NEWLINE_BYTE, have);
      if (nl < 0 || nl >= total) {
        have = 0;
        continue;
      }
      skipping = false;
      lineNo++;
      recordLines++;
      noteInvalid(`longer than ${mib(maxLine)} (damaged?)`);
      s = nl + 1;
    }
    const lastNl = buf.lastIndexOf(NEWLINE_BYTE, total - 1);
    if (lastNl < s) {
      if (s > 0) buf.copy(buf, 0, s, total);
      have = total - s;
      continue;
    }
    // Whole lines are [s, lastNl]; the scanner never reads past a newline it cannot match.
    while (s <= lastNl) {
      lineNo++;
      if (header !== null) {
        const rec = scanner.scan(buf, s, lastNl + 1);
        if (rec !== null) {
          recordLines++;
          accept(rec);
          s = scanner.end + 1;
          continue;
        }
      }
      const e = buf.indexOf(NEWLINE_BYTE, s);
      slowLine(buf, s, e, false);
      s = e + 1;
    }
    have = total - (lastNl + 1);
    if (have > 0) buf.copy(buf, 0, lastNl + 1, total);
  }
  if (skipping) {
    lineNo++;
    warnings.push(`${base}: the last line is longer than ${mib(maxLine)} and has no end (damaged?); it was skipped.`);
  } else if (have > 0) {
    lineNo++;
    slowLine(buf, 0, have, true);
  }

  if (header === null) {
    throw new TraceError('empty', `${file} is empty: the process was stopped before the agent wrote anything (killed at once?). Nothing can be shown for it.`);
  }
  const h: TraceHeader = header;
  for (const [code, n] of unknown) {
    warnings.push(`${base}: ${n} record(s) of unknown type "${printable(code)}" were skipped (written by a newer Weft?).`);
  }
  if (unknownOther > 0) warnings.push(`${base}: ${unknownOther} record(s) of other unknown types were skipped (a damaged file?).`);
  if (invalid > 0) {
    warnings.push(`${base}: ${invalid} invalid record(s) were skipped, e.g. ${invalidExamples.join('; ')}.`);
  }
  // A file without its end record is reported by the model (handlers/processes.ts), which
  // knows whether the process's parent ended it on purpose (Pool.terminate): then it is not a
  // warning.
  if (complete) {
    if (afterEnd > 0) warnings.push(`${base}: ${afterEnd} record(s) follow the end record; they were read.`);
    if (endCount !== linesBeforeEnd) {
      warnings.push(`${base}: the end record counts ${endCount} records but the file has ${linesBeforeEnd} before it; ${endCount > linesBeforeEnd ? 'some were lost' : 'the count is wrong'}.`);
    }
  }
  return { file, header: h, bytes, records, complete, lastNs, warnings };
}

const NEWLINE_BYTE = 10;
