/**
 * The summary: TraceModel -> {@link Summary} (the documented JSON of schema.ts) -> readable
 * text for the terminal. Pure functions, no Node import: the extension can show the same.
 */
import { percentile } from '../model/columns';
import { isInterpreterCommand } from '../model/process-label';
import type { TraceModel } from '../model/types';
import { WAIT_REASONS } from '../format/spec';
import { formatCallPaths, summarizeCallPaths } from './call-paths';
import {
  SUMMARY_SCHEMA_VERSION, type ChannelSummary, type DurationStats, type LoopBlockSummary, type MessagesSummary, type SiteRef, type Summary,
  type GpuQueueSummary, type LaneSummary, type TaskGroupSummary, type ThreadStat, type WorkFunctionSummary, type WorkItemsSummary,
} from './schema';
import { formatStalls, STALL_CODES, summarizeStalls } from './stalls-summary';

/** ns -> ms, rounded to the microsecond. */
const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

export interface SummaryLimits {
  locks: number;
  hotspots: number;
  /** Longest loop blocks kept (default 100). */
  loopBlocks?: number;
  /** Loop blocks shorter than this (ms) are left out, and not counted as omitted (`weft
   * summary --loop-block-ms`): a threshold above the agent's, chosen after the run. */
  minLoopBlockMs?: number;
  /** Functions kept by inclusive time (default 100) and user lines kept (default 300). */
  functions?: number;
  lines?: number;
}

/** Delayed task names listed per loop block; the count says how many there were. */
const MAX_DELAYED_NAMES = 20;

/** The limits `buildSummary` uses when given none. */
export const DEFAULT_LIMITS: Readonly<SummaryLimits> = Object.freeze({ locks: 50, hotspots: 30, loopBlocks: 100 });

