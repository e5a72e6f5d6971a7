/**
 * Per-file record handlers: the first stage of building the model, run wherever a file is
 * parsed (a piscina worker, or in-process for small traces and tests).
 *
 * Each handler owns one concern and sees only the record types it lists in `codes`, in file
 * order, through the DevTools-style life cycle `reset(header)`, `handleRecord(rec)`,
 * `finalize()`, `data()`. Work per record is O(1) and appends to typed-array columns; no
 * handler keeps the record array itself (the reader reuses it). Ids stay the file's own:
 * re-keying needs every file, so it happens later, in model/handlers/.
 *
 * Nothing here imports Node.
 */
import {
  LANE_KINDS, OBJECT_KINDS, STALL_KINDS, UNKNOWN, V1_WORK_WORD, WAIT_REASONS, WaitFlags, WORK_WORD, type RecordCode, type TraceHeader, type TraceRecord,
} from '../format/spec';
import type { RecordSink } from '../reader/read-trace';
import { F64Column, I32Column, U8Column } from './columns';
import type {
  AgentMessage, Calibration, ChildExit, ChildStart, CounterTable, CpuRange, FlowEnd, FrameTable, LaneDef, LoopBlockDef, ObjectDef,
  LockOrderDef, ParsedFile, SampleTable, SiteDef, SpanDef, StallDef, TaskStepTable, WaitTable,
} from './parsed-file';

export interface RecordHandler<T> {
  /** The record types this handler wants; the parser routes only these to it. */
  readonly codes: readonly RecordCode[];
  reset(header: TraceHeader): void;
  handleRecord(rec: TraceRecord): void;
  finalize(): void;
  data(): T;
}

const REASON_INDEX = new Map<string, number>(WAIT_REASONS.map((r, i) => [r, i]));
const UNKNOWN_REASON = WAIT_REASONS.indexOf(UNKNOWN);
const OBJECT_KIND_SET: ReadonlySet<string> = new Set(OBJECT_KINDS);
const LANE_KIND_SET: ReadonlySet<string> = new Set(LANE_KINDS);

/** A v1 work-item word ("task" kind, "task:" key) in v2 terms ("work"); other values as they are. */
export function workWord(v: string): string {
  if (v === V1_WORK_WORD) return WORK_WORD;
  return v.startsWith(`${V1_WORK_WORD}:`) ? `${WORK_WORD}:${v.slice(V1_WORK_WORD.length + 1)}` : v;
}
const nullId = (v: number | null): number => (v === null ? -1 : v);

/** `S`, `O`, `F`: the interned definitions (sites, synchronisation objects, stack frames). */
export class DefinitionsHandler implements RecordHandler<{ sites: SiteDef[]; objects: ObjectDef[]; frames: FrameTable }> {
  readonly codes = ['S', 'O', 'F'] as const;
  private sites: SiteDef[] = [];
  private objects: ObjectDef[] = [];
  private frameId = new I32Column();
  private frameParent = new I32Column();
  private frameSite = new I32Column();
  private frames: FrameTable | null = null;

  constructor(private readonly unknown: UnknownWords = new UnknownWords()) {}

