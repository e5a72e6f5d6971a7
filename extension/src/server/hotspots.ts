/**
 * Hotspots inline: turns a trace's Summary into per-line facts (which source lines threads
 * waited at, held a contended object at, created it at, or spent sampled CPU at) and formats
 * them as CodeLens titles, hover markdown and diagnostics.
 *
 * Pure on purpose: no `vscode` and no LSP import, so that it is unit-tested with plain objects
 * and so that the same facts could feed another editor. The language server (server.ts) only
 * maps these plain records to LSP types; the facts themselves are computed where the trace is
 * read (the trace worker, see trace-loader.ts), never on the extension host's thread.
 *
 * Lines: facts carry the trace's 1-based line numbers; `lspLine` converts to LSP's 0-based.
 */
import * as path from 'node:path';
import type { HotspotSummary, LockSummary, LoopBlockSummary, SiteRef, Summary } from '../../../runtime/src/summary/schema';
import { displayPath, formatMs } from '../../../runtime/src/summary/summary';
import { addFunctionFacts, functionHoverMarkdown, functionLensTitle, type FunctionFact } from './function-times';
import { addProblemFacts, type ProblemCode, type ProblemFact, type RelatedFact } from './problems';

export type { ProblemFact, RelatedFact } from './problems';

/** Waits made at this line on one object. */
export interface WaitFact {
  /** The object's readable name, or "<kind>" when it has none. */
  object: string;
  kind: string;
  /** Waits at this line on the object, and their total duration. */
  waits: number;
  waitMs: number;
  /**
   * Percentile and maximum of single waits on the whole object: the Summary keeps them per
   * object, not per line. Exact for this line when `lineIsOnlySite`.
   */
  objectP95Ms: number;
  objectMaxMs: number;
  /** True when every wait on the object was made at this line. */
  lineIsOnlySite: boolean;
  /** Top holders of the object (who made these waits), most first, at most 3. */
  holders: HolderFact[];
  /** The line of the top holder whose line is known (the lens's "held at"), or null. */
  heldAt: { file: string; line: number } | null;
}

export interface HolderFact {
  thread: string;
  /** Where the holder was (absolute path and 1-based line), or null when unknown. */
  file: string | null;
  line: number | null;
  waits: number;
  waitMs: number;
}

/** This line held a contended object while others waited (the holder's line). */
export interface HoldFact {
  object: string;
  kind: string;
  /** Waits of other threads that began while a thread held the object at this line. */
  waits: number;
  waitMs: number;
  /** Threads that held it here, most first. */
  threads: string[];
}

/** This line created an object that made threads wait. */
export interface CreationFact {
  object: string;
  kind: string;
  contentions: number;
  waitMs: number;
  p95Ms: number;
}

/** Sampled time with this line innermost. */
export interface CpuFact {
  func: string;
  samples: number;
  cpuMs: number;
  waitMs: number;
}

/** asyncio: event-loop blocks whose running line was this one, aggregated over the blocks. */
export interface LoopBlockFact {
  /** Blocks at this line, their total and the longest (ms). */
  count: number;
  totalMs: number;
  maxMs: number;
  /** Tasks whose steps blocked here, longest block first, at most 3 ("" stands for a plain
   * callback). */
  tasks: string[];
  /** How many distinct tasks blocked here (tasks may be cut to 3). */
  taskCount: number;
  /** The most tasks one of the blocks delayed. */
  maxDelayed: number;
  /** "wait" when every block's line is a recorded blocking call (exact), else "samples" (the
   * line most samples showed: an estimate). */
  siteSource: 'wait' | 'samples';
}

/** GPU: the host waited here for a GPU queue (gpu_sync: finish, synchronize, blocking copies). */
export interface GpuStallFact {
  /** The queue's lane name ("pthread-AMD EPYC queue 1", "NVIDIA H200 default stream"). */
  queue: string;
  waits: number;
  waitMs: number;
  /** The operation that ended last within the line's longest wait, or null. */
  waitedFor: { kind: string; name: string } | null;
}

