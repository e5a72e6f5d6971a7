/**
 * Words for what the timeline shows: one place that turns rows of view data into the text of
 * tooltips and the details pane, so both say the same thing. Pure (no DOM), unit-tested.
 */
import { WAIT_REASONS, WaitFlags } from '../../runtime/src/format/spec';
import {
  GPU_SPAN_KINDS, SegmentState, STATE_INFO, baseName, objectLabel, stateOfReason, type ViewData, type ViewSite,
} from '../../runtime/src/view/view-data';
import { formatDuration, formatPercent } from './format';

export function laneName(data: ViewData, lane: number): string {
  const l = data.lanes[lane];
  if (!l) return 'unknown lane';
  return l.name || `${l.kind} ${l.tid}`;
}

/** The lane's name with its process when the trace has several ("MainThread (pid 401)"):
 * every worker's main thread has the same name. */
export function laneInProcess(data: ViewData, lane: number): string {
  const name = laneName(data, lane);
  const l = data.lanes[lane];
  if (!l || data.processes.length < 2) return name;
  const pid = data.processes[l.process]?.pid;
  return pid === undefined ? name : `${name} (pid ${pid})`;
}

/** "96 B", "1.5 KiB", "12.0 MiB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A span's label and kind, and the work item it runs (every time in view ns, NaN unknown). */
export interface SpanDescription {
  label: string;
  kind: string;
  site: ViewSite | null;
  beginNs: number;
  endNs: number;
  lane: number;
  /** Row in WorkItemTable, -1 when the span is not a work item's run. */
  workItem: number;
  submitLane: number;
  submitNs: number;
  startNs: number;
  queueWaitNs: number;
  runNs: number;
  resultLane: number;
  resultNs: number;
  size: number;
  resultSize: number;
}

export function describeSpan(data: ViewData, span: number): SpanDescription {
  const sp = data.spans;
  const wi = sp.workItem[span] ?? -1;
  const w = data.workItems;
  const has = wi >= 0 && wi < w.count;
  const at = (col: Float64Array): number => (has ? (col[wi] as number) : Number.NaN);
  const lane = (col: Int32Array): number => (has ? (col[wi] as number) : -1);
  const submitNs = at(w.submitNs);
  const startNs = has ? (w.startNs[wi] as number) : (sp.begin[span] as number);
  const endNs = has && !Number.isNaN(w.endNs[wi] as number) ? (w.endNs[wi] as number) : (sp.end[span] as number);
  return {
    label: data.strings[sp.label[span] as number] ?? '',
    kind: data.strings[sp.kind[span] as number] ?? '',
    site: site(data, sp.site[span]),
    beginNs: sp.begin[span] as number,
    endNs: sp.end[span] as number,
    lane: sp.lane[span] as number,
    workItem: has ? wi : -1,
    submitLane: lane(w.submitLane),
    submitNs,
    startNs,
    queueWaitNs: Math.max(0, startNs - submitNs),
    runNs: endNs - startNs,
    resultLane: lane(w.resultLane),
    resultNs: at(w.resultNs),
    size: at(w.size),
    resultSize: at(w.resultSize),
  };
}

/** Tooltip lines for a work item's run (or another span). */
export function spanLines(data: ViewData, span: number): string[] {
  const s = describeSpan(data, span);
  const lines = [`${s.label || s.kind}${s.site ? ` at ${siteShort(s.site)}` : ''}`];
  if (s.workItem < 0 && GPU_SPAN_KINDS.includes(s.kind)) {
    // A GPU operation: the label is the kernel's name ("copy": direction and size), the site
    // the host line that launched it; the queue gap is how long it waited on the device.
    const launched = data.spans.launchNs?.[span] ?? Number.NaN;
    lines[0] = `${s.kind} ${s.label}`;
    lines.push(`${formatDuration(s.endNs - s.beginNs)} on the device`);
    if (s.site) lines.push(`launched at ${siteShort(s.site)}`);
    if (!Number.isNaN(launched)) lines.push(`queue gap ${formatDuration(Math.max(0, s.beginNs - launched))} (launch to start)`);
    return lines;
  }
  if (s.workItem < 0) {
    lines.push(`${s.kind} span, ${formatDuration(s.endNs - s.beginNs)}`);
    return lines;
  }
  const wait = Number.isNaN(s.queueWaitNs) ? 'queue wait unknown' : `queue wait ${formatDuration(s.queueWaitNs)}`;
  lines.push(`${wait} · run ${formatDuration(s.runNs)}`);
  if (s.submitLane >= 0) lines.push(`submitted by ${laneInProcess(data, s.submitLane)}`);
  if (s.resultLane >= 0 && !Number.isNaN(s.resultNs)) {
    lines.push(`result to ${laneInProcess(data, s.resultLane)} ${formatDuration(Math.max(0, s.resultNs - s.endNs))} after it returned`);
  }
  const sizes = [
    Number.isNaN(s.size) ? '' : `arguments ${formatBytes(s.size)}`, Number.isNaN(s.resultSize) ? '' : `result ${formatBytes(s.resultSize)}`,
  ].filter(Boolean);
  if (sizes.length > 0) lines.push(sizes.join(' · '));
  return lines;
}

