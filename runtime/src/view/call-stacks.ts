/**
 * Stack samples for the flame graph and call tree of the webview and the report (issue 16):
 * the model's frame tree and samples as columns, in view ns, with each sample's category and
 * on-CPU share (model/handlers/call-tree.ts), so that the webview builds a call tree for any
 * lane, process and time range with the same pure builder as the summary
 * (model/call-tree.ts, re-exported here because the webview may import only view and format
 * modules).
 *
 * Size: 17 bytes a sample (1M samples: 17 MB of columns, ~23 MB of base64 in a report) plus 8
 * a frame. Samples without a Python frame are left out.
 */
import type { TraceModel } from '../model/types';
import {
  buildCallTree, functionTable, type CallSite, type CallTreeInput, type CallTreeOptions, type CallTreeResult, type FunctionTable,
} from '../model/call-tree';

export {
  buildCallTree, callEdges, categoryName, CATEGORY_COUNT, functionTable, isLibraryFile, isWaitCategory, lowerBound, nodePath,
  ON_CPU_SCALE, SampleCategory, samplesUnder, upperBound,
} from '../model/call-tree';
export type { CallSite, CallTree, CallTreeInput, CallTreeOptions, CallTreeResult, FunctionTable } from '../model/call-tree';

export interface CallStackTable {
  frameParent: Int32Array;
  frameSite: Int32Array;
  /** Samples by time (view ns), each on a lane, with its leaf frame. */
  samples: { count: number; ts: Float64Array; lane: Int32Array; frame: Int32Array; category: Uint8Array; onCpu: Uint8Array; task?: Int32Array };
  /** What one sample of each lane stands for (its process's achieved period), ns. */
  laneWeightNs: Float64Array;
  /** The achieved sampling period of each process, ns (0: it did not sample). */
  periodNs: Float64Array;
}

/** The table, or null when the model has no call tree (a hand-built model) or no samples. */
export function buildCallStacks(model: TraceModel, originNs: number): CallStackTable | null {
  const ct = model.callTree;
  if (ct === undefined) return null;
  const s = ct.input.samples;
  const keep: number[] = [];
  for (let i = 0; i < s.count; i++) if ((s.frame[i] as number) >= 0) keep.push(i);
  const n = keep.length;
  const out = {
    count: n, ts: new Float64Array(n), lane: new Int32Array(n), frame: new Int32Array(n), category: new Uint8Array(n), onCpu: new Uint8Array(n),
  };
  const task = s.task === undefined ? null : new Int32Array(n);
  keep.forEach((i, k) => {
    if (task !== null) task[k] = s.task?.[i] as number;
    out.ts[k] = (s.ts[i] as number) - originNs;
    out.lane[k] = s.lane[i] as number;
    out.frame[k] = s.frame[i] as number;
    out.category[k] = s.category[i] as number;
    out.onCpu[k] = s.onCpu?.[i] ?? 255;
  });
  return {
    frameParent: ct.input.frameParent, frameSite: ct.input.frameSite, samples: task === null ? out : { ...out, task }, laneWeightNs: ct.input.laneWeightNs,
    periodNs: Float64Array.from(ct.periodNs),
  };
}

/** The builder's input over a call-stack table and the view's sites. */
export function callTreeInput(t: CallStackTable, sites: readonly CallSite[]): CallTreeInput {
  return { frameParent: t.frameParent, frameSite: t.frameSite, sites, samples: t.samples, laneWeightNs: t.laneWeightNs };
}

/** A call tree of the view's samples (the webview's entry point). */
export function viewCallTree(input: CallTreeInput, fns: FunctionTable, opts: CallTreeOptions): CallTreeResult {
  return buildCallTree(input, fns, opts);
}

export { functionTable as viewFunctionTable };