export function buildSummary(model: TraceModel, limits: SummaryLimits = DEFAULT_LIMITS): Summary {
  const siteRef = (i: number | null): SiteRef | null => {
    if (i === null || i < 0) return null;
    const s = model.sites[i];
    return s === undefined ? null : { file: s.file, line: s.line, func: s.func };
  };
  const laneName = (i: number): string => model.lanes[i]?.name ?? `lane ${i}`;
  const stat = (h: { lane: number; site: number | null; waits: number; waitNs: number }): ThreadStat => ({
    thread: laneName(h.lane), site: siteRef(h.site), waits: h.waits, waitMs: ms(h.waitNs),
  });
  // Lanes of other kinds than thread, per process (absent when none, so v1 summaries keep
  // their exact shape).
  const laneSummaries = (process: number): { lanes?: LaneSummary[] } => {
    const lanes = model.lanes.filter((l) => l.process === process && l.kind !== 'thread').map((l): LaneSummary => {
      const t = model.threadTimes[l.index];
      const waitMs: Record<string, number> = {};
      for (const [k, v] of Object.entries(t?.waitNs ?? {})) waitMs[k] = ms(v ?? 0);
      return {
        kind: l.kind, name: l.name, parent: l.parentLane === null ? null : laneName(l.parentLane),
        clockDomain: l.clockDomain ?? null, runMs: ms(t?.wallNs ?? 0), waitMs,
      };
    });
    return lanes.length > 0 ? { lanes } : {};
  };
  const processes = model.processes.map((p) => ({
    pid: p.pid, ppid: p.ppid, startMethod: p.startMethod, exitCode: p.exitCode, endReason: p.endReason, argv: [...p.argv],
    complete: p.complete, durationMs: ms(p.endNs - p.startNs), traced: p.traced !== false,
    ...(p.label !== undefined ? { label: p.label } : {}),
    ...(p.endedByParent === true ? { endedByParent: true } : {}),
    ...(p.host !== undefined && p.host > 0 ? { host: p.host } : {}),
    ...laneSummaries(p.index),
    // An untraced process's one lane is a placeholder, not a thread anyone measured.
    threads: p.traced === false ? [] : model.lanes.filter((l) => l.process === p.index && l.kind === 'thread').map((l) => {
      const t = model.threadTimes[l.index];
      const waitMs: Record<string, number> = {};
      for (const [k, v] of Object.entries(t?.waitNs ?? {})) waitMs[k] = ms(v ?? 0);
      return {
        name: l.name, tid: l.tid, nativeId: l.nativeId, daemon: l.daemon,
        runMs: ms(t?.wallNs ?? 0),
        cpuMs: t !== undefined && t.cpuNs !== null ? ms(t.cpuNs) : null,
        waitMs,
        gilWaitEstimateMs: t !== undefined && t.gilWaitEstimateNs !== null ? ms(t.gilWaitEstimateNs) : null,
      };
    }),
  }));
  const pidOf = (process: number): number => model.processes[process]?.pid ?? 0;
  const locks = model.locks.slice(0, limits.locks).map((l) => {
    const o = model.objects[l.object];
    const shared = o?.processes !== undefined && o.processes.length > 1 ? { pids: o.processes.map(pidOf) } : {};
    // Thread names repeat across processes: rows of a shared object say whose thread.
    const peer = 'pids' in shared
      ? (h: Parameters<typeof stat>[0]): ThreadStat => ({ ...stat(h), pid: pidOf(model.lanes[h.lane]?.process ?? -1) })
      : stat;
    return {
      kind: o?.kind ?? 'lock', name: o?.name ?? '',
      pid: o === undefined ? 0 : pidOf(o.process),
      ...shared,
      site: siteRef(o?.site ?? null),
      acquisitions: l.acquisitions, contentions: l.contentions, waitMs: ms(l.waitNs),
      maxWaitMs: ms(l.maxWaitNs), p50WaitMs: ms(l.p50WaitNs), p95WaitMs: ms(l.p95WaitNs),
      contendedHoldMs: ms(l.contendedHoldNs),
      holders: l.holders.map(peer),
      waiters: l.waiters.map(peer),
      // Only when some never ended, so that summaries of traces without open waits keep their shape.
      ...((l.openWaits ?? 0) > 0 ? { openWaits: l.openWaits } : {}),
    };
  });
  const blocks = summarizeLoopBlocks(model, limits.minLoopBlockMs ?? 0);
  const maxBlocks = limits.loopBlocks ?? 100;
  const callPaths = summarizeCallPaths(model, limits);
  const hotspots = model.hotspots.slice(0, limits.hotspots).flatMap((h) => {
    const s = model.sites[h.site];
    return s === undefined ? [] : [{ file: s.file, line: s.line, func: s.func, cpuMs: ms(h.cpuNs), waitMs: ms(h.waitNs), samples: h.samples }];
  });
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    formatVersion: model.formatVersion,
    durationMs: ms(model.endNs - model.startNs),
    processes,
    // Hosts and clocks only when there is more than v1's one unnamed host to tell.
    ...((model.hosts?.length ?? 0) > 1 || model.hosts?.some((h) => h.id !== '')
      ? {
          hosts: (model.hosts ?? []).map((h) => ({ name: h.name, id: h.id })),
          clocks: (model.clocks ?? []).map((c) => ({
            domain: c.domain, host: c.host, method: c.method, offsetMs: ms(c.offsetNs), errorMs: c.errorNs === null ? null : ms(c.errorNs),
          })),
        }
      : {}),
    locks,
    ...summarizeStalls(model, siteRef),
    hotspots,
    diagnostics: model.diagnostics.map((d) => ({
      severity: d.severity, message: d.message, site: siteRef(d.site),
      pid: d.process === null ? null : (model.processes[d.process]?.pid ?? null),
      ...(d.code !== undefined ? { code: d.code } : {}),
      ...(d.related !== undefined && d.related.length > 0
        ? { related: d.related.flatMap((r) => { const site = siteRef(r.site); return site === null ? [] : [{ site, message: r.message }]; }) }
        : {}),
    })),
    warnings: [...model.warnings],
    omitted: {
      locks: Math.max(0, model.locks.length - limits.locks), hotspots: Math.max(0, model.hotspots.length - limits.hotspots),
      // Only when some were left out, so that summaries without asyncio keep their shape.
      ...(blocks.length > maxBlocks ? { loopBlocks: blocks.length - maxBlocks } : {}),
      ...(callPaths.omittedFunctions > 0 ? { functions: callPaths.omittedFunctions } : {}),
    },
    workItems: summarizeWorkItems(model, siteRef),
    messages: summarizeMessages(model, siteRef),
    tasks: summarizeTasks(model, siteRef),
    loopBlocks: blocks.slice(0, maxBlocks),
    ...gpuQueues(model, siteRef),
    // Time by call path (issue 16).
    functions: callPaths.functions,
    hotPaths: callPaths.hotPaths,
    lines: callPaths.lines,
    sampling: callPaths.sampling,
    samplingPeriodMs: callPaths.samplingPeriodMs,
    sampledMs: callPaths.sampledMs,
  };
}

/** GPU queues (lanes of kind gpu-queue): busy and idle time from their spans, operations,
 * bytes copied, and the host's waits for them. Absent when there are none. */
