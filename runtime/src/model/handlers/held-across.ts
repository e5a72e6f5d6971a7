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
import type { ParsedFile } from '../parsed-file';
import type { HeldAcrossWait, Lane, Stall, SyncObject, WaitColumns } from '../types';
import { ready, type ModelHandler } from './handler';
import { visibleObject } from './lock-stats';

const LOCK_KINDS = new Set(['lock', 'rlock', 'mp_lock', 'mp_rlock']);
/** Candidates looked at before a blocking wait's begin (case b): a bound on pathological
 * traces, where one very long early wait would make every later lookup scan back to it. */
const MAX_BACK = 256;

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
    // Waits on locks with a known holder, by holder lane (rows ascend by begin).
    const byHolder = new Map<number, number[]>();
    for (let i = 0; i < w.count; i++) {
      const o = w.object[i] as number;
      const h = w.holderLane[i] as number;
      if (o < 0 || o >= objects.length || isLock[o] !== 1 || h < 0 || h === (w.lane[i] as number) || lanes[h]?.kind !== 'thread') continue;
      let list = byHolder.get(h);
      if (list === undefined) byHolder.set(h, (list = []));
      list.push(i);
    }
    if (byHolder.size === 0) {
      this.result = [];
      return;
    }
    // The running maximum of ends, per holder list, to stop the backward scan early.
    const maxEnd = new Map<number, Float64Array>();
    for (const [h, rows] of byHolder) {
      const m = new Float64Array(rows.length);
      let e = -Infinity;
      rows.forEach((r, k) => {
        e = Math.max(e, w.end[r] as number);
        m[k] = e;
      });
      maxEnd.set(h, m);
    }
    // Waits on locks that a release of theirs ended, by waker lane, in order of end.
    const byWaker = new Map<number, number[]>();
    for (let i = 0; i < w.count; i++) {
      const o = w.object[i] as number;
      const k = w.wakerLane[i] as number;
      if (o < 0 || o >= objects.length || isLock[o] !== 1 || k < 0 || k === (w.lane[i] as number) || !byHolder.has(k)) continue;
      let list = byWaker.get(k);
      if (list === undefined) byWaker.set(k, (list = []));
      list.push(i);
    }
    for (const list of byWaker.values()) list.sort((a, b) => (w.end[a] as number) - (w.end[b] as number) || a - b);
    /** Whether T released (a part of) lock `vx` to a waiter while blocked in (bj, ej]. */
    const releasedDuring = (t: number, vx: number, bj: number, ej: number): boolean => {
      const list = byWaker.get(t);
      if (list === undefined) return false;
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((w.end[list[mid] as number] as number) <= bj) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo, n = 0; k < list.length && n < MAX_BACK; k++, n++) {
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
    // The blocking wait being looked at (one closure for all of them: this runs per wait).
    let t = -1;
    let ej = 0;
    let jVisible = -1;
    const consider = (i: number, began: boolean): void => {
      const vx = visible[w.object[i] as number] as number;
      if (vx === jVisible) return;
      const proof = began || ((w.wakerLane[i] as number) === t && (w.end[i] as number) >= ej);
      let p = perLock.get(vx);
      if (p === undefined) perLock.set(vx, (p = { proven: false, rows: [] }));
      p.proven ||= proof;
      p.rows.push(i);
    };
    for (let j = 0; j < w.count; j++) {
      t = w.lane[j] as number;
      const rows = byHolder.get(t);
      if (rows === undefined || memberWaits.has(j)) continue;
      const bj = w.begin[j] as number;
      ej = w.end[j] as number;
      if (ej <= bj) continue;
      const jo = w.object[j] as number;
      jVisible = jo >= 0 && jo < objects.length ? (visible[jo] as number) : -1;
      perLock.clear();
      // First candidate that began at or after bj.
      let lo = 0;
      let hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((w.begin[rows[mid] as number] as number) < bj) lo = mid + 1;
        else hi = mid;
      }
      for (let k = lo; k < rows.length; k++) {
        const i = rows[k] as number;
        if ((w.begin[i] as number) >= ej) break;
        consider(i, true);
      }
      const me = maxEnd.get(t) as Float64Array;
      for (let k = lo - 1, n = 0; k >= 0 && n < MAX_BACK && (me[k] as number) > bj; k--, n++) {
        const i = rows[k] as number;
        if ((w.end[i] as number) > bj) consider(i, false);
      }
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
