/**
 * Aggregations over the ingested model, one concern per function. Each reads the base
 * columns and returns plain data; none mutates its input.
 */
import { WAIT_REASONS, WaitFlags, type Ns, type WaitReason } from '../format/spec';
import type {
  Diagnostic, Flow, Hotspot, LockHolderStat, LockStat, ThreadTime, TraceModel,
} from './types';

const SLEEP = WAIT_REASONS.indexOf('sleep');

/** The user-visible object a wait is charged to: a Queue rather than its internal Condition. */
export function visibleObject(model: TraceModel, obj: number): number {
  let o = obj;
  for (let guard = 0; guard < 8 && o >= 0; guard++) {
    const parent = model.objects[o]?.parent;
    if (parent === null || parent === undefined) return o;
    o = parent;
  }
  return o;
}

/** One arrow per wait that some thread ended: from the releasing lane to the waiter. */
export function computeUnblockFlows(model: TraceModel): Flow[] {
  const w = model.waits;
  const flows: Flow[] = [];
  for (let i = 0; i < w.count; i++) {
    const from = w.wakerLane[i] as number;
    const to = w.lane[i] as number;
    if (from < 0 || from === to || ((w.flags[i] as number) & WaitFlags.TIMED_OUT) !== 0) continue;
    const end = w.end[i] as number;
    const obj = w.object[i] as number;
    flows.push({
      kind: 'unblock', fromLane: from, fromNs: end as Ns, toLane: to, toNs: end as Ns,
      object: obj >= 0 ? obj : null, size: null,
    });
  }
  return flows;
}

/**
 * Per-thread split of wall time. Waits are merged per lane first so that overlapping
 * records never count twice. The GIL-wait figure is an estimate: time alive, not waiting on
 * anything recorded, and not on the CPU (runnable but not running, or blocked in native code).
 */
export function computeThreadTimes(model: TraceModel, cpuFirst: Map<number, number>, cpuLast: Map<number, number>): ThreadTime[] {
  const perLane = model.lanes.map(() => ({ reasons: new Map<number, number>(), lastEnd: 0, total: 0 }));
  const w = model.waits;
  for (let i = 0; i < w.count; i++) {
    const acc = perLane[w.lane[i] as number];
    if (!acc) continue;
    const b = Math.max(w.begin[i] as number, acc.lastEnd);
    const e = w.end[i] as number;
    if (e <= b) continue;
    const r = w.reason[i] as number;
    acc.reasons.set(r, (acc.reasons.get(r) ?? 0) + (e - b));
    acc.total += e - b;
    acc.lastEnd = e;
  }
  return model.lanes.map((lane, i) => {
    const acc = perLane[i] as { reasons: Map<number, number>; total: number };
    const wallNs = Math.max(0, lane.endNs - lane.startNs);
    const last = cpuLast.get(i);
    // CPU clocks start at thread creation; the first reading of a thread that started before
    // the agent (the main thread) includes interpreter start-up, so use the delta for it.
    const first = lane.tid === 1 ? (cpuFirst.get(i) ?? 0) : 0;
    const cpuNs = last === undefined ? null : Math.max(0, Math.min(wallNs, last - first));
    const waitNs: Partial<Record<WaitReason, number>> = {};
    for (const [r, ns] of acc.reasons) waitNs[WAIT_REASONS[r] as WaitReason] = ns;
    const gil = cpuNs === null ? null : Math.max(0, wallNs - cpuNs - acc.total);
    return { lane: i, wallNs, cpuNs, waitNs, gilWaitEstimateNs: gil };
  });
}

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[idx] as number;
}

