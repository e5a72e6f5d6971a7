/**
 * The one sentence that names a deadlock or hang, used by the live CLI (printed while the
 * program still hangs), the summary text, the Problems panel and the report: pure, no Node.
 *
 *   deadlock: t1 waits for B (created at x.py:6) held by t2 at x.py:18; t2 waits for A
 *   (created at x.py:5) held by t1 at x.py:12
 *
 * "held by t2 at x.py:18" names the line where the holder itself is stuck now, which is what
 * a user needs to break the cycle; the object's creation line tells two locks of one name apart.
 */
import type { StallKind } from '../format/spec';

/** One member of a deadlock cycle or hang, already resolved to readable names. */
export interface StallMember {
  /** The lane's display name ("t1", "MainThread"). */
  lane: string;
  /** What it waits on, e.g. "B" or "Lock 3"; null when unknown. */
  objectName: string | null;
  /** Where that object was created, "x.py:6"; null when unknown. */
  objectSite: string | null;
  /** Where this member waits, "x.py:12"; null when unknown. */
  waitSite: string | null;
}

/** `file:line` with the file cut to its base name, as every terminal line of Weft prints it. */
export function shortSite(file: string | null | undefined, line: number | null | undefined): string | null {
  if (!file) return null;
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
  return line === null || line === undefined ? base : `${base}:${line}`;
}

const what = (m: StallMember): string =>
  (m.objectName ?? 'an unknown object') + (m.objectSite !== null ? ` (created at ${m.objectSite})` : '');
const where = (m: StallMember): string => (m.waitSite !== null ? ` at ${m.waitSite}` : '');

/** The sentence for a deadlock (members in cycle order: member i waits for what member i+1
 * holds) or a hang (every blocked member, no holder implied). */
export function stallSentence(kind: StallKind, members: readonly StallMember[]): string {
  if (kind === 'deadlock') {
    const parts = members.map((m, i) => {
      const holder = members[(i + 1) % members.length] as StallMember;
      return `${m.lane} waits for ${what(m)} held by ${holder.lane}${where(holder)}`;
    });
    return `deadlock: ${parts.join('; ')}`;
  }
  const parts = members.map((m) => `${m.lane} waits for ${what(m)}${where(m)}`);
  return `hang: every thread is blocked; ${parts.join('; ')}`;
}
