/**
 * Builds the frozen TraceModel from a trace directory.
 *
 * Two stages. Ingest: one `FileIngest` per process file re-keys the file's local ids (sites,
 * objects, frames, threads) into model-wide indexes and appends rows to typed-array columns,
 * O(1) per record and no object per wait or sample. Aggregate: small pure functions in
 * aggregations.ts, one concern each (thread times, lock statistics, hotspots, unblock flows,
 * diagnostics), run over the finished columns.
 */
import {
  WAIT_REASONS, type Ns, type TraceHeader, type TraceRecord, type WaitReason, type RunInfo,
} from '../format/spec';
import { listTraceFiles, readProcessFile, type FileSink } from '../reader/read-trace';
import { F64Column, I32Column, U8Column, permuteF64, permuteI32, permuteU8, sortOrder } from './columns';
import {
  computeDiagnostics, computeHotspots, computeLockStats, computeThreadTimes, computeUnblockFlows,
} from './aggregations';
import type {
  Flow, FrameNode, Lane, ProcessInfo, SourceSite, SyncObject, TraceModel, WorkSpan,
} from './types';

const REASON_INDEX = new Map<string, number>(WAIT_REASONS.map((r, i) => [r, i]));

/** Mutable state shared by the ingest of every file; becomes the model in `finish()`. */
export class ModelBuilder {
  readonly warnings: string[] = [];
  readonly processes: ProcessInfo[] = [];
  readonly lanes: Lane[] = [];
  readonly sites: SourceSite[] = [];
  private readonly siteKeys = new Map<string, number>();
  readonly objects: SyncObject[] = [];
  readonly frames: FrameNode[] = [];
  readonly spans: WorkSpan[] = [];
  readonly flows: Flow[] = [];
  /** Acquisition counts per model object (from `A` records). */
  readonly acquisitions = new Map<number, number>();
  /** Last CPU clock reading per lane (ns), and the first one. */
  readonly cpuLast = new Map<number, number>();
  readonly cpuFirst = new Map<number, number>();
  /** Child process records (`P`/`Q`) by pid, to link parents and exit codes. */
  readonly childExit = new Map<number, number>();
  readonly childParent = new Map<number, number>();

  readonly w = {
    begin: new F64Column(), end: new F64Column(), lane: new I32Column(), object: new I32Column(),
    reason: new U8Column(), site: new I32Column(), holderLane: new I32Column(),
    holderSite: new I32Column(), wakerLane: new I32Column(), flags: new U8Column(),
  };
  readonly s = {
    ts: new F64Column(), lane: new I32Column(), site: new I32Column(), frame: new I32Column(),
    state: new U8Column(),
  };
  startNs = Number.POSITIVE_INFINITY;
  endNs = Number.NEGATIVE_INFINITY;
  formatVersion = 0;

  internSite(file: string, line: number, func: string): number {
    const key = `${file}\u0000${line}\u0000${func}`;
    let idx = this.siteKeys.get(key);
    if (idx === undefined) {
      idx = this.sites.length;
      this.sites.push({ index: idx, file, line, func });
      this.siteKeys.set(key, idx);
    }
    return idx;
  }

  seeTime(ts: number): void {
    if (ts < this.startNs) this.startNs = ts;
    if (ts > this.endNs) this.endNs = ts;
  }