/** Everything known about one source line. */
export interface LineFacts {
  /** Absolute path of the file. */
  file: string;
  /** 1-based, as in the trace. */
  line: number;
  waits: WaitFact[];
  holds: HoldFact[];
  created: CreationFact[];
  cpu: CpuFact | null;
  /** Wall time of the whole run (Summary.durationMs), for shares. */
  runMs: number;
  /** asyncio event-loop blocks at this line; absent when none (and in facts of older hosts). */
  loopBlocks?: LoopBlockFact;
  /** GPU stalls at this line, longest first; absent when none (and in facts of older hosts). */
  gpuStalls?: GpuStallFact[];
  /** Sampled time of the function defined at this line (function-times.ts); absent when none. */
  function?: FunctionFact;
  /** Deadlocks, hangs, lock-order inversions and locks held across blocking calls at this
   * line (problems.ts); absent when none. */
  problems?: ProblemFact[];
}

export const WARNING_SHARE = 0.1;

/** The object's display name: its variable name, else its kind in angle brackets. */
function objectName(l: LockSummary): string {
  return l.name !== '' ? l.name : `<${l.kind}>`;
}

/**
 * A trace's file name as an absolute path, or null for pseudo-files ("<string>", frozen
 * modules) that are not on disk. The Summary's paths are already absolute when the agent knew
 * the process's cwd; a relative one is resolved against the run's cwd.
 */
export function resolveTraceFile(file: string, cwd: string | null): string | null {
  if (file === '' || (file.startsWith('<') && file.endsWith('>'))) return null;
  if (path.isAbsolute(file)) return path.normalize(file);
  return cwd ? path.resolve(cwd, file) : null;
}

