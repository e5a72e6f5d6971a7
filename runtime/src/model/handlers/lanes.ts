/**
 * Lanes: one per thread of every process (tasks and GPU streams will be lanes too). A thread
 * that never ended in the trace (the main thread, a daemon, any thread of a process that was
 * killed) lasts until its process's last event.
 */
import type { Ns } from '../../format/spec';
import { IdMap } from '../columns';
import type { ParsedFile } from '../parsed-file';
import type { Lane } from '../types';
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
    this.result = { lanes: this.lanes, byProcess: this.byProcess };
  }

  data(): LanesData {
    return ready(this.result, 'LanesHandler');
  }
}

function nonNegative(i: number): number | null {
  return i >= 0 ? i : null;
}
