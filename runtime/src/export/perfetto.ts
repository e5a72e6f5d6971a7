/**
 * Perfetto's native trace format (a protobuf `Trace`: a stream of `TracePacket`s), written
 * packet by packet so that a trace of millions of events never exists in memory as output.
 * Opens in ui.perfetto.dev and Perfetto's trace processor, which handle far bigger traces
 * than the Chrome JSON viewers (no JSON parse, interned strings).
 *
 * Field numbers are from Perfetto's protos (github.com/google/perfetto, commit ec5d16b, August
 * 2026; the amalgamated protos/perfetto/trace/perfetto_trace.proto is vendored in
 * test/fixtures/perfetto/, and the test decodes our output with it):
 * - protos/perfetto/trace/trace.proto: Trace.packet = 1.
 * - protos/perfetto/trace/trace_packet.proto: TracePacket.timestamp = 8,
 *   trusted_packet_sequence_id = 10, track_event = 11, interned_data = 12, sequence_flags = 13,
 *   track_descriptor = 60, first_packet_on_sequence = 87; SequenceFlags
 *   SEQ_INCREMENTAL_STATE_CLEARED = 1, SEQ_NEEDS_INCREMENTAL_STATE = 2.
 * - protos/perfetto/trace/track_event/track_event.proto: TrackEvent.category_iids = 3,
 *   debug_annotations = 4, type = 9, name_iid = 10, track_uuid = 11, source_location_iid = 34,
 *   double_counter_value = 44, flow_ids = 47 (fixed64), terminating_flow_ids = 48 (fixed64);
 *   Type SLICE_BEGIN = 1, SLICE_END = 2, INSTANT = 3, COUNTER = 4. EventCategory and EventName:
 *   iid = 1, name = 2.
 * - protos/perfetto/trace/track_event/track_descriptor.proto: TrackDescriptor.uuid = 1,
 *   name = 2, process = 3, thread = 4, parent_uuid = 5, counter = 8, description = 14.
 * - process_descriptor.proto: pid = 1, cmdline = 2, process_name = 6; thread_descriptor.proto:
 *   pid = 1, tid = 2, thread_name = 5; counter_descriptor.proto: unit = 3 (UNIT_TIME_NS = 1),
 *   unit_name = 6.
 * - protos/perfetto/trace/interned_data/interned_data.proto: InternedData.event_categories = 1,
 *   event_names = 2, debug_annotation_names = 3, source_locations = 4,
 *   debug_annotation_string_values = 29 (InternedString iid = 1, str = 2).
 *   source_location.proto: iid = 1, file_name = 2, function_name = 3, line_number = 4.
 * - debug_annotation.proto: DebugAnnotation.name_iid = 1, bool_value = 2, uint_value = 3,
 *   double_value = 5, string_value = 6, string_value_iid = 17.
 *
 * Tracks: one process track per process (ProcessDescriptor), one thread track per thread
 * (ThreadDescriptor), one named track per other lane (asyncio task, greenlet, GPU queue, rank,
 * worker; parented to its process), one per host when there are several, one counter track
 * per counter series (`V` records: queue depths, event-loop lag). A process whose pid another
 * process of the trace already has (another host, a reused pid) and the lanes of such a
 * process are named tracks instead, because Perfetto merges processes by pid.
 *
 * Slices: waits (named by reason and object, with holder, waker and the waiting line as the
 * slice's source location), spans (work items, GPU kernels and copies, holds), task steps
 * (named by coroutine) and event-loop blocks, each as SLICE_BEGIN/SLICE_END on its lane's
 * track. A track's slices must nest, so a slice that overlaps another partially goes to an
 * extra "(overlapping)" track of its lane. Flows: each woken wait is a flow from an instant
 * "release ..." on the waker's track into the wait (terminating on its END); `L` flows
 * (messages, work items, results, launches, spawns, task creation) go from an instant at the
 * send into the slice that begins at the receive (a work item's run, a task's first step, a
 * kernel), else into an instant there.
 *
 * Order: packets are written in timestamp order (a k-way merge of per-track event streams), and
 * where times are equal a flow's start comes first, because the trace processor sorts by
 * timestamp keeping file order for ties and drops a flow whose end it sees before its start.
 * Timestamps are ns since the trace's first event, like the Chrome export's µs.
 */
import type { Writable } from 'node:stream';
import { WAIT_REASONS, WaitFlags } from '../format/spec';
import type { TraceModel, WorkItem } from '../model/types';
import { sortOrder } from '../model/columns';
import { ProtoWriter } from './protobuf';
import { ByteSink } from './sink';