/** Summary → facts for every line that has any, sorted by file then line. */
export function lineFactsFromSummary(summary: Summary, cwd: string | null): LineFacts[] {
  const byKey = new Map<string, LineFacts>();
  const at = (site: SiteRef | null): LineFacts | null => {
    if (!site) return null;
    const file = resolveTraceFile(site.file, cwd);
    if (!file) return null;
    const key = `${file}\0${site.line}`;
    let f = byKey.get(key);
    if (!f) {
      f = { file, line: site.line, waits: [], holds: [], created: [], cpu: null, runMs: summary.durationMs };
      byKey.set(key, f);
    }
    return f;
  };

  for (const lock of summary.locks) {
    if (lock.contentions === 0) continue;
    const object = objectName(lock);
    const holders: HolderFact[] = lock.holders.slice(0, 3).map((h) => {
      const file = h.site ? resolveTraceFile(h.site.file, cwd) : null;
      return { thread: h.thread, file, line: file && h.site ? h.site.line : null, waits: h.waits, waitMs: h.waitMs };
    });
    // The agent does not always catch the holder's line; the lens names the top known one.
    let heldAt: WaitFact['heldAt'] = null;
    for (const h of lock.holders) {
      const file = h.site ? resolveTraceFile(h.site.file, cwd) : null;
      if (file && h.site) {
        heldAt = { file, line: h.site.line };
        break;
      }
    }
    // Waiters are per (thread, line); a line's row sums its threads.
    const waitsAt = new Map<LineFacts, WaitFact>();
    for (const w of lock.waiters) {
      const f = at(w.site);
      if (!f) continue;
      let fact = waitsAt.get(f);
      if (!fact) {
        fact = {
          object, kind: lock.kind, waits: 0, waitMs: 0, objectP95Ms: lock.p95WaitMs, objectMaxMs: lock.maxWaitMs,
          lineIsOnlySite: false, holders, heldAt,
        };
        waitsAt.set(f, fact);
        f.waits.push(fact);
      }
      fact.waits += w.waits;
      fact.waitMs += w.waitMs;
    }
    for (const fact of waitsAt.values()) fact.lineIsOnlySite = fact.waits === lock.contentions;

    const holdsAt = new Map<LineFacts, HoldFact>();
    for (const h of lock.holders) {
      const f = at(h.site);
      if (!f) continue;
      let fact = holdsAt.get(f);
      if (!fact) {
        fact = { object, kind: lock.kind, waits: 0, waitMs: 0, threads: [] };
        holdsAt.set(f, fact);
        f.holds.push(fact);
      }
      fact.waits += h.waits;
      fact.waitMs += h.waitMs;
      if (!fact.threads.includes(h.thread)) fact.threads.push(h.thread);
    }

    const c = at(lock.site);
    c?.created.push({ object, kind: lock.kind, contentions: lock.contentions, waitMs: lock.waitMs, p95Ms: lock.p95WaitMs });
  }

  for (const h of summary.hotspots) addCpu(at({ file: h.file, line: h.line, func: h.func }), h);

  for (const b of summary.loopBlocks ?? []) {
    if (b.file === null || b.line === null) continue;
    addLoopBlock(at({ file: b.file, line: b.line, func: b.function ?? '' }), b);
  }

  for (const q of summary.gpu ?? []) {
    for (const st of q.stalls) {
      const f = at(st.site);
      if (!f) continue;
      const facts = (f.gpuStalls ??= []);
      // A line that waits for one queue from several threads is one fact.
      const known = facts.find((x) => x.queue === q.name);
      if (known) {
        known.waits += st.waits;
        known.waitMs = Math.round((known.waitMs + st.waitMs) * 1e3) / 1e3;
        known.waitedFor ??= st.waitedFor ?? null;
      } else {
        facts.push({ queue: q.name, waits: st.waits, waitMs: st.waitMs, waitedFor: st.waitedFor ?? null });
      }
    }
  }

  addFunctionFacts(summary, (file, line) => at({ file, line, func: '' }), (file) => resolveTraceFile(file, cwd));
  addProblemFacts(summary, at, (site) => resolveTraceFile(site.file, cwd));

  const out = [...byKey.values()];
  for (const f of out) {
    f.gpuStalls?.sort((a, b) => b.waitMs - a.waitMs);
    f.waits.sort((a, b) => b.waitMs - a.waitMs);
    f.holds.sort((a, b) => b.waitMs - a.waitMs);
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

function addCpu(f: LineFacts | null, h: HotspotSummary): void {
  if (!f) return;
  // A line can appear once per function name only in pathological traces (two functions on
  // one line, e.g. a lambda); their samples add up.
  if (f.cpu) {
    f.cpu.samples += h.samples;
    f.cpu.cpuMs += h.cpuMs;
    f.cpu.waitMs += h.waitMs;
  } else {
    f.cpu = { func: h.func, samples: h.samples, cpuMs: h.cpuMs, waitMs: h.waitMs };
  }
}

/** Blocks arrive longest first (the Summary's order), so the first task named blocked longest. */
function addLoopBlock(f: LineFacts | null, b: LoopBlockSummary): void {
  if (!f) return;
  const task = b.task ?? '';
  const source = b.siteSource === 'samples' ? 'samples' : 'wait';
  const fact = f.loopBlocks;
  if (!fact) {
    f.loopBlocks = { count: 1, totalMs: b.durationMs, maxMs: b.durationMs, tasks: [task], taskCount: 1, maxDelayed: b.delayedCount, siteSource: source };
    return;
  }
  fact.count++;
  fact.totalMs = Math.round((fact.totalMs + b.durationMs) * 1e3) / 1e3;
  fact.maxMs = Math.max(fact.maxMs, b.durationMs);
  fact.maxDelayed = Math.max(fact.maxDelayed, b.delayedCount);
  if (source === 'samples') fact.siteSource = 'samples';
  if (!fact.tasks.includes(task)) {
    fact.taskCount++;
    if (fact.tasks.length < 3) fact.tasks.push(task);
  }
}

/** LSP's 0-based line of a fact. */
export const lspLine = (f: LineFacts): number => Math.max(0, f.line - 1);

/** `path` relative to `cwd` when inside it (shorter in a lens), else as is; the summary's rule. */
function shortPath(file: string, cwd: string | null): string {
  return cwd ? displayPath(file, cwd) : path.basename(file);
}

const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Time threads spent blocked waiting at this line (all objects). */
export const blockedMs = (f: LineFacts): number => f.waits.reduce((s, w) => s + w.waitMs, 0);
/** Time others waited while the object was held at this line. */
export const causedMs = (f: LineFacts): number => f.holds.reduce((s, h) => s + h.waitMs, 0);

/**
 * `ms` as a share of the run's wall time. Blocked time is summed over threads, so several
 * threads waiting at once can exceed the wall time: then it is said as a multiple.
 */
function share(ms: number, runMs: number, who = 'threads'): string {
  if (runMs <= 0) return 'of a run of unknown length';
  const p = (100 * ms) / runMs;
  if (p > 100) return `${(ms / runMs).toFixed(1)}× the run's wall time, ${who} waiting at once`;
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}% of the run`;
}

/**
 * The CodeLens title: the line's most costly fact first. Wait sites read
 * `Weft: 458 waits on bank_lock · 2.10 s blocked · p95 23.6 ms · held at bank_transfer.py:42`.
 */
export function lensTitle(f: LineFacts, cwd: string | null): string {
  const w = f.waits[0];
  if (w) {
    const parts = [`Weft: ${plural(w.waits, 'wait')} on ${w.object}`, `${formatMs(w.waitMs)} blocked`, `p95 ${formatMs(w.objectP95Ms)}`];
    if (w.heldAt) parts.push(`held at ${shortPath(w.heldAt.file, cwd)}:${w.heldAt.line}`);
    if (f.waits.length > 1) parts.push(`+${f.waits.length - 1} more`);
    return parts.join(' · ');
  }
  const hold = f.holds[0];
  if (hold) {
    return [`Weft: ${hold.object} held here while others waited ${plural(hold.waits, 'time')}`, `${formatMs(hold.waitMs)} blocked`, `by ${hold.threads.join(', ')}`].join(' · ');
  }
  const c = f.created[0];
  if (c) return [`Weft: ${c.object} (${c.kind}) created here`, plural(c.contentions, 'wait'), `${formatMs(c.waitMs)} blocked`, `p95 ${formatMs(c.p95Ms)}`].join(' · ');
  const cpu = f.cpu;
  if (cpu) return `Weft: CPU hotspot · ${plural(cpu.samples, 'sample')} · ~${formatMs(cpu.cpuMs)} running · ~${formatMs(cpu.waitMs)} waiting`;
  return 'Weft';
}

/** "task Task-2", "tasks Task-2, Task-5 +1", "a callback". */
function whoBlocked(b: LoopBlockFact): string {
  const names = b.tasks.map((t) => (t === '' ? 'a callback' : t));
  const more = b.taskCount > b.tasks.length ? ` +${b.taskCount - b.tasks.length}` : '';
  if (b.taskCount === 1) return b.tasks[0] === '' ? 'a callback' : `task ${b.tasks[0]}`;
  return `tasks ${names.join(', ')}${more}`;
}

/** How many tasks waited: "3 tasks delayed", "up to 3 tasks delayed" (several blocks), or null. */
function delayedText(b: LoopBlockFact): string | null {
  if (b.maxDelayed === 0) return null;
  return `${b.count > 1 ? 'up to ' : ''}${plural(b.maxDelayed, 'task')} delayed`;
}

/**
 * The loop-block sentence of a line: `event loop blocked 300 ms (task Task-2; 3 tasks delayed)`,
 * or for several blocks `event loop blocked 3 times here, 900 ms in total, longest 300 ms (...)`.
 * Null when no block ran this line.
 */
export function loopBlockMessage(f: LineFacts): string | null {
  const b = f.loopBlocks;
  if (!b) return null;
  const parts = [whoBlocked(b)];
  const delayed = delayedText(b);
  if (delayed) parts.push(delayed);
  // A line from samples is where most samples were, not a recorded call: say so.
  if (b.siteSource === 'samples') parts.push('line from samples');
  const head = b.count === 1
    ? `event loop blocked ${formatMs(b.maxMs)}`
    : `event loop blocked ${b.count} times here, ${formatMs(b.totalMs)} in total, longest ${formatMs(b.maxMs)}`;
  return `${head} (${parts.join('; ')})`;
}

/**
 * Every lens of a line, most telling first: the loop-block lens (in the lock lens's style,
 * `Weft: event loop blocked 300 ms · task Task-2 · 3 tasks delayed`), then {@link lensTitle}'s
 * when the line has other facts too.
 */
export function lensTitles(f: LineFacts, cwd: string | null): string[] {
  const out: string[] = [];
  // Time per function first: it sits on the def line, above the body's own facts.
  if (f.function) out.push(functionLensTitle(f.function));
  const b = f.loopBlocks;
  if (b) {
    const parts = [b.count === 1 ? `Weft: event loop blocked ${formatMs(b.maxMs)}` : `Weft: event loop blocked ${b.count}× · ${formatMs(b.totalMs)} in total · longest ${formatMs(b.maxMs)}`];
    parts.push(whoBlocked(b));
    const delayed = delayedText(b);
    if (delayed) parts.push(delayed);
    if (b.siteSource === 'samples') parts.push('from samples');
    out.push(parts.join(' · '));
  }
  const g = gpuStallLens(f);
  if (g !== null) out.push(g);
  const problems = f.problems ?? [];
  if (f.waits.length > 0 || f.holds.length > 0 || f.created.length > 0 || f.cpu !== null || (!b && g === null && !f.function && problems.length === 0)) out.push(lensTitle(f, cwd));
  return [...problems.map((p) => p.lens), ...out];
}

/** The problem lenses of a line, with the stall each can show on the timeline (the server
 * makes those a command, `weft.showStall`). Same order as the first titles of lensTitles. */
export function problemLenses(f: LineFacts): { title: string; stall: string | null }[] {
  return (f.problems ?? []).map((p) => ({ title: p.lens, stall: p.stall ?? null }));
}

/** "kernel vadd", "copy device→host 4.0 MB". */
const opText = (op: { kind: string; name: string }): string => `${op.kind} ${op.name}`;

/**
 * The GPU stall lens of a line, `Weft: GPU stall 120 ms: waited for kernel vadd · 3 waits`
 * (the longest-stalled queue's; `+1 queue` when the line waited for others too), or null.
 */
export function gpuStallLens(f: LineFacts): string | null {
  const g = f.gpuStalls?.[0];
  if (!g) return null;
  const parts = [`Weft: GPU stall ${formatMs(g.waitMs)}${g.waitedFor ? `: waited for ${opText(g.waitedFor)}` : ''}`];
  if (g.waits > 1) parts.push(plural(g.waits, 'wait'));
  parts.push(`queue "${g.queue}"`);
  const more = (f.gpuStalls?.length ?? 0) - 1;
  if (more > 0) parts.push(`+${plural(more, 'queue')}`);
  return parts.join(' · ');
}

/** Escapes text for a markdown table cell. */
const cell = (s: string): string => s.replace(/[\\|`*_[\]<>]/g, (c) => `\\${c}`);

