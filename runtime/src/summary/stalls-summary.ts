/**
 * The summary's part for when the program hangs (issue 12): deadlocks and hangs, lock-order
 * inversions and locks held across blocking calls, from the model (handlers/stalls.ts,
 * lock-order.ts, held-across.ts), and their text section, which `weft summary` prints first
 * when there is any. Pure, no Node import. Sentences come from stall-findings.ts (which uses
 * stall-text.ts), so the CLI, the Problems panel and the report say the same.
 */
import { WAIT_REASONS } from '../format/spec';
import { formatDuration } from '../model/handlers/diagnostics';
import { heldAcrossMessage, inversionMessage, stallMessage } from '../model/handlers/stall-findings';
import type { TraceModel } from '../model/types';
import type {
  HeldAcrossWaitSummary, LockOrderInversionSummary, ObjectRefSummary, SiteRef, StallSummary, Summary,
} from './schema';

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;
/** Frames walked per stack: a recursion must not make a summary of megabytes. */
const MAX_STACK = 64;

export interface StallsPart {
  deadlocks: StallSummary[];
  hangs: StallSummary[];
  lockOrderInversions: LockOrderInversionSummary[];
  heldAcrossWaits: HeldAcrossWaitSummary[];
}

export function summarizeStalls(model: TraceModel, siteRef: (i: number | null) => SiteRef | null): StallsPart {
  const laneName = (i: number | null): string => (i === null ? '?' : (model.lanes[i]?.name ?? `lane ${i}`));
  const pidOf = (process: number): number => model.processes[process]?.pid ?? 0;
  const objectRef = (i: number | null): ObjectRefSummary | null => {
    const o = i === null ? undefined : model.objects[i];
    return o === undefined ? null : { name: o.name, kind: o.kind, site: siteRef(o.site) };
  };
  const stack = (frame: number | null): SiteRef[] => {
    const out: SiteRef[] = [];
    for (let f = frame ?? -1, n = 0; f >= 0 && n < MAX_STACK; n++) {
      const node = model.frames[f];
      if (node === undefined) break;
      const s = siteRef(node.site);
      if (s !== null) out.push(s);
      f = node.parent;
    }
    return out;
  };
  const since = (ns: number): number => ms(Math.max(0, ns - model.startNs));
  const deadlocks: StallSummary[] = [];
  const hangs: StallSummary[] = [];
  for (const s of model.stalls ?? []) {
    const deadlock = s.kind === 'deadlock';
    const row: StallSummary = {
      pid: pidOf(s.process), kind: deadlock ? 'deadlock' : 'hang', source: s.source, detectedAtMs: since(s.detectedNs),
      members: s.members.map((m, i) => ({
        thread: laneName(m.lane), object: objectRef(m.object), waitSite: siteRef(m.site),
        heldBy: deadlock ? laneName((s.members[(i + 1) % s.members.length] ?? m).lane) : null,
        stack: stack(m.frame),
      })),
      sentence: stallMessage(model, s),
    };
    (deadlock ? deadlocks : hangs).push(row);
  }
  const lockOrderInversions = (model.lockOrderInversions ?? []).map((v): LockOrderInversionSummary => ({
    pid: pidOf(v.process), detectedAtMs: since(v.detectedNs), first: objectRef(v.first), second: objectRef(v.second),
    paths: [
      { thread: laneName(v.lane), firstSite: siteRef(v.firstSite), secondSite: siteRef(v.secondSite) },
      { thread: laneName(v.otherLane), firstSite: siteRef(v.otherFirstSite), secondSite: siteRef(v.otherSecondSite) },
    ],
    sentence: inversionMessage(model, v),
  }));
  const heldAcrossWaits = (model.heldAcrossWaits ?? []).map((h): HeldAcrossWaitSummary => ({
    pid: pidOf(model.lanes[h.holderLanes[0] ?? -1]?.process ?? model.objects[h.lock]?.process ?? -1),
    lock: objectRef(h.lock), site: siteRef(h.site), reason: WAIT_REASONS[h.reason] ?? 'unknown', blockingObject: objectRef(h.blockingObject),
    holders: h.holderLanes.map(laneName), occurrences: h.occurrences, heldMs: ms(h.heldNs), longestMs: ms(h.longestNs),
    waiters: h.waiterLanes.map(laneName), waits: h.waits, waitedMs: ms(h.waitedNs),
    sentence: heldAcrossMessage(model, h, formatDuration),
  }));
  return { deadlocks, hangs, lockOrderInversions, heldAcrossWaits };
}

/** Codes whose findings the sections below print (the Findings list leaves them out). */
export const STALL_CODES: ReadonlySet<string> = new Set(['deadlock', 'hang', 'lock-order-inversion', 'lock-held-across-wait']);

/**
 * The text sections: "Deadlocks and hangs" (each stall's sentence, then each member's line,
 * what it waits for and its stack), "Lock-order inversions", "Locks held across blocking
 * calls". Empty when the summary has none (or is older than these fields).
 */
export function formatStalls(s: Summary, where: (site: SiteRef | null) => string, fmtMs: (ms: number) => string, maxEach = 10): string[] {
  const out: string[] = [];
  const stalls = [...(s.deadlocks ?? []), ...(s.hangs ?? [])];
  const pids = s.processes.length > 1;
  const more = (n: number): string[] => (n > maxEach ? [`  ... and ${n - maxEach} more (weft summary --json lists them).`] : []);
  if (stalls.length > 0) {
    out.push('', 'Deadlocks and hangs:');
    for (const st of stalls.slice(0, maxEach)) {
      const how = st.source === 'watchdog' ? `found by the watchdog ${fmtMs(st.detectedAtMs)} into the run` : 'found in the waits still open at the end';
      out.push(`  ${st.sentence}`);
      out.push(`    (${pids ? `pid ${st.pid}, ` : ''}${how})`);
      for (const m of st.members) {
        const obj = m.object === null ? 'an unknown object' : `${m.object.kind}${m.object.name ? ` "${m.object.name}"` : ''}${m.object.site ? ` created at ${where(m.object.site)}` : ''}`;
        const held = m.heldBy === null ? '' : `, held by ${m.heldBy}`;
        out.push(`    ${m.thread} waits at ${m.waitSite === null ? '?' : where(m.waitSite)} for ${obj}${held}`);
        if (m.stack.length > 1) out.push(`      stack: ${m.stack.slice(0, 8).map((f) => `${where(f)} in ${f.func}`).join(' ← ')}${m.stack.length > 8 ? ' ← …' : ''}`);
      }
    }
    out.push(...more(stalls.length));
  }
  const inversions = s.lockOrderInversions ?? [];
  if (inversions.length > 0) {
    out.push('', 'Lock-order inversions (locks taken in opposite orders; they can deadlock):');
    for (const v of inversions.slice(0, maxEach)) out.push(`  ${v.sentence}`);
    out.push(...more(inversions.length));
  }
  const held = s.heldAcrossWaits ?? [];
  if (held.length > 0) {
    out.push('', 'Locks held across blocking calls (most waiting caused first):');
    for (const h of held.slice(0, maxEach)) {
      out.push(`  ${h.sentence}`);
      out.push(`    held by ${h.holders.join(', ')}; waited: ${h.waiters.join(', ')}${h.lock?.site ? `; lock created at ${where(h.lock.site)}` : ''}`);
    }
    out.push(...more(held.length));
  }
  return out;
}