export function site(data: ViewData, index: number | null | undefined): ViewSite | null {
  if (index === null || index === undefined || index < 0) return null;
  return data.sites[index] ?? null;
}

/** "bank_transfer.py:25" (what users read and the e2e tests look for). */
export function siteShort(s: ViewSite): string {
  return `${baseName(s.file)}:${s.line}`;
}

/** "bank_transfer.py:25 in transfer". */
export function siteLong(s: ViewSite): string {
  return s.func ? `${siteShort(s)} in ${s.func}` : siteShort(s);
}

export function stateLabel(state: number): string {
  return STATE_INFO[state]?.label ?? 'Unknown';
}

/** The legend key (state colour) of an object kind: what waiting on it looks like. */
export function stateKeyOfKind(kind: string): string {
  if (kind === 'lock' || kind === 'rlock' || kind === 'mp_lock' || kind === 'mp_rlock') return 'lock';
  if (kind.includes('queue') || kind === 'mp_pipe') return 'queue';
  if (kind === 'thread' || kind === 'process' || kind === 'future') return 'join';
  if (kind === 'timer') return 'sleep';
  return 'sync';
}

/** How the one who ended a wait is named, by what was waited on. */
export function wakerVerb(reason: string): string {
  switch (reason) {
    case 'lock': case 'rlock': case 'mp_lock': case 'semaphore': case 'mp_semaphore': return 'Released by';
    case 'condition': return 'Notified by';
    case 'event': return 'Set by';
    case 'queue_get': case 'mp_queue_get': case 'pipe_recv': return 'Put by';
    case 'queue_put': case 'mp_queue_put': return 'Made room';
    case 'queue_join': return 'Last task done by';
    case 'barrier': return 'Last to arrive';
    case 'future': return 'Completed by';
    case 'join': case 'process_join': return 'Finished';
    default: return 'Woken by';
  }
}

/** How the holder recorded at the start of a wait is named. */
export function holderVerb(reason: string): string {
  switch (reason) {
    case 'lock': case 'rlock': case 'mp_lock': return 'Held by';
    case 'join': case 'process_join': return 'Waiting for';
    default: return 'Holder';
  }
}

export interface WaitDescription {
  title: string;
  state: number;
  reason: string;
  durationNs: number;
  beginNs: number;
  endNs: number;
  lane: number;
  object: number;
  objectText: string;
  objectKind: string;
  creationSite: ViewSite | null;
  waitSite: ViewSite | null;
  holderLane: number;
  holderSite: ViewSite | null;
  holderText: string | null;
  wakerLane: number;
  wakerText: string | null;
  notes: string[];
}