  reset(): void {
    this.sites = [];
    this.objects = [];
    this.frameId = new I32Column();
    this.frameParent = new I32Column();
    this.frameSite = new I32Column();
    this.frames = null;
  }
  handleRecord(rec: TraceRecord): void {
    switch (rec[0]) {
      case 'S':
      {
        const site: SiteDef = { id: rec[1], file: rec[2], line: rec[3], func: rec[4] };
        // Optional trailing field: the def line, kept only when it is one.
        const def = rec[5];
        if (typeof def === 'number' && def > 0) site.def = def;
        this.sites.push(site);
        return;
      }
      case 'O': {
        let kind: string = rec[2];
        if (!OBJECT_KIND_SET.has(kind) || kind === UNKNOWN) {
          this.unknown.note('object kind', kind);
          kind = UNKNOWN;
        }
        const def: ObjectDef = { id: rec[1], kind, name: rec[3], site: rec[4], parent: rec[5], role: rec[6] };
        // Optional trailing field (7 or 8 fields are both valid): kept only when it is a key.
        const globalKey = rec[7];
        if (typeof globalKey === 'string' && globalKey !== '') def.globalKey = globalKey;
        this.objects.push(def);
        return;
      }
      case 'F':
        this.frameId.push(rec[1]);
        this.frameParent.push(nullId(rec[2]));
        this.frameSite.push(rec[3]);
        return;
      default:
        return;
    }
  }
  finalize(): void {
    this.frames = {
      count: this.frameId.length, id: this.frameId.finish(), parent: this.frameParent.finish(), site: this.frameSite.finish(),
    };
  }
  data(): { sites: SiteDef[]; objects: ObjectDef[]; frames: FrameTable } {
    if (this.frames === null) throw new Error('DefinitionsHandler.data() before finalize()');
    return { sites: this.sites, objects: this.objects, frames: this.frames };
  }
}

/**
 * Words of enum fields (object kinds, wait reasons, lane kinds) that this reader does not know:
 * a newer writer's. The record is kept with the value "unknown"; the file gets one warning per
 * field and word (trace format "Versioning").
 */
export class UnknownWords {
  private readonly seen = new Map<string, number>();
  note(field: string, word: string): void {
    const key = `${field} "${word}"`;
    this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
  }
  reset(): void {
    this.seen.clear();
  }
  warnings(file: string): string[] {
    return [...this.seen].map(([what, n]) => `${file}: ${n} record(s) with the ${what}, which this Weft does not know, are shown as "unknown" (written by a newer Weft?).`);
  }
}

/**
 * Lanes: `T` (threads), `Y` (v2: tasks, greenlets, GPU queues, ranks, workers), `N`, `E`, plus
 * every record that names a lane, to know when each lane was last seen (a lane that never
 * ended in the trace lasts until its last event). A lane named before its definition is
 * repaired into a thread placeholder, not rejected.
 */
export class LanesHandler implements RecordHandler<LaneDef[]> {
  readonly codes = ['T', 'Y', 'N', 'E', 'W', 'K', 'C', 'X', 'L', 'P', 'R', 'B'] as const;
  private lanes: LaneDef[] = [];
  /** Index into `lanes` by id (ids are small and dense). */
  private byId: (LaneDef | undefined)[] = [];
  private fileDomain: string | null = null;

  constructor(private readonly unknown: UnknownWords = new UnknownWords()) {}

