/**
 * Turns a trace directory into the webview's view data. No `vscode` import: unit-tested on the
 * fixtures.
 *
 * The heavy part (reading and aggregating the trace) is the runtime's `loadTrace`; this module
 * adds what the host needs around it: the run's working directory (to resolve relative source
 * paths), the trace's display name, and the live-run treatment of warnings.
 */
import { createWriteStream, existsSync, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { EXPORT_FORMAT_INFO, writeExport, type ExportFormatName } from '../../runtime/src/export/formats';
import { RUN_FILE, type RunInfo } from '../../runtime/src/format/spec';
import { loadTrace } from '../../runtime/src/model/build-model';
import { TraceError, type TraceErrorCode } from '../../runtime/src/reader/read-trace';
import { writeReport } from '../../runtime/src/report/report';
import { buildSummary } from '../../runtime/src/summary/summary';
import { buildViewData, type ViewData } from '../../runtime/src/view/view-data';
import { lineFactsFromSummary, type LineFacts } from './server/hotspots';

export interface LoadedTrace {
  /** The directory (or single process file) that was read. */
  target: string;
  data: ViewData;
  /** From run.json; null for traces written without the launcher (or copied without it). */
  run: RunInfo | null;
  /**
   * The hot source lines (waits, holds, creations of contended objects, sampled CPU) for the
   * hotspots language server, from the trace's Summary. Computed here, in the worker, so the
   * extension host only forwards them.
   */
  hotspots: LineFacts[];
}

export interface TraceLoader {
  /**
   * Reads a trace. `live`: the program is still writing it, so a process file without its end
   * record, or with a half-written last line, is normal and not reported (see liveWarnings).
   * Throws the runtime's TraceError when the target is not a readable trace.
   */
  load(target: string, opts?: { live?: boolean }): Promise<LoadedTrace>;
  /**
   * Writes the trace to `out` in `format` (Perfetto protobuf, Chrome JSON, speedscope, or the
   * self-contained HTML report); without a format, the report when `out` ends in `.html`,
   * else Chrome Trace Event JSON.
   */
  exportTrace(target: string, out: string, format?: TraceExportFormat): Promise<void>;
  dispose(): void;
}

/** Reads the launcher's run.json next to a trace; null when absent or unreadable. */
export async function readRunInfo(target: string): Promise<RunInfo | null> {
  let dir = target;
  try {
    if ((await fsp.stat(target)).isFile()) dir = path.dirname(target);
  } catch {
    return null;
  }
  try {
    const run = JSON.parse(await fsp.readFile(path.join(dir, RUN_FILE), 'utf8')) as unknown;
    if (typeof run === 'object' && run !== null && (run as RunInfo).format === 'weft-run' && typeof (run as RunInfo).cwd === 'string') {
      return run as RunInfo;
    }
  } catch {
    // A trace is readable without run.json; relative source paths then resolve against the
    // trace's parent folder (see paths.resolveSourcePath).
  }
  return null;
}

/**
 * Warnings that describe a trace that is still being written rather than a damaged one: a
 * process file with no end record yet, a last line the agent is in the middle of writing, and
 * a process that has just started (its file is empty, or holds half its header line). While
 * the program runs these are dropped; once it has ended they are real (a killed process) and
 * are shown. The patterns match the reader's messages (runtime/src/reader); unit tests run the
 * reader on such files to keep them in step.
 */
const STILL_WRITING = [/has no end record/, /last line is cut short/, /is empty: the process/, /its first line is not JSON/];

export function liveWarnings(warnings: readonly string[]): string[] {
  return warnings.filter((w) => !STILL_WRITING.some((re) => re.test(w)));
}

/**
 * The name a trace is shown under: the run folder's name ("bank_transfer-20261122-231500"),
 * or the file name for a single process file.
 */
export function traceDisplayName(target: string): string {
  return path.basename(target.replace(/[\\/]+$/, '')) || target;
}

/** Reads a trace and builds its view data in the calling thread: the whole pipeline. */
export async function loadViewData(target: string, opts: { live?: boolean } = {}): Promise<LoadedTrace> {
  const [model, run] = await Promise.all([loadTrace(target), readRunInfo(target)]);
  const data = buildViewData(model);
  if (opts.live) data.warnings = liveWarnings(data.warnings);
  // Relative source paths resolve as the view's "open source" does (paths.resolveSourcePath):
  // against the run's cwd, else the trace folder's parent.
  const hotspots = lineFactsFromSummary(buildSummary(model), run?.cwd ?? path.dirname(target));
  return { target, data, run, hotspots };
}

/** Whether an export to `out` writes the HTML report (else Chrome Trace Event JSON). */
export const isReportFile = (out: string): boolean => /\.html?$/i.test(out);

/** What Export Trace... can write: the runtime's export formats and the HTML report. */
export type TraceExportFormat = ExportFormatName | 'report';

export interface ExportChoice {
  format: TraceExportFormat;
  label: string;
  detail: string;
  /** Appended to the trace's name for the proposed file. */
  suffix: string;
  /** Save dialog filter: name and file endings. */
  filter: [string, string[]];
}

/** The formats Export Trace... offers, in the order of its picker (Perfetto first: it opens big traces). */
export function exportChoices(): ExportChoice[] {
  const { perfetto, chrome, speedscope } = EXPORT_FORMAT_INFO;
  return [
    { format: 'perfetto', label: perfetto.label, detail: `Timeline with lanes, flows and counters; opens in ${perfetto.opensIn}, also for millions of events.`, suffix: '.perfetto-trace', filter: [perfetto.label, perfetto.extensions] },
    { format: 'chrome', label: chrome.label, detail: `The JSON trace format; opens in ${chrome.opensIn}.`, suffix: '.chrome.json', filter: [chrome.label, chrome.extensions] },
    { format: 'speedscope', label: speedscope.label, detail: `A flame graph per thread or task; opens in ${speedscope.opensIn}.`, suffix: '.speedscope.json', filter: [speedscope.label, ['json']] },
    { format: 'report', label: 'HTML report', detail: 'The timeline, lock table and hotspots of this view in one file that any browser opens, without a server.', suffix: '.html', filter: ['HTML report', ['html']] },
  ];
}

/**
 * Reads a trace and writes it to `out`, in the calling thread, streamed: in `format`, or
 * (none given) the HTML report for `.html` and Chrome Trace Event JSON for anything else.
 */
export async function exportTraceFile(target: string, out: string, format?: TraceExportFormat): Promise<void> {
  const model = await loadTrace(target);
  const chosen = format ?? (isReportFile(out) ? 'report' : 'chrome');
  if (chosen === 'report') {
    await writeReport(model, out, { traceId: target });
    return;
  }
  const stream = createWriteStream(out);
  // Fail at once on an unwritable destination rather than wait for a 'drain' that never comes.
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  await writeExport(model, chosen, stream);
}

/**
 * The ArrayBuffers behind view data's typed-array columns, so that a worker can hand them over
 * (transfer) instead of copying millions of rows.
 */
export function viewDataTransferables(data: ViewData): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const table of [data.waits, data.segments, data.flows] as object[]) {
    for (const v of Object.values(table)) {
      if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) out.add(v.buffer);
    }
  }
  return [...out];
}