function gpuQueues(model: TraceModel, siteRef: (i: number | null) => SiteRef | null): { gpu?: GpuQueueSummary[] } {
  const queues = model.lanes.filter((l) => l.kind === 'gpu-queue');
  if (queues.length === 0) return {};
  const laneName = (i: number): string => model.lanes[i]?.name ?? `lane ${i}`;
  const gpuSync = (WAIT_REASONS as readonly string[]).indexOf('gpu_sync');
  const gpu = queues.map((q): GpuQueueSummary => {
    const spans = model.spans.filter((s) => s.lane === q.index && (s.kind === 'kernel' || s.kind === 'copy' || s.kind === 'fill'));
    // The queue's objects: what its launches name, else objects of kind gpu_queue of its name.
    const objects = new Set<number>();
    for (const f of model.flows) {
      if (f.kind !== 'launch' || f.toLane !== q.index) continue;
      if (f.object !== null) objects.add(f.object);
    }
    model.objects.forEach((o, i) => {
      if (o.kind === 'gpu_queue' && o.process === q.process && o.name === q.name) objects.add(i);
    });
    // Busy: the union of the spans.
    let busy = 0, reach = -Infinity;
    for (const s of [...spans].sort((a, b) => a.begin - b.begin)) {
      const from = Math.max(s.begin, reach);
      if (s.end > from) busy += s.end - from;
      reach = Math.max(reach, s.end);
    }
    const life = Math.max(0, q.endNs - q.startNs);
    // What a stall waited for: the last operation to end within it, on this queue, else on
    // any GPU queue of the process (PyTorch's stalls and its profiler's kernels are on
    // different lanes). Operations by end time, for a binary search per wait.
    const ends = (list: typeof spans): typeof spans => [...list].sort((a, b) => a.end - b.end);
    const own = ends(spans);
    let siblings: typeof spans | null = null;
    const siblingsOf = (): typeof spans => (siblings ??= ends(model.spans.filter((x) => (x.kind === 'kernel' || x.kind === 'copy' || x.kind === 'fill')
      && model.lanes[x.lane]?.kind === 'gpu-queue' && model.lanes[x.lane]?.process === q.process)));
    const lastEnded = (list: typeof spans, from: number, to: number): (typeof spans)[number] | null => {
      let lo = 0, hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((list[mid] as (typeof spans)[number]).end <= to) lo = mid + 1;
        else hi = mid;
      }
      const op = lo > 0 ? list[lo - 1] : undefined;
      return op !== undefined && op.end >= from ? op : null;
    };
    const stalls = new Map<string, { site: number | null; lane: number; waits: number; waitNs: number; longestNs: number; waitedFor: { kind: string; name: string } | null }>();
    let stallNs = 0;
    const w = model.waits;
    for (let i = 0; i < w.count; i++) {
      if (w.reason[i] !== gpuSync || !objects.has(w.object[i] as number)) continue;
      const site = (w.site[i] as number) < 0 ? null : (w.site[i] as number);
      const lane = w.lane[i] as number;
      const begin = w.begin[i] as number, end = w.end[i] as number;
      const d = end - begin;
      stallNs += d;
      const k = `${lane}:${site}`;
      const e = stalls.get(k) ?? { site, lane, waits: 0, waitNs: 0, longestNs: -1, waitedFor: null };
      e.waits++;
      e.waitNs += d;
      if (d > e.longestNs) {
        // The line's longest wait names the operation (a line may wait for several).
        e.longestNs = d;
        const op = lastEnded(own, begin, end) ?? lastEnded(siblingsOf(), begin, end);
        e.waitedFor = op === null ? null : { kind: op.kind, name: op.label };
      }
      stalls.set(k, e);
    }
    // Queueing gap: from a launch on the host to the operation's start on the device.
    const gaps = model.flows.filter((f) => f.kind === 'launch' && f.toLane === q.index)
      .map((f) => Math.max(0, f.toNs - f.fromNs)).sort((a, b) => a - b);
    const queueGap = gaps.length === 0 ? null : {
      launches: gaps.length, meanMs: ms(gaps.reduce((n, g) => n + g, 0) / gaps.length),
      p95Ms: ms(percentile(gaps, 0.95)), maxMs: ms(gaps[gaps.length - 1] as number),
    };
    const kernels = new Map<string, { name: string; site: number | null; count: number; ns: number }>();
    for (const s of spans) {
      if (s.kind !== 'kernel') continue;
      const k = `${s.label}:${s.site}`;
      const e = kernels.get(k) ?? { name: s.label, site: s.site, count: 0, ns: 0 };
      e.count++;
      e.ns += s.end - s.begin;
      kernels.set(k, e);
    }
    const copies = spans.filter((s) => s.kind === 'copy');
    const copied = model.flows.filter((f) => f.kind === 'launch' && f.toLane === q.index && f.size !== null);
    // Sizes of copies only: a launch's span has its key, its flow does not; match by start.
    const copyStarts = new Set(copies.map((s) => s.begin));
    const bytes = copied.filter((f) => copyStarts.has(f.toNs)).reduce((n, f) => n + (f.size as number), 0);
    // Achieved bandwidth: the copies' bytes over their device time (overlaps counted twice,
    // as the copies' own rates would be).
    const copyNs = copies.reduce((n, c) => n + Math.max(0, c.end - c.begin), 0);
    const copyGBps = bytes > 0 && copyNs > 0 ? Math.round((bytes / copyNs) * 1e3) / 1e3 : null;
    return {
      pid: model.processes[q.process]?.pid ?? 0, name: q.name,
      thread: q.parentLane === null ? null : laneName(q.parentLane), site: siteRef(q.startSite),
      lifeMs: ms(life), busyMs: ms(busy), idleMs: ms(Math.max(0, life - busy)),
      kernels: spans.filter((s) => s.kind === 'kernel').length, copies: copies.length, fills: spans.filter((s) => s.kind === 'fill').length,
      bytesCopied: bytes, copyGBps, hostStallMs: ms(stallNs),
      stalls: [...stalls.values()].sort((a, b) => b.waitNs - a.waitNs).slice(0, 10)
        .map((e) => ({ site: siteRef(e.site), thread: laneName(e.lane), waits: e.waits, waitMs: ms(e.waitNs), waitedFor: e.waitedFor })),
      queueGap,
      byKernel: [...kernels.values()].sort((a, b) => b.ns - a.ns).slice(0, 10)
        .map((e) => ({ name: e.name, site: siteRef(e.site), count: e.count, totalMs: ms(e.ns) })),
    };
  });
  return { gpu };
}

