/**
 * Diagnostics: the findings worth a user's attention, each with the line to look at.
 *
 * - contended objects: total wait, how many waits, p95, and the holder (or releaser) that
 *   made most of the waiting, at its line;
 * - waits still open when a process ended: a deadlock or a hang, with who held the object
 *   (asyncio tasks still awaiting: one finding per await line, with a count);
 * - threads that spent a large share of their life runnable but not running (estimated GIL
 *   wait; for a thread running an asyncio loop, its loop idling in select);
 * - asyncio event loops that were blocked: one per loop thread, at its longest block's line;
 * - processes killed by a signal.
 *
 * Paths in messages are shown relative to the process's working directory, as the user
 * typed them; the `site` field carries the full location for tools.
 */
import { WaitFlags, WAIT_REASONS } from '../../format/spec';
import type { ParsedFile } from '../parsed-file';
import type {
  Diagnostic, HeldAcrossWait, Lane, LockOrderInversion, LockStat, LoopBlock, ProcessInfo, SourceSite, Stall, SyncObject, ThreadTime, WaitColumns,
} from '../types';
import { ready, type FileContext, type ModelHandler } from './handler';
import { stallFindings } from './stall-findings';

/** Thresholds, in one place so tests and docs agree. */
export const DIAGNOSTIC_THRESHOLDS = {
  /** A contended object is reported when its waits total at least this... */
  lockWaitNs: 10e6,
  /** ...or this share of the run. */
  lockShare: 0.05,
  /** Above this share of the run, a contended object is a warning rather than info. */
  lockWarnShare: 0.2,
  /** A thread's estimated GIL wait is reported above this share of its life and this time. */
  gilShare: 0.25,
  gilNs: 50e6,
  /** ...and called GIL wait when the process's other threads used at least this share of it
   * as CPU time (someone must have held the GIL). */
  gilOthersShare: 0.5,
} as const;

/** Objects one thread holds while others wait: waiting on them is contention. */
const EXCLUSIVE_KINDS = new Set([
  'lock', 'rlock', 'semaphore', 'bounded_semaphore', 'mp_lock', 'mp_rlock', 'mp_semaphore', 'mp_bounded_semaphore',
  'aio_lock', 'aio_semaphore', 'aio_bounded_semaphore',
]);

export function formatDuration(ns: number): string {
  if (ns >= 10e9) return `${(ns / 1e9).toFixed(1)} s`;
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (ns >= 10e6) return `${(ns / 1e6).toFixed(0)} ms`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}

export interface DiagnosticsDeps {
  processes: () => ProcessInfo[];
  lanes: () => Lane[];
  sites: () => SourceSite[];
  objects: () => SyncObject[];
  waits: () => WaitColumns;
  locks: () => LockStat[];
  threadTimes: () => ThreadTime[];
  /** asyncio event-loop blocks (optional: hand-built assemblers may have none). */
  loopBlocks?: () => LoopBlock[];
  /** Issue 12: deadlocks and hangs, lock-order inversions, locks held across blocking calls
   * (optional like loopBlocks). */
  stalls?: () => Stall[];
  lockOrderInversions?: () => LockOrderInversion[];
  heldAcrossWaits?: () => HeldAcrossWait[];
}

export class DiagnosticsHandler implements ModelHandler<Diagnostic[]> {
  private cwd: string[] = [];
  private result: Diagnostic[] | null = null;

  constructor(private readonly deps: DiagnosticsDeps) {}

  reset(): void {
    this.cwd = [];
    this.result = null;
  }

  handleFile(f: ParsedFile, ctx: FileContext): void {
    this.cwd[ctx.process] = f.header.cwd;
  }

