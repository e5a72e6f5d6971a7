/** Turns a TraceModel into the summary data (schema.ts) and its readable text form. */
import type { TraceModel } from '../model/types';
import { SUMMARY_SCHEMA_VERSION, type SiteRef, type Summary } from './schema';

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

export function buildSummary(model: TraceModel, limits = { locks: 50, hotspots: 30 }): Summary {
  const siteRef = (i: number | null): SiteRef | null => {
    if (i === null || i < 0) return null;
    const s = model.sites[i];
    return s ? { file: s.file, line: s.line, func: s.func } : null;
  };
  const laneName = (i: number): string => model.lanes[i]?.name ?? `lane ${i}`;
  const processes = model.processes.map((p) => ({
    pid: p.pid, ppid: p.ppid, startMethod: p.startMethod, exitCode: p.exitCode, argv: p.argv,
    complete: p.complete,
    threads: model.lanes.filter((l) => l.process === p.index && l.kind === 'thread').map((l) => {
      const t = model.threadTimes[l.index];
      const waitMs: Record<string, number> = {};
      for (const [k, v] of Object.entries(t?.waitNs ?? {})) waitMs[k] = ms(v ?? 0);
      return {
        name: l.name, tid: l.tid, nativeId: l.nativeId, daemon: l.daemon,
        runMs: ms(t?.wallNs ?? 0),
        cpuMs: t && t.cpuNs !== null ? ms(t.cpuNs) : null,
        waitMs,
        gilWaitEstimateMs: t && t.gilWaitEstimateNs !== null ? ms(t.gilWaitEstimateNs) : null,
      };
    }),
  }));
  const locks = model.locks.slice(0, limits.locks).map((l) => {
    const o = model.objects[l.object];
    return {
      kind: o?.kind ?? 'lock', name: o?.name ?? '',
      pid: o ? (model.processes[o.process]?.pid ?? 0) : 0,
      site: siteRef(o?.site ?? null),
      acquisitions: l.acquisitions, contentions: l.contentions, waitMs: ms(l.waitNs),
      maxWaitMs: ms(l.maxWaitNs), p50WaitMs: ms(l.p50WaitNs), p95WaitMs: ms(l.p95WaitNs),
      contendedHoldMs: ms(l.contendedHoldNs),
      holders: l.holders.map((h) => ({ thread: laneName(h.lane), site: siteRef(h.site), waits: h.waits, waitMs: ms(h.waitNs) })),
      waiters: l.waiters.map((h) => ({ thread: laneName(h.lane), site: siteRef(h.site), waits: h.waits, waitMs: ms(h.waitNs) })),
    };
  });
  const hotspots = model.hotspots.slice(0, limits.hotspots).flatMap((h) => {
    const s = model.sites[h.site];
    return s ? [{ file: s.file, line: s.line, func: s.func, cpuMs: ms(h.cpuNs), waitMs: ms(h.waitNs) }] : [];
  });
  return {
    schemaVersion: SUMMARY_SCHEMA_VERSION,
    durationMs: ms(model.endNs - model.startNs),
    processes,
    locks,
    hotspots,
    diagnostics: model.diagnostics.map((d) => ({ severity: d.severity, message: d.message, site: siteRef(d.site) })),
    warnings: [...model.warnings],
  };
}

function where(s: SiteRef | null, cwd: string): string {
  if (!s) return '?';
  const file = s.file.startsWith(cwd + '/') ? s.file.slice(cwd.length + 1) : s.file;
  return `${file}:${s.line}`;
}

const f = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));

/** The readable report printed by `weft run` and `weft summary`. */
export function formatSummary(s: Summary, cwd: string): string {
  const out: string[] = [];
  out.push(`Weft summary: ${f(s.durationMs)} ms, ${s.processes.length} process(es)`);
  for (const w of s.warnings) out.push(`  warning: ${w}`);
  out.push('');
  const contended = s.locks.filter((l) => l.contentions > 0);
  out.push(contended.length ? 'Contended synchronisation (by total wait):' : 'No contended locks or waits on synchronisation objects.');
  for (const l of contended.slice(0, 10)) {
    out.push(`  ${l.kind} ${l.name ? `"${l.name}" ` : ''}created at ${where(l.site, cwd)}`);
    out.push(`    ${l.contentions} waits / ${l.acquisitions} acquisitions, total ${f(l.waitMs)} ms, p50 ${f(l.p50WaitMs)} ms, p95 ${f(l.p95WaitMs)} ms, max ${f(l.maxWaitMs)} ms`);
    const verb = l.kind === 'lock' || l.kind === 'rlock' ? 'held by  ' : 'woken by ';
    for (const h of l.holders.slice(0, 3)) out.push(`    ${verb} ${h.thread} at ${where(h.site, cwd)}: ${h.waits} waits, ${f(h.waitMs)} ms`);
    for (const h of l.waiters.slice(0, 3)) out.push(`    waited in ${h.thread} at ${where(h.site, cwd)}: ${h.waits} waits, ${f(h.waitMs)} ms`);
  }
  out.push('');
  for (const p of s.processes) {
    out.push(`Process ${p.pid} (${p.startMethod}${p.exitCode !== null ? `, exit ${p.exitCode}` : ''}${p.complete ? '' : ', cut short'}): ${p.argv.join(' ')}`);
    out.push('  thread                 alive ms     cpu ms   waiting ms (by reason)                       GIL wait (est.)');
    for (const t of p.threads) {
      const waits = Object.entries(t.waitMs).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${f(v)}`).join(', ') || '-';
      out.push(`  ${t.name.padEnd(20).slice(0, 20)} ${f(t.runMs).padStart(9)} ${(t.cpuMs === null ? '?' : f(t.cpuMs)).padStart(10)}   ${waits.padEnd(44).slice(0, 44)} ${t.gilWaitEstimateMs === null ? '?' : f(t.gilWaitEstimateMs)}`);
    }
  }
  if (s.hotspots.length) {
    out.push('');
    out.push('Hotspots (sampled; running / waiting ms):');
    for (const h of s.hotspots.slice(0, 8)) out.push(`  ${where({ ...h }, cwd).padEnd(50)} ${f(h.cpuMs).padStart(8)} / ${f(h.waitMs).padStart(8)}  ${h.func}`);
  }
  if (s.diagnostics.length) {
    out.push('');
    for (const d of s.diagnostics) out.push(`${d.severity}: ${d.message}`);
  }
  return out.join('\n') + '\n';
}