  reset(header: TraceHeader): void {
    this.lanes = [];
    this.byId = [];
    this.fileDomain = header.clockDomain ?? null;
  }
  private get(id: number, ts: number): LaneDef {
    let t = id >= 0 && id < 1 << 20 ? this.byId[id] : this.lanes.find((x) => x.id === id);
    if (t === undefined) {
      t = {
        id, kind: 'thread', nativeId: 0, name: `thread ${id}`, daemon: false, startNs: ts, endedNs: null, lastNs: ts,
        parentId: null, startSite: null, clockDomain: null, declared: false,
      };
      this.lanes.push(t);
      if (id >= 0 && id < 1 << 20) this.byId[id] = t;
    }
    return t;
  }
  private seen(id: number, ts: number): void {
    const t = this.get(id, ts);
    if (ts > t.lastNs) t.lastNs = ts;
  }
  private declare(t: LaneDef, ts: number): void {
    if (!t.declared) {
      t.startNs = Math.min(t.startNs, ts);
      t.declared = true;
    }
    if (ts > t.lastNs) t.lastNs = ts;
  }
  handleRecord(rec: TraceRecord): void {
    switch (rec[0]) {
      case 'T': {
        const t = this.get(rec[2], rec[1]);
        this.declare(t, rec[1]);
        t.kind = 'thread';
        t.nativeId = rec[3];
        t.name = rec[4];
        t.daemon = rec[5] === 1;
        t.parentId = rec[6];
        t.startSite = rec[7];
        return;
      }
      case 'Y': {
        const t = this.get(rec[2], rec[1]);
        this.declare(t, rec[1]);
        t.kind = LANE_KIND_SET.has(rec[3]) && rec[3] !== UNKNOWN ? rec[3] : UNKNOWN;
        if (t.kind === UNKNOWN) this.unknown.note('lane kind', rec[3]);
        t.parentId = rec[4];
        t.name = rec[5];
        t.startSite = rec[6];
        t.clockDomain = rec[7] !== null && rec[7] !== this.fileDomain ? rec[7] : null;
        if (t.clockDomain !== null) {
          // The `Y` record itself is on the file's clock (its creator wrote it), the lane's
          // records on the lane's: keep the start apart, and the last time the lane's own.
          t.startNs = rec[1];
          if (t.lastNs === rec[1]) t.lastNs = Number.NEGATIVE_INFINITY;
        }
        // Optional tail (v2, no version bump): who created a task and its coroutine. Kept
        // only when present, so that lanes of older files keep their exact shape.
        if (rec.length > 8) {
          const tail = rec as unknown as unknown[];
          t.creator = typeof tail[8] === 'number' ? tail[8] : null;
          t.coroutine = typeof tail[9] === 'string' ? tail[9] : null;
          t.coroutineSite = typeof tail[10] === 'number' ? tail[10] : null;
        }
        return;
      }
      case 'N': {
        const t = this.get(rec[2], rec[1]);
        t.name = rec[3];
        if (rec[1] > t.lastNs) t.lastNs = rec[1];
        return;
      }
      case 'E': {
        const t = this.get(rec[2], rec[1]);
        t.endedNs = rec[1];
        if (rec[1] > t.lastNs) t.lastNs = rec[1];
        // Optional tail (v2): how a task ended. The scanner's fast path reads `E` records of
        // two fields only, so a tail always comes through JSON.parse and validation.
        if (rec.length > 3) {
          t.outcome = typeof rec[3] === 'string' ? rec[3] : null;
          t.detail = typeof rec[4] === 'string' ? rec[4] : null;
        }
        return;
      }
      case 'W':
        this.seen(rec[3], rec[2]);
        if (rec[7] !== null) this.seen(rec[7], rec[1]);
        if (rec[9] !== null) this.seen(rec[9], rec[2]);
        return;
      case 'K':
        this.seen(rec[2], rec[1]);
        return;
      case 'C': {
        // A CPU reading comes right after a thread's end record: it must not extend the thread.
        const t = this.get(rec[2], rec[1]);
        if (t.endedNs === null && rec[1] > t.lastNs) t.lastNs = rec[1];
        return;
      }
      case 'X':
        this.seen(rec[3], rec[2]);
        return;
      case 'L':
        this.seen(rec[2], rec[1]);
        return;
      case 'P':
        this.seen(rec[5], rec[1]);
        return;
      case 'R':
        this.seen(rec[3], rec[2]);
        return;
      case 'B':
        // The delayed lanes are only named: they ran (and so are seen) elsewhere.
        this.seen(rec[3], rec[2]);
        if (rec[4] !== null) this.seen(rec[4], rec[2]);
        return;
      default:
        return;
    }
  }
  finalize(): void {
    for (const t of this.lanes) {
      if (t.endedNs !== null) t.lastNs = Math.max(t.endedNs, t.startNs);
    }
  }
  data(): LaneDef[] {
    return this.lanes;
  }
}

