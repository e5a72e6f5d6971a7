/**
 * Perfetto protobuf export, decoded with protobufjs against Perfetto's own protos (the
 * amalgamated perfetto_trace.proto vendored in test/fixtures/perfetto/), so the field numbers
 * our hand-written encoder uses are checked against the real schema, not against themselves.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { writePerfettoTrace } from '../../../runtime/src/export/perfetto';
import { ProtoWriter } from '../../../runtime/src/export/protobuf';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { TraceModel } from '../../../runtime/src/model/types';
import { FIXTURES } from './helpers/traces';

const root = protobuf.parse(readFileSync(path.join(FIXTURES, 'perfetto', 'perfetto_trace.proto'), 'utf8'), { keepCase: true }).root;
const TraceType = root.lookupType('perfetto.protos.Trace');

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

interface Slice { track: number; name: string; category: string; ts: number; dur: number; args: Record<string, unknown>; depth: number; location?: string }
interface Decoded {
  packets: Obj[];
  tracks: Map<number, Obj>;
  slices: Slice[];
  instants: { track: number; name: string; ts: number; flowIds: number[]; terminating: number[] }[];
  /** Flow id -> [source track, destination track]. */
  flows: Map<number, { from?: number; to?: number; fromName?: string; toName?: string }>;
  counters: Map<number, [number, number][]>;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** Decodes a trace and replays it as Perfetto's trace processor would: interning, slice stacks, flows. */
function decode(bytes: Uint8Array): Decoded {
  const trace = TraceType.toObject(TraceType.decode(bytes), { longs: Number, enums: String, defaults: false }) as { packet: Obj[] };
  const names = new Map<number, string>();
  const cats = new Map<number, string>();
  const annNames = new Map<number, string>();
  const strings = new Map<number, string>();
  const locations = new Map<number, string>();
  const tracks = new Map<number, Obj>();
  const stacks = new Map<number, Slice[]>();
  const out: Decoded = { packets: trace.packet, tracks, slices: [], instants: [], flows: new Map(), counters: new Map() };
  const flow = (id: number): { from?: number; to?: number; fromName?: string; toName?: string } => {
    let f = out.flows.get(id);
    if (f === undefined) out.flows.set(id, (f = {}));
    return f;
  };
  for (const p of trace.packet) {
    const d = p.interned_data as Obj | undefined;
    for (const e of d?.event_names ?? []) names.set(num(e.iid), e.name);
    for (const e of d?.event_categories ?? []) cats.set(num(e.iid), e.name);
    for (const e of d?.debug_annotation_names ?? []) annNames.set(num(e.iid), e.name);
    for (const e of d?.debug_annotation_string_values ?? []) strings.set(num(e.iid), Buffer.from(e.str).toString('utf8'));
    for (const e of d?.source_locations ?? []) locations.set(num(e.iid), `${e.file_name}:${e.line_number} (${e.function_name})`);
    if (p.track_descriptor) tracks.set(num(p.track_descriptor.uuid), p.track_descriptor);
    const ev = p.track_event as Obj | undefined;
    if (!ev) continue;
    const track = num(ev.track_uuid);
    const ts = num(p.timestamp);
    const stack = stacks.get(track) ?? [];
    stacks.set(track, stack);
    const args: Record<string, unknown> = {};
    for (const a of ev.debug_annotations ?? []) {
      const k = annNames.get(num(a.name_iid)) ?? '?';
      args[k] = a.string_value_iid !== undefined ? strings.get(num(a.string_value_iid)) : a.string_value ?? a.bool_value ?? (a.uint_value !== undefined ? num(a.uint_value) : a.double_value);
    }
    const flowIds = (ev.flow_ids ?? []).map(num);
    const terminating = (ev.terminating_flow_ids ?? []).map(num);
    const name = names.get(num(ev.name_iid)) ?? '';
    switch (ev.type) {
      case 'TYPE_SLICE_BEGIN': {
        const s: Slice = { track, name, category: cats.get(num((ev.category_iids ?? [])[0])) ?? '', ts, dur: -1, args, depth: stack.length };
        if (ev.source_location_iid !== undefined) s.location = locations.get(num(ev.source_location_iid));
        stack.push(s);
        out.slices.push(s);
        for (const id of terminating) Object.assign(flow(id), { to: track, toName: name });
        break;
      }
      case 'TYPE_SLICE_END': {
        const s = stack.pop();
        expect(s, `END without BEGIN on track ${track}`).toBeDefined();
        if (s) {
          s.dur = ts - s.ts;
          for (const id of terminating) Object.assign(flow(id), { to: track, toName: s.name });
        }
        break;
      }
      case 'TYPE_INSTANT':
        out.instants.push({ track, name, ts, flowIds, terminating });
        for (const id of flowIds) Object.assign(flow(id), { from: track, fromName: name });
        for (const id of terminating) Object.assign(flow(id), { to: track, toName: name });
        break;
      case 'TYPE_COUNTER': {
        const list = out.counters.get(track) ?? [];
        list.push([ts, ev.double_counter_value]);
        out.counters.set(track, list);
        break;
      }
      default:
        throw new Error(`unexpected event type ${ev.type}`);
    }
  }
  for (const [t, s] of stacks) expect(s, `open slices left on track ${t}`).toEqual([]);
  return out;
}

