/**
 * The summary: TraceModel -> {@link Summary} (the documented JSON of schema.ts) -> readable
 * text for the terminal. Pure functions, no Node import: the extension can show the same.
 */
import type { TraceModel } from '../model/types';
import { SUMMARY_SCHEMA_VERSION, type SiteRef, type Summary, type ThreadStat } from './schema';

/** ns -> ms, rounded to the microsecond. */
const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

export interface SummaryLimits {
  locks: number;
  hotspots: number;
}

export function buildSummary(model: TraceModel, limits: SummaryLimits = { locks: 50, hotspots: 30 }): Summary {
  const siteRef = (i: number | null): SiteRef | null => {
    if (i === null || i < 0) return null;
    const s = model.sites[i];
    return s === undefined ? null : { file: s.file, line: s.line, func: s.func };
  };
  const laneName = (i: number): string => model.lanes[i]?.name ?? `lane ${i}`;
  const stat = (h: { lane: number; site: number | null; waits: number; waitNs: number }): ThreadStat => ({
    thread: laneName(h.lane), site: siteRef(h.site), waits: h.waits, waitMs: ms(h.waitNs),
  });
  const processes = model.processes.map((p) => ({
    pid: p.pid, ppid: p.ppid, startMethod: p.startMethod, exitCode: p.exitCode, endReason: p.endReason, argv: [...p.argv],
    complete: p.complete, durationMs: ms(p.endNs - p.startNs),
    threads: model.lanes.filter((l) => l.process === p.index && l.kind === 'thread').map((l) => {
      const t = model.threadTimes[l.index];
      const waitMs: Record<string, number> = {};
      for (const [k, v] of Object.entries(t?.waitNs ?? {})) waitMs[k] = ms(v ?? 0);
      return {
        name: l.name, tid: l.tid, nativeId: l.nativeId, daemon: l.daemon,
        runMs: ms(t?.wallNs ?? 0),
        cpuMs: t !== undefined && t.cpuNs !== null ? ms(t.cpuNs) : null,
        waitMs,
        gilWaitEstimateMs: t !== undefined && t.gilWaitEstimateNs !== null ? ms(t.gilWaitEstimateNs) : null,
      };
    }),
  }));
  const locks = model.locks.slice(0, limits.locks).map((l) => {
    const o = model.objects[l.object];
    return {
      kind: o?.kind ?? 'lock', name: o?.name ?? '',
      pid: o === undefined ? 0 : (model.processes[o.process]?.pid ?? 0),
      site: siteRef(o?.site ?? null),
      acquisitions: l.acquisitions, contentions: l.contentions, waitMs: ms(l.waitNs),
      maxWaitMs: ms(l.maxWaitNs), p50WaitMs: ms(l.p50WaitNs), p95WaitMs: ms(l.p95WaitNs),
      contendedHoldMs: ms(l.contendedHoldNs),
      holders: l.holders.map(stat),
      waiters: l.waiters.map(stat),
    };
  });
  const hotspots = model.hotspots.slice(0, limits.hotspots).flatMap((h) => {
    const s = model.sites[h.site];
    return s === undefined ? [] : [{ file: s.file, line: s.line, func: s.func, cpuMs: ms(h.cpuNs), waitMs: ms(h.waitNs), samples: h.samples }];
  });
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    formatVersion: model.formatVersion,
    durationMs: ms(model.endNs - model.startNs),
    processes,
    locks,
    hotspots,
    diagnostics: model.diagnostics.map((d) => ({
      severity: d.severity, message: d.message, site: siteRef(d.site),
      pid: d.process === null ? null : (model.processes[d.process]?.pid ?? null),
    })),
    warnings: [...model.warnings],
    omitted: { locks: Math.max(0, model.locks.length - limits.locks), hotspots: Math.max(0, model.hotspots.length - limits.hotspots) },
  };
}

/** `file` relative to `cwd` when it is inside it, else unchanged. */
export function displayPath(file: string, cwd: string): string {
  if (cwd === '') return file;
  const base = cwd.endsWith('/') || cwd.endsWith('\\') ? cwd : `${cwd}${cwd.includes('\\') && !cwd.includes('/') ? '\\' : '/'}`;
  return file.startsWith(base) ? file.slice(base.length) : file;
}

/** A duration in ms, with a unit, to about three significant digits. */
export function formatMs(v: number): string {
  if (v >= 10_000) return `${(v / 1000).toFixed(1)} s`;
  if (v >= 1000) return `${(v / 1000).toFixed(2)} s`;
  if (v >= 100) return `${v.toFixed(0)} ms`;
  if (v >= 10) return `${v.toFixed(1)} ms`;
  return `${v.toFixed(2)} ms`;
}

function where(s: SiteRef | null, cwd: string): string {
  return s === null ? '?' : `${displayPath(s.file, cwd)}:${s.line}`;
}