const F = {
  trace: { packet: 1 },
  packet: { timestamp: 8, sequenceId: 10, trackEvent: 11, internedData: 12, sequenceFlags: 13, trackDescriptor: 60, firstOnSequence: 87 },
  event: {
    categoryIids: 3, debugAnnotations: 4, type: 9, nameIid: 10, trackUuid: 11, sourceLocationIid: 34, doubleCounterValue: 44,
    flowIds: 47, terminatingFlowIds: 48,
  },
  track: { uuid: 1, name: 2, process: 3, thread: 4, parentUuid: 5, counter: 8, description: 14 },
  process: { pid: 1, cmdline: 2, processName: 6 },
  thread: { pid: 1, tid: 2, threadName: 5 },
  counter: { unit: 3, unitName: 6 },
  interned: { categories: 1, names: 2, annotationNames: 3, sourceLocations: 4, annotationStrings: 29 },
  iidName: { iid: 1, name: 2 },
  sourceLocation: { iid: 1, fileName: 2, functionName: 3, lineNumber: 4 },
  annotation: { nameIid: 1, boolValue: 2, uintValue: 3, doubleValue: 5, stringValue: 6, stringValueIid: 17 },
} as const;
const TYPE = { begin: 1, end: 2, instant: 3, counter: 4 } as const;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;
const UNIT_TIME_NS = 1;
const SEQUENCE = 1;

/** What an export wrote. */
export interface PerfettoStats {
  bytes: number;
  packets: number;
  tracks: number;
  slices: number;
  instants: number;
  flows: number;
  counterValues: number;
}

/** Slice sources, packed with an index into one int32: kind * 2^28 + row. */
const K_WAIT = 0;
const K_SPAN = 1;
const K_STEP = 2;
const K_BLOCK = 3;
const KIND_SHIFT = 2 ** 28;

/** Interned strings of one kind: iid by value, and the new ones to send with the next packet. */
class Interner {
  private readonly ids = new Map<string, number>();
  pending: [number, string][] = [];
  id(value: string): number {
    let iid = this.ids.get(value);
    if (iid === undefined) {
      iid = this.ids.size + 1;
      this.ids.set(value, iid);
      this.pending.push([iid, value]);
    }
    return iid;
  }
}

/**
 * Debug annotations, flat: for each, its name's iid, its value, and 1 when the value is an
 * interned string's iid (else 0). Flat so that one list is reused for every wait: a tuple per
 * annotation was millions of short-lived arrays at 10M events.
 */
type Annotations = (string | number | boolean)[];

interface PendingEvent {
  type: number;
  track: number;
  /** Interned name and category (PacketWriter.names/categories); 0 for none. */
  nameIid?: number;
  categoryIid?: number;
  site?: number | null;
  annotations?: Annotations;
  flowIds?: readonly number[];
  terminating?: readonly number[];
  counter?: number;
}

/** A stream of events in time order (one track's slices, the instants, one counter). */
interface EventStream {
  /** Time of the next event (ns since the trace start), Infinity when done. */
  next(): number;
  /** Writes the next event (and anything that must come right before it). */
  emit(w: PacketWriter): Promise<void> | void;
}

/** Builds packets and appends them to the output. */
class PacketWriter {
  private readonly packet = new ProtoWriter(1024);
  private readonly outer = new ProtoWriter(16);
  readonly names = new Interner();
  readonly categories = new Interner();
  readonly annotationNames = new Interner();
  readonly strings = new Interner();
  /** Source location iid per site (0: not sent yet). */
  private readonly locations: Int32Array;
  private locationCount = 0;
  private pendingLocations: number[] = [];
  private first = true;
  packets = 0;

  constructor(private readonly sink: ByteSink, private readonly model: TraceModel) {
    this.locations = new Int32Array(model.sites.length);
  }

  private startPacket(ts: number, needsState: boolean): ProtoWriter {
    const p = this.packet;
    p.reset();
    p.uint(F.packet.timestamp, Math.max(0, Math.round(ts)));
    p.uint(F.packet.sequenceId, SEQUENCE);
    if (this.first) {
      p.uint(F.packet.sequenceFlags, SEQ_INCREMENTAL_STATE_CLEARED | (needsState ? SEQ_NEEDS_INCREMENTAL_STATE : 0));
      p.bool(F.packet.firstOnSequence, true);
      this.first = false;
    } else if (needsState) {
      p.uint(F.packet.sequenceFlags, SEQ_NEEDS_INCREMENTAL_STATE);
    }
    return p;
  }

  /** The packet, framed as a `Trace.packet` field, into the sink's chunk. */
  private finishPacket(): Promise<void> | void {
    const p = this.packet;
    const o = this.outer;
    o.reset();
    o.varint(F.trace.packet * 8 + 2);
    o.varint(p.pos);
    this.packets++;
    const n = o.pos + p.pos;
    if (this.sink.fits(n)) {
      this.sink.putRange(o.buf, o.pos);
      this.sink.putRange(p.buf, p.pos);
      return undefined;
    }
    const framed = new Uint8Array(n);
    framed.set(o.bytes());
    framed.set(p.bytes(), o.pos);
    return this.sink.write(framed);
  }

