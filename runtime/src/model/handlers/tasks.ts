/**
 * asyncio tasks: their steps (`R` records) as one set of columns, one {@link TaskInfo} per task
 * lane and the tasks' groups by coroutine function.
 *
 * A task is a lane of kind "task" (`Y`); its optional tail says who created it and which
 * coroutine it runs, its `E` record's tail how it ended. Its steps are when its coroutine ran on
 * the loop thread; the `W` records on its lane (from the end of one step to the start of the
 * next) say what it awaited. Grouping by (process, coroutine) is what keeps a server's
 * thousands of short tasks readable: one row per handler function, with the spread of their
 * durations (created to ended, over the tasks that ended in the trace).
 */
import { WAIT_REASONS, type Ns, type WaitReason } from '../../format/spec';
import { F64Column, I32Column, percentile, permuteF64, permuteI32, sortOrderOrNull } from '../columns';
import type { ParsedFile } from '../parsed-file';
import type { Lane, TaskGroup, TaskInfo, TaskOutcomeValue, TaskStepColumns, WaitColumns } from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';

export interface TasksData {
  taskSteps: TaskStepColumns;
  tasks: TaskInfo[];
  taskGroups: TaskGroup[];
}

/** What the parsed file says of one task lane beyond the Lane itself (model indexes). */
interface TaskFacts {
  lane: number;
  coroutine: string;
  coroutineSite: number | null;
  creatorLane: number | null;
  ended: boolean;
  outcome: TaskOutcomeValue;
  detail: string | null;
}

const OUTCOMES: ReadonlySet<string> = new Set(['result', 'cancelled', 'exception']);

function columns() {
  return { begin: new F64Column(16), end: new F64Column(16), lane: new I32Column(16) };
}

export class TasksHandler implements ModelHandler<TasksData> {
  private c = columns();
  private facts: TaskFacts[] = [];
  private result: TasksData | null = null;

  constructor(private readonly lanes: () => Lane[], private readonly waits: () => WaitColumns) {}

  reset(): void {
    this.c = columns();
    this.facts = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    for (const t of f.lanes) {
      // Greenlets too: their runs are steps and their functions group them like coroutines.
      if (t.kind !== 'task' && t.kind !== 'greenlet') continue;
      const lane = ctx.lanes.get(t.id);
      if (lane < 0) continue;
      const creator = t.creator === undefined || t.creator === null ? -1 : ctx.lanes.get(t.creator);
      const site = t.coroutineSite === undefined || t.coroutineSite === null ? -1 : ctx.sites.get(t.coroutineSite);
      const outcome = t.outcome !== undefined && t.outcome !== null && OUTCOMES.has(t.outcome) ? (t.outcome as TaskOutcomeValue) : null;
      this.facts.push({
        lane, coroutine: t.coroutine ?? '', coroutineSite: site >= 0 ? site : null, creatorLane: creator >= 0 ? creator : null,
        ended: t.endedNs !== null, outcome, detail: outcome === 'exception' ? (t.detail ?? null) : null,
      });
    }
    const r = f.taskSteps;
    if (r === undefined || r.count === 0) return;
    const c = this.c;
    for (let i = 0; i < r.count; i++) {
      c.begin.push(r.begin[i] as number);
      c.end.push(r.end[i] as number);
      c.lane.push(ctx.lanes.get(r.tid[i] as number));
    }
  }

  finalize(): void {
    const begin = this.c.begin.finish();
    const order = sortOrderOrNull(begin);
    const taskSteps: TaskStepColumns = {
      count: begin.length, begin: permuteF64(begin, order), end: permuteF64(this.c.end.finish(), order),
      lane: permuteI32(this.c.lane.finish(), order),
    };
    this.c = columns();
    const lanes = this.lanes();
    // Per lane: its TaskInfo (steps and awaits are added below in one pass each, over every
    // step and every wait of the trace: an array indexed by lane, not a Map lookup per row).
    const byLane: (TaskInfo | undefined)[] = new Array<TaskInfo | undefined>(lanes.length);
    const tasks: TaskInfo[] = [];
    for (const t of this.facts) {
      const l = lanes[t.lane];
      if (l === undefined) continue;
      const info: TaskInfo = {
        lane: t.lane, coroutine: t.coroutine, coroutineSite: t.coroutineSite, creatorLane: t.creatorLane,
        createSite: l.startSite, createdNs: l.startNs, firstStepNs: null, endNs: l.endNs, ended: t.ended,
        outcome: t.outcome, detail: t.detail, steps: 0, runNs: 0, awaitNs: {},
      };
      byLane[t.lane] = info;
      tasks.push(info);
    }
    this.facts = [];
    for (let i = 0; i < taskSteps.count; i++) {
      const info = byLane[taskSteps.lane[i] as number];
      if (info === undefined) continue;
      const b = taskSteps.begin[i] as number;
      info.steps++;
      info.runNs += (taskSteps.end[i] as number) - b;
      // Steps are sorted by begin: the first seen is the first step.
      if (info.firstStepNs === null) info.firstStepNs = b as Ns;
    }
    const w = this.waits();
    for (let i = 0; i < w.count; i++) {
      const info = byLane[w.lane[i] as number];
      if (info === undefined) continue;
      const reason = WAIT_REASONS[w.reason[i] as number] as WaitReason;
      info.awaitNs[reason] = (info.awaitNs[reason] ?? 0) + ((w.end[i] as number) - (w.begin[i] as number));
    }
    tasks.sort((a, b) => a.createdNs - b.createdNs || a.lane - b.lane);
    nameGatherWakers(w, tasks, byLane);
    this.result = { taskSteps, tasks, taskGroups: groupTasks(tasks, lanes) };
  }