/**
 * Loads in the calling thread. Used by tests, and by the host when the worker cannot start;
 * the reader yields between chunks, but building the model and the view data is synchronous.
 */
export class InProcessTraceLoader implements TraceLoader {
  load(target: string, opts: { live?: boolean } = {}): Promise<LoadedTrace> {
    return loadViewData(target, opts);
  }

  exportTrace(target: string, out: string, format?: TraceExportFormat): Promise<void> {
    return exportTraceFile(target, out, format);
  }

  dispose(): void {
    // Nothing is held between loads.
  }
}

/** A task for the worker (view-worker.ts), and its reply; errors travel as data. */
export type WorkerTask =
  | { kind: 'view'; target: string; live: boolean }
  | { kind: 'export'; target: string; out: string; format?: TraceExportFormat };
export type WorkerReply =
  | { ok: true; loaded: LoadedTrace | null }
  | { ok: false; code: TraceErrorCode | null; message: string };

interface PoolLike {
  run(task: unknown): Promise<unknown>;
  destroy(): Promise<void>;
  once(event: 'error', listener: (e: Error) => void): unknown;
  off(event: 'error', listener: (e: Error) => void): unknown;
}

/**
 * Loads in a worker thread (dist/view-worker.js, through piscina): reading the files, building
 * the model and the view data all happen off the extension host's thread, which every other
 * extension shares; only the finished columns come back, transferred rather than copied.
 * One thread is enough (loads of one panel are sequential, and the runtime's reader starts its
 * own parse workers for big multi-process traces); it exits after a short idle time.
 * If the worker cannot start, loads fall back to the host's thread once, with a log line.
 */
export class WorkerTraceLoader implements TraceLoader {
  private pool: Promise<PoolLike> | null = null;
  private readonly fallback = new InProcessTraceLoader();
  private failed = false;

  constructor(private readonly workerFile: string, private readonly onFallback: (reason: string) => void) {}

  private start(): Promise<PoolLike> {
    this.pool ??= (async () => {
      // piscina would start a worker that fails to load its file again and again, with the
      // task never settling; a missing bundle is therefore checked here.
      if (!existsSync(this.workerFile)) throw new Error(`${this.workerFile} does not exist`);
      const { Piscina } = await import('piscina');
      return new Piscina({ filename: this.workerFile, minThreads: 0, maxThreads: 1, idleTimeout: 30_000 });
    })();
    return this.pool;
  }

  /** Runs a task; a worker that dies (an 'error' on the pool) fails it instead of leaving it pending. */
  private static run(pool: PoolLike, task: WorkerTask): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      pool.once('error', onError);
      pool.run(task).then((r) => resolve(r as WorkerReply), reject).finally(() => pool.off('error', onError));
    });
  }

  /** Runs a task in the worker; null when the worker failed and the caller must run it here. */
  private async inWorker(task: WorkerTask): Promise<LoadedTrace | null | 'fallback'> {
    if (this.failed) return 'fallback';
    let reply: WorkerReply;
    try {
      reply = await WorkerTraceLoader.run(await this.start(), task);
    } catch (e) {
      this.failed = true;
      this.dispose();
      this.onFallback(`the trace worker could not run (${(e as Error).message}); traces are read in the extension host instead`);
      return 'fallback';
    }
    if (reply.ok) return reply.loaded;
    throw reply.code !== null ? new TraceError(reply.code, reply.message) : new Error(reply.message);
  }

  async load(target: string, opts: { live?: boolean } = {}): Promise<LoadedTrace> {
    const r = await this.inWorker({ kind: 'view', target, live: opts.live ?? false });
    if (r === 'fallback') return this.fallback.load(target, opts);
    if (r === null) throw new Error('the trace worker returned no data');
    return r;
  }

  async exportTrace(target: string, out: string, format?: TraceExportFormat): Promise<void> {
    const task: WorkerTask = format === undefined ? { kind: 'export', target, out } : { kind: 'export', target, out, format };
    if ((await this.inWorker(task)) === 'fallback') await this.fallback.exportTrace(target, out, format);
  }

  dispose(): void {
    void this.pool?.then((p) => p.destroy(), () => undefined);
    this.pool = null;
  }
}