  /** True when the sink should be flushed before more packets are written. */
  get full(): boolean {
    return !this.sink.fits(this.sink.capacity >>> 4);
  }

  flush(): Promise<void> {
    return this.sink.flush();
  }

  descriptor(write: (p: ProtoWriter) => void): Promise<void> | void {
    const p = this.startPacket(0, false);
    p.begin(F.packet.trackDescriptor);
    write(p);
    p.end();
    return this.finishPacket();
  }

  private locationIid(site: number): number {
    let iid = this.locations[site] as number;
    if (iid === 0) {
      iid = ++this.locationCount;
      this.locations[site] = iid;
      this.pendingLocations.push(site);
    }
    return iid;
  }

  event(ts: number, e: PendingEvent): Promise<void> | void {
    // Names and values were interned by the caller; new ones travel in this packet's interned_data.
    const nameIid = e.nameIid ?? 0;
    const categoryIid = e.categoryIid ?? 0;
    const site = e.site ?? -1;
    const locationIid = site >= 0 && site < this.locations.length ? this.locationIid(site) : 0;
    const ann = e.annotations ?? [];
    const p = this.startPacket(ts, true);
    this.writeInterned(p);
    p.begin(F.packet.trackEvent);
    p.uint(F.event.type, e.type);
    p.uint(F.event.trackUuid, e.track);
    if (categoryIid > 0) p.uint(F.event.categoryIids, categoryIid);
    if (nameIid > 0) p.uint(F.event.nameIid, nameIid);
    if (locationIid > 0) p.uint(F.event.sourceLocationIid, locationIid);
    if (e.counter !== undefined) p.double(F.event.doubleCounterValue, e.counter);
    for (const id of e.flowIds ?? []) p.fixed64(F.event.flowIds, id);
    for (const id of e.terminating ?? []) p.fixed64(F.event.terminatingFlowIds, id);
    for (let a = 0; a + 2 < ann.length; a += 3) {
      const n = ann[a] as number;
      const v = ann[a + 1] as string | number | boolean;
      const interned = ann[a + 2] === 1;
      p.begin(F.event.debugAnnotations);
      p.uint(F.annotation.nameIid, n);
      if (interned) p.uint(F.annotation.stringValueIid, v as number);
      else if (typeof v === 'string') p.string(F.annotation.stringValue, v);
      else if (typeof v === 'boolean') p.bool(F.annotation.boolValue, v);
      else if (Number.isInteger(v) && v >= 0) p.uint(F.annotation.uintValue, v);
      else p.double(F.annotation.doubleValue, v);
      p.end();
    }
    p.end();
    return this.finishPacket();
  }

  private writeInterned(p: ProtoWriter): void {
    const any = this.names.pending.length + this.categories.pending.length + this.annotationNames.pending.length
      + this.strings.pending.length + this.pendingLocations.length;
    if (any === 0) return;
    p.begin(F.packet.internedData);
    const list = (field: number, i: Interner): void => {
      for (const [iid, name] of i.pending) {
        p.begin(field);
        p.uint(F.iidName.iid, iid);
        p.string(F.iidName.name, name);
        p.end();
      }
      i.pending = [];
    };
    list(F.interned.categories, this.categories);
    list(F.interned.names, this.names);
    list(F.interned.annotationNames, this.annotationNames);
    for (const site of this.pendingLocations) {
      const s = this.model.sites[site];
      if (s === undefined) continue;
      p.begin(F.interned.sourceLocations);
      p.uint(F.sourceLocation.iid, this.locations[site] as number);
      p.string(F.sourceLocation.fileName, s.file);
      p.string(F.sourceLocation.functionName, s.func);
      p.uint(F.sourceLocation.lineNumber, Math.max(0, s.line));
      p.end();
    }
    this.pendingLocations = [];
    // InternedString.str is `bytes`; a UTF-8 string is the same bytes on the wire.
    list(F.interned.annotationStrings, this.strings);
    p.end();
  }
}

/** A binary min-heap of stream indexes by (next time, index). */
class StreamHeap {
  private readonly heap: number[] = [];
  constructor(private readonly keys: Float64Array) {}
  private less(a: number, b: number): boolean {
    const ka = this.keys[a] as number;
    const kb = this.keys[b] as number;
    return ka < kb || (ka === kb && a < b);
  }
  get size(): number {
    return this.heap.length;
  }
  peek(): number {
    return this.heap[0] as number;
  }
  push(s: number): void {
    const h = this.heap;
    h.push(s);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i] as number, h[parent] as number)) break;
      [h[i], h[parent]] = [h[parent] as number, h[i] as number];
      i = parent;
    }
  }
  /** Restores the heap after the top's key changed (or removes it when done). */
  updateTop(done: boolean): void {
    const h = this.heap;
    if (done) {
      const last = h.pop() as number;
      if (h.length === 0) return;
      h[0] = last;
    }
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as number, h[m] as number)) m = l;
      if (r < h.length && this.less(h[r] as number, h[m] as number)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as number, h[i] as number];
      i = m;
    }
  }
}