  data(): TasksData {
    return ready(this.result, 'TasksHandler');
  }
}

const GATHER_LIKE = new Set<number>([WAIT_REASONS.indexOf('gather'), WAIT_REASONS.indexOf('wait')]);

/**
 * The waker of a task's `gather`/`TaskGroup`/`wait` await, which the agent cannot name (the
 * future it waits on is completed by whichever child ends last, or first for FIRST_COMPLETED):
 * the child task (created by the waiting task) that ended last within the wait. That is exact
 * for both: the await ends when that child's end completes it. Sets `wakerLane` where it is
 * unknown, so the timeline draws the arrow back from the child to its parent.
 */
export function nameGatherWakers(w: WaitColumns, tasks: readonly TaskInfo[], byLane: readonly (TaskInfo | undefined)[]): void {
  const children = new Map<number, TaskInfo[]>();
  for (const t of tasks) {
    if (t.creatorLane === null || !t.ended) continue;
    const list = children.get(t.creatorLane) ?? [];
    list.push(t);
    children.set(t.creatorLane, list);
  }
  if (children.size === 0) return;
  for (const list of children.values()) list.sort((a, b) => a.endNs - b.endNs);
  for (let i = 0; i < w.count; i++) {
    if (!GATHER_LIKE.has(w.reason[i] as number) || (w.wakerLane[i] as number) >= 0) continue;
    const lane = w.lane[i] as number;
    if (byLane[lane] === undefined) continue;
    const list = children.get(lane);
    if (list === undefined) continue;
    const b = w.begin[i] as number;
    const e = w.end[i] as number;
    // The last child that ended at or before the wait's end (binary search), if it ended in it.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as TaskInfo).endNs <= e) lo = mid + 1;
      else hi = mid;
    }
    const child = list[lo - 1];
    if (child !== undefined && child.endNs >= b) w.wakerLane[i] = child.lane;
  }
}

/** Tasks grouped by (process, coroutine), most run time first. `tasks` must be by creation. */
export function groupTasks(tasks: readonly TaskInfo[], lanes: readonly Lane[]): TaskGroup[] {
  const groups = new Map<string, { g: TaskGroup; durations: number[]; sites: Map<number, number> }>();
  for (const t of tasks) {
    const process = lanes[t.lane]?.process ?? -1;
    const kind = lanes[t.lane]?.kind === 'greenlet' ? 'greenlet' : 'task';
    const key = `${process}\u0000${kind}\u0000${t.coroutine}`;
    let acc = groups.get(key);
    if (acc === undefined) {
      acc = {
        g: {
          process, kind, coroutine: t.coroutine, coroutineSite: t.coroutineSite, createSite: null, tasks: [], runNs: 0, awaitNs: {},
          p50DurationNs: null, p95DurationNs: null, maxDurationNs: null, cancelled: 0, failed: 0,
        },
        durations: [], sites: new Map(),
      };
      groups.set(key, acc);
    }
    const g = acc.g;
    g.tasks.push(t.lane);
    g.coroutineSite ??= t.coroutineSite;
    g.runNs += t.runNs;
    for (const [r, ns] of Object.entries(t.awaitNs) as [WaitReason, number][]) g.awaitNs[r] = (g.awaitNs[r] ?? 0) + ns;
    if (t.outcome === 'cancelled') g.cancelled++;
    if (t.outcome === 'exception') g.failed++;
    if (t.ended) acc.durations.push(Math.max(0, t.endNs - t.createdNs));
    if (t.createSite !== null) acc.sites.set(t.createSite, (acc.sites.get(t.createSite) ?? 0) + 1);
  }
  const out: TaskGroup[] = [];
  for (const { g, durations, sites } of groups.values()) {
    if (durations.length > 0) {
      const sorted = Float64Array.from(durations).sort();
      g.p50DurationNs = percentile(sorted, 0.5);
      g.p95DurationNs = percentile(sorted, 0.95);
      g.maxDurationNs = sorted[sorted.length - 1] as number;
    }
    // The most common creation line; ties go to the lower site index (stable across runs).
    let best = -1;
    let bestCount = 0;
    for (const [site, n] of sites) {
      if (n > bestCount || (n === bestCount && site < best)) {
        best = site;
        bestCount = n;
      }
    }
    g.createSite = best >= 0 ? best : null;
    out.push(g);
  }
  return out.sort((a, b) => b.runNs - a.runNs || b.tasks.length - a.tasks.length || a.process - b.process
    || (a.coroutine < b.coroutine ? -1 : a.coroutine > b.coroutine ? 1 : 0));
}