async function exportModel(model: TraceModel): Promise<{ bytes: Uint8Array; stats: Awaited<ReturnType<typeof writePerfettoTrace>> }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const stats = await writePerfettoTrace(model, out);
  return { bytes: new Uint8Array(Buffer.concat(chunks)), stats };
}

const exportFixture = async (dir: string): Promise<Decoded & { stats: Awaited<ReturnType<typeof writePerfettoTrace>>; bytes: number }> => {
  const { bytes, stats } = await exportModel(await loadTrace(path.join(FIXTURES, dir)));
  return { ...decode(bytes), stats, bytes: bytes.length };
};

const trackNamed = (d: Decoded, name: string): number => {
  for (const [uuid, t] of d.tracks) if (t.name === name || t.thread?.thread_name === name) return uuid;
  throw new Error(`no track ${name}: ${[...d.tracks.values()].map((t) => t.name ?? t.thread?.thread_name ?? t.process?.process_name).join(', ')}`);
};

describe('protobuf encoder', () => {
  it('writes varints, negative int64s, doubles, fixed64s, strings and nested messages as protobufjs reads them', () => {
    const w = new ProtoWriter(4);
    w.uint(8, 2 ** 40 + 5);
    w.int(10, 7);
    w.begin(11);
    w.uint(9, 1);
    w.string(23, 'é'.repeat(100));
    w.double(44, -1.5);
    w.fixed64(47, 2 ** 52 + 3);
    w.end();
    const p = root.lookupType('perfetto.protos.TracePacket');
    const o = p.toObject(p.decode(w.bytes()), { longs: Number, enums: Number }) as Obj;
    expect(o.timestamp).toBe(2 ** 40 + 5);
    expect(o.trusted_packet_sequence_id).toBe(7);
    expect(o.track_event).toMatchObject({ type: 1, name: 'é'.repeat(100), double_counter_value: -1.5, flow_ids: [2 ** 52 + 3] });
    const d = new ProtoWriter();
    d.int(1, -2);
    const ann = root.lookupType('perfetto.protos.DebugAnnotation');
    expect((ann.toObject(ann.decode(d.bytes()), { longs: Number }) as Obj).name_iid).toBe(2 ** 64 - 2);
  });
});