/** Task groups by coroutine, in the model's order (most run time first). */
function summarizeTasks(model: TraceModel, siteRef: (i: number | null) => SiteRef | null): TaskGroupSummary[] {
  const nullableMs = (ns: number | null): number | null => (ns === null ? null : ms(ns));
  return (model.taskGroups ?? []).map((g) => {
    const awaitMs: Record<string, number> = {};
    for (const [k, v] of Object.entries(g.awaitNs)) awaitMs[k] = ms(v ?? 0);
    return {
      pid: model.processes[g.process]?.pid ?? 0, kind: g.kind ?? 'task', coroutine: g.coroutine, site: siteRef(g.coroutineSite), createdAt: siteRef(g.createSite),
      count: g.tasks.length, runMs: ms(g.runNs), awaitMs, p50DurationMs: nullableMs(g.p50DurationNs),
      p95DurationMs: nullableMs(g.p95DurationNs), maxDurationMs: nullableMs(g.maxDurationNs), cancelled: g.cancelled, failed: g.failed,
    };
  });
}

/** Loop blocks of at least `minMs`, longest first (ties: earliest first). */
function summarizeLoopBlocks(model: TraceModel, minMs: number): LoopBlockSummary[] {
  const laneName = (i: number): string => model.lanes[i]?.name ?? `lane ${i}`;
  return (model.loopBlocks ?? [])
    .filter((b) => b.durationNs >= minMs * 1e6)
    .sort((a, b) => b.durationNs - a.durationNs || a.begin - b.begin)
    .map((b) => {
      const site = b.site === null ? undefined : model.sites[b.site];
      return {
        pid: model.processes[model.lanes[b.loopLane]?.process ?? -1]?.pid ?? 0,
        thread: laneName(b.loopLane), task: b.taskLane === null ? null : laneName(b.taskLane),
        beginMs: ms(Math.max(0, b.begin - model.startNs)), durationMs: ms(b.durationNs),
        file: site?.file ?? null, line: site?.line ?? null, function: site?.func ?? null,
        siteSource: site === undefined ? null : b.siteSource,
        delayed: b.delayedLanes.slice(0, MAX_DELAYED_NAMES).map(laneName), delayedCount: b.delayedLanes.length,
      };
    });
}

/** Percentiles, max and total (ms) of durations in ns. */
function durationStats(ns: number[]): DurationStats {
  const sorted = Float64Array.from(ns).sort();
  let total = 0;
  for (const v of ns) total += v;
  return {
    count: ns.length, p50: ms(percentile(sorted, 0.5)), p95: ms(percentile(sorted, 0.95)), max: ms(sorted[sorted.length - 1] ?? 0), total: ms(total),
  };
}

/** Work items by function: the function is the span's label and site, so two functions of
 * the same name in different files stay apart. */
function summarizeWorkItems(model: TraceModel, siteRef: (i: number | null) => SiteRef | null): WorkItemsSummary {
  const items = model.workItems ?? [];
  const groups = new Map<string, { label: string; site: number | null; count: number; completed: number; waits: number[]; runs: number[]; workers: Map<number, number> }>();
  let completed = 0;
  for (const w of items) {
    if (w.completed) completed++;
    const k = `${w.label}\u0000${w.site ?? -1}`;
    let g = groups.get(k);
    if (g === undefined) {
      g = { label: w.label, site: w.site, count: 0, completed: 0, waits: [], runs: [], workers: new Map() };
      groups.set(k, g);
    }
    g.count++;
    if (w.completed) g.completed++;
    if (w.queueWaitNs !== null) g.waits.push(w.queueWaitNs);
    if (w.runNs !== null) g.runs.push(w.runNs);
    const lane = w.workerLane === null ? undefined : model.lanes[w.workerLane];
    if (lane !== undefined) {
      const pid = model.processes[lane.process]?.pid ?? 0;
      g.workers.set(pid, (g.workers.get(pid) ?? 0) + 1);
    }
  }
  const byFunction: WorkFunctionSummary[] = [...groups.values()].map((g) => ({
    function: g.label,
    site: siteRef(g.site),
    count: g.count,
    completed: g.completed,
    queueWaitMs: durationStats(g.waits),
    runMs: durationStats(g.runs),
    workers: [...g.workers].map(([pid, count]) => ({ pid, count })).sort((a, b) => b.count - a.count || a.pid - b.pid),
  }));
  byFunction.sort((a, b) => b.runMs.total - a.runMs.total || b.count - a.count || (a.function < b.function ? -1 : a.function > b.function ? 1 : 0));
  return { count: items.length, completed, byFunction };
}

