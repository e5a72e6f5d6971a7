/**
 * Locks held across blocking calls (issue 12), from waits alone: a lane T that blocks (a sleep,
 * I/O, a join, a queue wait, a wait for another lock, any recorded wait) while it holds lock X,
 * with other lanes waiting for X meanwhile: "lock X held across time.sleep at app.py:9 (1.20 s);
 * 3 threads waited 3.60 s behind it".
 *
 * What proves that T held X during its blocking wait j: a wait on X by another lane whose holder
 * (the lane that held X when that wait began) is T, and that
 *   (a) began during j: T held X at that instant, and a lane blocked in j can neither take nor
 *       release a lock, so T held X for all of j; or
 *   (b) began before j, was still waiting when j began, and was ended by T's release (waker T)
 *       after j ended: T held X from before j to after it.
 * And what disproves it, whatever the holder fields say: a wait on X that T's release ended
 * (waker T) while T was blocked in j. T cannot release during j, so it released X before j and
 * the woken thread owned X from then, past j's begin: T never held X during j. This is the
 * agent's hand-off window (its holder is the last thread that took the lock, and a woken
 * waiter owns the lock before it records itself), seen on examples/bank_transfer.py: the
 * auditor's `done.wait(0.05)` right after its `with bank_lock:` block was named as holding it.
 * Once X is proven held for all of j, every wait on X with holder T that overlaps j was waiting
 * behind it, and only the overlapping part counts (time spent waiting before T blocked is plain
 * contention, reported with the lock). Waits with holder T are indexed by holder lane, sorted
 * by begin, so each blocking wait finds its candidates with one binary search: O(n log n).
 *
 * Only exclusive locks held by threads count (lock, rlock, multiprocessing locks): a semaphore
 * has several holders at once, so a waiter on it is not necessarily behind T; and an asyncio
 * task or a greenlet holding its lock across an await or a switch is what such locks are for
 * (the contention is reported with the lock). A blocking wait on
 * (a part of) X itself is skipped: Condition.wait releases its lock. Waits of a deadlock's
 * members are left to the deadlock finding, which says it better.
 */
import { WAIT_REASONS } from '../../format/spec';
import { sortOrderOrNull } from '../columns';
import type { ParsedFile } from '../parsed-file';
import type { HeldAcrossWait, Lane, Stall, SyncObject, WaitColumns } from '../types';
import { ready, type ModelHandler } from './handler';
import { visibleObject } from './lock-stats';

const LOCK_KINDS = new Set(['lock', 'rlock', 'mp_lock', 'mp_rlock']);
/** Releases looked at per blocking wait and lock (a bound for pathological traces). */
const MAX_SCAN = 256;

interface Group extends HeldAcrossWait {
  holders: Set<number>;
  waiterSet: Set<number>;
}

export class HeldAcrossHandler implements ModelHandler<HeldAcrossWait[]> {
  private result: HeldAcrossWait[] | null = null;

  constructor(
    private readonly lanes: () => Lane[],
    private readonly objects: () => SyncObject[],
    private readonly waits: () => WaitColumns,
    private readonly stalls: () => Stall[] = () => [],
  ) {}

  reset(): void {
    this.result = null;
  }

  handleFile(_f: ParsedFile): void {}