/** `M`: clock calibration pairs, for model/clock-alignment.ts. */
export class CalibrationsHandler implements RecordHandler<Calibration[]> {
  readonly codes = ['M'] as const;
  private pairs: Calibration[] = [];
  reset(): void {
    this.pairs = [];
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] === 'M') this.pairs.push({ ts: rec[1], domain: rec[2], domainTs: rec[3], errorNs: Math.max(0, rec[4]) });
  }
  finalize(): void {}
  data(): Calibration[] {
    return this.pairs;
  }
}

/** `W`: completed (or still open) waits, as columns. */
export class WaitsHandler implements RecordHandler<WaitTable> {
  readonly codes = ['W'] as const;
  private c = WaitsHandler.columns();
  private table: WaitTable | null = null;
  /** Rows of open waits by lane, then begin: where a later record of the same wait goes. */
  private open = new Map<number, Map<number, number>>();
  /** Records that replaced an earlier open one (tests and the bench read it). */
  dedupedOpen = 0;
  constructor(private readonly unknown: UnknownWords = new UnknownWords()) {}
  private static columns() {
    return {
      begin: new F64Column(), end: new F64Column(), tid: new I32Column(), object: new I32Column(), reason: new U8Column(),
      site: new I32Column(), holder: new I32Column(), holderSite: new I32Column(), waker: new I32Column(), flags: new U8Column(),
    };
  }
  reset(): void {
    this.c = WaitsHandler.columns();
    this.table = null;
    this.open = new Map();
    this.dedupedOpen = 0;
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] !== 'W') return;
    const c = this.c;
    // Open waits are rewritten at every flush while they last (format "Open waits"): the last
    // `W` of a (lane, begin) replaces the earlier ones, a complete one included. Only open
    // waits enter the map, so a trace without any pays one size check per wait.
    if ((rec[10] & WaitFlags.OPEN) !== 0 || this.open.size > 0) {
      const row = this.openRow(rec[3], rec[1], (rec[10] & WaitFlags.OPEN) !== 0);
      if (row >= 0) {
        this.write(row, rec);
        return;
      }
    }
    this.push(rec);
  }
  /** The row an earlier open `W` of this (lane, begin) took, or -1 (then an open one is
   * remembered at the row it is about to take). */
  private openRow(lane: number, begin: number, open: boolean): number {
    let byBegin = this.open.get(lane);
    const row = byBegin?.get(begin);
    if (row !== undefined) {
      // A complete record is the wait's last (the agent writes nothing after it), so the map
      // keeps only waits still open and the check above stays a size test for most records.
      if (!open && byBegin !== undefined) {
        byBegin.delete(begin);
        if (byBegin.size === 0) this.open.delete(lane);
      }
      return row;
    }
    if (open) {
      if (byBegin === undefined) this.open.set(lane, (byBegin = new Map()));
      byBegin.set(begin, this.c.begin.length);
    }
    return -1;
  }
  /** Overwrites row `i` with a later record of the same wait. */
  private write(i: number, rec: Extract<TraceRecord, { 0: 'W' }>): void {
    const c = this.c;
    this.dedupedOpen++;
    c.end.data[i] = rec[2] >= rec[1] ? rec[2] : rec[1];
    c.object.data[i] = rec[4];
    c.reason.data[i] = this.reasonIndex(rec[5]);
    c.site.data[i] = nullId(rec[6]);
    c.holder.data[i] = nullId(rec[7]);
    c.holderSite.data[i] = nullId(rec[8]);
    c.waker.data[i] = nullId(rec[9]);
    c.flags.data[i] = rec[10];
  }
  private reasonIndex(word: string): number {
    const reason = REASON_INDEX.get(word);
    if (reason === undefined || reason === UNKNOWN_REASON) {
      this.unknown.note('wait reason', word);
      return UNKNOWN_REASON;
    }
    return reason;
  }
  private push(rec: Extract<TraceRecord, { 0: 'W' }>): void {
    const c = this.c;
    c.begin.push(rec[1]);
    // An end before the begin cannot happen on one monotonic clock; clamp rather than
    // produce a negative duration.
    c.end.push(rec[2] >= rec[1] ? rec[2] : rec[1]);
    c.tid.push(rec[3]);
    c.object.push(rec[4]);
    c.reason.push(this.reasonIndex(rec[5]));
    c.site.push(nullId(rec[6]));
    c.holder.push(nullId(rec[7]));
    c.holderSite.push(nullId(rec[8]));
    c.waker.push(nullId(rec[9]));
    c.flags.push(rec[10]);
  }
  finalize(): void {
    const c = this.c;
    this.table = {
      count: c.begin.length, begin: c.begin.finish(), end: c.end.finish(), tid: c.tid.finish(), object: c.object.finish(),
      reason: c.reason.finish(), site: c.site.finish(), holder: c.holder.finish(), holderSite: c.holderSite.finish(),
      waker: c.waker.finish(), flags: c.flags.finish(),
    };
    this.c = WaitsHandler.columns();
    this.open = new Map();
  }
  data(): WaitTable {
    if (this.table === null) throw new Error('WaitsHandler.data() before finalize()');
    return this.table;
  }
}

