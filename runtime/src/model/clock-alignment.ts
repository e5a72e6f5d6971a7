/**
 * Clock alignment: the one stage that puts every time of every parsed file on one timeline,
 * after parsing and before any model handler reads a time (build-model.ts runs it on all the
 * files at once). Handlers then never see a clock domain.
 *
 * Two kinds of conversion, each recorded as a {@link ClockAlignment} with its error bound:
 * - **A lane's own clock** (a GPU queue's device clock, `Y` clockDomain): fitted from the
 *   file's `M` pairs of that domain (least squares of file time on domain time: rate and
 *   offset; one pair gives the offset alone). The bound is the largest residual plus the
 *   largest read error of a pair. With no pair the lane is shown as written, with a warning.
 * - **Another host's clock** (a file whose header names another host): host 0 (the first file's
 *   host) is the reference. A host is first lined up by its wall clock (header `wallNs` against
 *   `startNs`, or better its `M` pairs of domain "wall"), which is as good as the machines' time
 *   synchronisation and so has no bound we can state. Then messages between the hosts (flows
 *   with a global key, `s` on one host and `f` on the other) tighten it: a receive is never
 *   before its send, so messages each way bound the offset from both sides; the midpoint is
 *   taken (as NTP does, assuming symmetric latency) and half the interval is the bound.
 *   Messages one way only move the offset just enough for causality, with no bound.
 *
 * Pure: reads and rewrites ParsedFile columns in place (typed arrays, O(records)).
 */
import { keyScope } from '../format/spec';
import type { LaneDef, ParsedFile } from './parsed-file';
import type { ClockAlignment, HostInfo } from './types';

/** A linear map from a domain's time onto the timeline: `scale * t + offset`. */
interface ClockMap {
  scale: number;
  offset: number;
}

const IDENTITY: ClockMap = { scale: 1, offset: 0 };

export interface AlignmentResult {
  clocks: ClockAlignment[];
  warnings: string[];
}

/** The domain of a file's own clock (v1 files: their host's monotonic clock). */
export function fileDomain(f: ParsedFile): string {
  return f.header.clockDomain ?? `monotonic:${f.header.host?.id ?? ''}:${f.header.host?.boot ?? ''}`;
}

/** Least squares of `y` (file time) on `x` (domain time); one point gives the offset only. */
function fit(pairs: { x: number; y: number; err: number }[]): { map: ClockMap; errorNs: number } {
  const n = pairs.length;
  // Work relative to the first pair: absolute ns (~1e15) squared would lose every digit.
  const x0 = (pairs[0] as { x: number }).x;
  const y0 = (pairs[0] as { y: number }).y;
  let scale = 1;
  if (n >= 2) {
    let sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const p of pairs) {
      const dx = p.x - x0, dy = p.y - y0;
      sx += dx; sy += dy; sxx += dx * dx; sxy += dx * dy;
    }
    const den = n * sxx - sx * sx;
    if (den > 0) scale = (n * sxy - sx * sy) / den;
    // A rate far from 1 is damage, not a real clock: keep the offset only.
    if (!(scale > 0.5 && scale < 2)) scale = 1;
  }
  let mx = 0, my = 0;
  for (const p of pairs) {
    mx += p.x - x0;
    my += p.y - y0;
  }
  mx /= n;
  my /= n;
  // y = y0 + my + scale * (x - x0 - mx)
  const offset = y0 + my - scale * (x0 + mx);
  let worst = 0;
  let readErr = 0;
  for (const p of pairs) {
    worst = Math.max(worst, Math.abs(scale * p.x + offset - p.y));
    readErr = Math.max(readErr, p.err);
  }
  return { map: { scale, offset }, errorNs: Math.round(worst + readErr) };
}