/** Messages by channel (kind and object), with their routes between processes. */
function summarizeMessages(model: TraceModel, siteRef: (i: number | null) => SiteRef | null): MessagesSummary {
  const messages = model.messages ?? [];
  const pidOfLane = (lane: number | null): number | null => {
    const l = lane === null ? undefined : model.lanes[lane];
    return l === undefined ? null : (model.processes[l.process]?.pid ?? null);
  };
  const channels = new Map<string, ChannelSummary & { routeMap: Map<string, ChannelSummary['routes'][number]> }>();
  let bytes = 0;
  let unreceived = 0;
  for (const m of messages) {
    const k = `${m.kind}\u0000${m.object ?? -1}`;
    let c = channels.get(k);
    if (c === undefined) {
      const o = m.object === null ? undefined : model.objects[m.object];
      c = { kind: m.kind, object: o?.name ?? '', site: siteRef(o?.site ?? null), count: 0, bytes: 0, unreceived: 0, routes: [], routeMap: new Map() };
      channels.set(k, c);
    }
    c.count++;
    const received = m.recvNs !== null;
    if (!received) {
      c.unreceived++;
      unreceived++;
      continue;
    }
    const size = m.size ?? 0;
    c.bytes += size;
    bytes += size;
    const from = pidOfLane(m.fromLane);
    const to = pidOfLane(m.toLane);
    if (from === null || to === null) continue;
    const rk = `${from}>${to}`;
    let r = c.routeMap.get(rk);
    if (r === undefined) {
      r = { fromPid: from, toPid: to, count: 0, bytes: 0 };
      c.routeMap.set(rk, r);
    }
    r.count++;
    r.bytes += size;
  }
  const byChannel: ChannelSummary[] = [...channels.values()].map(({ routeMap, ...c }) => ({
    ...c,
    routes: [...routeMap.values()].sort((a, b) => b.count - a.count || a.fromPid - b.fromPid || a.toPid - b.toPid),
  }));
  byChannel.sort((a, b) => b.count - a.count || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
  return { count: messages.length, bytes, unreceived, byChannel };
}

/** `file` relative to `cwd` when it is inside it, else unchanged. */
export function displayPath(file: string, cwd: string): string {
  if (cwd === '') return file;
  const base = cwd.endsWith('/') || cwd.endsWith('\\') ? cwd : `${cwd}${cwd.includes('\\') && !cwd.includes('/') ? '\\' : '/'}`;
  return file.startsWith(base) ? file.slice(base.length) : file;
}

/** A duration in ms, with a unit, to about three significant digits. */
export function formatMs(v: number): string {
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

function where(s: SiteRef | null, cwd: string): string {
  return s === null ? '?' : `${displayPath(s.file, cwd)}:${s.line}`;
}

/** " at file:line", or nothing when the line is unknown. */
function at(s: SiteRef | null, cwd: string): string {
  return s === null ? '' : ` at ${where(s, cwd)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** "p50 30.0 ms, p95 70.0 ms, max 70.0 ms, total 120 ms". */
function stats(d: DurationStats): string {
  return `p50 ${formatMs(d.p50)}, p95 ${formatMs(d.p95)}, max ${formatMs(d.max)}, total ${formatMs(d.total)}`;
}

/** A byte count for people: "96 B", "1.5 KiB", "12.0 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * The readable report printed by `weft run` (to stderr) and `weft summary`. Paths are shown
 * relative to `cwd` when inside it.
 */
export function formatSummary(
  s: Summary, cwd: string,
  opts: { maxLocks?: number; maxHotspots?: number; maxFunctions?: number; maxChannels?: number; maxLoopBlocks?: number; maxTaskGroups?: number; maxTaskLanes?: number; maxCallPathFunctions?: number } = {},
): string {
  const out: string[] = [];
  const threads = s.processes.reduce((n, p) => n + p.threads.length, 0);
  const procs = s.processes.length;
  const tasks = (s.tasks ?? []).filter((g) => g.kind !== 'greenlet').reduce((n, g) => n + g.count, 0);
  const greenlets = (s.tasks ?? []).filter((g) => g.kind === 'greenlet').reduce((n, g) => n + g.count, 0);
  out.push(`Weft summary: ${formatMs(s.durationMs)}, ${procs} process${procs === 1 ? '' : 'es'}, ${plural(threads, 'thread')}${tasks > 0 ? `, ${plural(tasks, 'asyncio task')}` : ''}${greenlets > 0 ? `, ${plural(greenlets, 'greenlet')}` : ''}`);

  // When the program hung, that comes first (deadlocks, hangs; then inversions and locks held
  // across blocking calls); their findings are not repeated under Findings.
  out.push(...formatStalls(s, (site) => where(site, cwd), formatMs));
  const findings = s.diagnostics.filter((d) => d.code === undefined || !STALL_CODES.has(d.code));
  if (findings.length > 0) {
    out.push('', 'Findings:');
    for (const d of findings) out.push(`  ${d.severity}: ${d.message}`);
  }

  const contended = s.locks.filter((l) => l.contentions > 0);
  out.push('');
  if (contended.length === 0) out.push('No thread waited on a lock or other synchronisation object.');
  else out.push('Contended synchronisation (most total wait first):');
  for (const l of contended.slice(0, opts.maxLocks ?? 8)) {
    const pids = l.pids !== undefined && l.pids.length > 1 ? ` (shared by pids ${l.pids.join(', ')})` : s.processes.length > 1 ? ` (pid ${l.pid})` : '';
    out.push(`  ${l.kind}${l.name ? ` "${l.name}"` : ''} created at ${where(l.site, cwd)}${pids}`);
    const isLock = l.kind === 'lock' || l.kind === 'rlock' || l.kind === 'mp_lock' || l.kind === 'mp_rlock' || l.kind === 'aio_lock';
    // Acquisitions of other kinds count their internal lock's, which means little to a reader.
    const counted = isLock ? `${plural(l.contentions, 'wait')} in ${plural(l.acquisitions, 'acquisition')}` : plural(l.contentions, 'wait');
    out.push(`    ${counted}; ${formatMs(l.waitMs)} waited in total (p50 ${formatMs(l.p50WaitMs)}, p95 ${formatMs(l.p95WaitMs)}, max ${formatMs(l.maxWaitMs)})`);
    if ((l.openWaits ?? 0) > 0) out.push(`    ${plural(l.openWaits ?? 0, 'wait')} never ended (still waiting when the process stopped)`);
    const who = (t: ThreadStat): string => `${t.thread}${t.pid !== undefined ? ` (pid ${t.pid})` : ''}`;
    for (const h of l.holders.slice(0, 3)) {
      out.push(`    ${isLock ? 'held by   ' : 'woken by  '} ${who(h)}${at(h.site, cwd)}: ${plural(h.waits, 'wait')}, ${formatMs(h.waitMs)}`);
    }
    for (const w of l.waiters.slice(0, 3)) {
      out.push(`    waited in  ${who(w)}${at(w.site, cwd)}: ${plural(w.waits, 'wait')}, ${formatMs(w.waitMs)}`);
    }
  }
  if (contended.length > (opts.maxLocks ?? 8)) out.push(`  ... and ${contended.length - (opts.maxLocks ?? 8)} more (weft summary --json lists them).`);

  for (const p of s.processes) {
    const status = p.exitCode !== null ? `exit ${p.exitCode}` : (p.endReason ?? 'end unknown');
    if (p.traced === false) {
      // A multiprocessing child or a Python command without a trace ended before the agent
      // started in it (a Pool terminated at once); anything else is a program of its own.
      const python = p.startMethod !== 'subprocess' || isInterpreterCommand(p.argv);
      const why = python ? 'ended before Weft started in it' : 'not Python';
      out.push('', `Process ${p.pid} (${p.startMethod}, ${status}, not traced: ${why}): ${p.label ?? p.argv.join(' ')}`);
      continue;
    }
    const onHost = s.hosts !== undefined && s.hosts.length > 1 ? ` on ${s.hosts[p.host ?? 0]?.name || `host ${p.host ?? 0}`}` : '';
    // A process its parent ended on purpose (a Pool's workers at shutdown) lost only its last
    // moments, which the status says; "cut short" is for crashes and kills.
    const cut = p.complete || p.endedByParent === true ? '' : ', trace cut short';
    out.push('', `Process ${p.pid}${onHost} (${p.startMethod}, ${status}${cut}): ${p.label ?? p.argv.join(' ')}`);
    const rows = p.threads.map((t) => {
      const waits = Object.entries(t.waitMs).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${formatMs(v)}`).join(', ');
      return [
        t.name, formatMs(t.runMs), t.cpuMs === null ? '?' : formatMs(t.cpuMs), waits === '' ? '-' : waits,
        t.gilWaitEstimateMs === null ? '?' : formatMs(t.gilWaitEstimateMs),
      ];
    });
    const head = ['thread', 'alive', 'running (CPU)', 'waiting, by reason', 'GIL wait (estimate)'];
    const width = head.map((h, i) => Math.min(i === 3 ? 48 : 24, Math.max(h.length, ...rows.map((r) => (r[i] as string).length))));
    const fmt = (r: string[]): string => `  ${r.map((c, i) => {
      const w = width[i] as number;
      const cell = c.length > w ? `${c.slice(0, w - 1)}…` : c;
      return i === 1 || i === 2 ? cell.padStart(w) : cell.padEnd(w);
    }).join('  ').trimEnd()}`;
    out.push(fmt(head));
    for (const r of rows) out.push(fmt(r));
    // A server runs thousands of tasks: past a few, the task table below says it better.
    const maxTaskLanes = opts.maxTaskLanes ?? 8;
    let taskLanes = 0;
    for (const l of p.lanes ?? []) {
      if (l.kind === 'task' && ++taskLanes > maxTaskLanes) continue;
      const waits = Object.entries(l.waitMs).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${formatMs(v)}`).join(', ');
      const on = l.parent === null ? '' : ` on ${l.parent}`;
      const clock = l.clockDomain === null ? '' : ` (own clock ${l.clockDomain}, converted)`;
      out.push(`  ${l.kind} "${l.name}"${on}${clock}: alive ${formatMs(l.runMs)}, waiting ${waits === '' ? '-' : waits}`);
    }
    if (taskLanes > maxTaskLanes) out.push(`  ... and ${taskLanes - maxTaskLanes} more tasks (the asyncio task table below groups them).`);
  }
  for (const c of s.clocks ?? []) {
    if (c.method === 'reference') continue;
    const bound = c.errorMs === null ? 'error not measured (an estimate)' : `within ±${formatMs(c.errorMs)}`;
    out.push(`Clock ${c.domain}: lined up by ${c.method}, offset ${formatMs(c.offsetMs)}, ${bound}`);
  }

  // Older summaries (written before these sections existed) lack them.
  const work = s.workItems as WorkItemsSummary | undefined;
  if (work !== undefined && work.count > 0) {
    const unfinished = work.count - work.completed;
    out.push('', `Work items: ${work.count} (${work.completed} completed${unfinished > 0 ? `, ${unfinished} never finished` : ''})`);
    for (const f of work.byFunction.slice(0, opts.maxFunctions ?? 8)) {
      const name = f.function === '' ? '(function unknown: never finished)' : `${f.function}${at(f.site, cwd)}`;
      out.push(`  ${name}: ${plural(f.count, 'item')}, ${f.completed} completed`);
      if (f.queueWaitMs.count > 0) out.push(`    queue wait ${stats(f.queueWaitMs)}`);
      if (f.runMs.count > 0) out.push(`    run        ${stats(f.runMs)}`);
      if (f.workers.length > 0) out.push(`    workers    ${f.workers.map((w) => `pid ${w.pid} ×${w.count}`).join(', ')}`);
    }
    if (work.byFunction.length > (opts.maxFunctions ?? 8)) out.push(`  ... and ${work.byFunction.length - (opts.maxFunctions ?? 8)} more functions (weft summary --json lists them).`);
  }

  const msgs = s.messages as MessagesSummary | undefined;
  if (msgs !== undefined && msgs.count > 0) {
    out.push('', `Messages between processes: ${plural(msgs.count, 'message')}, ${formatBytes(msgs.bytes)} received${msgs.unreceived > 0 ? `, ${msgs.unreceived} never received` : ''}`);
    for (const c of msgs.byChannel.slice(0, opts.maxChannels ?? 8)) {
      const name = `${c.kind}${c.object ? ` "${c.object}"` : ''}${c.site ? ` created at ${where(c.site, cwd)}` : ''}`;
      out.push(`  ${name}: ${plural(c.count, 'message')}, ${formatBytes(c.bytes)}${c.unreceived > 0 ? `, ${c.unreceived} never received` : ''}`);
      if (c.routes.length > 0) out.push(`    ${c.routes.slice(0, 6).map((r) => `pid ${r.fromPid} → ${r.toPid} ×${r.count}`).join(', ')}${c.routes.length > 6 ? ', ...' : ''}`);
    }
    if (msgs.byChannel.length > (opts.maxChannels ?? 8)) out.push(`  ... and ${msgs.byChannel.length - (opts.maxChannels ?? 8)} more channels (weft summary --json lists them).`);
  }

  out.push(...formatLoopBlocks(s, cwd, opts.maxLoopBlocks ?? 10));
  out.push(...formatTaskGroups(s, cwd, opts.maxTaskGroups ?? 12));
  out.push(...formatGpu(s, cwd));

  if (s.hotspots.length > 0) {
    out.push('', 'Hotspots (from samples, estimates; running / waiting):');
    const shown = s.hotspots.slice(0, opts.maxHotspots ?? 8);
    const locs = shown.map((h) => `${displayPath(h.file, cwd)}:${h.line}`);
    const w = Math.min(60, Math.max(...locs.map((l) => l.length)));
    shown.forEach((h, i) => {
      out.push(`  ${(locs[i] as string).padEnd(w)}  ${formatMs(h.cpuMs).padStart(9)} / ${formatMs(h.waitMs).padStart(9)}  ${h.func}`);
    });
  }

  out.push(...formatCallPaths(s, cwd, opts.maxCallPathFunctions ?? 12, { formatMs, displayPath }));

  if (s.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const w of s.warnings) out.push(`  ${w}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * One loop block as a sentence:
 * `event loop blocked 300 ms at app.py:12 (in blocker; task "Task-2"; delayed 3 tasks)`.
 * The language server says the same (extension/src/server/hotspots.ts).
 */
export function loopBlockLine(b: LoopBlockSummary, cwd: string, withPid = false): string {
  const where = b.file === null || b.line === null ? ' (line unknown: no wait or sample inside it)' : ` at ${displayPath(b.file, cwd)}:${b.line}`;
  const parts: string[] = [];
  if (b.function !== null) parts.push(`in ${b.function}`);
  parts.push(b.task === null ? 'a callback' : `task "${b.task}"`);
  if (withPid) parts.push(`pid ${b.pid}`);
  if (b.delayedCount > 0) parts.push(`delayed ${plural(b.delayedCount, 'task')}`);
  // A line from samples is an estimate; from a recorded wait it is exact.
  if (b.siteSource === 'samples') parts.push('line from samples');
  return `event loop blocked ${formatMs(b.durationMs)}${where} (${parts.join('; ')})`;
}

function formatLoopBlocks(s: Summary, cwd: string, max: number): string[] {
  const blocks = s.loopBlocks ?? [];
  if (blocks.length === 0) return [];
  const pids = new Set(blocks.map((b) => b.pid)).size > 1 || s.processes.length > 1;
  const out = ['', `Event loop blocks (longest first; ${plural(blocks.length + (s.omitted.loopBlocks ?? 0), 'block')}):`];
  for (const b of blocks.slice(0, max)) out.push(`  ${loopBlockLine(b, cwd, pids)}`);
  const more = blocks.length - Math.min(max, blocks.length) + (s.omitted.loopBlocks ?? 0);
  if (more > 0) out.push(`  ... and ${more} more (weft summary --json lists them).`);
  return out;
}

function formatTaskGroups(s: Summary, cwd: string, max: number): string[] {
  const groups = s.tasks ?? [];
  if (groups.length === 0) return [];
  const pids = new Set(groups.map((g) => g.pid)).size > 1;
  const dur = (v: number | null): string => (v === null ? '-' : formatMs(v));
  const rows = groups.slice(0, max).map((g) => {
    const awaits = Object.entries(g.awaitMs).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${formatMs(v)}`).join(', ');
    const name = `${g.coroutine === '' ? '(unknown coroutine)' : g.coroutine}${pids ? ` (pid ${g.pid})` : ''}`;
    return [
      name, String(g.count), formatMs(g.runMs), awaits === '' ? '-' : awaits, dur(g.p50DurationMs), dur(g.p95DurationMs), dur(g.maxDurationMs),
      String(g.cancelled), String(g.failed), g.createdAt === null ? '?' : where(g.createdAt, cwd),
    ];
  });
  const head = ['coroutine', 'tasks', 'running', 'awaiting, by reason', 'p50', 'p95', 'max', 'cancelled', 'failed', 'created at'];
  const left = new Set([0, 3, 9]);
  const width = head.map((h, i) => Math.min(i === 3 ? 44 : i === 9 ? 40 : 28, Math.max(h.length, ...rows.map((r) => (r[i] as string).length))));
  const fmt = (r: string[]): string => `  ${r.map((c, i) => {
    const w = width[i] as number;
    const cell = c.length > w ? `${c.slice(0, w - 1)}…` : c;
    return left.has(i) ? cell.padEnd(w) : cell.padStart(w);
  }).join('  ').trimEnd()}`;
  const title = groups.some((g) => g.kind === 'greenlet')
    ? (groups.some((g) => g.kind !== 'greenlet') ? 'asyncio tasks by coroutine and greenlets by function' : 'Greenlets by function')
    : 'asyncio tasks by coroutine';
  const out = ['', `${title} (durations: creation to end, of the tasks that ended):`, fmt(head)];
  for (const r of rows) out.push(fmt(r));
  if (groups.length > max) out.push(`  ... and ${groups.length - max} more coroutines (weft summary --json lists them).`);
  return out;
}

function formatGpu(s: Summary, cwd: string): string[] {
  const queues = s.gpu ?? [];
  if (queues.length === 0) return [];
  const out = ['', 'GPU queues (device time, on the timeline):'];
  const pids = new Set(queues.map((q) => q.pid)).size > 1;
  for (const q of queues) {
    const busyPct = q.lifeMs > 0 ? ` (${Math.round((100 * q.busyMs) / q.lifeMs)} % of its life)` : '';
    out.push(`  "${q.name}"${pids ? ` (pid ${q.pid})` : ''}${q.thread === null ? '' : ` of ${q.thread}`}${at(q.site, cwd)}: busy ${formatMs(q.busyMs)}${busyPct}, idle ${formatMs(q.idleMs)}`);
    out.push(`    ${plural(q.kernels, 'kernel')}, ${(q.copies === 1 ? '1 copy' : `${q.copies} copies`)} (${formatBytes(q.bytesCopied)}${q.copyGBps != null ? `, ${q.copyGBps} GB/s` : ''}), ${plural(q.fills, 'fill')}; host waited ${formatMs(q.hostStallMs)}`);
    for (const k of q.byKernel.slice(0, 5)) out.push(`    kernel ${k.name}${at(k.site, cwd)}: ${plural(k.count, 'run')}, ${formatMs(k.totalMs)}`);
    if (q.queueGap) out.push(`    queueing gap (launch to start): mean ${formatMs(q.queueGap.meanMs)}, p95 ${formatMs(q.queueGap.p95Ms)}, max ${formatMs(q.queueGap.maxMs)} over ${q.queueGap.launches === 1 ? '1 launch' : `${q.queueGap.launches} launches`}`);
    for (const w of q.stalls.slice(0, 5)) {
      const what = w.waitedFor ? ` (waited for ${w.waitedFor.kind} ${w.waitedFor.name})` : '';
      out.push(`    host waited in ${w.thread}${at(w.site, cwd)}: ${plural(w.waits, 'wait')}, ${formatMs(w.waitMs)}${what}`);
    }
  }
  return out;
}
