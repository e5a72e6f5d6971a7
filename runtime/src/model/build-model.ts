/**
 * Builds the frozen TraceModel of a trace directory (or of one process file).
 *
 * Stage 1, per file (file-handlers.ts, possibly in worker threads): the reader streams the
 * records into small record handlers that fill typed-array columns keyed by the file's ids.
 * Stage 2, here: model handlers (handlers/) take the parsed files one by one in a fixed
 * order, re-key their ids into model-wide indexes and merge them, then finalize in
 * dependency order: thread times, lock statistics, hotspots, flows and diagnostics read the
 * merged waits and samples; work items join the flows handler's spans; asyncio tasks (their
 * steps, awaits and groups) and loop blocks (named by the waits and samples inside them) come
 * before flows, which draw the tasks' create arrows. Lock holds come right
 * after waits: they fill in the holders and wakers of multiprocessing-lock waits (from `hold`
 * spans in every process) before anything reads them. The result is frozen; views only read it.
 */
import type { Ns, RunInfo } from '../format/spec';
import { FORMAT_VERSION } from '../format/spec';
import { listTraceFiles, TraceError, type ReadOptions } from '../reader/read-trace';
import { IdMap } from './columns';
import type { ParsedFile } from './parsed-file';
import { createParser, type Parallelism, type TraceFileParser } from './parser-pool';
import { CallTreeHandler } from './handlers/call-tree';
import { CountersHandler } from './handlers/counters';
import { DiagnosticsHandler } from './handlers/diagnostics';
import { FlowsHandler } from './handlers/flows';
import type { FileContext, ModelHandler } from './handlers/handler';
import { HeldAcrossHandler } from './handlers/held-across';
import { HotspotsHandler } from './handlers/hotspots';
import { InterningHandler } from './handlers/interning';
import { LanesHandler } from './handlers/lanes';
import { LockHoldsHandler } from './handlers/lock-holds';
import { LockOrderHandler } from './handlers/lock-order';
import { LockStatsHandler } from './handlers/lock-stats';
import { LoopBlocksHandler } from './handlers/loop-blocks';
import { MessagesHandler } from './handlers/messages';
import { ProcessesHandler } from './handlers/processes';
import { SamplesHandler } from './handlers/samples';
import { StallsHandler } from './handlers/stalls';
import { TasksHandler } from './handlers/tasks';
import { ThreadTimesHandler } from './handlers/thread-times';
import { WaitsHandler } from './handlers/waits';
import { WorkItemsHandler } from './handlers/work-items';
import type { ClockAlignment, TraceModel } from './types';
import { alignClocks, hostsOf } from './clock-alignment';

/** Merges parsed files into a model. Files must be added in a stable order (pid, serial). */
export class ModelAssembler {
  private readonly warnings: string[] = [];
  private formatVersion = 0;
  private clocks: ClockAlignment[] = [];
  private readonly processes: ProcessesHandler;
  private readonly interning = new InterningHandler();
  private readonly lanes: LanesHandler;
  private readonly waits: WaitsHandler;
  private readonly lockHolds: LockHoldsHandler;
  private readonly samples: SamplesHandler;
  private readonly flows: FlowsHandler;
  private readonly threadTimes: ThreadTimesHandler;
  private readonly locks: LockStatsHandler;
  private readonly hotspots: HotspotsHandler;
  private readonly callTree: CallTreeHandler;
  private readonly diagnostics: DiagnosticsHandler;
  private readonly counters = new CountersHandler();
  private readonly workItems: WorkItemsHandler;
  private readonly messages = new MessagesHandler();
  private readonly tasks: TasksHandler;
  private readonly loopBlocks: LoopBlocksHandler;
  private readonly stalls: StallsHandler;
  private readonly lockOrder = new LockOrderHandler();
  private readonly heldAcross: HeldAcrossHandler;
  /** In dependency order: each handler's constructor arguments come earlier in this list. */
  private readonly ordered: ModelHandler<unknown>[];