export function describeWait(data: ViewData, row: number): WaitDescription {
  const w = data.waits;
  const reason = WAIT_REASONS[w.reason[row] as number] ?? 'unknown';
  const obj = w.object[row] as number;
  const o = data.objects[obj];
  const beginNs = w.begin[row] as number;
  const endNs = w.end[row] as number;
  const flags = w.flags[row] as number;
  const state = stateOfReason(w.reason[row] as number);
  const holderLane = w.holderLane[row] as number;
  const wakerLane = w.wakerLane[row] as number;
  const notes: string[] = [];
  if (flags & WaitFlags.TIMED_OUT) notes.push('Timed out: the wait ended without getting what it waited for.');
  if (flags & WaitFlags.OPEN) notes.push('Still waiting when the process stopped: the end is the end of the trace.');
  if (flags & WaitFlags.HOLDER_CHANGED) {
    notes.push(reason === 'mp_lock'
      // A process cannot see who holds a lock in another: the model matched the lock's holds.
      ? 'The holder is an estimate: the hold of this lock, in any process, that covered the start of the wait.'
      : 'The holder changed during the wait; the holder shown is an estimate.');
  }
  const holderSite = site(data, w.holderSite[row]);
  const objectText = obj >= 0 ? objectLabel(data, obj) : 'unknown object';
  return {
    title: `${stateLabel(state)} · ${formatDuration(endNs - beginNs)}`,
    state, reason, durationNs: endNs - beginNs, beginNs, endNs,
    lane: w.lane[row] as number,
    object: obj,
    objectText,
    objectKind: o?.kind ?? reason,
    creationSite: site(data, o?.site),
    waitSite: site(data, w.site[row]),
    holderLane,
    holderSite,
    holderText: holderLane >= 0 ? `${holderVerb(reason)} ${laneInProcess(data, holderLane)}${holderSite ? ` at ${siteShort(holderSite)}` : ''}` : null,
    wakerLane,
    wakerText: wakerLane >= 0 && wakerLane !== (w.lane[row] as number) ? `${wakerVerb(reason)} ${laneInProcess(data, wakerLane)}` : null,
    notes,
  };
}

/** Tooltip lines for one segment row. */
export function describeSegment(data: ViewData, seg: number): { title: string; lines: string[] } {
  const s = data.segments;
  const state = s.state[seg] as number;
  const d = (s.end[seg] as number) - (s.begin[seg] as number);
  const wait = s.wait[seg] as number;
  const span = s.span[seg] as number;
  if (wait >= 0) {
    const w = describeWait(data, wait);
    const lines = [`${w.objectKind} ${w.objectText}`];
    if (w.waitSite) lines.push(`waiting at ${siteLong(w.waitSite)}`);
    if (w.holderText) lines.push(w.holderText);
    if (w.wakerText) lines.push(w.wakerText);
    lines.push(...w.notes);
    if (span >= 0) lines.push(`inside work item ${describeSpan(data, span).label || '(unnamed)'}`);
    return { title: `${stateLabel(state)} · ${formatDuration(d)}`, lines };
  }
  const share = s.cpuShare[seg] as number;
  const lines: string[] = span >= 0 ? spanLines(data, span) : [];
  if (!Number.isNaN(share)) lines.push(`on a CPU ${formatPercent(share)} of the sampled time (thread CPU clock)`);
  if (state === SegmentState.OFF_CPU_ESTIMATE) lines.push('Estimated: runnable but mostly not on a CPU (GIL wait or blocking native code).');
  // A GPU operation on a queue lane: named by what it is ("kernel"), not the WORK state.
  const kind = span >= 0 && (data.spans.workItem[span] ?? -1) < 0 ? (data.strings[data.spans.kind[span] as number] ?? '') : '';
  if (GPU_SPAN_KINDS.includes(kind)) return { title: `GPU ${kind} · ${formatDuration(d)}`, lines };
  return { title: `${stateLabel(state)} · ${formatDuration(d)}`, lines };
}

/** Tooltip for a merged block of `count` segments starting at row `first`. */
export function describeBlock(data: ViewData, first: number, count: number): { title: string; lines: string[] } {
  const s = data.segments;
  let waits = 0;
  let waitNs = 0;
  const byState = new Map<number, number>();
  for (let k = first; k < first + count; k++) {
    const d = (s.end[k] as number) - (s.begin[k] as number);
    const st = s.state[k] as number;
    byState.set(st, (byState.get(st) ?? 0) + d);
    if ((s.wait[k] as number) >= 0) {
      waits++;
      waitNs += d;
    }
  }
  const span = (s.end[first + count - 1] as number) - (s.begin[first] as number);
  const parts = [...byState.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4)
    .map(([st, ns]) => `${stateLabel(st)} ${formatPercent(span > 0 ? ns / span : 0)}`);
  return {
    title: `${waits} wait${waits === 1 ? '' : 's'} in ${count} segments · ${formatDuration(span)}`,
    lines: [`waiting ${formatDuration(waitNs)} in total`, parts.join(', '), 'Click to zoom in.'],
  };
}

/** The lane a segment row belongs to (binary search over the CSR offsets). */
export function laneOfSegment(d: ViewData, seg: number): number {
  const off = d.segments.laneOffsets;
  let lo = 0;
  let hi = off.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((off[mid] as number) <= seg) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
