/**
 * Contention per user-visible synchronisation object: how often and how long threads waited
 * on it, who held it (or, for conditions, events and queues, who released the waiters) and
 * on which line, and who waited where.
 *
 * A wait on an internal object counts for the object the user sees: the `not_empty`
 * Condition of a Queue, or the lock inside a Condition, charges the Queue or the Condition
 * (their `O` records name it as parent). Sleeps, joins of threads and processes and future
 * results are waits but not contention on something shared, so they count in thread times
 * and not here. Acquisitions come from the agent's `A` counts (an uncontended acquisition is
 * never a record of its own), summed over the object and its internal parts.
 */
import { WAIT_REASONS, WaitFlags } from '../../format/spec';
import { percentile } from '../columns';
import type { ParsedFile } from '../parsed-file';
import type { LockHolderStat, LockStat, SyncObject, WaitColumns } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

/** Reasons that are waits for time or for something to finish, never contention: sleeps, and
 * asyncio awaits of tasks, sockets, streams, subprocesses and executor calls. (asyncio awaits on
 * primitives use the threading reasons, so aio_lock and the rest count like their namesakes.) */
const NOT_CONTENTION_REASON = new Uint8Array(WAIT_REASONS.length);
// "hub": a greenlet blocked in a compiled gevent primitive, which could be anything (a
// semaphore, an event, I/O): not evidence of contention on one object.
for (const r of ['sleep', 'task', 'gather', 'wait', 'socket', 'stream_read', 'stream_write', 'subprocess', 'executor', 'hub', 'gpu_sync',
  'socket_recv', 'socket_send', 'socket_accept', 'socket_connect', 'fd_read', 'fd_write'] as const) {
  NOT_CONTENTION_REASON[WAIT_REASONS.indexOf(r)] = 1;
}
/** Kinds whose waits are waits for completion, not contention. */
const NOT_CONTENTION = new Set(['thread', 'timer', 'process', 'future', 'task', 'socket', 'stream', 'subprocess', 'gpu_queue', 'fd']);

/**
 * For each object, the object the lock table charges a wait on it to (its user-visible
 * object), or -1 when waits on it are never contention (threads, processes, futures...); and
 * whether a wait reason can be contention at all. The same rules as LockStatsHandler, for
 * readers that re-derive its numbers (weft query's `charged_object`).
 */
export function contentionCharges(model: { readonly objects: readonly SyncObject[] }): { chargeTo: Int32Array; reasonCounts: (reason: number) => boolean } {
  const chargeTo = new Int32Array(model.objects.length);
  for (let o = 0; o < model.objects.length; o++) {
    const v = visibleObject(model, o);
    const kind = model.objects[v]?.kind;
    chargeTo[o] = kind === undefined || NOT_CONTENTION.has(kind) ? -1 : v;
  }
  return { chargeTo, reasonCounts: (reason) => NOT_CONTENTION_REASON[reason] !== 1 };
}

/** The user-visible object a wait on `obj` is charged to (follows parents, at most 8 levels). */
export function visibleObject(model: { readonly objects: readonly SyncObject[] }, obj: number): number {
  let o = obj;
  for (let guard = 0; guard < 8 && o >= 0; guard++) {
    const parent = model.objects[o]?.parent;
    if (parent === null || parent === undefined) return o;
    o = parent;
  }
  return o;
}

interface Acc {
  waits: number[];
  total: number;
  /** Union of wait intervals, built incrementally: waits arrive sorted by begin. */
  unionNs: number;
  curBegin: number;
  curEnd: number;
  holders: Map<number, LockHolderStat>;
  waiters: Map<number, LockHolderStat>;
  /** Waits that never ended (OPEN). */
  open: number;
}

/**
 * A (lane, site) pair as one number, so the per-wait maps need no string keys. Small pairs
 * (nearly all) get a key below 2^31, which V8 keeps as a small integer: hashing a boxed
 * double for every wait was a third of this handler's time.
 */
const pairKey = (lane: number, site: number): number =>
  lane < 32_768 && site < 65_535 ? lane * 65_536 + site + 1 : -(lane * 16_777_216 + site + 2);

function bump(map: Map<number, LockHolderStat>, lane: number, site: number, d: number): void {
  const k = pairKey(lane, site);
  let s = map.get(k);
  if (s === undefined) {
    s = { lane, site: site >= 0 ? site : null, waits: 0, waitNs: 0 };
    map.set(k, s);
  }
  s.waits++;
  s.waitNs += d;
}