describe('Perfetto export', () => {
  it('names processes and threads with their descriptors, and interns event names', async () => {
    const d = await exportFixture('contention');
    const proc = [...d.tracks.values()].find((t) => t.process);
    expect(proc?.process).toMatchObject({ pid: 200, process_name: 'prog.py (main, pid 200)', cmdline: ['prog.py'] });
    const threads = [...d.tracks.values()].filter((t) => t.thread).map((t) => [t.thread.pid, t.thread.tid, t.thread.thread_name]);
    expect(threads).toContainEqual([200, 201, 'worker-a']);
    // The first packet clears the sequence's incremental state; events say they need it.
    expect(d.packets[0]).toMatchObject({ trusted_packet_sequence_id: 1, sequence_flags: 1, first_packet_on_sequence: true });
    expect(d.packets.filter((p) => p.track_event).every((p) => (p.sequence_flags & 2) === 2 && p.trusted_packet_sequence_id === 1)).toBe(true);
    // Each name is sent once.
    const sent = d.packets.flatMap((p) => (p.interned_data?.event_names ?? []).map((e: Obj) => e.name));
    expect(new Set(sent).size).toBe(sent.length);
    // Timestamps never go back.
    const ts = d.packets.map((p) => num(p.timestamp));
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  });

  it('writes waits as slices with reason, object, holder, waker and the waiting line', async () => {
    const d = await exportFixture('contention');
    const b = trackNamed(d, 'worker-b');
    const wait = d.slices.find((s) => s.track === b && s.name === 'lock lock "lock"');
    expect(wait).toMatchObject({ category: 'wait', ts: 100_000_000, dur: 100_000_000, location: '/w/prog.py:10 (work)' });
    expect(wait?.args).toMatchObject({ holder: 'worker-a', holder_site: '/w/prog.py:10 (work)', woken_by: 'worker-a' });
    const open = d.slices.find((s) => s.args.open_at_exit === true);
    expect(open?.track).toBe(trackNamed(d, 'worker-c'));
    expect(d.slices.find((s) => s.args.timed_out === true)).toBeDefined();
  });

  it('draws each unblock as a flow from a release instant on the waker into the wait it ended', async () => {
    const d = await exportFixture('contention');
    const unblocks = [...d.flows.values()].filter((f) => f.fromName?.startsWith('release'));
    expect(unblocks).toHaveLength(4); // as in the Chrome export: timed-out and open waits have none
    for (const f of unblocks) {
      expect(f.from).toBeDefined();
      expect(f.to).toBeDefined();
      expect(f.toName).toMatch(/^(lock|acquire|wait|join)/);
    }
    const a = trackNamed(d, 'worker-a');
    expect(unblocks.filter((f) => f.from === a && f.to === trackNamed(d, 'worker-b'))).toHaveLength(1);
    expect(d.stats.flows).toBe(4);
  });

  it('exports spans, a queue message and a spawn across processes, and counters on counter tracks', async () => {
    const d = await exportFixture('processes');
    expect(d.slices).toContainEqual(expect.objectContaining({ name: 'prepare', category: 'work', ts: 50_000_000, dur: 50_000_000 }));
    const flows = [...d.flows.values()];
    const pidOf = (track: number | undefined): number | undefined => {
      const t = d.tracks.get(track ?? -1);
      return t?.thread?.pid ?? t?.process?.pid;
    };
    const msg = flows.find((f) => f.fromName === 'put');
    expect(msg?.toName).toBe('get');
    expect([pidOf(msg?.from), pidOf(msg?.to)]).toEqual([300, 301]);
    const spawn = flows.find((f) => f.fromName === 'start process 301');
    expect(pidOf(spawn?.to)).toBe(301);
    // Every flow that starts also ends.
    expect(flows.every((f) => f.from !== undefined && f.to !== undefined)).toBe(true);
    const counter = [...d.tracks.entries()].find(([, t]) => t.counter !== undefined);
    expect(counter?.[1].name).toBe('queue_depth');
    expect(d.counters.get(counter?.[0] as number)).toEqual([[100_000_000, 3], [200_000_000, 1]]);
  });

  it('puts asyncio tasks and GPU queues on named tracks of their process, with steps, kernels and launch flows', async () => {
    const a = await exportFixture('asyncio');
    const taskTracks = [...a.tracks.values()].filter((t) => typeof t.name === 'string' && t.name.startsWith('task '));
    expect(taskTracks.length).toBeGreaterThan(0);
    expect(taskTracks.every((t) => a.tracks.get(num(t.parent_uuid))?.process?.pid === 700)).toBe(true);
    expect(a.slices.some((s) => s.category === 'step')).toBe(true);
    expect(a.slices.some((s) => s.name === 'event loop blocked')).toBe(true);
    const g = await exportFixture('gpu');
    const queue = [...g.tracks.entries()].find(([, t]) => typeof t.name === 'string' && t.name.startsWith('gpu-queue'));
    expect(queue).toBeDefined();
    const kernels = g.slices.filter((s) => s.track === queue?.[0] && s.category === 'kernel');
    expect(kernels.length).toBeGreaterThan(0);
    const launches = [...g.flows.values()].filter((f) => f.fromName === 'launch');
    expect(launches.length).toBeGreaterThan(0);
    expect(launches.every((f) => f.to === queue?.[0])).toBe(true);
  });

  it('names one track per host in a trace of several machines, and every flow that starts ends', async () => {
    const d = await exportFixture('multi-host');
    const hosts = [...d.tracks.values()].filter((t) => typeof t.name === 'string' && t.name.startsWith('host '));
    expect(hosts.length).toBe(2);
    expect(hosts.every((h) => typeof h.description === 'string' && h.description.startsWith('clock '))).toBe(true);
    const flows = [...d.flows.values()];
    expect(flows.length).toBeGreaterThan(0);
    expect(flows.every((f) => f.from !== undefined && f.to !== undefined)).toBe(true);
    const pids = [...d.tracks.values()].filter((t) => t.process).map((t) => t.process.pid);
    expect(new Set(pids).size).toBe(pids.length);
  });

  it('keeps a track\'s slices nested: one that overlaps partially goes to an overlapping track', async () => {
    const model = await loadTrace(path.join(FIXTURES, 'two-threads'));
    const w = model.waits;
    // Two waits on one lane that overlap partially: [0, 10] and [5, 20] ms after the first.
    const lane = w.lane[0] as number;
    const b0 = w.begin[0] as number;
    const cols = {
      ...w, count: 2, begin: Float64Array.of(b0, b0 + 5e6), end: Float64Array.of(b0 + 10e6, b0 + 20e6), lane: Int32Array.of(lane, lane),
      object: Int32Array.of(-1, -1), reason: Uint8Array.of(0, 0), site: Int32Array.of(-1, -1), holderLane: Int32Array.of(-1, -1),
      holderSite: Int32Array.of(-1, -1), wakerLane: Int32Array.of(-1, -1), flags: Uint8Array.of(0, 0),
    };
    const { bytes } = await exportModel({ ...model, waits: cols, flows: [] });
    const d = decode(bytes);
    expect(d.slices.map((s) => s.dur)).toEqual([10e6, 15e6]);
    expect(new Set(d.slices.map((s) => s.track)).size).toBe(2);
    expect(d.tracks.get(d.slices[1]?.track as number)?.name).toMatch(/\(overlapping 1\)$/);
  });

  it('writes the same packets, in the same order, when the output is flushed between any two', async () => {
    const model = await loadTrace(path.join(FIXTURES, 'contention'));
    const whole = await exportModel(model);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writePerfettoTrace(model, out, { chunkBytes: 64 });
    expect(Buffer.concat(chunks).equals(Buffer.from(whole.bytes))).toBe(true);
    expect(chunks.length).toBeGreaterThan(10);
  });

  it('waits for a slow destination instead of buffering the output', async () => {
    const model = await loadTrace(path.join(FIXTURES, 'contention'));
    let maxPending = 0;
    let bytes = 0;
    const slow = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        maxPending = Math.max(maxPending, slow.writableLength);
        setImmediate(cb);
      },
    });
    const stats = await writePerfettoTrace(model, slow);
    expect(bytes).toBe(stats.bytes);
    expect(maxPending).toBeLessThanOrEqual(2 << 20);
  });
});
