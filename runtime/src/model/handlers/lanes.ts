/**
 * Lanes: one per thread of every process (tasks and GPU streams will be lanes too). A thread
 * that never ended in the trace (the main thread, a daemon, any thread of a process that was
 * killed) lasts until its process's last event.
 *
 * An untraced process (a non-Python child, `traced: false` in ProcessInfo) gets one lane, tid 1,
 * named by argv[0]'s basename and spanning its life, with no waits or samples, added after
 * every traced lane.
 */
import type { Ns } from '../../format/spec';
import { IdMap } from '../columns';
import type { ParsedFile } from '../parsed-file';
import type { Lane, ProcessInfo } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

export interface LanesData {
  lanes: Lane[];
  /** Lane of a thread: `byProcess[process].get(tid)`, -1 when unknown. */
  byProcess: IdMap[];
}

export class LanesHandler implements ModelHandler<LanesData> {
  private lanes: Lane[] = [];
  private byProcess: IdMap[] = [];
  private result: LanesData | null = null;

  constructor(private readonly processes: () => ProcessInfo[] = () => []) {}

  reset(): void {
    this.lanes = [];
    this.byProcess = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    const map = new IdMap(f.threads.reduce((m, t) => Math.max(m, t.tid), 0));
    const h = f.header;
    const first = this.lanes.length;
    for (const t of f.threads) {
      const idx = this.lanes.length;
      const end = t.endedNs ?? Math.max(t.lastNs, f.endNs);
      this.lanes.push({
        index: idx, id: `p${h.pid}.${h.serial}/t${t.tid}`, kind: 'thread', process: ctx.process, tid: t.tid,
        nativeId: t.nativeId, name: t.name, daemon: t.daemon, startNs: t.startNs as Ns,
        endNs: Math.max(end, t.startNs) as Ns, parentLane: null, startSite: t.startSite === null ? null : nonNegative(ctx.sites.get(t.startSite)),
      });
      map.set(t.tid, idx);
    }
    f.threads.forEach((t, i) => {
      if (t.parentTid === null) return;
      const parent = map.get(t.parentTid);
      if (parent >= 0) (this.lanes[first + i] as Lane).parentLane = parent;
    });
    ctx.lanes = map;
    this.byProcess[ctx.process] = map;
  }

  finalize(): void {
    for (const p of this.processes()) {
      if (p.traced !== false) continue;
      const idx = this.lanes.length;
      const program = p.argv[0] ?? '';
      const name = program.split(/[\\/]/).pop() || `pid ${p.pid}`;
      this.lanes.push({
        index: idx, id: `p${p.pid}.${p.serial}/t1`, kind: 'thread', process: p.index, tid: 1, nativeId: p.pid, name,
        daemon: false, startNs: p.startNs, endNs: p.endNs, parentLane: null, startSite: null,
      });
      const map = new IdMap(1);
      map.set(1, idx);
      this.byProcess[p.index] = map;
    }
    this.result = { lanes: this.lanes, byProcess: this.byProcess };
  }

  data(): LanesData {
    return ready(this.result, 'LanesHandler');
  }
}

function nonNegative(i: number): number | null {
  return i >= 0 ? i : null;
}
