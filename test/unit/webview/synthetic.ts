/**
 * Synthetic TraceModels for webview and view-data tests: small, exact ground truth, no
 * trace files. Only what the views read is filled; lock statistics are computed here with
 * the simplest possible code (not the model's handlers), so a test compares two independent
 * computations.
 */
import { WAIT_REASONS, type Ns, type ObjectKind, type WaitReason } from '../../../runtime/src/format/spec';
import type { LaneKind, LockStat, TraceModel } from '../../../runtime/src/model/types';

export interface SynthLane {
  name: string;
  start: number;
  end: number;
  process?: number;
  tid?: number;
  /** Lane kind; 'thread' by default. Any string, so that tests can use the v2 kinds
   * (format/spec.ts LANE_KINDS: task, greenlet, gpu-queue, rank, worker) and kinds no reader knows. */
  kind?: string;
  /** Index of the parent lane (for a task: the thread it runs on). */
  parent?: number;
}

export interface SynthWait {
  lane: number;
  begin: number;
  end: number;
  object: number;
  reason: WaitReason;
  site?: number;
  holder?: number;
  holderSite?: number;
  waker?: number;
  flags?: number;
}

export interface SynthSample {
  ts: number;
  lane: number;
  state: 0 | 1;
  cpu?: number;
  site?: number;
}

export interface SynthSpec {
  /** Absolute trace ns of the first event (views subtract it). */
  origin?: number;
  processes?: { pid: number; parent?: number | null; argv?: string[]; exitCode?: number | null; sampleHz?: number; host?: number }[];
  /** Hosts (trace format v2); absent: the model has none, as a v1 model. */
  hosts?: { name: string; id: string }[];
  lanes: SynthLane[];
  sites?: { file: string; line: number; func: string }[];
  objects?: { kind: ObjectKind; name: string; site?: number; parent?: number; role?: string }[];
  waits?: SynthWait[];
  samples?: SynthSample[];
  warnings?: string[];
  hotspots?: TraceModel['hotspots'];
}

