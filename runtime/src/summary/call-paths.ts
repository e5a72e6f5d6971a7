/**
 * The summary's time by call path (issue 16): `functions`, `hotPaths`, `lines`, `sampling`
 * from the model's call tree (model/handlers/call-tree.ts), and the text section "Time by
 * function". Kept beside summary.ts so that section stays one call there.
 */
import { CATEGORY_COUNT, categoryName, isWaitCategory, nodePath, SampleCategory, type CallTree } from '../model/call-tree';
import type { TraceModel } from '../model/types';
import type { CallEdgeSummary, FunctionSummary, HotPathSummary, LineTimeSummary, SamplingSummary, Summary } from './schema';

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

/** Defaults: functions kept (by inclusive time), lines kept, hot paths. */
export const CALL_PATH_LIMITS = { functions: 100, lines: 300, hotPaths: 10 } as const;

/** Callers and callees kept per function. */
const MAX_EDGES = 5;

/**
 * Call edges of the kept functions in one pass over the tree: caller → callee with the
 * callee node's inclusive time, summed over the nodes of that edge. A recursive function
 * is its own caller and callee; an edge inside a recursion is counted at each level.
 */
function callGraph(tree: CallTree, kept: ReadonlySet<number>): { callers: Map<number, Map<number, number>>; callees: Map<number, Map<number, number>> } {
  const callers = new Map<number, Map<number, number>>();
  const callees = new Map<number, Map<number, number>>();
  const add = (m: Map<number, Map<number, number>>, a: number, b: number, v: number): void => {
    let e = m.get(a);
    if (e === undefined) m.set(a, (e = new Map()));
    e.set(b, (e.get(b) ?? 0) + v);
  };
  for (let n = 1; n < tree.nodeCount; n++) {
    const p = tree.parent[n] as number;
    if (p <= 0) continue;
    const callee = tree.func[n] as number;
    const caller = tree.func[p] as number;
    const v = tree.totalNs[n] as number;
    if (kept.has(callee)) add(callers, callee, caller, v);
    if (kept.has(caller)) add(callees, caller, callee, v);
  }
  return { callers, callees };
}

export interface CallPathSections {
  functions: FunctionSummary[];
  hotPaths: HotPathSummary[];
  lines: LineTimeSummary[];
  sampling: SamplingSummary[];
  samplingPeriodMs: number | null;
  sampledMs: number;
  /** Functions left out by the limit. */
  omittedFunctions: number;
}

export function summarizeCallPaths(model: TraceModel, limits: { functions?: number; lines?: number } = {}): CallPathSections {
  const sampling = model.processes.flatMap((p): SamplingSummary[] => (p.traced === false ? [] : [{
    pid: p.pid, requestedHz: p.sampleHz, periodMs: ms(model.callTree?.periodNs[p.index] ?? 0),
  }]));
  const ct = model.callTree;
  if (ct === undefined) {
    return { functions: [], hotPaths: [], lines: [], sampling, samplingPeriodMs: null, sampledMs: 0, omittedFunctions: 0 };
  }
  const { functions: fns, all, user } = ct;
  const sampledNs = all.tree.totalNs[0] ?? 0;
  // Sample-weighted mean period: all sampled time over all samples.
  const samplingPeriodMs = all.tree.samples > 0 ? ms(sampledNs / all.tree.samples) : null;
  const t = all.functions;
  const order: number[] = [];
  for (let f = 0; f < fns.count; f++) if ((t.totalSamples[f] as number) > 0) order.push(f);
  order.sort((a, b) => (t.totalNs[b] as number) - (t.totalNs[a] as number) || (t.selfNs[b] as number) - (t.selfNs[a] as number) || a - b);
  const maxFunctions = limits.functions ?? CALL_PATH_LIMITS.functions;
  const kept = order.slice(0, maxFunctions);
  const edges = callGraph(all.tree, new Set(kept));
  const edgeList = (m: Map<number, number> | undefined): CallEdgeSummary[] => [...(m ?? new Map<number, number>())]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, MAX_EDGES)
    .map(([g, ns]) => ({ name: fns.name[g] as string, file: fns.file[g] as string, line: fns.line[g] as number, ms: ms(ns) }));
  const functions = kept.map((f): FunctionSummary => {
    const waitingMs: Record<string, number> = {};
    let offCpu = 0;
    let cpu = 0;
    for (let c = 0; c < CATEGORY_COUNT; c++) {
      const v = t.byCategory[f * CATEGORY_COUNT + c] as number;
      if (v === 0) continue;
      if (c === SampleCategory.ON_CPU) cpu += v;
      else if (c === SampleCategory.OFF_CPU_ESTIMATE) offCpu += v;
      else if (isWaitCategory(c)) {
        const k = categoryName(c);
        waitingMs[k] = ms((waitingMs[k] ?? 0) * 1e6 + v);
      }
    }
    return {
      file: fns.file[f] as string, line: fns.line[f] as number, defLine: fns.defKnown[f] === 1, name: fns.name[f] as string,
      library: fns.library[f] === 1, selfMs: ms(t.selfNs[f] as number), totalMs: ms(t.totalNs[f] as number),
      share: sampledNs > 0 ? Math.round(((t.totalNs[f] as number) / sampledNs) * 1e4) / 1e4 : 0,
      runningMs: ms(cpu), notOnCpuEstimateMs: ms(offCpu), waitingMs,
      samples: t.totalSamples[f] as number, selfSamples: t.selfSamples[f] as number,
      ...(edges.callers.has(f) ? { callers: edgeList(edges.callers.get(f)) } : {}),
      ...(edges.callees.has(f) ? { callees: edgeList(edges.callees.get(f)) } : {}),
    };
  });
  // Hot paths: the user-frame tree's nodes with the most self time.
  const ut = user.tree;
  const nodes: number[] = [];
  for (let n = 1; n < ut.nodeCount; n++) if ((ut.selfNs[n] as number) > 0) nodes.push(n);
  nodes.sort((a, b) => (ut.selfNs[b] as number) - (ut.selfNs[a] as number) || a - b);
  const hotPaths = nodes.slice(0, CALL_PATH_LIMITS.hotPaths).map((n): HotPathSummary => {
    let selfSamples = 0;
    for (let k = ut.childOffsets[n] as number; k < (ut.childOffsets[n + 1] as number); k++) selfSamples += ut.totalSamples[ut.children[k] as number] as number;
    return {
      frames: nodePath(ut, n).map((m) => {
        const f = ut.func[m] as number;
        return { file: fns.file[f] as string, line: fns.line[f] as number, name: fns.name[f] as string };
      }),
      selfMs: ms(ut.selfNs[n] as number), totalMs: ms(ut.totalNs[n] as number), samples: (ut.totalSamples[n] as number) - selfSamples,
    };
  });
  // Lines of the user's code by inclusive time.
  const lt = all.lines;
  const lineRows: number[] = [];
  if (lt !== null) {
    model.sites.forEach((site, i) => {
      if ((lt.totalNs[i] as number) > 0 && fns.library[fns.ofSite[i] as number] === 0) lineRows.push(i);
    });
    lineRows.sort((a, b) => (lt.totalNs[b] as number) - (lt.totalNs[a] as number) || a - b);
  }
  const lines = lt === null ? [] : lineRows.slice(0, limits.lines ?? CALL_PATH_LIMITS.lines).map((i): LineTimeSummary => {
    const site = model.sites[i] as { file: string; line: number; func: string };
    return { file: site.file, line: site.line, func: site.func, selfMs: ms(lt.selfNs[i] as number), totalMs: ms(lt.totalNs[i] as number) };
  });
  return {
    functions, hotPaths, lines, sampling, samplingPeriodMs, sampledMs: ms(sampledNs), omittedFunctions: Math.max(0, order.length - maxFunctions),
  };
}

