/**
 * Deadlocks and hangs for the timeline and the report (issue 12): each stall's sentence (the
 * one of summary/stall-text.ts) and its members' lanes and wait rows, so that the view can
 * select the cycle (outline the members' waits, dim the rest) and zoom to it. Pure.
 */
import { stallMessage } from '../model/handlers/stall-findings';
import type { TraceModel } from '../model/types';

export interface ViewStallMember {
  /** Index into ViewData.lanes. */
  lane: number;
  /** Row in ViewData.waits of its wait when the stall was found, or -1. */
  wait: number;
  /** Its waiting line (index into ViewData.sites), or null. */
  site: number | null;
}

export interface ViewStall {
  kind: 'deadlock' | 'hang';
  /** "watchdog" (the agent found it while the program ran) or "open-waits" (found in the
   * waits still open when the process stopped). */
  source: 'watchdog' | 'open-waits';
  pid: number;
  /** When it was found, view ns. */
  detectedNs: number;
  sentence: string;
  members: ViewStallMember[];
}

export function buildViewStalls(model: TraceModel, rel: (ns: number) => number): ViewStall[] {
  return (model.stalls ?? []).map((s) => ({
    kind: s.kind === 'deadlock' ? 'deadlock' : 'hang',
    source: s.source,
    pid: model.processes[s.process]?.pid ?? 0,
    detectedNs: rel(s.detectedNs),
    sentence: stallMessage(model, s),
    members: s.members.map((m) => ({ lane: m.lane, wait: m.wait ?? -1, site: m.site })),
  }));
}