  constructor(run: RunInfo | null = null, warnings: readonly string[] = []) {
    this.warnings.push(...warnings);
    this.processes = new ProcessesHandler(run);
    this.lanes = new LanesHandler(() => this.processes.data().processes);
    const objects = () => this.interning.data().objects;
    const frames = () => this.interning.data().frames;
    const sites = () => this.interning.data().sites;
    const lanes = () => this.lanes.data().lanes;
    // Open waits last until their lane's end (handlers/waits.ts).
    this.waits = new WaitsHandler(lanes);
    // Waits as every later handler reads them: with the holders and wakers of
    // multiprocessing locks estimated from hold spans (the same columns, filled in).
    this.lockHolds = new LockHoldsHandler(objects, () => this.waits.data());
    const waits = () => this.lockHolds.data().waits;
    this.samples = new SamplesHandler(frames);
    this.tasks = new TasksHandler(lanes, waits);
    this.loopBlocks = new LoopBlocksHandler(waits, () => this.samples.data(), frames, sites);
    this.flows = new FlowsHandler(waits, () => this.lanes.data(), () => this.processes.data(), () => this.tasks.data().tasks);
    this.threadTimes = new ThreadTimesHandler(lanes, waits);
    this.locks = new LockStatsHandler(objects, waits);
    this.hotspots = new HotspotsHandler(() => this.samples.data(), lanes, frames, sites);
    this.callTree = new CallTreeHandler(() => this.samples.data(), waits, lanes, frames, sites, () => this.tasks.data().taskSteps);
    this.stalls = new StallsHandler(lanes, objects, waits);
    this.heldAcross = new HeldAcrossHandler(lanes, objects, waits, () => this.stalls.data());
    this.diagnostics = new DiagnosticsHandler({
      processes: () => this.processes.data().processes, lanes, sites, objects, waits,
      locks: () => this.locks.data(), threadTimes: () => this.threadTimes.data(), loopBlocks: () => this.loopBlocks.data(),
      stalls: () => this.stalls.data(), lockOrderInversions: () => this.lockOrder.data(), heldAcrossWaits: () => this.heldAcross.data(),
    });
    this.workItems = new WorkItemsHandler(() => this.flows.data().spans);
    this.ordered = [
      this.processes, this.interning, this.lanes, this.waits, this.lockHolds, this.samples, this.tasks, this.loopBlocks, this.flows,
      this.workItems, this.messages, this.threadTimes, this.locks, this.hotspots, this.callTree, this.stalls, this.lockOrder, this.heldAcross,
      this.diagnostics, this.counters,
    ];
    for (const h of this.ordered) h.reset();
  }

  addFile(f: ParsedFile): void {
    this.formatVersion = Math.max(this.formatVersion, f.header.version);
    this.warnings.push(...f.warnings);
    for (const m of f.messages) this.warnings.push(`agent in process ${f.header.pid} (${m.level}): ${m.message}`);
    const empty = new IdMap(0);
    const ctx: FileContext = { header: f.header, process: -1, sites: empty, objects: empty, frames: empty, lanes: empty };
    for (const h of this.ordered) h.handleFile(f, ctx);
  }

  /** Every clock domain and how it was put on the timeline (clock-alignment.ts). */
  setClocks(clocks: ClockAlignment[]): void {
    this.clocks = clocks;
  }

  addWarning(message: string): void {
    this.warnings.push(message);
  }

