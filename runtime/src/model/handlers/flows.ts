/**
 * Spans and flows: work that is not a wait (`X` spans), and arrows between lanes.
 *
 * Arrows come from three places:
 * - unblock: a wait that some other thread ended (released the lock, notified, put the item)
 *   is an arrow from that thread to the waiter at the end of the wait. Timed-out and still
 *   open waits were ended by nobody and get none.
 * - `L` records: the ends of one flow share a key across processes (a message put on a
 *   multiprocessing queue in one process and taken in another, a work item submitted to a
 *   Pool and taken by a worker, its result sent back); they are paired in phase order start,
 *   steps, finish. The work-items and messages handlers join the same ends into tables.
 * - create: an asyncio task's creator (the task or thread that called create_task, `Y`'s
 *   optional tail) to the task, from its creation to its first step (tasks.ts).
 * - spawn: a `P` record (a thread started a child process) is an arrow from that thread to the
 *   child's main thread at the child's start (for an untraced child, a non-Python program, its
 *   one lane, at the `P` record's time).
 */
import type { Ns } from '../../format/spec';
import { WaitFlags } from '../../format/spec';
import type { ParsedFile } from '../parsed-file';
import type { Flow, TaskInfo, WaitColumns, WorkSpan } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';
import type { LanesData } from './lanes';
import type { ProcessesData } from './processes';

export interface FlowsData {
  spans: WorkSpan[];
  flows: Flow[];
  /** Flow keys with a start but no other end (a message never received). */
  unpaired: number;
}

interface End {
  ts: number;
  lane: number;
  phase: number;
  kind: string;
  object: number | null;
  size: number | null;
}

const PHASE = { s: 0, t: 1, f: 2 } as const;

export class FlowsHandler implements ModelHandler<FlowsData> {
  private spans: WorkSpan[] = [];
  private ends = new Map<string, End[]>();
  private result: FlowsData | null = null;

  constructor(
    private readonly waits: () => WaitColumns,
    private readonly lanes: () => LanesData,
    private readonly processes: () => ProcessesData,
    private readonly tasks: () => readonly TaskInfo[] = () => [],
  ) {}

  reset(): void {
    this.spans = [];
    this.ends = new Map();
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    for (const s of f.spans) {
      const site = s.site === null ? -1 : ctx.sites.get(s.site);
      const span: WorkSpan = {
        begin: s.begin as Ns, end: s.end as Ns, lane: ctx.lanes.get(s.tid), kind: s.kind, label: s.label, site: site >= 0 ? site : null,
      };
      if (s.key !== undefined) span.key = s.key;
      this.spans.push(span);
    }
    for (const e of f.flowEnds) {
      const obj = e.object === null ? -1 : ctx.objects.get(e.object);
      const list = this.ends.get(e.key) ?? [];
      list.push({ ts: e.ts, lane: ctx.lanes.get(e.tid), phase: PHASE[e.phase], kind: e.kind, object: obj >= 0 ? obj : null, size: e.size });
      this.ends.set(e.key, list);
    }
  }

  finalize(): void {
    const flows: Flow[] = [];
    const w = this.waits();
    for (let i = 0; i < w.count; i++) {
      const from = w.wakerLane[i] as number;
      const to = w.lane[i] as number;
      if (from < 0 || to < 0 || from === to || ((w.flags[i] as number) & (WaitFlags.TIMED_OUT | WaitFlags.OPEN)) !== 0) continue;
      const end = w.end[i] as Ns;
      const obj = w.object[i] as number;
      flows.push({ kind: 'unblock', fromLane: from, fromNs: end, toLane: to, toNs: end, object: obj >= 0 ? obj : null, size: null });
    }
    let unpaired = 0;
    for (const list of this.ends.values()) {
      if (list.length < 2) {
        unpaired++;
        continue;
      }
      list.sort((a, b) => a.phase - b.phase || a.ts - b.ts);
      for (let i = 1; i < list.length; i++) {
        const a = list[i - 1] as End;
        const b = list[i] as End;
        if (a.lane < 0 || b.lane < 0) continue;
        flows.push({
          kind: (list[0] as End).kind, fromLane: a.lane, fromNs: a.ts as Ns, toLane: b.lane, toNs: b.ts as Ns,
          object: a.object ?? b.object, size: a.size ?? b.size,
        });
      }
    }
    const { lanes, byProcess } = this.lanes();
    const { processes, startedBy } = this.processes();
    startedBy.forEach((link, child) => {
      if (link === null) return;
      const from = byProcess[link.process]?.get(link.tid) ?? -1;
      const childLanes = lanes.filter((l) => l.process === child);
      const main = childLanes.find((l) => l.tid === 1) ?? childLanes[0];
      const proc = processes[child];
      if (from < 0 || main === undefined || proc === undefined) return;
      flows.push({ kind: 'spawn', fromLane: from, fromNs: link.ts as Ns, toLane: main.index, toNs: proc.startNs, object: null, size: null });
    });
    for (const t of this.tasks()) {
      if (t.creatorLane === null || t.firstStepNs === null || t.creatorLane === t.lane) continue;
      flows.push({ kind: 'create', fromLane: t.creatorLane, fromNs: t.createdNs, toLane: t.lane, toNs: t.firstStepNs, object: null, size: null });
    }
    this.ends = new Map();
    this.result = { spans: this.spans.sort((a, b) => a.begin - b.begin), flows, unpaired };
  }

  data(): FlowsData {
    return ready(this.result, 'FlowsHandler');
  }
}