/** Hover markdown: tables of the line's waits, holds, creations and samples. */
export function hoverMarkdown(f: LineFacts, cwd: string | null): string {
  const out: string[] = [`**Weft** · ${cell(shortPath(f.file, cwd))}:${f.line}`];
  for (const p of f.problems ?? []) out.push('', `**${cell(p.code)}**: ${cell(p.message)}`);
  const b = f.loopBlocks;
  if (b) {
    out.push('', 'Event loop blocked here (asyncio: nothing else ran on the loop meanwhile)', '',
      '| blocks | total | longest | by | most delayed |', '|---:|---:|---:|---|---:|');
    out.push(`| ${b.count} | ${formatMs(b.totalMs)} | ${formatMs(b.maxMs)} | ${cell(whoBlocked(b))} | ${plural(b.maxDelayed, 'task')} |`);
    if (b.siteSource === 'samples') out.push('', 'The line is the one most stack samples within the blocks showed (an estimate).');
  }
  if (f.gpuStalls && f.gpuStalls.length > 0) {
    out.push('', 'The host waited here for the GPU (gpu_sync)', '', '| queue | waits | total | waited for |', '|---|---:|---:|---|');
    for (const g of f.gpuStalls) out.push(`| ${cell(g.queue)} | ${g.waits} | ${formatMs(g.waitMs)} | ${g.waitedFor ? cell(opText(g.waitedFor)) : 'unknown'} |`);
  }
  if (f.waits.length > 0) {
    out.push('', 'Waits at this line', '', '| object | waits | total | p95 | max |', '|---|---:|---:|---:|---:|');
    for (const w of f.waits) {
      // p95 and max are kept per object in the Summary; mark them when other lines also wait on it.
      const mark = w.lineIsOnlySite ? '' : ' ¹';
      out.push(`| ${cell(w.object)} (${w.kind}) | ${w.waits} | ${formatMs(w.waitMs)} | ${formatMs(w.objectP95Ms)}${mark} | ${formatMs(w.objectMaxMs)}${mark} |`);
    }
    if (f.waits.some((w) => !w.lineIsOnlySite)) out.push('', '¹ over all waits on the object (other lines wait on it too)');
    const holders = f.waits.flatMap((w) => w.holders.map((h) => ({ object: w.object, h })));
    if (holders.length > 0) {
      out.push('', 'Top holders', '', '| object | thread | holder line | waits | blocked |', '|---|---|---|---:|---:|');
      for (const { object, h } of holders) {
        const where = h.file && h.line !== null ? `${shortPath(h.file, cwd)}:${h.line}` : 'unknown';
        out.push(`| ${cell(object)} | ${cell(h.thread)} | ${cell(where)} | ${h.waits} | ${formatMs(h.waitMs)} |`);
      }
    }
  }
  if (f.holds.length > 0) {
    out.push('', 'Held here while others waited', '', '| object | waits | blocked | by |', '|---|---:|---:|---|');
    for (const h of f.holds) out.push(`| ${cell(h.object)} (${h.kind}) | ${h.waits} | ${formatMs(h.waitMs)} | ${cell(h.threads.join(', '))} |`);
  }
  if (f.created.length > 0) {
    out.push('', 'Created here', '', '| object | waits | total | p95 |', '|---|---:|---:|---:|');
    for (const c of f.created) out.push(`| ${cell(c.object)} (${c.kind}) | ${c.contentions} | ${formatMs(c.waitMs)} | ${formatMs(c.p95Ms)} |`);
  }
  if (f.cpu) {
    out.push('', `CPU hotspot in \`${f.cpu.func}\`: ${plural(f.cpu.samples, 'sample')}, ~${formatMs(f.cpu.cpuMs)} running, ~${formatMs(f.cpu.waitMs)} in waits (estimates from samples)`);
  }
  if (f.function) out.push(...functionHoverMarkdown(f.function, (file) => shortPath(file, cwd)));
  return out.join('\n');
}