function pct(share: number): string {
  const p = share * 100;
  return p >= 10 ? `${p.toFixed(0)} %` : `${p.toFixed(1)} %`;
}

/**
 * "Time by function": the user's functions with the most inclusive time (library functions
 * are in the JSON), with self time and share, then the hottest paths.
 */
export function formatCallPaths(
  s: Summary, cwd: string, max: number,
  fmt: { formatMs: (v: number) => string; displayPath: (file: string, cwd: string) => string },
): string[] {
  const fns = (s.functions ?? []).filter((f) => !f.library);
  if (fns.length === 0) return [];
  const period = s.samplingPeriodMs === null || s.samplingPeriodMs === undefined ? '' : `; one sample = ${fmt.formatMs(s.samplingPeriodMs)}, the period achieved`;
  const out = ['', `Time by function (from samples, estimates; total includes callees, on CPU is its part the CPU clock measured${period}):`];
  const head = ['total', 'on CPU', 'self', 'share', 'function', 'defined at'];
  const rows = fns.slice(0, max).map((f) => {
    const waited = Object.values(f.waitingMs).reduce((a, b) => a + b, 0);
    const note = waited > 0 ? ` (waiting ${fmt.formatMs(waited)})` : '';
    return [fmt.formatMs(f.totalMs), fmt.formatMs(f.runningMs), fmt.formatMs(f.selfMs), pct(f.share), `${f.name}${note}`, `${fmt.displayPath(f.file, cwd)}:${f.line}${f.defLine ? '' : ' (first sampled line)'}`];
  });
  const width = head.map((h, i) => Math.min(i === 4 ? 48 : 60, Math.max(h.length, ...rows.map((r) => (r[i] as string).length))));
  const line = (r: string[]): string => `  ${r.map((c, i) => {
    const w = width[i] as number;
    const cell = c.length > w ? `${c.slice(0, w - 1)}…` : c;
    return i < 4 ? cell.padStart(w) : cell.padEnd(w);
  }).join('  ').trimEnd()}`;
  out.push(line(head));
  for (const r of rows) out.push(line(r));
  const hidden = (s.functions ?? []).length - fns.length;
  const more = fns.length - rows.length + (s.omitted.functions ?? 0);
  if (more > 0 || hidden > 0) out.push(`  ... ${more > 0 ? `${more} more functions` : ''}${more > 0 && hidden > 0 ? ' and ' : ''}${hidden > 0 ? `${hidden} of the standard library` : ''} (weft summary --json lists them).`);
  const paths = (s.hotPaths ?? []).slice(0, 3);
  if (paths.length > 0) {
    out.push('', 'Hottest call paths (library frames folded into their callers):');
    for (const p of paths) {
      // A deep path keeps its root and its last frames (the JSON has all of them).
      const names = p.frames.map((f) => f.name);
      const shown = names.length > 8 ? [names[0] as string, '…', ...names.slice(-6)] : names;
      out.push(`  ${fmt.formatMs(p.selfMs).padStart(9)}  ${shown.join(' → ')}`);
    }
  }
  return out;
}