/**
 * `K`: stack samples, as columns. The sampler writes a `C` reading of the same thread with
 * the same timestamp right after each sample; it is kept with the sample (NaN when none
 * came) so views can tell, per sample interval, whether a RUNNING thread was on the CPU.
 */
export class SamplesHandler implements RecordHandler<SampleTable> {
  readonly codes = ['K', 'C'] as const;
  private ts = new F64Column();
  private tid = new I32Column();
  private frame = new I32Column();
  private state = new U8Column();
  private cpu = new F64Column();
  private table: SampleTable | null = null;
  reset(): void {
    this.ts = new F64Column();
    this.tid = new I32Column();
    this.frame = new I32Column();
    this.state = new U8Column();
    this.cpu = new F64Column();
    this.table = null;
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] === 'K') {
      this.ts.push(rec[1]);
      this.tid.push(rec[2]);
      this.frame.push(nullId(rec[3]));
      this.state.push(rec[4]);
      this.cpu.push(Number.NaN);
    } else if (rec[0] === 'C') {
      const last = this.ts.length - 1;
      if (last >= 0 && this.ts.data[last] === rec[1] && this.tid.data[last] === rec[2]) this.cpu.data[last] = rec[3];
    }
  }
  finalize(): void {
    this.table = {
      count: this.ts.length, ts: this.ts.finish(), tid: this.tid.finish(), frame: this.frame.finish(), state: this.state.finish(),
      cpu: this.cpu.finish(),
    };
  }
  data(): SampleTable {
    if (this.table === null) throw new Error('SamplesHandler.data() before finalize()');
    return this.table;
  }
}

/** `C`: the first and last reading of each thread's CPU clock (all the model needs). */
export class CpuHandler implements RecordHandler<CpuRange[]> {
  readonly codes = ['C'] as const;
  private ranges: CpuRange[] = [];
  private byTid = new Map<number, CpuRange>();
  reset(): void {
    this.ranges = [];
    this.byTid = new Map();
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] !== 'C') return;
    const r = this.byTid.get(rec[2]);
    if (r === undefined) {
      const fresh = { tid: rec[2], firstTs: rec[1], firstNs: rec[3], lastTs: rec[1], lastNs: rec[3], readings: 1 };
      this.byTid.set(rec[2], fresh);
      this.ranges.push(fresh);
      return;
    }
    r.readings++;
    if (rec[1] >= r.lastTs) {
      r.lastTs = rec[1];
      r.lastNs = rec[3];
    }
  }
  finalize(): void {}
  data(): CpuRange[] {
    return this.ranges;
  }
}