  finish(run: RunInfo | null): TraceModel {
    // Waits sorted by begin, samples by time: views scan them by time.
    const w = this.w;
    const wb = w.begin.finish();
    const wo = sortOrder(wb);
    const waits = {
      count: wb.length,
      begin: permuteF64(wb, wo), end: permuteF64(w.end.finish(), wo),
      lane: permuteI32(w.lane.finish(), wo), object: permuteI32(w.object.finish(), wo),
      reason: permuteU8(w.reason.finish(), wo), site: permuteI32(w.site.finish(), wo),
      holderLane: permuteI32(w.holderLane.finish(), wo), holderSite: permuteI32(w.holderSite.finish(), wo),
      wakerLane: permuteI32(w.wakerLane.finish(), wo), flags: permuteU8(w.flags.finish(), wo),
    };
    const s = this.s;
    const st = s.ts.finish();
    const so = sortOrder(st);
    const samples = {
      count: st.length, ts: permuteF64(st, so), lane: permuteI32(s.lane.finish(), so),
      site: permuteI32(s.site.finish(), so), frame: permuteI32(s.frame.finish(), so),
      state: permuteU8(s.state.finish(), so),
    };
    // Parentage and exit codes from the parents' P/Q records and run.json.
    const byPid = new Map<number, number>();
    for (const p of this.processes) byPid.set(p.pid, p.index);
    for (const p of this.processes) {
      const parent = byPid.get(p.ppid);
      p.parent = parent !== undefined && parent !== p.index ? parent : null;
      const q = this.childExit.get(p.pid);
      if (q !== undefined && p.exitCode === null) p.exitCode = q;
    }
    if (run && this.processes.length > 0) {
      const root = this.processes.find((p) => p.parent === null && p.startMethod === 'main');
      if (root && typeof run.exitCode === 'number') root.exitCode = run.exitCode;
    }
    if (!Number.isFinite(this.startNs)) {
      this.startNs = 0;
      this.endNs = 0;
    }
    const base: TraceModel = {
      formatVersion: this.formatVersion,
      warnings: this.warnings,
      startNs: this.startNs as Ns,
      endNs: this.endNs as Ns,
      processes: this.processes,
      lanes: this.lanes,
      sites: this.sites,
      objects: this.objects,
      frames: this.frames,
      waits,
      samples,
      spans: this.spans,
      flows: this.flows,
      threadTimes: [],
      locks: [],
      hotspots: [],
      diagnostics: [],
    };
    // A loop, not push(...spread): a big trace has millions of flows (beyond the argument limit).
    for (const f of computeUnblockFlows(base)) base.flows.push(f);
    base.threadTimes = computeThreadTimes(base, this.cpuFirst, this.cpuLast);
    base.locks = computeLockStats(base, this.acquisitions);
    base.hotspots = computeHotspots(base);
    base.diagnostics = computeDiagnostics(base);
    return deepFreeze(base);
  }
}

/** Ingests one process file into the builder, translating the file's local ids. */
export class FileIngest implements FileSink {
  private readonly proc: ProcessInfo;
  private readonly siteMap = new Map<number, number>();
  private readonly objMap = new Map<number, number>();
  private readonly frameMap = new Map<number, number>();
  private readonly laneMap = new Map<number, number>();

  constructor(private readonly b: ModelBuilder, header: TraceHeader) {
    b.formatVersion = Math.max(b.formatVersion, header.version);
    this.proc = {
      index: b.processes.length, pid: header.pid, ppid: header.ppid, serial: header.serial,
      argv: header.argv, python: header.python, startMethod: header.startMethod,
      startNs: header.startNs as Ns, endNs: header.startNs as Ns, complete: false,
      exitCode: null, endReason: null, parent: null, sampleHz: header.sampleHz,
    };
    b.processes.push(this.proc);
    b.seeTime(header.startNs);
  }

  private site(local: number | null): number {
    if (local === null) return -1;
    return this.siteMap.get(local) ?? -1;
  }

  private lane(tid: number | null, ts: number): number {
    if (tid === null) return -1;
    let idx = this.laneMap.get(tid);
    if (idx === undefined) {
      // A thread referred to before its T record (should not happen; repair, do not throw).
      idx = this.addLane(tid, 0, `thread ${tid}`, false, ts, null, null);
    }
    return idx;
  }

  private addLane(tid: number, nativeId: number, name: string, daemon: boolean, ts: number,
    parentLane: number | null, startSite: number | null): number {
    const b = this.b;
    const idx = b.lanes.length;
    b.lanes.push({
      index: idx, id: `p${this.proc.pid}.${this.proc.serial}/t${tid}`, kind: 'thread',
      process: this.proc.index, tid, nativeId, name, daemon, startNs: ts as Ns, endNs: ts as Ns,
      parentLane, startSite,
    });
    this.laneMap.set(tid, idx);
    return idx;
  }

  private touch(laneIdx: number, ts: number): void {
    const lane = this.b.lanes[laneIdx];
    if (lane && ts > lane.endNs) lane.endNs = ts as Ns;
    if (ts > this.proc.endNs) this.proc.endNs = ts as Ns;
    this.b.seeTime(ts);
  }

