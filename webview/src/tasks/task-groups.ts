/**
 * asyncio task groups in the timeline: what a group row (layout.ts `tasks`) and a loop-lag
 * row (`counter`) draw and say. A group row draws its tasks' concurrency over time as two step
 * charts, tasks alive (light) and tasks running or ready to run (the running colour): how a
 * server with 10,000 short requests reads at a glance, where 10,000 rows would not.
 *
 * The series are computed once per set of lanes from the segments (a task lane's RUNNING and
 * READY segments, view-data.ts) and cached; a frame reads the window's part by binary search
 * and draws the maximum of each device pixel column, so a burst narrower than a pixel still
 * shows. Pure but for the canvas calls.
 */
import { SegmentState, type ViewCounter, type ViewData, type ViewTaskGroup } from '../../../runtime/src/view/view-data';
import { formatDuration } from '../format';
import type { LayoutRow } from '../layout';

/** A step function: value[i] holds from ts[i] until ts[i + 1]. */
export interface StepSeries {
  ts: Float64Array;
  value: Float64Array;
  max: number;
}

/** Concurrency of a set of task lanes: alive, and running or ready. */
export interface Concurrency {
  alive: StepSeries;
  runnable: StepSeries;
}

/** Builds the step series of +1/-1 events (time, delta), summing deltas at equal times. */
export function stepsOf(events: Float64Array, deltas: Int8Array): StepSeries {
  const n = deltas.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (events[a] as number) - (events[b] as number));
  const ts: number[] = [];
  const value: number[] = [];
  let v = 0;
  let max = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    v += deltas[i] as number;
    const t = events[i] as number;
    if (ts.length > 0 && ts[ts.length - 1] === t) value[value.length - 1] = v;
    else {
      ts.push(t);
      value.push(v);
    }
    if (v > max) max = v;
  }
  return { ts: Float64Array.from(ts), value: Float64Array.from(value), max };
}

const cache = new WeakMap<ViewData, Map<string, Concurrency>>();

/** The concurrency of `lanes` (cached per data and key). */
export function concurrencyOf(d: ViewData, key: string, lanes: readonly number[]): Concurrency {
  let byKey = cache.get(d);
  if (!byKey) {
    byKey = new Map();
    cache.set(d, byKey);
  }
  const hit = byKey.get(key);
  if (hit) return hit;
  const s = d.segments;
  let runnableCount = 0;
  for (const l of lanes) {
    for (let i = s.laneOffsets[l] as number; i < (s.laneOffsets[l + 1] as number); i++) {
      const st = s.state[i] as number;
      if (st === SegmentState.RUNNING || st === SegmentState.READY) runnableCount++;
    }
  }
  const aliveT = new Float64Array(lanes.length * 2);
  const aliveD = new Int8Array(lanes.length * 2);
  const runT = new Float64Array(runnableCount * 2);
  const runD = new Int8Array(runnableCount * 2);
  let a = 0;
  let r = 0;
  for (const l of lanes) {
    const lane = d.lanes[l];
    if (!lane) continue;
    aliveT[a] = lane.startNs;
    aliveD[a++] = 1;
    aliveT[a] = Math.max(lane.endNs, lane.startNs);
    aliveD[a++] = -1;
    for (let i = s.laneOffsets[l] as number; i < (s.laneOffsets[l + 1] as number); i++) {
      const st = s.state[i] as number;
      if (st !== SegmentState.RUNNING && st !== SegmentState.READY) continue;
      runT[r] = s.begin[i] as number;
      runD[r++] = 1;
      runT[r] = s.end[i] as number;
      runD[r++] = -1;
    }
  }
  const c = { alive: stepsOf(aliveT.subarray(0, a), aliveD.subarray(0, a)), runnable: stepsOf(runT.subarray(0, r), runD.subarray(0, r)) };
  byKey.set(key, c);
  return c;
}

/** The series of a counter as a step function. */
export function counterSteps(c: ViewCounter): StepSeries {
  let max = 0;
  for (let i = 0; i < c.value.length; i++) max = Math.max(max, c.value[i] as number);
  return { ts: c.ts, value: c.value, max };
}