/** Rewrites every time of `f` through `mapOf(laneId)` (lane-less times through `fileMap`). */
function convertFile(f: ParsedFile, mapOf: (lane: number) => ClockMap, fileMap: ClockMap): void {
  const conv = (m: ClockMap, t: number): number => Math.round(m.scale * t + m.offset);
  const same = (m: ClockMap): boolean => m.scale === 1 && m.offset === 0;
  const laneMap = new Map<number, ClockMap>();
  const lm = (lane: number): ClockMap => {
    let m = laneMap.get(lane);
    if (m === undefined) {
      m = mapOf(lane);
      laneMap.set(lane, m);
    }
    return m;
  };
  const anyLane = f.lanes.some((l) => !same(mapOf(l.id)) || l.clockDomain !== null);
  if (!anyLane && same(fileMap)) return;
  const w = f.waits;
  for (let i = 0; i < w.count; i++) {
    const m = lm(w.tid[i] as number);
    w.begin[i] = conv(m, w.begin[i] as number);
    w.end[i] = conv(m, w.end[i] as number);
  }
  const s = f.samples;
  for (let i = 0; i < s.count; i++) s.ts[i] = conv(lm(s.tid[i] as number), s.ts[i] as number);
  for (const l of f.lanes) {
    const m = lm(l.id);
    // A lane on its own clock starts at its `Y` record, which is on the file's clock.
    l.startNs = conv(l.clockDomain !== null ? fileMap : m, l.startNs);
    l.lastNs = Number.isFinite(l.lastNs) ? Math.max(conv(m, l.lastNs), l.startNs) : l.startNs;
    if (l.endedNs !== null) l.endedNs = conv(m, l.endedNs);
  }
  for (const r of f.cpu) {
    const m = lm(r.tid);
    r.firstTs = conv(m, r.firstTs);
    r.lastTs = conv(m, r.lastTs);
  }
  for (const c of f.children) c.ts = conv(lm(c.tid), c.ts);
  for (const e of f.childExits) e.ts = conv(fileMap, e.ts);
  for (const e of f.flowEnds) e.ts = conv(lm(e.tid), e.ts);
  for (const sp of f.spans) {
    const m = lm(sp.tid);
    sp.begin = conv(m, sp.begin);
    sp.end = conv(m, sp.end);
  }
  for (const c of f.counters) for (let i = 0; i < c.count; i++) c.ts[i] = conv(fileMap, c.ts[i] as number);
  const r = f.taskSteps;
  if (r !== undefined) {
    for (let i = 0; i < r.count; i++) {
      const m = lm(r.tid[i] as number);
      r.begin[i] = conv(m, r.begin[i] as number);
      r.end[i] = conv(m, r.end[i] as number);
    }
  }
  for (const b of f.loopBlocks ?? []) {
    const m = lm(b.tid);
    b.begin = conv(m, b.begin);
    b.end = conv(m, b.end);
  }
  for (const d of f.stalls ?? []) d.ts = conv(fileMap, d.ts);
  for (const o of f.lockOrders ?? []) o.ts = conv(fileMap, o.ts);
  for (const m of f.messages) m.ts = conv(fileMap, m.ts);
  for (const c of f.calibrations) c.ts = conv(fileMap, c.ts);
  f.header = { ...f.header, startNs: conv(fileMap, f.header.startNs) };
  let end = conv(fileMap, f.endNs);
  for (const l of f.lanes) end = Math.max(end, l.lastNs);
  f.endNs = end;
}

/** The host's wall-clock offset (wall − monotonic) and its read error, from `M` "wall" pairs
 * (the best-read one) or else the header. */
function wallOffset(files: ParsedFile[]): { offset: number; errorNs: number } {
  let best: { offset: number; errorNs: number } | null = null;
  for (const f of files) {
    for (const c of f.calibrations) {
      if (c.domain !== 'wall') continue;
      if (best === null || c.errorNs < best.errorNs) best = { offset: c.domainTs - c.ts, errorNs: c.errorNs };
    }
  }
  if (best !== null) return best;
  const h = (files[0] as ParsedFile).header;
  return { offset: h.wallNs - h.startNs, errorNs: 0 };
}

/**
 * Aligns the clocks of `files` (all the files of the trace, in merge order) in place: every time
 * afterwards is on host 0's clock. Returns how each domain was converted, and warnings.
 */
export function alignClocks(files: ParsedFile[], hosts: readonly HostInfo[]): AlignmentResult {
  const clocks: ClockAlignment[] = [];
  const warnings: string[] = [];
  const hostIndex = (f: ParsedFile): number => Math.max(0, hosts.findIndex((h) => h.id === (f.header.host?.id ?? '')));
  const byHost = hosts.map((_, i) => files.filter((f) => hostIndex(f) === i));

  // Host offsets, onto host 0's clock.
  const hostMap: ClockMap[] = hosts.map(() => IDENTITY);
  if (hosts.length > 0 && (byHost[0] as ParsedFile[]).length > 0) {
    clocks.push({ domain: fileDomain((byHost[0] as ParsedFile[])[0] as ParsedFile), host: 0, method: 'reference', scale: 1, offsetNs: 0, errorNs: 0 });
  }
  const ref = byHost[0] && byHost[0].length > 0 ? wallOffset(byHost[0]) : null;
  for (let h = 1; h < hosts.length; h++) {
    const mine = byHost[h] as ParsedFile[];
    if (mine.length === 0 || ref === null) continue;
    const wall = wallOffset(mine);
    let offset = wall.offset - ref.offset;
    let method: ClockAlignment['method'] = 'wall-clock';
    let errorNs: number | null = null;
    const bounds = causalBounds(files, hostIndex, h, hostMap);
    if (bounds.lower > -Infinity && bounds.upper < Infinity && bounds.lower <= bounds.upper) {
      offset = (bounds.lower + bounds.upper) / 2;
      errorNs = Math.round((bounds.upper - bounds.lower) / 2);
      method = 'flows';
    } else if (bounds.lower > bounds.upper) {
      warnings.push(`host ${hosts[h]?.name || h}: messages to and from it disagree about its clock (a receive before its send either way); its times are lined up by the wall clock and may be out of order.`);
    } else if (offset < bounds.lower || offset > bounds.upper) {
      offset = offset < bounds.lower ? bounds.lower : bounds.upper;
      method = 'flows';
    }
    offset = Math.round(offset);
    hostMap[h] = { scale: 1, offset };
    clocks.push({ domain: fileDomain(mine[0] as ParsedFile), host: h, method, scale: 1, offsetNs: offset, errorNs });
    if (errorNs === null) {
      warnings.push(`host ${hosts[h]?.name || h}: its clock is lined up with host ${hosts[0]?.name || 0}'s by the wall clock${method === 'flows' ? ' and the order of messages' : ''}; times across the two hosts are estimates (no messages both ways bound the error).`);
    }
  }

  // Lane domains, then conversion of every file.
  const seenDomain = new Set<string>();
  for (const f of files) {
    const h = hostIndex(f);
    const hm = hostMap[h] ?? IDENTITY;
    const maps = new Map<number, ClockMap>();
    for (const l of f.lanes) {
      if (l.clockDomain === null) continue;
      maps.set(l.id, laneMap(f, l, hm, h, clocks, warnings, seenDomain));
    }
    convertFile(f, (lane) => maps.get(lane) ?? hm, hm);
  }
  return { clocks, warnings };
}

