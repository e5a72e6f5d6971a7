/**
 * Lanes: one per thread, task, greenlet, GPU queue, rank or worker of every process (the
 * file's `T` and `Y` records). A lane that never ended in the trace (the main thread, a daemon,
 * any lane of a process that was killed) lasts until its process's last event. Ids are
 * "<host id>/p<pid>.<serial>/t<n>" for threads and ".../l<n>" for other kinds (no host part
 * for v1 files, which name no host), so a lane is known by (host, pid) like its process.
 *
 * An untraced process (a non-Python child, `traced: false` in ProcessInfo) gets one lane, tid 1,
 * named by argv[0]'s basename and spanning its life, with no waits or samples, added after
 * every traced lane.
 */
import type { Ns } from '../../format/spec';
import { IdMap } from '../columns';
import type { ParsedFile } from '../parsed-file';
import type { Lane, LaneKind, ProcessInfo } from '../types';
import { processKeyOf } from './processes';
import { ready, type FileContext, type ModelHandler } from './handler';

export interface LanesData {
  lanes: Lane[];
  /** Lane of a file lane id: `byProcess[process].get(id)`, -1 when unknown. */
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
    const map = new IdMap(f.lanes.reduce((m, t) => Math.max(m, t.id), 0));
    const h = f.header;
    const first = this.lanes.length;
    const prefix = `${processKeyOf(h)}/`;
    for (const t of f.lanes) {
      const idx = this.lanes.length;
      const end = t.endedNs ?? Math.max(t.lastNs, f.endNs);
      const kind = t.kind as LaneKind;
      this.lanes.push({
        index: idx, id: `${prefix}${kind === 'thread' ? 't' : 'l'}${t.id}`, kind, process: ctx.process, tid: t.id,
        nativeId: t.nativeId, name: t.name, daemon: t.daemon, startNs: t.startNs as Ns,
        endNs: Math.max(end, t.startNs) as Ns, parentLane: null, startSite: t.startSite === null ? null : nonNegative(ctx.sites.get(t.startSite)),
        clockDomain: t.clockDomain,
      });
      map.set(t.id, idx);
    }
    f.lanes.forEach((t, i) => {
      if (t.parentId === null) return;
      const parent = map.get(t.parentId);
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
        index: idx, id: `${p.hostId ? `${p.hostId}/` : ''}p${p.pid}.${p.serial}/t1`, kind: 'thread', process: p.index, tid: 1,
        nativeId: p.pid, name, daemon: false, startNs: p.startNs, endNs: p.endNs, parentLane: null, startSite: null, clockDomain: null,
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