  finalize(): void {
    const objects = this.objects();
    const lanes = this.lanes();
    const model = { objects };
    const w = this.waits();
    const isLock = new Uint8Array(objects.length);
    const visible = new Int32Array(objects.length);
    for (let o = 0; o < objects.length; o++) {
      visible[o] = visibleObject(model, o);
      isLock[o] = LOCK_KINDS.has(objects[o]?.kind ?? '') ? 1 : 0;
    }
    // Waits on locks with a known holder, by holder lane (rows ascend by begin), as one CSR
    // table (counts, then rows): millions of pushes into per-lane arrays cost more than the
    // rest of the analysis.
    const nLanes = lanes.length;
    const lockWait = (i: number): boolean => {
      const o = w.object[i] as number;
      return o >= 0 && o < objects.length && isLock[o] === 1;
    };
    const held = csr(w.count, nLanes, (i) => {
      const h = w.holderLane[i] as number;
      return lockWait(i) && h !== (w.lane[i] as number) && lanes[h]?.kind === 'thread' ? h : -1;
    });
    if (held.rows.length === 0) {
      this.result = [];
      return;
    }
    // A sweep per holder over its rows, as its blocking waits come in begin order: `next` is the
    // first row not begun yet, `active` the rows begun earlier and still waiting. An open wait
    // lasts to the end of the trace; a prefix maximum of ends (tried first) then made every
    // later lookup scan back to it.
    const next = held.offsets.slice(0, nLanes);
    const active = new Map<number, number[]>();
    // Waits on locks that a release ended, by waker lane, each lane's in order of end: built on
    // first use (only a proven hold needs it), sorted per lane on first use.
    let woken: { offsets: Int32Array; rows: Int32Array } | null = null;
    const sortedByEnd = new Map<number, Int32Array>();
    const endOrdered = (lane: number): Int32Array => {
      let sorted = sortedByEnd.get(lane);
      if (sorted !== undefined) return sorted;
      woken ??= csr(w.count, nLanes, (i) => {
        const k = w.wakerLane[i] as number;
        return lockWait(i) && k !== (w.lane[i] as number) ? k : -1;
      });
      const rows = woken.rows.subarray(woken.offsets[lane] as number, woken.offsets[lane + 1] as number);
      const order = sortOrderOrNull(Float64Array.from(rows, (r) => w.end[r] as number));
      sorted = order === null ? rows : Int32Array.from(order, (k) => rows[k] as number);
      sortedByEnd.set(lane, sorted);
      return sorted;
    };
    /** Whether T released (a part of) lock `vx` to a waiter while blocked in (bj, ej]. */
    const releasedDuring = (t: number, vx: number, bj: number, ej: number): boolean => {
      const list = endOrdered(t);
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((w.end[list[mid] as number] as number) <= bj) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo, n = 0; k < list.length && n < MAX_SCAN; k++, n++) {
        const i = list[k] as number;
        if ((w.end[i] as number) > ej) break;
        if ((visible[w.object[i] as number] as number) === vx) return true;
      }
      return false;
    };
    const memberWaits = new Set<number>();
    for (const s of this.stalls()) for (const m of s.members) if (m.wait !== null) memberWaits.add(m.wait);

    const groups = new Map<string, Group>();
    const perLock = new Map<number, { proven: boolean; rows: number[] }>();
    /** Notes candidate i (a wait with holder t) for blocking wait j. */
    const consider = (i: number, began: boolean, t: number, ej: number, jVisible: number): void => {
      const vx = visible[w.object[i] as number] as number;
      if (vx === jVisible) return;
      const proof = began || ((w.wakerLane[i] as number) === t && (w.end[i] as number) >= ej);
      let p = perLock.get(vx);
      if (p === undefined) perLock.set(vx, (p = { proven: false, rows: [] }));
      p.proven ||= proof;
      p.rows.push(i);
    };
    for (let j = 0; j < w.count; j++) {
      const t = w.lane[j] as number;
      if (t < 0 || t >= nLanes) continue;
      const stop = held.offsets[t + 1] as number;
      let k0 = next[t] as number;
      if (k0 >= stop && !active.has(t)) continue;
      if (memberWaits.size > 0 && memberWaits.has(j)) continue;
      const bj = w.begin[j] as number;
      const ej = w.end[j] as number;
      // Rows that began before j: kept only while they still wait (most have ended by then).
      let act = active.get(t);
      for (; k0 < stop; k0++) {
        const r = held.rows[k0] as number;
        if ((w.begin[r] as number) >= bj) break;
        if ((w.end[r] as number) > bj) {
          if (act === undefined) active.set(t, (act = []));
          act.push(r);
        }
      }
      next[t] = k0;
      if (act !== undefined) {
        let kept = 0;
        for (const i of act) if ((w.end[i] as number) > bj) act[kept++] = i;
        if (kept < act.length) act.length = kept;
        if (kept === 0) {
          active.delete(t);
          act = undefined;
        }
      }
      if (ej <= bj || (act === undefined && (k0 >= stop || (w.begin[held.rows[k0] as number] as number) >= ej))) continue;
      const jo = w.object[j] as number;
      const jVisible = jo >= 0 && jo < objects.length ? (visible[jo] as number) : -1;
      // Nothing to do unless some candidate proves a hold (most blocking waits have none: a
      // wait still in progress since before j, not ended by t, proves nothing by itself).
      let any = k0 < stop && (w.begin[held.rows[k0] as number] as number) < ej;
      for (const i of act ?? []) {
        if (any) break;
        any = (w.wakerLane[i] as number) === t && (w.end[i] as number) >= ej && (visible[w.object[i] as number] as number) !== jVisible;
      }
      if (!any) continue;
      perLock.clear();
      // Began during j (case a), then began before and still waiting (case b).
      for (let k = k0; k < stop; k++) {
        const i = held.rows[k] as number;
        if ((w.begin[i] as number) >= ej) break;
        consider(i, true, t, ej, jVisible);
      }
      for (const i of act ?? []) consider(i, false, t, ej, jVisible);
      for (const [lock, p] of perLock) {
        if (!p.proven || releasedDuring(t, lock, bj, ej)) continue;
        const site = w.site[j] as number;
        const key = `${lock}:${site}:${w.reason[j] as number}`;
        let g = groups.get(key);
        if (g === undefined) {
          g = {
            lock, site: site >= 0 ? site : null, reason: w.reason[j] as number, blockingObject: jo >= 0 ? jo : null,
            holderLanes: [], occurrences: 0, heldNs: 0, longestNs: 0, waiterLanes: [], waits: 0, waitedNs: 0, example: j,
            holders: new Set(), waiterSet: new Set(),
          };
          groups.set(key, g);
        }
        g.occurrences++;
        g.heldNs += ej - bj;
        if (ej - bj > g.longestNs) {
          g.longestNs = ej - bj;
          g.example = j;
        }
        g.holders.add(t);
        for (const i of p.rows) {
          const overlap = Math.min(ej, w.end[i] as number) - Math.max(bj, w.begin[i] as number);
          if (overlap <= 0) continue;
          g.waits++;
          g.waitedNs += overlap;
          g.waiterSet.add(w.lane[i] as number);
        }
      }
    }
    this.result = [...groups.values()]
      .filter((g) => g.waits > 0)
      .map(({ holders, waiterSet, ...g }): HeldAcrossWait => ({
        ...g, holderLanes: [...holders].sort((a, b) => a - b), waiterLanes: [...waiterSet].sort((a, b) => a - b),
      }))
      .sort((a, b) => b.waitedNs - a.waitedNs || a.lock - b.lock);
  }

  data(): HeldAcrossWait[] {
    return ready(this.result, 'HeldAcrossHandler');
  }
}