/** `A`: acquisition counts per object, summed. */
export class AcquisitionsHandler implements RecordHandler<{ object: number; count: number }[]> {
  readonly codes = ['A'] as const;
  private counts = new Map<number, number>();
  reset(): void {
    this.counts = new Map();
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] === 'A') this.counts.set(rec[2], (this.counts.get(rec[2]) ?? 0) + rec[3]);
  }
  finalize(): void {}
  data(): { object: number; count: number }[] {
    return [...this.counts].map(([object, count]) => ({ object, count }));
  }
}

export interface ProcessPart {
  complete: boolean;
  endReason: string | null;
  exitCode: number | null;
  endNs: number | null;
  children: ChildStart[];
  childExits: ChildExit[];
  messages: AgentMessage[];
}

/** `P`, `Q`, `!`, `Z`: what the process did as a whole: children, agent messages, its end. */
export class ProcessHandler implements RecordHandler<ProcessPart> {
  readonly codes = ['P', 'Q', '!', 'Z'] as const;
  private part: ProcessPart = ProcessHandler.empty();
  private static empty(): ProcessPart {
    return { complete: false, endReason: null, exitCode: null, endNs: null, children: [], childExits: [], messages: [] };
  }
  reset(): void {
    this.part = ProcessHandler.empty();
  }
  handleRecord(rec: TraceRecord): void {
    const p = this.part;
    switch (rec[0]) {
      case 'P':
        p.children.push({ ts: rec[1], pid: rec[2], how: rec[3], argv: rec[4], tid: rec[5], site: rec[6], label: rec[7] ?? null });
        return;
      case 'Q':
        p.childExits.push({ ts: rec[1], pid: rec[2], code: rec[3], endedBy: rec[4] ?? null });
        return;
      case '!':
        p.messages.push({ ts: rec[1], level: rec[2], message: rec[3] });
        return;
      case 'Z':
        // The first end record counts; a second one (a forked child that inherited the
        // writer?) would only repeat it.
        if (p.complete) return;
        p.complete = true;
        p.endReason = rec[2];
        p.exitCode = rec[3];
        p.endNs = rec[1];
        return;
      default:
        return;
    }
  }
  finalize(): void {}
  data(): ProcessPart {
    return this.part;
  }
}

/** `L` flow ends and `X` spans: work that moves between lanes or is not a wait. */
export class FlowsHandler implements RecordHandler<{ flowEnds: FlowEnd[]; spans: SpanDef[] }> {
  readonly codes = ['L', 'X'] as const;
  private flowEnds: FlowEnd[] = [];
  private spans: SpanDef[] = [];
  reset(): void {
    this.flowEnds = [];
    this.spans = [];
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] === 'L') {
      // v1 work items ("task" kind and key prefix) read as v2's "work".
      this.flowEnds.push({ ts: rec[1], tid: rec[2], key: workWord(rec[3]), phase: rec[4], kind: workWord(rec[5]), object: rec[6], size: rec[7] });
    } else if (rec[0] === 'X') {
      const span: SpanDef = { begin: rec[1], end: Math.max(rec[1], rec[2]), tid: rec[3], kind: workWord(rec[4]), label: rec[5], site: rec[6] };
      // Optional trailing field: an X of 6 fields (older agents) or with a null key has none.
      const key = rec[7];
      if (typeof key === 'string' && key !== '') span.key = workWord(key);
      this.spans.push(span);
    }
  }
  finalize(): void {}
  data(): { flowEnds: FlowEnd[]; spans: SpanDef[] } {
    return { flowEnds: this.flowEnds, spans: this.spans };
  }
}

