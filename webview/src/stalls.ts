/**
 * Selecting a deadlock or hang on the timeline (issue 12): which segments to outline (those of
 * the members' waits) and which window to show (from the first member's wait, with a margin,
 * to the end of the run: open waits are drawn to the end). Pure, tested without a DOM.
 */
import type { ViewData } from '../../runtime/src/view/view-data';
import type { TimeWindow } from './coords';

export interface StallSelection {
  /** Segment rows of the members' waits, ascending. */
  segments: number[];
  window: TimeWindow;
  /** The members' lanes, in member order. */
  lanes: number[];
}

export function stallSelection(d: ViewData, index: number): StallSelection | null {
  const st = d.stalls?.[index];
  if (!st) return null;
  const waits = new Set(st.members.map((m) => m.wait).filter((w) => w >= 0));
  const s = d.segments;
  const segments: number[] = [];
  for (let i = 0; i < s.count; i++) if (waits.has(s.wait[i] as number)) segments.push(i);
  let begin = Math.min(st.detectedNs, d.durationNs);
  for (const w of waits) begin = Math.min(begin, d.waits.begin[w] as number);
  const pad = Math.max((d.durationNs - begin) * 0.05, 1000);
  return { segments, window: { startNs: Math.max(0, begin - pad), endNs: d.durationNs }, lanes: st.members.map((m) => m.lane) };
}