  finalize(): void {
    const d = this.deps;
    const processes = d.processes();
    const lanes = d.lanes();
    const sites = d.sites();
    const objects = d.objects();
    const out: Diagnostic[] = [];
    const start = Math.min(...processes.map((p) => p.startNs));
    const end = Math.max(...processes.map((p) => p.endNs));
    const duration = Math.max(1, end - start);
    const where = (site: number | null, process: number): string => {
      const s = site === null || site < 0 ? undefined : sites[site];
      if (s === undefined) return '';
      const cwd = this.cwd[process] ?? '';
      const file = cwd !== '' && s.file.startsWith(`${cwd}/`) ? s.file.slice(cwd.length + 1) : s.file;
      return ` at ${file}:${s.line}`;
    };
    // With several processes, "MainThread" alone does not say which.
    const laneName = (l: number): string => {
      const name = `"${lanes[l]?.name ?? `lane ${l}`}"`;
      return processes.length > 1 ? `${name} (pid ${processes[lanes[l]?.process ?? -1]?.pid ?? '?'})` : name;
    };
    const objLabel = (o: SyncObject): string => {
      const created = where(o.site, o.process);
      return `${o.kind}${o.name ? ` "${o.name}"` : ''}${created === '' ? '' : ` (created${created})`}`;
    };
    const T = DIAGNOSTIC_THRESHOLDS;

    // Deadlocks and hangs first: when a program is stuck, nothing else matters as much. Their
    // members' open waits are not reported again below.
    const stalls = d.stalls?.() ?? [];
    out.push(...stallFindings({
      lanes, objects, sites, stalls, inversions: d.lockOrderInversions?.() ?? [], heldAcross: d.heldAcrossWaits?.() ?? [],
    }, formatDuration));
    const stalled = new Set<number>();
    for (const s of stalls) for (const m of s.members) stalled.add(m.lane);

    for (const l of d.locks()) {
      const obj = objects[l.object];
      if (obj === undefined || l.contentions === 0) continue;
      const share = l.waitNs / duration;
      if (l.waitNs < T.lockWaitNs && share < T.lockShare) continue;
      const top = l.holders[0];
      const waiters = new Set(l.waiters.map((x) => x.lane)).size;
      // asyncio primitives are waited on, held and released by tasks, not threads; a lock
      // only greenlets waited for (gevent's) is a greenlets' lock.
      const who = obj.kind.startsWith('aio_') ? 'task'
        : l.waiters.length > 0 && l.waiters.every((x) => lanes[x.lane]?.kind === 'greenlet') ? 'greenlet' : 'thread';
      const by = `${l.contentions} wait${l.contentions === 1 ? '' : 's'} by ${waiters} ${who}${waiters === 1 ? '' : 's'}, p95 ${formatDuration(l.p95WaitNs)}, longest ${formatDuration(l.maxWaitNs)}`;
      let message: string;
      let severity: Diagnostic['severity'];
      if (EXCLUSIVE_KINDS.has(obj.kind)) {
        // Waiting for a lock or semaphore is contention: another thread holds what this one needs.
        message = `${objLabel(obj)} made ${who}s wait ${formatDuration(l.waitNs)} in total (${by})`;
        // Locks name their holder; for semaphores the agent knows who released the slot.
        const verb = obj.kind.includes('semaphore') ? 'released mostly by' : 'held mostly by';
        if (top !== undefined) message += `; ${verb} ${who} ${laneName(top.lane)}${where(top.site, obj.process)} (${formatDuration(top.waitNs)} of the waiting)`;
        severity = share > T.lockWarnShare ? 'warning' : 'info';
      } else {
        // Waiting on a condition, event, queue or barrier is often the design (an idle
        // consumer, back-pressure): worth knowing, not a warning by itself.
        message = `${who}s waited ${formatDuration(l.waitNs)} in total on ${objLabel(obj)} (${by})`;
        if (top !== undefined) message += `; released mostly by ${who} ${laneName(top.lane)} (${formatDuration(top.waitNs)} of the waiting)`;
        severity = 'info';
      }
      out.push({ severity, message, site: obj.site, process: obj.process });
    }

    // Open waits: the process ended (or was killed) while the thread still waited.
    const w = d.waits();
    const seen = new Set<string>();
    // asyncio tasks still awaiting at the end, by (process, line, reason, object): a server
    // stopped with thousands of pending tasks gets one finding per await, not one per task.
    const pending = new Map<string, { first: number; tasks: number }>();
    for (let i = 0; i < w.count; i++) {
      if (((w.flags[i] as number) & WaitFlags.OPEN) === 0) continue;
      const lane = w.lane[i] as number;
      if (lanes[lane]?.kind === 'task') {
        const key = `${lanes[lane]?.process ?? 0}:${w.site[i] as number}:${w.reason[i] as number}:${w.object[i] as number}`;
        const p = pending.get(key);
        if (p === undefined) pending.set(key, { first: i, tasks: 1 });
        else p.tasks++;
        continue;
      }
      const object = w.object[i] as number;
      const key = `${lane}:${object}`;
      if (seen.has(key) || stalled.has(lane)) continue;
      seen.add(key);
      const process = lanes[lane]?.process ?? 0;
      const obj = objects[object];
      const reason = WAIT_REASONS[w.reason[i] as number] ?? 'wait';
      const holder = w.holderLane[i] as number;
      let message = `thread ${laneName(lane)} was still waiting${where(w.site[i] as number, process)} (${reason}) on ${obj ? objLabel(obj) : 'an unknown object'} when its process ended, after ${formatDuration((w.end[i] as number) - (w.begin[i] as number))}`;
      if (holder >= 0) message += `; it was held by thread ${laneName(holder)}${where(w.holderSite[i] as number, process)}`;
      message += '. A deadlock, or a wait nobody would end?';
      out.push({ severity: 'warning', message, site: (w.site[i] as number) >= 0 ? (w.site[i] as number) : null, process });
    }
    for (const { first: i, tasks } of pending.values()) {
      const lane = w.lane[i] as number;
      const process = lanes[lane]?.process ?? 0;
      const obj = objects[w.object[i] as number];
      const reason = WAIT_REASONS[w.reason[i] as number] ?? 'wait';
      const who = tasks === 1 ? `task ${laneName(lane)} was` : `${tasks} tasks (${laneName(lane)} first) were`;
      let message = `${who} still awaiting${where(w.site[i] as number, process)} (${reason}) on ${obj ? objLabel(obj) : 'an unknown object'} when the process ended`;
      const holder = w.holderLane[i] as number;
      const holderKind = lanes[holder]?.kind;
      if (holder >= 0) message += `; it was held by ${holderKind === 'task' || holderKind === 'greenlet' ? holderKind : 'thread'} ${laneName(holder)}${where(w.holderSite[i] as number, process)}`;
      // Pending awaits of sockets, sleeps or child tasks are how a stopped server ends; one
      // that waits for an asyncio lock or semaphore may be a deadlock.
      const lockLike = obj !== undefined && EXCLUSIVE_KINDS.has(obj.kind);
      if (lockLike) message += '. A deadlock, or a wait nobody would end?';
      out.push({ severity: lockLike ? 'warning' : 'info', message, site: (w.site[i] as number) >= 0 ? (w.site[i] as number) : null, process });
    }

    // Time neither on the CPU nor in a recorded wait is GIL wait only if other threads of the
    // process were running Python meanwhile (one of them held the GIL); otherwise the thread
    // was blocked in a call Weft does not record (I/O, select, a C extension).
    const threadTimes = d.threadTimes();
    // Threads that run an asyncio loop: their time outside waits is mostly the loop waiting in
    // select for I/O or timers, which the tasks' awaits already account for.
    // A thread running greenlets idles the same way, in its hub's C event loop (gevent, eventlet).
    const loopThreads = new Map<number, 'task' | 'greenlet'>();
    for (const l of lanes) {
      if ((l.kind === 'task' || l.kind === 'greenlet') && l.parentLane !== null && !loopThreads.has(l.parentLane)) loopThreads.set(l.parentLane, l.kind);
    }
    const processCpu = new Map<number, number>();
    for (const t of threadTimes) {
      const p = lanes[t.lane]?.process;
      if (p !== undefined && t.cpuNs !== null) processCpu.set(p, (processCpu.get(p) ?? 0) + t.cpuNs);
    }
    for (const t of threadTimes) {
      const g = t.gilWaitEstimateNs;
      if (g === null || g < T.gilNs || t.wallNs <= 0 || g / t.wallNs < T.gilShare) continue;
      const lane = lanes[t.lane];
      // multiprocessing's own helpers (resource tracker, fork server) idle by design.
      if (processes[lane?.process ?? -1]?.startMethod === 'helper') continue;
      const others = (processCpu.get(lane?.process ?? -1) ?? 0) - (t.cpuNs ?? 0);
      const loopKind = loopThreads.get(t.lane);
      if (loopKind !== undefined) {
        const what = loopKind === 'greenlet'
          ? 'runs greenlets and spent about'
          : 'runs an asyncio event loop and spent about';
        const why = loopKind === 'greenlet'
          ? 'mostly its hub waiting for I/O or timers (the greenlets\' waits say for what)'
          : 'mostly its loop waiting for I/O or timers (the tasks\' awaits say for what)';
        out.push({
          severity: 'info', site: lane?.startSite ?? null, process: lane?.process ?? null,
          message: `thread ${laneName(t.lane)} ${what} ${formatDuration(g)} (${Math.round((100 * g) / t.wallNs)}% of its life; an estimate) neither on the CPU nor in a recorded wait: ${why}.`,
        });
        continue;
      }
      const share = `${formatDuration(g)} (${Math.round((100 * g) / t.wallNs)}% of its life; an estimate)`;
      const message = others >= g * T.gilOthersShare
        ? `thread ${laneName(t.lane)} was runnable but not running for about ${share}: most likely waiting for the GIL while other threads ran Python code (${formatDuration(others)} of CPU).`
        : `thread ${laneName(t.lane)} spent about ${share} neither on the CPU nor in a recorded wait, while the other threads of its process used little CPU: blocked in a call Weft does not record (I/O, select, a C extension), not waiting for the GIL.`;
      out.push({ severity: 'info', message, site: lane?.startSite ?? null, process: lane?.process ?? null });
    }

    // asyncio: one finding per loop thread whose loop was blocked, at its longest block's line.
    const byLoop = new Map<number, LoopBlock[]>();
    for (const b of d.loopBlocks?.() ?? []) {
      const list = byLoop.get(b.loopLane) ?? [];
      list.push(b);
      byLoop.set(b.loopLane, list);
    }
    for (const [loop, blocks] of byLoop) {
      const longest = blocks.reduce((a, b) => (b.durationNs > a.durationNs ? b : a));
      const total = blocks.reduce((n, b) => n + b.durationNs, 0);
      const process = lanes[loop]?.process ?? 0;
      // A greenlet that runs without switching holds its hub the same way (gevent, eventlet).
      const green = longest.taskLane !== null && lanes[longest.taskLane]?.kind === 'greenlet';
      const by = longest.taskLane === null ? 'a callback' : `${green ? 'greenlet' : 'task'} ${laneName(longest.taskLane)}`;
      const line = longest.site === null ? ' (line unknown)' : `${where(longest.site, process)}${longest.siteSource === 'samples' ? ' (from samples)' : ''}`;
      const loopName = green ? `the hub of thread ${laneName(loop)}` : `the asyncio event loop of thread ${laneName(loop)}`;
      const head = blocks.length === 1
        ? `${loopName} was blocked ${formatDuration(total)}`
        : `${loopName} was blocked ${blocks.length} times, ${formatDuration(total)} in total; the longest, ${formatDuration(longest.durationNs)},`;
      const advice = green
        ? 'nothing else ran on the hub meanwhile (a long computation or a blocking C call in a greenlet? run it in the hub\'s threadpool or call gevent.sleep(0) in the loop)'
        : 'nothing else ran on the loop meanwhile (a blocking call in a coroutine? run it with asyncio.to_thread)';
      const delayed = longest.delayedLanes.length > 0 ? `, delaying ${longest.delayedLanes.length} task${longest.delayedLanes.length === 1 ? '' : 's'}` : '';
      out.push({
        severity: 'warning', site: longest.site, process,
        message: `${head} by ${by}${line}${delayed}: ${advice}.`,
      });
    }

    for (const p of processes) {
      if (p.endReason !== null && p.endReason.startsWith('killed') && p.endedByParent !== true) {
        out.push({ severity: 'warning', message: `${p.label ?? p.argv.join(' ')}, pid ${p.pid}, was ${p.endReason}.`, site: null, process: p.index });
      }
    }
    this.result = out;
  }

  data(): Diagnostic[] {
    return ready(this.result, 'DiagnosticsHandler');
  }
}
