/**
 * Call tree of the whole run (issue 16): what each stack sample's time was, and the tree,
 * functions and lines built from them by the pure builder in ../call-tree.ts.
 *
 * Per sample, one category byte ({@link SampleCategory}):
 * - WAITING: the reason of the recorded wait (`W`) on the same lane that covers the sample's
 *   time (waits are sorted by begin, so one forward cursor per lane finds it), else unknown.
 * - RUNNING, with `onCpu`: how much of the time the sample stands for the lane's CPU clock
 *   advanced since its previous RUNNING sample, as a share (0..255); the rest of its time is
 *   "not on a CPU" (an estimate). CPU time beyond one sample's share carries to the next.
 *   Lanes without CPU clocks, and a lane's first sample, count as on a CPU.
 *
 * Samples are on threads; an asyncio task's samples are those its steps cover
 * ({@link sampleTasks}), so a call tree can be asked for one task too.
 *
 * Each sample stands for its process's achieved sampling period (first to last tick over the
 * ticks, hotspots.ts `effectiveSamplePeriod`), never the configured rate.
 */
import { SampleState } from '../../format/spec';
import { buildCallTree, functionTable, ON_CPU_SCALE, SampleCategory, type CallTreeInput, type CallTreeResult, type FunctionTable } from '../call-tree';
import type { ParsedFile } from '../parsed-file';
import type { FrameNode, Lane, SampleColumns, SourceSite, TaskStepColumns, WaitColumns } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';
import { effectiveSamplePeriod } from './hotspots';

/** CPU time carried between sample intervals at most (a few scheduler ticks). */
const MAX_CARRY_NS = 50e6;

export interface CallTreeData {
  /** The builder's input over the model's columns: reuse it to build other selections. */
  input: CallTreeInput;
  functions: FunctionTable;
  /** Achieved sampling period per process (index of TraceModel.processes), ns; 0: none. */
  periodNs: number[];
  /** The whole run, every lane, library frames kept (the summary's functions and lines). */
  all: CallTreeResult;
  /** The whole run with library frames folded into their callers (hot paths). */
  user: CallTreeResult;
}

/** One category byte and one on-CPU share per sample (see the module comment). */
export function sampleCategories(s: SampleColumns, w: WaitColumns, laneWeightNs: Float64Array): { category: Uint8Array; onCpu: Uint8Array } {
  const laneCount = laneWeightNs.length;
  const out = new Uint8Array(s.count);
  const onCpu = new Uint8Array(s.count).fill(ON_CPU_SCALE);
  // Waits per lane, in begin order (CSR).
  const offsets = new Uint32Array(laneCount + 1);
  for (let i = 0; i < w.count; i++) {
    const l = w.lane[i] as number;
    if (l >= 0 && l < laneCount) offsets[l + 1] = (offsets[l + 1] as number) + 1;
  }
  for (let l = 0; l < laneCount; l++) offsets[l + 1] = (offsets[l + 1] as number) + (offsets[l] as number);
  const rows = new Int32Array(offsets[laneCount] as number);
  const fill = offsets.slice(0, laneCount);
  for (let i = 0; i < w.count; i++) {
    const l = w.lane[i] as number;
    if (l < 0 || l >= laneCount) continue;
    rows[fill[l] as number] = i;
    fill[l] = (fill[l] as number) + 1;
  }
  const cursor = offsets.slice(0, laneCount);
  const prevTs = new Float64Array(laneCount).fill(Number.NaN);
  const prevCpu = new Float64Array(laneCount).fill(Number.NaN);
  const carry = new Float64Array(laneCount);
  const cpu = s.cpu;
  for (let i = 0; i < s.count; i++) {
    const l = s.lane[i] as number;
    if (l < 0 || l >= laneCount) continue;
    const t = s.ts[i] as number;
    if (s.state[i] === SampleState.WAITING) {
      const end = offsets[l + 1] as number;
      let c = cursor[l] as number;
      while (c < end && (w.end[rows[c] as number] as number) < t) c++;
      cursor[l] = c;
      const r = c < end ? (rows[c] as number) : -1;
      out[i] = r >= 0 && (w.begin[r] as number) <= t ? SampleCategory.WAIT_BASE + (w.reason[r] as number) : SampleCategory.WAIT_UNKNOWN;
      prevTs[l] = Number.NaN;
      carry[l] = 0;
      continue;
    }
    const c1 = cpu === undefined ? Number.NaN : (cpu[i] as number);
    const t0 = prevTs[l] as number;
    const c0 = prevCpu[l] as number;
    out[i] = SampleCategory.RUNNING;
    if (!Number.isNaN(t0) && !Number.isNaN(c0) && !Number.isNaN(c1) && t > t0) {
      // Linux thread CPU clocks advance in scheduler-tick steps: one interval reads 0, the
      // next twice its length. CPU time beyond the interval is carried to the next one, so
      // the shares add up to the CPU time the clock measured (0.61 s of 0.99 s without it).
      // The share is of what the sample stands for (the achieved period), not of the time
      // since the previous sample: a sampler that fell behind takes two samples 0.1 ms apart,
      // and the second would otherwise read "0 % on a CPU" for a whole period.
      const w = laneWeightNs[l] as number;
      const credit = Math.max(0, c1 - c0) + (carry[l] as number);
      const share = w > 0 ? Math.min(1, credit / w) : 1;
      carry[l] = Math.min(credit - share * w, MAX_CARRY_NS);
      onCpu[i] = Math.round(share * ON_CPU_SCALE);
    }
    prevTs[l] = t;
    prevCpu[l] = c1;
  }
  return { category: out, onCpu };
}