/** " at file:line", or nothing when the line is unknown. */
function at(s: SiteRef | null, cwd: string): string {
  return s === null ? '' : ` at ${where(s, cwd)}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The readable report printed by `weft run` (to stderr) and `weft summary`. Paths are shown
 * relative to `cwd` when inside it.
 */
export function formatSummary(s: Summary, cwd: string, opts: { maxLocks?: number; maxHotspots?: number } = {}): string {
  const out: string[] = [];
  const threads = s.processes.reduce((n, p) => n + p.threads.length, 0);
  const procs = s.processes.length;
  out.push(`Weft summary: ${formatMs(s.durationMs)}, ${procs} process${procs === 1 ? '' : 'es'}, ${plural(threads, 'thread')}`);

  if (s.diagnostics.length > 0) {
    out.push('', 'Findings:');
    for (const d of s.diagnostics) out.push(`  ${d.severity}: ${d.message}`);
  }

  const contended = s.locks.filter((l) => l.contentions > 0);
  out.push('');
  if (contended.length === 0) out.push('No thread waited on a lock or other synchronisation object.');
  else out.push('Contended synchronisation (most total wait first):');
  for (const l of contended.slice(0, opts.maxLocks ?? 8)) {
    out.push(`  ${l.kind}${l.name ? ` "${l.name}"` : ''} created at ${where(l.site, cwd)}${s.processes.length > 1 ? ` (pid ${l.pid})` : ''}`);
    const isLock = l.kind === 'lock' || l.kind === 'rlock' || l.kind === 'mp_lock' || l.kind === 'mp_rlock';
    // Acquisitions of other kinds count their internal lock's, which means little to a reader.
    const counted = isLock ? `${plural(l.contentions, 'wait')} in ${plural(l.acquisitions, 'acquisition')}` : plural(l.contentions, 'wait');
    out.push(`    ${counted}; ${formatMs(l.waitMs)} waited in total (p50 ${formatMs(l.p50WaitMs)}, p95 ${formatMs(l.p95WaitMs)}, max ${formatMs(l.maxWaitMs)})`);
    for (const h of l.holders.slice(0, 3)) {
      out.push(`    ${isLock ? 'held by   ' : 'woken by  '} ${h.thread}${at(h.site, cwd)}: ${plural(h.waits, 'wait')}, ${formatMs(h.waitMs)}`);
    }
    for (const w of l.waiters.slice(0, 3)) {
      out.push(`    waited in  ${w.thread}${at(w.site, cwd)}: ${plural(w.waits, 'wait')}, ${formatMs(w.waitMs)}`);
    }
  }
  if (contended.length > (opts.maxLocks ?? 8)) out.push(`  ... and ${contended.length - (opts.maxLocks ?? 8)} more (weft summary --json lists them).`);

  for (const p of s.processes) {
    const status = p.exitCode !== null ? `exit ${p.exitCode}` : (p.endReason ?? 'end unknown');
    out.push('', `Process ${p.pid} (${p.startMethod}, ${status}${p.complete ? '' : ', trace cut short'}): ${p.argv.join(' ')}`);
    const rows = p.threads.map((t) => {
      const waits = Object.entries(t.waitMs).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${formatMs(v)}`).join(', ');
      return [
        t.name, formatMs(t.runMs), t.cpuMs === null ? '?' : formatMs(t.cpuMs), waits === '' ? '-' : waits,
        t.gilWaitEstimateMs === null ? '?' : formatMs(t.gilWaitEstimateMs),
      ];
    });
    const head = ['thread', 'alive', 'running (CPU)', 'waiting, by reason', 'GIL wait (estimate)'];
    const width = head.map((h, i) => Math.min(i === 3 ? 48 : 24, Math.max(h.length, ...rows.map((r) => (r[i] as string).length))));
    const fmt = (r: string[]): string => `  ${r.map((c, i) => {
      const w = width[i] as number;
      const cell = c.length > w ? `${c.slice(0, w - 1)}…` : c;
      return i === 1 || i === 2 ? cell.padStart(w) : cell.padEnd(w);
    }).join('  ').trimEnd()}`;
    out.push(fmt(head));
    for (const r of rows) out.push(fmt(r));
  }

  if (s.hotspots.length > 0) {
    out.push('', 'Hotspots (from samples, estimates; running / waiting):');
    const shown = s.hotspots.slice(0, opts.maxHotspots ?? 8);
    const locs = shown.map((h) => `${displayPath(h.file, cwd)}:${h.line}`);
    const w = Math.min(60, Math.max(...locs.map((l) => l.length)));
    shown.forEach((h, i) => {
      out.push(`  ${(locs[i] as string).padEnd(w)}  ${formatMs(h.cpuMs).padStart(9)} / ${formatMs(h.waitMs).padStart(9)}  ${h.func}`);
    });
  }

  if (s.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const w of s.warnings) out.push(`  ${w}`);
  }
  return `${out.join('\n')}\n`;
}
