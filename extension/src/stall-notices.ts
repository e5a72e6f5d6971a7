/**
 * Which deadlocks and hangs of a trace deserve a notification (issue 12), and its text. Pure
 * (no `vscode`), so the rule is tested without VS Code: each stall once per view, by its
 * sentence (a live view is reloaded every second, and the same stall must not be announced
 * again; indexes may shift when another stall is found, sentences do not).
 */
import type { ViewStall } from '../../runtime/src/view/view-data';

export interface StallNotice {
  /** Index into ViewData.stalls, for the "Show" action. */
  index: number;
  /** Deadlocks are errors, hangs warnings. */
  severity: 'error' | 'warning';
  /** "Weft found a deadlock: t1 waits for B (created at x.py:6) held by t2 at x.py:18; ..." */
  text: string;
}

/** Notices for the stalls not in `seen`; adds them to `seen`. At most `max` (the rest are in
 * the view's banners). */
export function newStallNotices(stalls: readonly ViewStall[] | undefined, seen: Set<string>, max = 2): StallNotice[] {
  const out: StallNotice[] = [];
  (stalls ?? []).forEach((s, index) => {
    if (seen.has(s.sentence)) return;
    seen.add(s.sentence);
    if (out.length >= max) return;
    const prefix = `${s.kind}: `;
    const body = s.sentence.startsWith(prefix) ? s.sentence.slice(prefix.length) : s.sentence;
    out.push({ index, severity: s.kind === 'deadlock' ? 'error' : 'warning', text: `Weft found a ${s.kind}: ${body}` });
  });
  return out;
}