/** `R`: asyncio task steps, as columns (the most frequent asyncio record). */
export class TaskStepsHandler implements RecordHandler<TaskStepTable> {
  readonly codes = ['R'] as const;
  private begin = new F64Column();
  private end = new F64Column();
  private tid = new I32Column();
  private table: TaskStepTable | null = null;
  reset(): void {
    this.begin = new F64Column(16);
    this.end = new F64Column(16);
    this.tid = new I32Column(16);
    this.table = null;
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] !== 'R') return;
    this.begin.push(rec[1]);
    // Clamped like waits: one monotonic clock cannot run backwards.
    this.end.push(rec[2] >= rec[1] ? rec[2] : rec[1]);
    this.tid.push(rec[3]);
  }
  finalize(): void {
    this.table = { count: this.begin.length, begin: this.begin.finish(), end: this.end.finish(), tid: this.tid.finish() };
  }
  data(): TaskStepTable {
    if (this.table === null) throw new Error('TaskStepsHandler.data() before finalize()');
    return this.table;
  }
}

/** `B`: event-loop blocks (each longer than the agent's threshold, so few: plain rows). */
export class LoopBlocksHandler implements RecordHandler<LoopBlockDef[]> {
  readonly codes = ['B'] as const;
  private blocks: LoopBlockDef[] = [];
  reset(): void {
    this.blocks = [];
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] !== 'B') return;
    // The delayed array is copied: the reader may reuse the record's arrays.
    this.blocks.push({ begin: rec[1], end: Math.max(rec[1], rec[2]), tid: rec[3], task: rec[4], delayed: [...rec[5]] });
  }
  finalize(): void {}
  data(): LoopBlockDef[] {
    return this.blocks;
  }
}

/** `D` (stalls the agent's watchdog found) and `I` (lock-order inversions): a few per file,
 * rows. Arrays are copied: the reader may reuse a record's arrays. A stall of a kind this
 * reader does not know is kept as "unknown" (one warning), like any enum word. */
export class StallRecordsHandler implements RecordHandler<{ stalls: StallDef[]; lockOrders: LockOrderDef[] }> {
  readonly codes = ['D', 'I'] as const;
  private stalls: StallDef[] = [];
  private lockOrders: LockOrderDef[] = [];
  constructor(private readonly unknown: UnknownWords = new UnknownWords()) {}
  reset(): void {
    this.stalls = [];
    this.lockOrders = [];
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] === 'D') {
      let kind: string = rec[2];
      if (!(STALL_KINDS as readonly string[]).includes(kind)) {
        this.unknown.note('stall kind', kind);
        kind = UNKNOWN;
      }
      this.stalls.push({ ts: rec[1], kind, lanes: [...rec[3]], objects: [...rec[4]], sites: [...rec[5]], frames: [...rec[6]] });
    } else if (rec[0] === 'I') {
      this.lockOrders.push({
        ts: rec[1], first: rec[2], second: rec[3], lane: rec[4], firstSite: rec[5], secondSite: rec[6],
        otherLane: rec[7], otherFirstSite: rec[8], otherSecondSite: rec[9],
      });
    }
  }
  finalize(): void {}
  data(): { stalls: StallDef[]; lockOrders: LockOrderDef[] } {
    return { stalls: this.stalls, lockOrders: this.lockOrders };
  }
}

/** `V`: counter series (queue depth, loop lag), one column pair per name. */
export class CountersHandler implements RecordHandler<CounterTable[]> {
  readonly codes = ['V'] as const;
  private series = new Map<string, { ts: F64Column; value: F64Column }>();
  private tables: CounterTable[] = [];
  reset(): void {
    this.series = new Map();
    this.tables = [];
  }
  handleRecord(rec: TraceRecord): void {
    if (rec[0] !== 'V') return;
    let s = this.series.get(rec[2]);
    if (s === undefined) {
      s = { ts: new F64Column(16), value: new F64Column(16) };
      this.series.set(rec[2], s);
    }
    s.ts.push(rec[1]);
    s.value.push(rec[3]);
  }
  finalize(): void {
    this.tables = [...this.series].map(([name, s]) => ({ name, count: s.ts.length, ts: s.ts.finish(), value: s.value.finish() }));
  }
  data(): CounterTable[] {
    return this.tables;
  }
}

/**
 * The sink the reader feeds: routes each record to the handlers that listed its code, and
 * assembles their data into a {@link ParsedFile}.
 */