/** A growable int32 list. */
class IntList {
  data = new Int32Array(16);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  get top(): number {
    return this.data[this.length - 1] as number;
  }
}

export async function writePerfettoTrace(model: TraceModel, out: Writable, opts: { closeStream?: boolean; chunkBytes?: number } = {}): Promise<PerfettoStats> {
  const sink = new ByteSink(out, opts.chunkBytes);
  const w = new PacketWriter(sink, model);
  const stats: PerfettoStats = { bytes: 0, packets: 0, tracks: 0, slices: 0, instants: 0, flows: 0, counterValues: 0 };
  const t0 = model.startNs;
  const rel = (ns: number): number => ns - t0;
  const waits = model.waits;
  const steps = model.taskSteps;
  const blocks = model.loopBlocks ?? [];

  // --- Tracks -----------------------------------------------------------------------------
  let nextUuid = 1;
  const descriptors: ((p: ProtoWriter) => void)[] = [];
  const track = (write: (p: ProtoWriter, uuid: number) => void): number => {
    const uuid = nextUuid++;
    descriptors.push((p) => write(p, uuid));
    return uuid;
  };
  const hosts = model.hosts ?? [];
  if (hosts.length > 1) {
    for (const h of hosts) {
      const clock = (model.clocks ?? []).find((c) => c.host === h.index && c.domain.startsWith('monotonic'));
      track((p, uuid) => {
        p.uint(F.track.uuid, uuid);
        p.string(F.track.name, `host ${h.name || h.id || h.index}`);
        if (clock !== undefined) {
          p.string(F.track.description, `clock ${clock.domain}: ${clock.method}, offset ${(clock.offsetNs / 1e6).toFixed(3)} ms${clock.errorNs === null ? ' (estimate)' : `, within ±${(clock.errorNs / 1e6).toFixed(3)} ms`}`);
        }
      });
    }
  }
  const hostName = (p: number): string => {
    const h = model.processes[p]?.host ?? 0;
    return hosts.length > 1 ? `, host ${hosts[h]?.name || hosts[h]?.id || h}` : '';
  };
  const processUuid: number[] = [];
  const realProcess: boolean[] = [];
  const pidsUsed = new Set<number>();
  for (const p of model.processes) {
    const real = !pidsUsed.has(p.pid);
    pidsUsed.add(p.pid);
    realProcess[p.index] = real;
    const name = `${p.argv.join(' ') || 'python'} (${p.startMethod}, pid ${p.pid}${hostName(p.index)})`;
    processUuid[p.index] = track((q, uuid) => {
      q.uint(F.track.uuid, uuid);
      if (real) {
        q.begin(F.track.process);
        q.int(F.process.pid, p.pid);
        for (const a of p.argv) q.string(F.process.cmdline, a);
        q.string(F.process.processName, name);
        q.end();
      } else {
        q.string(F.track.name, name);
      }
    });
  }
  const laneUuid: number[] = [];
  const tidsUsed = new Set<string>();
  for (const l of model.lanes) {
    const proc = model.processes[l.process];
    const pid = proc?.pid ?? 0;
    const tid = l.nativeId > 0 ? l.nativeId : l.tid;
    const asThread = l.kind === 'thread' && realProcess[l.process] === true && !tidsUsed.has(`${pid}/${tid}`);
    if (asThread) tidsUsed.add(`${pid}/${tid}`);
    const parent = processUuid[l.process];
    laneUuid[l.index] = track((p, uuid) => {
      p.uint(F.track.uuid, uuid);
      if (asThread) {
        p.begin(F.track.thread);
        p.int(F.thread.pid, pid);
        p.int(F.thread.tid, tid);
        p.string(F.thread.threadName, l.name);
        p.end();
      } else {
        if (parent !== undefined) p.uint(F.track.parentUuid, parent);
        p.string(F.track.name, l.kind === 'thread' ? l.name : `${l.kind} ${l.name}`);
      }
    });
  }

  // --- Slices per track -------------------------------------------------------------------
  const beginOf = (ref: number): number => {
    const kind = Math.floor(ref / KIND_SHIFT);
    const i = ref - kind * KIND_SHIFT;
    switch (kind) {
      case K_WAIT: return waits.begin[i] as number;
      case K_SPAN: return (model.spans[i] as { begin: number }).begin;
      case K_STEP: return steps?.begin[i] as number;
      default: return (blocks[i] as { begin: number }).begin;
    }
  };
  const endOf = (ref: number): number => {
    const kind = Math.floor(ref / KIND_SHIFT);
    const i = ref - kind * KIND_SHIFT;
    switch (kind) {
      case K_WAIT: return Math.max(waits.end[i] as number, waits.begin[i] as number);
      case K_SPAN: { const s = model.spans[i] as { begin: number; end: number }; return Math.max(s.end, s.begin); }
      case K_STEP: return Math.max(steps?.end[i] as number, steps?.begin[i] as number);
      default: { const b = blocks[i] as { begin: number; end: number }; return Math.max(b.end, b.begin); }
    }
  };
  const laneOfRef = (ref: number): number => {
    const kind = Math.floor(ref / KIND_SHIFT);
    const i = ref - kind * KIND_SHIFT;
    switch (kind) {
      case K_WAIT: return waits.lane[i] as number;
      case K_SPAN: return (model.spans[i] as { lane: number }).lane;
      case K_STEP: return steps?.lane[i] as number;
      default: return (blocks[i] as { loopLane: number }).loopLane;
    }
  };

  // Flow ids: a woken wait i is flow i + 1; L flows follow.
  const wokenBy = (i: number): number => {
    const from = waits.wakerLane[i] as number;
    const to = waits.lane[i] as number;
    if (from < 0 || to < 0 || from === to || ((waits.flags[i] as number) & (WaitFlags.TIMED_OUT | WaitFlags.OPEN)) !== 0) return -1;
    return laneUuid[from] === undefined ? -1 : from;
  };
  // L flows: each goes from an instant at the send into the slice that begins at the receive
  // on the receiving lane, when there is one (found while packing), else into an instant.
  const otherFlows = model.flows.filter((f) => f.kind !== 'unblock');
  const flowIdBase = waits.count + 1;
  const destAt = new Map<number, Map<number, number[]>>();
  otherFlows.forEach((f, k) => {
    let m = destAt.get(f.toLane);
    if (m === undefined) destAt.set(f.toLane, (m = new Map()));
    const list = m.get(f.toNs) ?? [];
    list.push(k);
    m.set(f.toNs, list);
  });
  const terminatesAtBegin = new Map<number, number[]>();

  // Sources sorted by begin, merged (ties: the longer first, so it can hold the shorter).
  const spanOrder = model.spans.map((_, i) => i).sort((a, b) => (model.spans[a] as { begin: number }).begin - (model.spans[b] as { begin: number }).begin);
  const blockOrder = blocks.map((_, i) => i).sort((a, b) => (blocks[a] as { begin: number }).begin - (blocks[b] as { begin: number }).begin);
  const sources: { refs: (i: number) => number; n: number }[] = [
    { refs: (i) => K_WAIT * KIND_SHIFT + i, n: waits.count },
    { refs: (i) => K_SPAN * KIND_SHIFT + (spanOrder[i] as number), n: spanOrder.length },
    { refs: (i) => K_STEP * KIND_SHIFT + i, n: steps?.count ?? 0 },
    { refs: (i) => K_BLOCK * KIND_SHIFT + (blockOrder[i] as number), n: blockOrder.length },
  ];
  interface SliceTrack { uuid: number; refs: IntList; open: IntList }
  const laneTracks: SliceTrack[][] = model.lanes.map(() => []);
  const allTracks: SliceTrack[] = [];
  const pos = sources.map(() => 0);
  for (;;) {
    let best = -1;
    let bestBegin = Infinity;
    let bestEnd = -Infinity;
    for (let s = 0; s < sources.length; s++) {
      const src = sources[s] as (typeof sources)[number];
      if ((pos[s] as number) >= src.n) continue;
      const ref = src.refs(pos[s] as number);
      const b = beginOf(ref);
      const e = endOf(ref);
      if (b < bestBegin || (b === bestBegin && e > bestEnd)) {
        best = s;
        bestBegin = b;
        bestEnd = e;
      }
    }
    if (best < 0) break;
    const ref = (sources[best] as (typeof sources)[number]).refs(pos[best] as number);
    pos[best] = (pos[best] as number) + 1;
    const lane = laneOfRef(ref);
    const tracks = laneTracks[lane];
    if (tracks === undefined || !Number.isFinite(bestBegin) || !Number.isFinite(bestEnd)) continue;
    let placed: SliceTrack | undefined;
    for (const t of tracks) {
      const open = t.open;
      while (open.length > 0 && endOf(open.top) <= bestBegin) open.length--;
      if (open.length === 0 || bestEnd <= endOf(open.top)) {
        placed = t;
        break;
      }
    }
    if (placed === undefined) {
      const l = model.lanes[lane];
      const main = tracks.length === 0;
      const nth = tracks.length;
      const uuid = main ? (laneUuid[lane] as number) : track((p, u) => {
        p.uint(F.track.uuid, u);
        const parent = processUuid[l?.process ?? -1];
        if (parent !== undefined) p.uint(F.track.parentUuid, parent);
        p.string(F.track.name, `${l?.name ?? 'lane'} (overlapping ${nth})`);
      });
      placed = { uuid, refs: new IntList(), open: new IntList() };
      tracks.push(placed);
      allTracks.push(placed);
    }
    placed.refs.push(ref);
    placed.open.push(ref);
    const kind = Math.floor(ref / KIND_SHIFT);
    if (kind === K_SPAN || kind === K_STEP) {
      const m = destAt.get(lane);
      const ks = m?.get(bestBegin);
      if (ks !== undefined) {
        terminatesAtBegin.set(ref, ks.map((k) => flowIdBase + k));
        m?.delete(bestBegin);
      }
    }
  }
  // Tracks whose lane had no slice of its own still exist (their descriptor is written).

  // --- Names and arguments -----------------------------------------------------------------
  const laneName = (i: number): string | undefined => (i >= 0 ? model.lanes[i]?.name : undefined);
  const siteLabel = (i: number | null): string | undefined => {
    const s = i !== null && i >= 0 ? model.sites[i] : undefined;
    return s === undefined ? undefined : `${s.file}:${s.line} (${s.func})`;
  };
  const objectLabel = (i: number | null): string | undefined => {
    const o = i !== null && i >= 0 ? model.objects[i] : undefined;
    return o === undefined ? undefined : `${o.kind}${o.name ? ` "${o.name}"` : ''}`;
  };
  const itemOfSpan = new Map<number, WorkItem>();
  for (const it of model.workItems ?? []) if (it.span !== null) itemOfSpan.set(it.span, it);
  const coroutineOf = new Map((model.tasks ?? []).map((t) => [t.lane, t.coroutine]));
  const ms = (ns: number | null): number | undefined => (ns === null ? undefined : Math.round(ns / 1e3) / 1e3);

  // Interned ids, cached by number: a wait's name, lane names and line labels are looked up
  // once, not built and hashed again for each of millions of waits.
  const nameId = (v: string): number => w.names.id(v);
  const annId = (v: string): number => w.annotationNames.id(v);
  const strId = (v: string): number => w.strings.id(v);
  const cat = { wait: w.categories.id('wait'), step: w.categories.id('step'), block: w.categories.id('loop_block'), release: w.categories.id('release') };
  const ann = {
    holder: annId('holder'), holderSite: annId('holder_site'), wokenBy: annId('woken_by'), timedOut: annId('timed_out'), open: annId('open_at_exit'),
  };
  const waitNameIid = new Map<number, number>();
  const releaseNameIid = new Map<number, number>();
  const laneIid = new Int32Array(model.lanes.length);
  const siteIid = new Int32Array(model.sites.length);
  const laneStr = (i: number): number => {
    if (i < 0 || i >= laneIid.length) return 0;
    if (laneIid[i] === 0) laneIid[i] = strId(model.lanes[i]?.name ?? '');
    return laneIid[i] as number;
  };
  const siteStr = (i: number): number => {
    if (i < 0 || i >= siteIid.length) return 0;
    if (siteIid[i] === 0) siteIid[i] = strId(siteLabel(i) ?? '');
    return siteIid[i] as number;
  };
  const waitName = (reason: number, object: number): number => {
    const key = reason * (model.objects.length + 1) + object + 1;
    let iid = waitNameIid.get(key);
    if (iid === undefined) {
      const r = WAIT_REASONS[reason] ?? 'wait';
      const label = objectLabel(object);
      iid = nameId(label ? `${r} ${label}` : r);
      waitNameIid.set(key, iid);
    }
    return iid;
  };
  const releaseName = (object: number): number => {
    let iid = releaseNameIid.get(object);
    if (iid === undefined) {
      iid = nameId(`release ${objectLabel(object) ?? ''}`.trim());
      releaseNameIid.set(object, iid);
    }
    return iid;
  };
  const annotate = (list: Annotations, name: string, value: string | number | boolean): void => {
    if (typeof value === 'string' && value.length <= 120) list.push(annId(name), strId(value), 1);
    else list.push(annId(name), value, 0);
  };

  // One event object and annotation list reused for every wait (the writer copies them out).
  const waitEvent: PendingEvent & { annotations: Annotations } = { type: TYPE.begin, track: 0, nameIid: 0, categoryIid: cat.wait, site: -1, annotations: [] };
  const beginEvent = (ref: number, trackUuid: number): PendingEvent => {
    const kind = Math.floor(ref / KIND_SHIFT);
    const i = ref - kind * KIND_SHIFT;
    const terminating = terminatesAtBegin.get(ref);
    switch (kind) {
      case K_WAIT: {
        const e = waitEvent;
        e.track = trackUuid;
        e.nameIid = waitName(waits.reason[i] as number, waits.object[i] as number);
        e.site = waits.site[i] as number;
        const list = e.annotations;
        list.length = 0;
        const flags = waits.flags[i] as number;
        const holder = laneStr(waits.holderLane[i] as number);
        if (holder > 0) list.push(ann.holder, holder, 1);
        const holderSite = siteStr(waits.holderSite[i] as number);
        if (holderSite > 0) list.push(ann.holderSite, holderSite, 1);
        const waker = laneStr(waits.wakerLane[i] as number);
        if (waker > 0) list.push(ann.wokenBy, waker, 1);
        if ((flags & WaitFlags.TIMED_OUT) !== 0) list.push(ann.timedOut, true, 0);
        if ((flags & WaitFlags.OPEN) !== 0) list.push(ann.open, true, 0);
        return e;
      }
      case K_SPAN: {
        const s = model.spans[i] as TraceModel['spans'][number];
        const item = itemOfSpan.get(i);
        const annotations: Annotations = [];
        if (item !== undefined) {
          annotate(annotations, 'key', item.key);
          const qw = ms(item.queueWaitNs);
          if (qw !== undefined) annotate(annotations, 'queue_wait_ms', qw);
          const run = ms(item.runNs);
          if (run !== undefined) annotate(annotations, 'run_ms', run);
          const by = laneName(item.submitLane ?? -1);
          if (by !== undefined) annotate(annotations, 'submitted_by', by);
          if (item.size !== null) annotate(annotations, 'argument_bytes', item.size);
          if (item.resultSize !== null) annotate(annotations, 'result_bytes', item.resultSize);
        }
        return { type: TYPE.begin, track: trackUuid, nameIid: nameId(s.label || s.kind), categoryIid: w.categories.id(s.kind), site: s.site, annotations, ...(terminating ? { terminating } : {}) };
      }
      case K_STEP:
        return { type: TYPE.begin, track: trackUuid, nameIid: nameId(coroutineOf.get(steps?.lane[i] as number) || 'step'), categoryIid: cat.step, ...(terminating ? { terminating } : {}) };
      default: {
        const b = blocks[i] as NonNullable<TraceModel['loopBlocks']>[number];
        const annotations: Annotations = [];
        annotate(annotations, 'delayed_tasks', b.delayedLanes.length);
        const task = b.taskLane === null ? undefined : laneName(b.taskLane);
        if (task !== undefined) annotate(annotations, 'task', task);
        if (b.siteSource !== null) annotate(annotations, 'line_from', b.siteSource);
        return { type: TYPE.begin, track: trackUuid, nameIid: nameId('event loop blocked'), categoryIid: cat.block, site: b.site, annotations };
      }
    }
  };

  // --- Streams ----------------------------------------------------------------------------
  const streams: EventStream[] = [];

  // Instants of the L flows (sends; receives that no slice begins at), sends first at ties.
  interface Instant { ts: number; lane: number; name: string; category: string; flowIds?: number[]; terminating?: number[] }
  const instants: Instant[] = [];
  const flowName = (f: (typeof otherFlows)[number]): [string, string] => {
    const obj = f.object !== null ? model.objects[f.object] : undefined;
    const what = obj === undefined ? '' : obj.name ? ` "${obj.name}"` : ` ${obj.kind}`;
    switch (f.kind) {
      case 'work': return ['submit work item', 'take work item'];
      case 'result': return ['return result', 'result arrives'];
      case 'queue': return [`put${what}`, `get${what}`];
      case 'pipe': return [`send${what}`, `recv${what}`];
      case 'spawn': return [`start process ${model.processes[model.lanes[f.toLane]?.process ?? -1]?.pid ?? '?'}`, 'process start'];
      case 'create': return ['create task', 'task starts'];
      case 'launch': return ['launch', 'device starts'];
      default: return [`${f.kind} out`, `${f.kind} in`];
    }
  };
  otherFlows.forEach((f, k) => {
    if (laneUuid[f.fromLane] === undefined || laneUuid[f.toLane] === undefined) return;
    instants.push({ ts: rel(f.fromNs), lane: f.fromLane, name: flowName(f)[0], category: f.kind, flowIds: [flowIdBase + k] });
    stats.flows++;
  });
  destAt.forEach((m, lane) => m.forEach((ks, ts) => {
    const live = ks.filter((k) => laneUuid[(otherFlows[k] as { fromLane: number }).fromLane] !== undefined && laneUuid[lane] !== undefined);
    if (live.length > 0) instants.push({ ts: rel(ts), lane, name: flowName(otherFlows[live[0] as number] as (typeof otherFlows)[number])[1], category: (otherFlows[live[0] as number] as { kind: string }).kind, terminating: live.map((k) => flowIdBase + k) });
  }));
  const instantOrder = sortOrder(instants.map((x) => x.ts));
  let ii = 0;
  streams.push({
    next: () => (ii < instantOrder.length ? (instants[instantOrder[ii] as number] as Instant).ts : Infinity),
    emit: (pw) => {
      const x = instants[instantOrder[ii++] as number] as Instant;
      stats.instants++;
      return pw.event(x.ts, {
        type: TYPE.instant, track: laneUuid[x.lane] as number, nameIid: nameId(x.name), categoryIid: w.categories.id(x.category),
        ...(x.flowIds ? { flowIds: x.flowIds } : {}), ...(x.terminating ? { terminating: x.terminating } : {}),
      });
    },
  });

  // Counters, one track each.
  for (const c of model.counters ?? []) {
    const n = c.name.startsWith('loop_lag:') && c.lane !== undefined ? `event loop lag (${laneName(c.lane) ?? c.name})` : c.name;
    const parent = processUuid[c.process];
    const uuid = track((p, u) => {
      p.uint(F.track.uuid, u);
      if (parent !== undefined) p.uint(F.track.parentUuid, parent);
      p.string(F.track.name, n);
      p.begin(F.track.counter);
      if (c.name.startsWith('loop_lag:')) p.uint(F.counter.unit, UNIT_TIME_NS);
      p.end();
    });
    let k = 0;
    streams.push({
      next: () => (k < c.ts.length ? rel(c.ts[k] as number) : Infinity),
      emit: (pw) => {
        const ts = rel(c.ts[k] as number);
        const v = c.value[k++] as number;
        stats.counterValues++;
        return pw.event(ts, { type: TYPE.counter, track: uuid, counter: v });
      },
    });
  }

  // Slice tracks: begins and ends in stack order; a woken wait's end is preceded by the
  // release instant on its waker's track, the start of the flow that ends in it. The END and
  // release events are reused objects (millions of them otherwise).
  const NONE: number[] = [];
  const endFlow = [0];
  const releaseFlow = [0];
  const endEvent: PendingEvent & { terminating: readonly number[] } = { type: TYPE.end, track: 0, terminating: NONE };
  const releaseEvent: PendingEvent = { type: TYPE.instant, track: 0, nameIid: 0, categoryIid: cat.release, flowIds: releaseFlow };
  for (const t of allTracks) {
    const refs = t.refs.data;
    const n = t.refs.length;
    const open = new IntList();
    let i = 0;
    const endNext = (): boolean => open.length > 0 && (i >= n || endOf(open.top) <= beginOf(refs[i] as number));
    streams.push({
      next: () => (endNext() ? rel(endOf(open.top)) : i < n ? rel(beginOf(refs[i] as number)) : Infinity),
      emit: (pw) => {
        if (endNext()) {
          const ref = open.top;
          open.length--;
          const ts = rel(endOf(ref));
          const kind = Math.floor(ref / KIND_SHIFT);
          const wi = ref - kind * KIND_SHIFT;
          const from = kind === K_WAIT ? wokenBy(wi) : -1;
          endEvent.track = t.uuid;
          if (from < 0) {
            endEvent.terminating = NONE;
            return pw.event(ts, endEvent);
          }
          const id = wi + 1;
          stats.flows++;
          stats.instants++;
          releaseEvent.track = laneUuid[from] as number;
          releaseEvent.nameIid = releaseName(waits.object[wi] as number);
          releaseFlow[0] = id;
          endFlow[0] = id;
          endEvent.terminating = endFlow;
          // In order: the END only after the release is in the output (a flush may be under way).
          // The main loop awaits this before the next event, so the shared objects stay as set.
          const r = pw.event(ts, releaseEvent);
          return r === undefined ? pw.event(ts, endEvent) : r.then(() => pw.event(ts, endEvent));
        }
        const ref = refs[i++] as number;
        open.push(ref);
        stats.slices++;
        return pw.event(rel(beginOf(ref)), beginEvent(ref, t.uuid));
      },
    });
  }

  // --- Write ------------------------------------------------------------------------------
  for (const d of descriptors) {
    const r = w.descriptor(d);
    if (r !== undefined) await r;
  }
  stats.tracks = descriptors.length;
  const keys = new Float64Array(streams.length);
  const heap = new StreamHeap(keys);
  streams.forEach((s, k) => {
    keys[k] = s.next();
    if (keys[k] !== Infinity) heap.push(k);
  });
  while (heap.size > 0) {
    const k = heap.peek();
    const s = streams[k] as EventStream;
    const r = s.emit(w) as Promise<void> | void;
    if (r !== undefined) await r;
    keys[k] = s.next();
    heap.updateTop(keys[k] === Infinity);
    if (w.full) await w.flush();
  }
  stats.packets = w.packets;
  await sink.finish(opts.closeStream ?? true);
  stats.bytes = sink.bytes;
  return stats;
}