export interface HotDiagnostic {
  /** 0-based. */
  line: number;
  severity: 'information' | 'warning' | 'error';
  message: string;
  source: 'weft';
  /** Problems of issue 12 only: their code and the other lines they are about. */
  code?: ProblemCode;
  related?: RelatedFact[];
}

/**
 * A diagnostic for a line where threads blocked, or where a held object made others block;
 * null for lines with only a creation site or samples (the lens and hover cover those, and a
 * diagnostic on each would drown the Problems view). Warning at ≥ 10% of the run's wall time.
 */
/**
 * The diagnostic of a line where the event loop was blocked: always a warning (a blocked loop
 * stalls every task, whatever the share of the run), null when none was.
 */
export function loopBlockDiagnosticOf(f: LineFacts): HotDiagnostic | null {
  const message = loopBlockMessage(f);
  return message === null ? null : { line: lspLine(f), severity: 'warning', message, source: 'weft' };
}

/** Every diagnostic of a line: its problems (deadlocks first), the loop block's, then the
 * waits' ({@link diagnosticOf}). */
export function diagnosticsOf(f: LineFacts): HotDiagnostic[] {
  const problems = (f.problems ?? []).map((p): HotDiagnostic => ({
    line: lspLine(f), severity: p.severity, message: p.message, source: 'weft', code: p.code, related: p.related,
  }));
  return [...problems, loopBlockDiagnosticOf(f), diagnosticOf(f)].filter((d): d is HotDiagnostic => d !== null);
}