/** How a blocking call reads in a sentence: "time.sleep", "a thread join", "a wait for lock
 * "B"" (the caller names the object). */
export function blockingCallPhrase(reason: number): string {
  const r = WAIT_REASONS[reason] ?? 'unknown';
  switch (r) {
    case 'sleep': return 'time.sleep';
    case 'join': return 'a thread join';
    case 'process_join': return 'a process join';
    case 'queue_get': case 'mp_queue_get': return 'a queue get';
    case 'queue_put': case 'mp_queue_put': return 'a queue put';
    case 'queue_join': return 'a queue join';
    case 'pipe_recv': return 'a pipe recv';
    case 'socket_recv': return 'a socket recv';
    case 'socket_send': return 'a socket send';
    case 'socket_accept': return 'a socket accept';
    case 'socket_connect': return 'a socket connect';
    case 'fd_read': return 'a read';
    case 'fd_write': return 'a write';
    case 'select': return 'a select';
    case 'lock': case 'rlock': case 'mp_lock': return 'a wait for another lock';
    case 'condition': return 'a condition wait';
    case 'event': return 'an event wait';
    case 'semaphore': case 'mp_semaphore': return 'a semaphore wait';
    case 'future': return 'a future result';
    case 'gpu_sync': return 'a GPU sync';
    default: return `a ${r} wait`;
  }
}

/** Rows 0..n-1 bucketed by `keyOf` (−1: left out) into `buckets` lists, each in row order:
 * `rows[offsets[b] .. offsets[b + 1])`. Two passes, no array per bucket. */
function csr(n: number, buckets: number, keyOf: (i: number) => number): { offsets: Int32Array; rows: Int32Array } {
  const offsets = new Int32Array(buckets + 1);
  const keys = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = keyOf(i);
    const key = k >= 0 && k < buckets ? k : -1;
    keys[i] = key;
    if (key >= 0) offsets[key + 1] = (offsets[key + 1] as number) + 1;
  }
  for (let b = 0; b < buckets; b++) offsets[b + 1] = (offsets[b + 1] as number) + (offsets[b] as number);
  const fill = offsets.slice(0, buckets);
  const rows = new Int32Array(offsets[buckets] as number);
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    if (k < 0) continue;
    const at = fill[k] as number;
    rows[at] = i;
    fill[k] = at + 1;
  }
  return { offsets, rows };
}