/** Contention statistics per user-visible synchronisation object (sleep is not one). */
export function computeLockStats(model: TraceModel, acquisitions: Map<number, number>): LockStat[] {
  interface Acc {
    waits: number[];
    total: number;
    /** Union of wait intervals, built incrementally: waits arrive sorted by begin. */
    unionNs: number;
    curBegin: number;
    curEnd: number;
    holders: Map<number, LockHolderStat>;
    waiters: Map<number, { lane: number; site: number | null; waits: number; waitNs: number }>;
  }
  // Numeric keys (lane, site) -> lane * 2^24 + site + 1: no string per wait.
  const key = (lane: number, site: number): number => lane * 16_777_216 + site + 1;
  const byObj = new Map<number, Acc>();
  const w = model.waits;
  for (let i = 0; i < w.count; i++) {
    if (w.reason[i] === SLEEP) continue;
    const raw = w.object[i] as number;
    if (raw < 0) continue;
    const obj = visibleObject(model, raw);
    // A join waits for a thread to finish, not for a shared resource: it counts in the
    // thread's wait time but is not contention.
    const kind = model.objects[obj]?.kind;
    if (kind === 'thread' || kind === 'timer') continue;
    let acc = byObj.get(obj);
    if (!acc) {
      acc = { waits: [], total: 0, unionNs: 0, curBegin: -1, curEnd: -1, holders: new Map(), waiters: new Map() };
      byObj.set(obj, acc);
    }
    const b = w.begin[i] as number;
    const e = w.end[i] as number;
    const d = e - b;
    acc.waits.push(d);
    acc.total += d;
    if (b > acc.curEnd) {
      if (acc.curEnd > acc.curBegin) acc.unionNs += acc.curEnd - acc.curBegin;
      acc.curBegin = b;
      acc.curEnd = e;
    } else if (e > acc.curEnd) acc.curEnd = e;
    const hl = w.holderLane[i] as number;
    const hs = w.holderSite[i] as number;
    const holderLane = hl >= 0 ? hl : (w.wakerLane[i] as number);
    if (holderLane >= 0) {
      const k = key(holderLane, hs);
      let h = acc.holders.get(k);
      if (!h) {
        h = { lane: holderLane, site: hs >= 0 ? hs : null, waits: 0, waitNs: 0 };
        acc.holders.set(k, h);
      }
      h.waits++;
      h.waitNs += d;
    }
    const lane = w.lane[i] as number;
    const ws = w.site[i] as number;
    const wk = key(lane, ws);
    let wt = acc.waiters.get(wk);
    if (!wt) {
      wt = { lane, site: ws >= 0 ? ws : null, waits: 0, waitNs: 0 };
      acc.waiters.set(wk, wt);
    }
    wt.waits++;
    wt.waitNs += d;
  }
  const childAcq = new Map<number, number>();
  for (const o of model.objects) {
    if (o.parent !== null) childAcq.set(o.parent, (childAcq.get(o.parent) ?? 0) + (acquisitions.get(o.index) ?? 0));
  }
  const stats: LockStat[] = [];
  for (const [obj, acc] of byObj) {
    const sorted = Float64Array.from(acc.waits).sort();
    const union = acc.unionNs + (acc.curEnd > acc.curBegin ? acc.curEnd - acc.curBegin : 0);
    // Acquisitions of a primitive's internal lock count for the primitive.
    const acq = (acquisitions.get(obj) ?? 0) + (childAcq.get(obj) ?? 0);
    stats.push({
      object: obj,
      acquisitions: Math.max(acq, acc.waits.length),
      contentions: acc.waits.length,
      waitNs: acc.total,
      maxWaitNs: sorted[sorted.length - 1] ?? 0,
      p50WaitNs: percentile(sorted, 0.5),
      p95WaitNs: percentile(sorted, 0.95),
      contendedHoldNs: union,
      holders: [...acc.holders.values()].sort((a, b) => b.waitNs - a.waitNs),
      waiters: [...acc.waiters.values()].sort((a, b) => b.waitNs - a.waitNs),
    });
  }
  return stats.sort((a, b) => b.waitNs - a.waitNs);
}

/** True for files of the Python standard library (not site-packages): not the user's code. */
export function isLibraryFile(file: string): boolean {
  return file.startsWith('<') || (/[\\/]lib[\\/]python3[.\d]*t?[\\/]/.test(file) && !/[\\/](site|dist)-packages[\\/]/.test(file));
}

/** The innermost frame of a stack that is in the user's code (falls back to the leaf). */
function userSite(model: TraceModel, frame: number, cache: Map<number, number>): number {
  const hit = cache.get(frame);
  if (hit !== undefined) return hit;
  let f = frame;
  let result = -1;
  for (let guard = 0; f >= 0 && guard < 256; guard++) {
    const node = model.frames[f];
    if (!node) break;
    const site = model.sites[node.site];
    if (site && !isLibraryFile(site.file)) {
      result = node.site;
      break;
    }
    f = node.parent;
  }
  if (result < 0) result = model.frames[frame]?.site ?? -1;
  cache.set(frame, result);
  return result;
}

/** Lines of the user's code ranked by sampled time, split into running and waiting. */
export function computeHotspots(model: TraceModel): Hotspot[] {
  const s = model.samples;
  const acc = new Map<number, Hotspot>();
  const cache = new Map<number, number>();
  for (let i = 0; i < s.count; i++) {
    const frame = s.frame[i] as number;
    const site = frame >= 0 ? userSite(model, frame, cache) : -1;
    if (site < 0) continue;
    const lane = model.lanes[s.lane[i] as number];
    const proc = lane ? model.processes[lane.process] : undefined;
    const period = proc && proc.sampleHz > 0 ? 1e9 / proc.sampleHz : 0;
    let h = acc.get(site);
    if (!h) {
      h = { site, cpuNs: 0, waitNs: 0, samples: 0 };
      acc.set(site, h);
    }
    h.samples++;
    if (s.state[i] === 1) h.waitNs += period;
    else h.cpuNs += period;
  }
  return [...acc.values()].sort((a, b) => b.cpuNs + b.waitNs - (a.cpuNs + a.waitNs));
}

function fmtMs(ns: number): string {
  return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
}

/** Findings worth a user's attention, with the line to look at. */
export function computeDiagnostics(model: TraceModel): Diagnostic[] {
  const out: Diagnostic[] = [];
  const duration = Math.max(1, model.endNs - model.startNs);
  for (const l of model.locks) {
    if (l.contentions === 0) continue;
    const obj = model.objects[l.object];
    if (!obj) continue;
    const share = l.waitNs / duration;
    if (l.waitNs < 10e6 && share < 0.05) continue;
    const top = l.holders[0];
    const holderName = top ? (model.lanes[top.lane]?.name ?? '?') : null;
    const site = top && top.site !== null ? model.sites[top.site] : undefined;
    const label = obj.name || obj.kind;
    out.push({
      severity: share > 0.2 ? 'warning' : 'info',
      message: `${obj.kind} "${label}" made threads wait ${fmtMs(l.waitNs)} in ${l.contentions} waits (p95 ${fmtMs(l.p95WaitNs)})` +
        (holderName ? `; ${obj.kind === 'lock' || obj.kind === 'rlock' ? 'mostly held by' : 'mostly released by'} ${holderName}${site ? ` at ${site.file}:${site.line}` : ''}` : ''),
      site: obj.site,
      process: obj.process,
    });
  }
  return out;
}