/** Who waits on these objects: asyncio primitives (kinds `aio_*`) make tasks wait. */
function waiterWord(facts: readonly { kind: string }[]): string {
  return facts.length > 0 && facts.every((x) => x.kind.startsWith('aio_')) ? 'tasks' : 'threads';
}

export function diagnosticOf(f: LineFacts): HotDiagnostic | null {
  const blocked = blockedMs(f);
  const caused = causedMs(f);
  if (blocked <= 0 && caused <= 0) return null;
  let message: string;
  let ms: number;
  if (blocked >= caused) {
    ms = blocked;
    const names = f.waits.map((w) => w.object).join(', ');
    const who = waiterWord(f.waits);
    message = `${who[0]!.toUpperCase()}${who.slice(1)} blocked ${formatMs(blocked)} here waiting on ${names} (${share(blocked, f.runMs, who)})`;
  } else {
    ms = caused;
    const names = f.holds.map((h) => h.object).join(', ');
    const who = waiterWord(f.holds);
    message = `While ${names} was held here, other ${who} blocked ${formatMs(caused)} (${share(caused, f.runMs, who)})`;
  }
  const severity = f.runMs > 0 && ms >= WARNING_SHARE * f.runMs ? 'warning' : 'information';
  return { line: lspLine(f), severity, message, source: 'weft' };
}