/**
 * The asyncio task each sample ran for: the task lane whose step (`R`) on the sample's thread
 * covers its time, -1 for none. Samples are on threads (the sampler reads threads' stacks); a
 * step says which task the loop was running then. Null when the run had no task steps.
 */
export function sampleTasks(s: SampleColumns, steps: TaskStepColumns | undefined, lanes: readonly Lane[]): Int32Array | null {
  if (steps === undefined || steps.count === 0) return null;
  const laneCount = lanes.length;
  // Steps per thread (the task lane's parent), in begin order (CSR).
  const threadOf = (step: number): number => {
    const p = lanes[steps.lane[step] as number]?.parentLane;
    return p === null || p === undefined || p < 0 || p >= laneCount ? -1 : p;
  };
  const offsets = new Uint32Array(laneCount + 1);
  for (let i = 0; i < steps.count; i++) {
    const t = threadOf(i);
    if (t >= 0) offsets[t + 1] = (offsets[t + 1] as number) + 1;
  }
  for (let l = 0; l < laneCount; l++) offsets[l + 1] = (offsets[l + 1] as number) + (offsets[l] as number);
  const rows = new Int32Array(offsets[laneCount] as number);
  const fill = offsets.slice(0, laneCount);
  for (let i = 0; i < steps.count; i++) {
    const t = threadOf(i);
    if (t < 0) continue;
    rows[fill[t] as number] = i;
    fill[t] = (fill[t] as number) + 1;
  }
  const cursor = offsets.slice(0, laneCount);
  const out = new Int32Array(s.count).fill(-1);
  for (let i = 0; i < s.count; i++) {
    const l = s.lane[i] as number;
    if (l < 0 || l >= laneCount) continue;
    const end = offsets[l + 1] as number;
    const t = s.ts[i] as number;
    let c = cursor[l] as number;
    while (c < end && (steps.end[rows[c] as number] as number) < t) c++;
    cursor[l] = c;
    const r = c < end ? (rows[c] as number) : -1;
    if (r >= 0 && (steps.begin[r] as number) <= t) out[i] = steps.lane[r] as number;
  }
  return out;
}

/** Frame columns from the model's frame table. */
export function frameColumns(frames: readonly FrameNode[]): { frameParent: Int32Array; frameSite: Int32Array } {
  const frameParent = new Int32Array(frames.length);
  const frameSite = new Int32Array(frames.length);
  frames.forEach((f, i) => {
    frameParent[i] = f.parent;
    frameSite[i] = f.site;
  });
  return { frameParent, frameSite };
}

export class CallTreeHandler implements ModelHandler<CallTreeData> {
  private period: number[] = [];
  private result: CallTreeData | null = null;

  constructor(
    private readonly samples: () => SampleColumns,
    private readonly waits: () => WaitColumns,
    private readonly lanes: () => Lane[],
    private readonly frames: () => FrameNode[],
    private readonly sites: () => SourceSite[],
    private readonly taskSteps: () => TaskStepColumns | undefined = () => undefined,
  ) {}

  reset(): void {
    this.period = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    this.period[ctx.process] = effectiveSamplePeriod(f);
  }

  finalize(): void {
    const s = this.samples();
    const lanes = this.lanes();
    const sites = this.sites();
    const laneWeightNs = Float64Array.from(lanes, (l) => this.period[l.process] ?? 0);
    const tasks = sampleTasks(s, this.taskSteps(), lanes);
    const input: CallTreeInput = {
      ...frameColumns(this.frames()), sites,
      samples: {
        count: s.count, ts: s.ts, lane: s.lane, frame: s.frame, ...sampleCategories(s, this.waits(), laneWeightNs),
        ...(tasks === null ? {} : { task: tasks }),
      },
      laneWeightNs,
    };
    const functions = functionTable(sites);
    const periodNs = Array.from({ length: Math.max(this.period.length, 0) }, (_, i) => this.period[i] ?? 0);
    this.result = {
      input, functions, periodNs,
      all: buildCallTree(input, functions, { lines: true }),
      user: buildCallTree(input, functions, { hideLibrary: true }),
    };
  }

  data(): CallTreeData {
    return ready(this.result, 'CallTreeHandler');
  }
}