  record(rec: TraceRecord): void {
    const b = this.b;
    switch (rec[0]) {
      case 'S':
        this.siteMap.set(rec[1], b.internSite(rec[2], rec[3], rec[4]));
        return;
      case 'O': {
        const idx = b.objects.length;
        b.objects.push({
          index: idx, process: this.proc.index, kind: rec[2], name: rec[3], site: rec[4] === null ? null : this.site(rec[4]),
          parent: rec[5] === null ? null : (this.objMap.get(rec[5]) ?? null), role: rec[6],
        });
        this.objMap.set(rec[1], idx);
        return;
      }
      case 'F': {
        const idx = b.frames.length;
        b.frames.push({ parent: rec[2] === null ? -1 : (this.frameMap.get(rec[2]) ?? -1), site: this.site(rec[3]) });
        this.frameMap.set(rec[1], idx);
        return;
      }
      case 'T': {
        const existing = this.laneMap.get(rec[2]);
        const parentLane = rec[6] === null ? null : (this.laneMap.get(rec[6]) ?? null);
        const startSite = rec[7] === null ? null : this.site(rec[7]);
        if (existing !== undefined) {
          const lane = b.lanes[existing] as Lane;
          lane.name = rec[4];
          lane.nativeId = rec[3];
        } else {
          this.addLane(rec[2], rec[3], rec[4], rec[5] === 1, rec[1], parentLane, startSite);
        }
        this.touch(this.laneMap.get(rec[2]) as number, rec[1]);
        return;
      }
      case 'N': {
        const l = this.lane(rec[2], rec[1]);
        (b.lanes[l] as Lane).name = rec[3];
        return;
      }
      case 'E': {
        const l = this.lane(rec[2], rec[1]);
        this.touch(l, rec[1]);
        return;
      }
      case 'W': {
        const [, t0, t1, tid, oid, reason, site, holder, hsite, waker, flags] = rec;
        const l = this.lane(tid, t0);
        const w = b.w;
        w.begin.push(t0);
        w.end.push(Math.max(t0, t1));
        w.lane.push(l);
        w.object.push(this.objMap.get(oid) ?? -1);
        w.reason.push(REASON_INDEX.get(reason) ?? 0);
        w.site.push(this.site(site));
        w.holderLane.push(holder === null ? -1 : this.lane(holder, t0));
        w.holderSite.push(this.site(hsite));
        w.wakerLane.push(waker === null ? -1 : this.lane(waker, t1));
        w.flags.push(flags);
        this.touch(l, t1);
        return;
      }
      case 'A': {
        const o = this.objMap.get(rec[2]);
        if (o !== undefined) b.acquisitions.set(o, (b.acquisitions.get(o) ?? 0) + rec[3]);
        return;
      }
      case 'K': {
        const l = this.lane(rec[2], rec[1]);
        const frame = rec[3] === null ? -1 : (this.frameMap.get(rec[3]) ?? -1);
        const s = b.s;
        s.ts.push(rec[1]);
        s.lane.push(l);
        s.frame.push(frame);
        s.site.push(frame >= 0 ? (b.frames[frame] as FrameNode).site : -1);
        s.state.push(rec[4]);
        this.touch(l, rec[1]);
        return;
      }
      case 'C': {
        const l = this.lane(rec[2], rec[1]);
        if (!b.cpuFirst.has(l)) b.cpuFirst.set(l, rec[3]);
        b.cpuLast.set(l, rec[3]);
        return;
      }
      case 'P':
        b.childParent.set(rec[2], this.proc.pid);
        return;
      case 'Q':
        b.childExit.set(rec[2], rec[3]);
        return;
      case 'L':
        // Flow ends are paired across processes by key in a later stage (processes issue).
        return;
      case 'X': {
        const l = this.lane(rec[3], rec[1]);
        b.spans.push({ begin: rec[1] as Ns, end: rec[2] as Ns, lane: l, kind: rec[4], label: rec[5], site: rec[6] === null ? null : this.site(rec[6]) });
        this.touch(l, rec[2]);
        return;
      }
      case 'V':
        return;
      case '!':
        b.warnings.push(`agent (pid ${this.proc.pid}) ${rec[2]}: ${rec[3]}`);
        return;
      case 'Z':
        this.proc.complete = true;
        this.proc.endReason = rec[2];
        this.proc.exitCode = rec[3];
        if (rec[1] > this.proc.endNs) this.proc.endNs = rec[1] as Ns;
        b.seeTime(rec[1]);
        return;
      default:
        assertUnreachable(rec);
    }
  }
}

export function assertUnreachable(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}

/**
 * Freezes the model and its tables (arrays and column objects), not each row: freezing
 * millions of rows one by one cost more than building them. Rows are read-only by contract.
 */
function deepFreeze<T>(o: T): T {
  Object.freeze(o);
  for (const v of Object.values(o as object)) {
    if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) Object.freeze(v);
  }
  return o;
}

/** Reads a trace directory (or one process file) into a frozen model. */
export async function loadTrace(target: string): Promise<TraceModel> {
  const { files, run } = await listTraceFiles(target);
  const b = new ModelBuilder();
  for (const file of files) {
    await readProcessFile(file, (h) => new FileIngest(b, h), b.warnings);
  }
  return b.finish(run);
}

export type { WaitReason };