/** The map of a lane on its own clock: its file's `M` pairs of that domain, then the host's map. */
function laneMap(
  f: ParsedFile, l: LaneDef, hm: ClockMap, host: number, clocks: ClockAlignment[], warnings: string[], seen: Set<string>,
): ClockMap {
  const domain = l.clockDomain as string;
  const pairs = f.calibrations.filter((c) => c.domain === domain).map((c) => ({ x: c.domainTs, y: c.ts, err: c.errorNs }));
  if (pairs.length === 0) {
    if (!seen.has(domain)) {
      seen.add(domain);
      clocks.push({ domain, host, method: 'none', scale: 1, offsetNs: 0, errorNs: null });
      warnings.push(`lane "${l.name}" (process ${f.header.pid}) is on clock "${domain}", which no calibration record pairs with the host's clock; its times are shown as written and do not line up with the rest.`);
    }
    return IDENTITY;
  }
  const { map, errorNs } = fit(pairs);
  const combined = { scale: map.scale * hm.scale, offset: map.offset * hm.scale + hm.offset };
  if (!seen.has(domain)) {
    seen.add(domain);
    clocks.push({ domain, host, method: 'calibration', scale: combined.scale, offsetNs: Math.round(combined.offset), errorNs });
  }
  return combined;
}

/**
 * Bounds on host `h`'s offset from messages between it and hosts already aligned: a flow with
 * a global key sent at s (sender's clock) and received at r (receiver's) obeys r' ≥ s'.
 * From an aligned host to h: offset ≥ s' − r. From h to an aligned host: offset ≤ r' − s.
 */
function causalBounds(
  files: ParsedFile[], hostIndex: (f: ParsedFile) => number, h: number, hostMap: ClockMap[],
): { lower: number; upper: number } {
  const sends = new Map<string, { host: number; ts: number }>();
  const recvs = new Map<string, { host: number; ts: number }>();
  for (const f of files) {
    const host = hostIndex(f);
    const laneOwn = new Set(f.lanes.filter((l) => l.clockDomain !== null).map((l) => l.id));
    for (const e of f.flowEnds) {
      if (keyScope(e.key) !== 'global' || laneOwn.has(e.tid)) continue;
      if (e.phase === 's') sends.set(e.key, { host, ts: e.ts });
      else if (e.phase === 'f') recvs.set(e.key, { host, ts: e.ts });
    }
  }
  let lower = -Infinity;
  let upper = Infinity;
  for (const [key, s] of sends) {
    const r = recvs.get(key);
    if (r === undefined || s.host === r.host) continue;
    if (r.host === h && s.host < h) lower = Math.max(lower, s.ts + (hostMap[s.host]?.offset ?? 0) - r.ts);
    else if (s.host === h && r.host < h) upper = Math.min(upper, r.ts + (hostMap[r.host]?.offset ?? 0) - s.ts);
  }
  return { lower, upper };
}

/** The hosts of `files`, in order of first file (v1 files: one host with id ""). */
export function hostsOf(files: readonly ParsedFile[]): HostInfo[] {
  const hosts: HostInfo[] = [];
  for (const f of files) {
    const id = f.header.host?.id ?? '';
    if (!hosts.some((h) => h.id === id)) hosts.push({ index: hosts.length, id, name: f.header.host?.name ?? '' });
  }
  return hosts;
}