  finish(): TraceModel {
    for (const h of this.ordered) h.finalize();
    const { processes } = this.processes.data();
    this.warnings.push(...this.processes.data().warnings);
    const { sites, objects, frames } = this.interning.data();
    const { lanes } = this.lanes.data();
    const flows = this.flows.data();
    let startNs = Infinity;
    let endNs = -Infinity;
    for (const p of processes) {
      startNs = Math.min(startNs, p.startNs);
      endNs = Math.max(endNs, p.endNs);
    }
    for (const l of lanes) endNs = Math.max(endNs, l.endNs);
    if (!Number.isFinite(startNs)) {
      startNs = 0;
      endNs = 0;
    }
    const model: TraceModel = {
      formatVersion: this.formatVersion || FORMAT_VERSION,
      warnings: this.warnings,
      startNs: startNs as Ns,
      endNs: endNs as Ns,
      processes,
      hosts: this.processes.data().hosts,
      clocks: this.clocks,
      lanes,
      sites,
      objects,
      frames,
      waits: this.lockHolds.data().waits,
      samples: this.samples.data(),
      spans: flows.spans,
      flows: flows.flows,
      threadTimes: this.threadTimes.data(),
      locks: this.locks.data(),
      hotspots: this.hotspots.data(),
      callTree: this.callTree.data(),
      diagnostics: this.diagnostics.data(),
      counters: this.counters.data(),
      workItems: this.workItems.data(),
      messages: this.messages.data(),
      lockHolds: this.lockHolds.data().holds,
      taskSteps: this.tasks.data().taskSteps,
      tasks: this.tasks.data().tasks,
      taskGroups: this.tasks.data().taskGroups,
      loopBlocks: this.loopBlocks.data(),
      stalls: this.stalls.data(),
      lockOrderInversions: this.lockOrder.data(),
      heldAcrossWaits: this.heldAcross.data(),
    };
    return freezeTables(model);
  }
}

/**
 * Freezes the model and each of its tables (arrays and column objects), not every row:
 * freezing millions of rows one by one cost more than building them. Rows are read-only by
 * contract.
 */
function freezeTables<T extends object>(o: T): T {
  for (const v of Object.values(o)) {
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) Object.freeze(v);
  }
  return Object.freeze(o);
}

export interface LoadOptions extends ReadOptions {
  /** Worker threads for parsing: "auto" (default) uses them when two or more files are big. */
  parallel?: Parallelism;
  /** Use this parser instead of choosing one (tests). The caller closes it. */
  parser?: TraceFileParser;
}

/**
 * Reads a trace directory (or one process file) into a frozen model. Files are parsed in
 * parallel when the parser allows and merged in pid order, so the model does not depend on
 * which worker finished first. A file that is empty or not a trace is skipped with a warning
 * when other files are readable; when none is, its error is thrown.
 */
export async function loadTrace(target: string | readonly string[], opts: LoadOptions = {}): Promise<TraceModel> {
  // Several folders (or a folder of folders, one per host or rank) are read in listing order:
  // folder, then host, pid, serial. Every file is parsed before any is merged, because
  // clock-alignment.ts needs all of them (another host's offset comes from the messages of
  // both) to put every time on one timeline before any model handler reads one.
  const listing = await listTraceFiles(target);
  const parser = opts.parser ?? (await createParser(listing.files, opts));
  try {
    const assembler = new ModelAssembler(listing.run, listing.warnings);
    const settle = (file: string): Promise<{ parsed: ParsedFile | null; error: unknown }> => parser.parse(file).then(
      (parsed) => ({ parsed, error: null }),
      (error: unknown) => ({ parsed: null, error }),
    );
    // Workers: every file at once (the pool queues them). In-process: one at a time.
    const parsedFiles: ParsedFile[] = [];
    const pending = parser.kind === 'workers' ? listing.files.map((f) => settle(f.path)) : null;
    let loaded = 0;
    let firstError: unknown = null;
    for (let i = 0; i < listing.files.length; i++) {
      const { parsed, error } = await (pending?.[i] ?? settle((listing.files[i] as { path: string }).path));
      if (parsed !== null) {
        parsedFiles.push(parsed);
        loaded++;
      } else if (error instanceof TraceError) {
        firstError ??= error;
        assembler.addWarning(`${error.message} (skipped)`);
      } else {
        throw error;
      }
    }
    if (loaded === 0) throw firstError;
    const aligned = alignClocks(parsedFiles, hostsOf(parsedFiles));
    assembler.setClocks(aligned.clocks);
    for (const w of aligned.warnings) assembler.addWarning(w);
    for (const f of parsedFiles) assembler.addFile(f);
    parsedFiles.length = 0;
    for (const w of parser.warnings) assembler.addWarning(w);
    return assembler.finish();
  } finally {
    if (opts.parser === undefined) await parser.close();
  }
}