/** Builds a frozen-shape TraceModel; times in the spec are relative to `origin`. */
export function makeModel(spec: SynthSpec): TraceModel {
  const origin = spec.origin ?? 1_000_000_000;
  const abs = (t: number): Ns => (origin + t) as Ns;
  const waits = [...(spec.waits ?? [])].sort((a, b) => a.begin - b.begin);
  const n = waits.length;
  const col = {
    count: n,
    begin: new Float64Array(n), end: new Float64Array(n), lane: new Int32Array(n), object: new Int32Array(n),
    reason: new Uint8Array(n), site: new Int32Array(n), holderLane: new Int32Array(n), holderSite: new Int32Array(n),
    wakerLane: new Int32Array(n), flags: new Uint8Array(n),
  };
  waits.forEach((w, i) => {
    col.begin[i] = abs(w.begin);
    col.end[i] = abs(w.end);
    col.lane[i] = w.lane;
    col.object[i] = w.object;
    col.reason[i] = WAIT_REASONS.indexOf(w.reason);
    col.site[i] = w.site ?? -1;
    col.holderLane[i] = w.holder ?? -1;
    col.holderSite[i] = w.holderSite ?? -1;
    col.wakerLane[i] = w.waker ?? -1;
    col.flags[i] = w.flags ?? 0;
  });
  const samples = [...(spec.samples ?? [])].sort((a, b) => a.ts - b.ts);
  const m = samples.length;
  const sc = {
    count: m, ts: new Float64Array(m), lane: new Int32Array(m), site: new Int32Array(m), frame: new Int32Array(m),
    state: new Uint8Array(m), cpu: new Float64Array(m),
  };
  samples.forEach((s, i) => {
    sc.ts[i] = abs(s.ts);
    sc.lane[i] = s.lane;
    sc.site[i] = s.site ?? -1;
    sc.frame[i] = -1;
    sc.state[i] = s.state;
    sc.cpu[i] = s.cpu ?? Number.NaN;
  });
  const procs = spec.processes ?? [{ pid: 100 }];
  const end = Math.max(spec.lanes.reduce((a, l) => Math.max(a, l.end), 0), waits.reduce((a, w) => Math.max(a, w.end), 0));
  const model: TraceModel = {
    formatVersion: 1,
    warnings: spec.warnings ?? [],
    startNs: abs(0),
    endNs: abs(end),
    processes: procs.map((p, i) => ({
      index: i, pid: p.pid, ppid: 1, serial: 0, argv: p.argv ?? ['prog.py'], python: '3.11.7', startMethod: i === 0 ? 'main' : 'fork',
      startNs: abs(0), endNs: abs(end), complete: true, exitCode: p.exitCode === undefined ? 0 : p.exitCode, endReason: 'exit',
      parent: p.parent ?? null, sampleHz: p.sampleHz ?? 100,
    })),
    lanes: spec.lanes.map((l, i) => {
      const pid = procs[l.process ?? 0]?.pid ?? 0;
      const tid = l.tid ?? i + 1;
      const kind = l.kind ?? 'thread';
      return {
        // The v2 kinds are not all in the model's LaneKind yet (the lead adds them): the view
        // reads a kind as a string, which is what this cast stands for.
        index: i, id: kind === 'thread' ? `p${pid}.0/t${tid}` : `p${pid}.0/${kind}${tid}`, kind: kind as LaneKind, process: l.process ?? 0, tid,
        nativeId: 1000 + i, name: l.name, daemon: false, startNs: abs(l.start), endNs: abs(l.end), parentLane: l.parent ?? null, startSite: null,
      };
    }),
    sites: (spec.sites ?? []).map((s, i) => ({ index: i, ...s })),
    objects: (spec.objects ?? []).map((o, i) => ({
      index: i, process: 0, kind: o.kind, name: o.name, site: o.site ?? null, parent: o.parent ?? null, role: o.role ?? null,
    })),
    frames: [],
    waits: col,
    samples: sc,
    spans: [],
    flows: [],
    threadTimes: spec.lanes.flatMap((l, i) => ((l.kind ?? 'thread') === 'thread' ? [{ lane: i, wallNs: l.end - l.start, cpuNs: null, waitNs: {}, gilWaitEstimateNs: null }] : [])),
    locks: [],
    hotspots: spec.hotspots ?? [],
    diagnostics: [],
  };
  model.locks = simpleLockStats(model);
  // Fields of the v2 model (hosts, a process's host), set the way the lead's model will have
  // them; assigned afterwards because today's model types do not declare them.
  if (spec.hosts) Object.assign(model, { hosts: spec.hosts.map((x, i) => ({ index: i, ...x })) });
  procs.forEach((p, i) => {
    if (p.host !== undefined && model.processes[i]) Object.assign(model.processes[i], { host: p.host });
  });
  return model;
}

/** Per visible object: count, total and max of its waits, holders and waiters by lane. */
function simpleLockStats(model: TraceModel): LockStat[] {
  const by = new Map<number, LockStat>();
  const w = model.waits;
  for (let i = 0; i < w.count; i++) {
    let o = w.object[i] as number;
    while (o >= 0 && model.objects[o]?.parent !== null && model.objects[o]?.parent !== undefined) o = model.objects[o]?.parent as number;
    const kind = model.objects[o]?.kind;
    if (o < 0 || kind === 'timer' || kind === 'thread') continue;
    const d = (w.end[i] as number) - (w.begin[i] as number);
    const s = by.get(o) ?? {
      object: o, acquisitions: 0, contentions: 0, waitNs: 0, maxWaitNs: 0, p50WaitNs: 0, p95WaitNs: 0, contendedHoldNs: 0, holders: [], waiters: [],
    };
    s.contentions++;
    s.acquisitions++;
    s.waitNs += d;
    s.maxWaitNs = Math.max(s.maxWaitNs, d);
    const hl = w.holderLane[i] as number;
    if (hl >= 0) {
      const h = s.holders.find((x) => x.lane === hl) ?? (s.holders.push({ lane: hl, site: null, waits: 0, waitNs: 0 }), s.holders[s.holders.length - 1]);
      if (h) {
        h.waits++;
        h.waitNs += d;
      }
    }
    const wl = w.lane[i] as number;
    const wt = s.waiters.find((x) => x.lane === wl) ?? (s.waiters.push({ lane: wl, site: null, waits: 0, waitNs: 0 }), s.waiters[s.waiters.length - 1]);
    if (wt) {
      wt.waits++;
      wt.waitNs += d;
    }
    by.set(o, s);
  }
  return [...by.values()].sort((a, b) => b.waitNs - a.waitNs);
}

/** A deterministic pseudo-random generator (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