export class LockStatsHandler implements ModelHandler<LockStat[]> {
  private acquisitions = new Map<number, number>();
  private result: LockStat[] | null = null;

  constructor(private readonly objects: () => SyncObject[], private readonly waits: () => WaitColumns) {}

  reset(): void {
    this.acquisitions = new Map();
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    for (const a of f.acquisitions) {
      const o = ctx.objects.get(a.object);
      if (o >= 0) this.acquisitions.set(o, (this.acquisitions.get(o) ?? 0) + a.count);
    }
  }

  finalize(): void {
    const objects = this.objects();
    const model = { objects };
    const w = this.waits();
    // Per object, once: the object its waits are charged to, or -1 when they are not contention.
    const chargeTo = new Int32Array(objects.length);
    for (let o = 0; o < objects.length; o++) {
      const v = visibleObject(model, o);
      const kind = objects[v]?.kind;
      chargeTo[o] = kind === undefined || NOT_CONTENTION.has(kind) ? -1 : v;
    }
    const accs: (Acc | undefined)[] = new Array<Acc | undefined>(objects.length);
    const byObj = new Map<number, Acc>();
    for (let i = 0; i < w.count; i++) {
      if (NOT_CONTENTION_REASON[w.reason[i] as number] === 1) continue;
      const raw = w.object[i] as number;
      if (raw < 0 || raw >= objects.length) continue;
      const obj = chargeTo[raw] as number;
      if (obj < 0) continue;
      let acc = accs[obj];
      if (acc === undefined) {
        acc = { waits: [], total: 0, unionNs: 0, curBegin: 0, curEnd: -Infinity, holders: new Map(), waiters: new Map(), open: 0 };
        accs[obj] = acc;
        byObj.set(obj, acc);
      }
      const b = w.begin[i] as number;
      const e = w.end[i] as number;
      const d = e - b;
      acc.waits.push(d);
      acc.total += d;
      if (((w.flags[i] as number) & WaitFlags.OPEN) !== 0) acc.open++;
      if (b > acc.curEnd) {
        if (acc.curEnd > acc.curBegin) acc.unionNs += acc.curEnd - acc.curBegin;
        acc.curBegin = b;
        acc.curEnd = e;
      } else if (e > acc.curEnd) acc.curEnd = e;
      const hl = w.holderLane[i] as number;
      // Without a holder (conditions, events, queues), the thread that let the waiter go.
      const holder = hl >= 0 ? hl : (w.wakerLane[i] as number);
      if (holder >= 0) bump(acc.holders, holder, hl >= 0 ? (w.holderSite[i] as number) : -1, d);
      bump(acc.waiters, w.lane[i] as number, w.site[i] as number, d);
    }
    // Acquisitions of a primitive's internal parts count for the primitive.
    const acquired = new Map<number, number>();
    for (const [o, n] of this.acquisitions) {
      const v = visibleObject(model, o);
      acquired.set(v, (acquired.get(v) ?? 0) + n);
    }
    const stats: LockStat[] = [];
    for (const [object, acc] of byObj) {
      const sorted = Float64Array.from(acc.waits).sort();
      const union = acc.unionNs + (acc.curEnd > acc.curBegin ? acc.curEnd - acc.curBegin : 0);
      stats.push({
        object,
        // Every contended acquisition was also an acquisition, even if its `A` was lost.
        acquisitions: Math.max(acquired.get(object) ?? 0, acc.waits.length),
        contentions: acc.waits.length,
        waitNs: acc.total,
        maxWaitNs: sorted[sorted.length - 1] ?? 0,
        p50WaitNs: percentile(sorted, 0.5),
        p95WaitNs: percentile(sorted, 0.95),
        contendedHoldNs: union,
        holders: [...acc.holders.values()].sort((a, b) => b.waitNs - a.waitNs || a.lane - b.lane),
        waiters: [...acc.waiters.values()].sort((a, b) => b.waitNs - a.waitNs || a.lane - b.lane),
        openWaits: acc.open,
      });
    }
    this.acquisitions = new Map();
    this.result = stats.sort((a, b) => b.waitNs - a.waitNs || a.object - b.object);
  }

  data(): LockStat[] {
    return ready(this.result, 'LockStatsHandler');
  }
}