export class FileParser implements RecordSink {
  private readonly unknownWords = new UnknownWords();
  private readonly definitions = new DefinitionsHandler(this.unknownWords);
  private readonly lanes = new LanesHandler(this.unknownWords);
  private readonly calibrations = new CalibrationsHandler();
  private readonly waits = new WaitsHandler(this.unknownWords);
  private readonly samples = new SamplesHandler();
  private readonly cpu = new CpuHandler();
  private readonly acquisitions = new AcquisitionsHandler();
  private readonly process = new ProcessHandler();
  private readonly flows = new FlowsHandler();
  private readonly counters = new CountersHandler();
  private readonly taskSteps = new TaskStepsHandler();
  private readonly loopBlocks = new LoopBlocksHandler();
  private readonly stalls = new StallRecordsHandler(this.unknownWords);
  private readonly all: RecordHandler<unknown>[] = [
    this.definitions, this.lanes, this.calibrations, this.waits, this.samples, this.cpu, this.acquisitions, this.process, this.flows,
    this.counters, this.taskSteps, this.loopBlocks, this.stalls,
  ];
  private readonly routes = new Map<string, RecordHandler<unknown>[]>();
  private header: TraceHeader | null = null;

  constructor() {
    for (const h of this.all) {
      for (const code of h.codes) {
        const list = this.routes.get(code) ?? [];
        list.push(h);
        this.routes.set(code, list);
      }
    }
  }

  begin(header: TraceHeader): void {
    this.header = header;
    this.unknownWords.reset();
    for (const h of this.all) h.reset(header);
  }

  record(rec: TraceRecord): void {
    const handlers = this.routes.get(rec[0]);
    if (handlers === undefined) return;
    for (let i = 0; i < handlers.length; i++) (handlers[i] as RecordHandler<unknown>).handleRecord(rec);
  }

  /** Finalizes every handler and returns the file's tables. */
  finish(info: { path: string; bytes: number; records: number; lastNs: number; warnings: string[] }): ParsedFile {
    if (this.header === null) throw new Error('FileParser.finish() before begin()');
    for (const h of this.all) h.finalize();
    const defs = this.definitions.data();
    const proc = this.process.data();
    const flows = this.flows.data();
    const lanes = this.lanes.data();
    const name = info.path.split(/[\\/]/).pop() ?? info.path;
    // The reader's latest time mixes clocks when a lane has its own (a GPU queue's device
    // clock): then the file's end is the latest time on the file's own clock only, and
    // clock-alignment.ts extends it with the converted lanes.
    let endNs = Math.max(proc.endNs ?? info.lastNs, info.lastNs);
    if (lanes.some((l) => l.clockDomain !== null)) {
      endNs = proc.endNs ?? this.header.startNs;
      for (const l of lanes) if (l.clockDomain === null) endNs = Math.max(endNs, l.lastNs);
    }
    return {
      path: info.path,
      bytes: info.bytes,
      header: this.header,
      records: info.records,
      complete: proc.complete,
      endReason: proc.endReason,
      exitCode: proc.exitCode,
      endNs,
      warnings: [...info.warnings, ...this.unknownWords.warnings(name)],
      sites: defs.sites,
      objects: defs.objects,
      frames: defs.frames,
      lanes,
      calibrations: this.calibrations.data(),
      waits: this.waits.data(),
      samples: this.samples.data(),
      cpu: this.cpu.data(),
      acquisitions: this.acquisitions.data(),
      children: proc.children,
      childExits: proc.childExits,
      flowEnds: flows.flowEnds,
      spans: flows.spans,
      counters: this.counters.data(),
      messages: proc.messages,
      taskSteps: this.taskSteps.data(),
      loopBlocks: this.loopBlocks.data(),
      stalls: this.stalls.data().stalls,
      lockOrders: this.stalls.data().lockOrders,
    };
  }
}
