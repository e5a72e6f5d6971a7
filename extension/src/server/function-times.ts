/**
 * Time per function inline (issue 16): a CodeLens above each function's `def` line with its
 * total and self time and its share of the sampled time, as vscode-js-profile-visualizer does
 * for JavaScript, and a hover with the split (on a CPU, not on a CPU, waiting) and its top
 * callers and callees. Pure like hotspots.ts (no `vscode`, no LSP import); hotspots.ts puts
 * these facts on the def line's LineFacts and asks here for the lens and hover text.
 *
 * Gutter heat per line is not drawn: LSP has no gutter decorations and the extension has no
 * decoration mechanism yet; the Summary's `lines[]` has the figures for one.
 */
import type { FunctionSummary, Summary } from '../../../runtime/src/summary/schema';
import { formatMs } from '../../../runtime/src/summary/summary';

/** One function's sampled time (all ESTIMATES from samples), at its def line. */
export interface FunctionFact {
  name: string;
  totalMs: number;
  selfMs: number;
  /** totalMs / all sampled time (every lane). */
  share: number;
  runningMs: number;
  notOnCpuEstimateMs: number;
  /** Time in recorded waits, by reason. */
  waitingMs: Record<string, number>;
  samples: number;
  /** The achieved sampling period (ms), for "one sample = …". */
  periodMs: number | null;
  /** False when the trace had no def line and `line` is the lowest sampled one. */
  defLine: boolean;
  callers: EdgeFact[];
  callees: EdgeFact[];
}

export interface EdgeFact {
  name: string;
  /** Absolute path and def line of the other function, or null when not on disk. */
  file: string | null;
  line: number;
  ms: number;
}

/** Functions shorter than this share of the sampled time get no lens (one stray sample). */
export const MIN_LENS_SHARE = 0.005;

/**
 * Function facts of a summary, for the user's functions worth a lens: not library code, at
 * least {@link MIN_LENS_SHARE} of the sampled time, and with a known def line (traces of older
 * agents have none: a lens on the first sampled line would sit inside the body, above that
 * line's own facts, and read as that line's). `place` resolves a file and line to the facts
 * of that line (or null for a pseudo-file).
 */
export function addFunctionFacts<T extends { function?: FunctionFact }>(
  summary: Summary, place: (file: string, line: number) => T | null, resolve: (file: string) => string | null,
): void {
  for (const f of summary.functions ?? []) {
    if (f.library || !f.defLine || f.share < MIN_LENS_SHARE) continue;
    const facts = place(f.file, f.line);
    if (facts === null) continue;
    // Two functions with one def line (a lambda on the line of its def): the heavier wins.
    if (facts.function !== undefined && facts.function.totalMs >= f.totalMs) continue;
    facts.function = functionFact(f, summary.samplingPeriodMs ?? null, resolve);
  }
}

function functionFact(f: FunctionSummary, periodMs: number | null, resolve: (file: string) => string | null): FunctionFact {
  const edge = (e: { name: string; file: string; line: number; ms: number }): EdgeFact => ({ name: e.name, file: resolve(e.file), line: e.line, ms: e.ms });
  return {
    name: f.name, totalMs: f.totalMs, selfMs: f.selfMs, share: f.share, runningMs: f.runningMs, notOnCpuEstimateMs: f.notOnCpuEstimateMs,
    waitingMs: { ...f.waitingMs }, samples: f.samples, periodMs, defLine: f.defLine,
    callers: (f.callers ?? []).map(edge), callees: (f.callees ?? []).map(edge),
  };
}

function pct(share: number): string {
  const p = share * 100;
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}

const waitedMs = (f: FunctionFact): number => Object.values(f.waitingMs).reduce((a, b) => a + b, 0);

/** `Weft: 1.80 s total (61% of sampled time) · 0.00 ms self · 601 ms on CPU`. A module's
 * top-level code has its lens on line 1, where a bare "total" would read as the whole file's
 * (imports and definitions run there too), so it says whose time it is. */
export function functionLensTitle(f: FunctionFact): string {
  const whose = f.name === '<module>' ? 'module-level code ' : '';
  const parts = [`Weft: ${whose}${formatMs(f.totalMs)} total (${pct(f.share)} of sampled time)`, `${formatMs(f.selfMs)} self`];
  if (f.runningMs > 0) parts.push(`${formatMs(f.runningMs)} on CPU`);
  const waited = waitedMs(f);
  if (waited > 0) parts.push(`${formatMs(waited)} waiting`);
  return parts.join(' · ');
}

/** Escapes text for a markdown table cell. */
const cell = (s: string): string => s.replace(/[\\|`*_[\]<>]/g, (c) => `\\${c}`);

/** The hover's section: the split of the function's time, its callers and callees. */
export function functionHoverMarkdown(f: FunctionFact, shortPath: (file: string) => string): string[] {
  const out: string[] = ['', `Time in \`${f.name.replace(/`/g, '')}\` (from ${f.samples} stack samples${f.periodMs === null ? '' : ` of ${formatMs(f.periodMs)}`}; estimates)`, ''];
  out.push('| total | self | share | on CPU | not on CPU (estimate) | waiting |', '|---:|---:|---:|---:|---:|---:|');
  const waits = Object.entries(f.waitingMs).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${formatMs(v)}`).join(', ');
  out.push(`| ${formatMs(f.totalMs)} | ${formatMs(f.selfMs)} | ${pct(f.share)} | ${formatMs(f.runningMs)} | ${formatMs(f.notOnCpuEstimateMs)} | ${waits === '' ? '-' : cell(waits)} |`);
  const table = (title: string, edges: EdgeFact[]): void => {
    if (edges.length === 0) return;
    out.push('', title, '', '| function | time | defined at |', '|---|---:|---|');
    for (const e of edges) out.push(`| ${cell(e.name)} | ${formatMs(e.ms)} | ${e.file === null ? '-' : cell(`${shortPath(e.file)}:${e.line}`)} |`);
  };
  table('Top callers (time in this function when called from them)', f.callers);
  table('Top callees (time in them when called from this function)', f.callees);
  return out;
}