/** Index of the last step at or before `ns` (-1 before the first). */
export function stepAt(s: StepSeries, ns: number): number {
  let lo = 0;
  let hi = s.ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((s.ts[mid] as number) <= ns) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The series' value at `ns` (0 outside it). */
export function valueAt(s: StepSeries, ns: number): number {
  const i = stepAt(s, ns);
  return i < 0 ? 0 : (s.value[i] as number);
}

/**
 * Fills the step chart of `s` for the visible window: per device pixel column the largest
 * value in it, scaled so that `scaleMax` fills `heightDev`, bottom at `bottomDev`.
 */
export function fillSteps(
  ctx: CanvasRenderingContext2D, s: StepSeries, scaleMax: number, startNs: number, endNs: number, widthDev: number,
  bottomDev: number, heightDev: number, color: string,
): void {
  if (s.ts.length === 0 || scaleMax <= 0 || widthDev <= 0) return;
  const nsPerPx = (endNs - startNs) / widthDev;
  ctx.fillStyle = color;
  ctx.beginPath();
  let i = Math.max(0, stepAt(s, startNs));
  for (let x = 0; x < widthDev; x++) {
    const a = startNs + x * nsPerPx;
    const b = a + nsPerPx;
    // The value holding at the column's start, then every step that begins inside it.
    while (i + 1 < s.ts.length && (s.ts[i + 1] as number) <= a) i++;
    let v = (s.ts[i] as number) <= a ? (s.value[i] as number) : 0;
    let j = i + 1;
    while (j < s.ts.length && (s.ts[j] as number) < b) {
      v = Math.max(v, s.value[j] as number);
      j++;
    }
    if (v > 0) {
      const hgt = Math.max(1, (v / scaleMax) * heightDev);
      ctx.rect(x, bottomDev - hgt, 1, hgt);
    }
  }
  ctx.fill();
}

/** "p50 4 ms · p95 30 ms" of a group, or "" without durations. */
export function percentileText(g: ViewTaskGroup | undefined): string {
  if (!g || g.p50DurationNs === null) return '';
  return `p50 ${formatDuration(g.p50DurationNs)} · p95 ${formatDuration(g.p95DurationNs ?? g.p50DurationNs)}`;
}

/** The tooltip of a group row: counts, percentiles, run and await time, where it is made. */
export function groupTitle(d: ViewData, coroutine: string, lanes: readonly number[], group: number): string {
  const g = d.taskGroups[group];
  const lines = [`${coroutine || '(unknown coroutine)'}: ${lanes.length} task${lanes.length === 1 ? '' : 's'} on this thread`];
  if (g) {
    lines.push(`in the process: ${g.tasks.length} tasks, ran ${formatDuration(g.runNs)} in total`);
    const p = percentileText(g);
    if (p) lines.push(`duration ${p} · max ${formatDuration(g.maxDurationNs ?? 0)}`);
    const awaits = Object.entries(g.awaitNs).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
    if (awaits.length > 0) lines.push(`awaited: ${awaits.slice(0, 4).map(([k, v]) => `${k} ${formatDuration(v)}`).join(', ')}`);
    if (g.cancelled || g.failed) lines.push(`${g.cancelled} cancelled, ${g.failed} raised`);
    const site = g.createSite !== null ? d.sites[g.createSite] : undefined;
    if (site) lines.push(`created at ${site.file}:${site.line}`);
  }
  lines.push('Light: tasks alive. Bright: running or ready to run. Click to list the tasks; the caret shows them packed into rows.');
  return lines.join('\n');
}

/**
 * What a chart row says at view ns `t`: a task group's tasks alive and running or ready, or a
 * counter's value (a loop's lag in ms).
 */
export function describeChartAt(
  d: ViewData, row: Extract<LayoutRow, { kind: 'tasks' | 'counter' }>, t: number,
): { title: string; lines: string[]; state: number } {
  if (row.kind === 'tasks') {
    const c = concurrencyOf(d, row.key, row.lanes);
    return {
      title: `${row.coroutine || 'tasks'} at ${formatDuration(t)}`,
      lines: [`${valueAt(c.alive, t)} alive, ${valueAt(c.runnable, t)} running or ready`, `${row.lanes.length} tasks in the group; most at once ${c.alive.max}`],
      state: SegmentState.RUNNING,
    };
  }
  const counter = d.counters[row.counter];
  const v = counter ? valueAt(counterSteps(counter), t) : 0;
  const lag = counter?.name.startsWith('loop_lag:') ?? false;
  return {
    title: lag ? `loop lag at ${formatDuration(t)}` : `${counter?.name ?? '?'} at ${formatDuration(t)}`,
    lines: [lag ? `${v.toFixed(v >= 10 ? 0 : 1)} ms: how late the loop ran the callbacks that were due` : String(v)],
    state: SegmentState.SYNC,
  };
}
