/**
 * Problems of issue 12 on source lines: deadlocks and hangs (one problem per member's waiting
 * line, related to the other members' lines), lock-order inversions (one on each path's second
 * acquisition, related to the three other lines) and locks held across blocking calls (on the
 * holder's blocking line, related to the lock's creation line). Pure like hotspots.ts: the
 * Summary in, plain facts out; server.ts maps them to LSP diagnostics with
 * relatedInformation, and to a CodeLens above each line.
 *
 * Messages are the Summary's sentences (stall-text.ts's for stalls), so the Problems panel
 * says exactly what `weft summary` says.
 */
import type { SiteRef, Summary } from '../../../runtime/src/summary/schema';
import { formatMs } from '../../../runtime/src/summary/summary';

export type ProblemCode = 'deadlock' | 'hang' | 'lock-order-inversion' | 'lock-held-across-wait';

/** Another line of the same problem, and what happens there. */
export interface RelatedFact {
  file: string;
  /** 1-based. */
  line: number;
  message: string;
}

export interface ProblemFact {
  code: ProblemCode;
  severity: 'error' | 'warning';
  /** The diagnostic's message: the whole finding. */
  message: string;
  /** The CodeLens title: what happens on this line. */
  lens: string;
  related: RelatedFact[];
  /** A deadlock's or hang's sentence, which identifies it for "show on the timeline"
   * (ViewData.stalls has the same sentences); absent for other problems. */
  stall?: string;
}

/** Where a fact goes: the problems of (file, line), or null for a site not on disk. */
export type ProblemsAt = (site: SiteRef | null) => { problems?: ProblemFact[]; file: string; line: number } | null;

/** Adds the Summary's stalls, inversions and held-across waits to the lines `at` gives. */
export function addProblemFacts(summary: Summary, at: ProblemsAt, resolve: (site: SiteRef) => string | null): void {
  const related = (sites: { site: SiteRef | null; message: string }[]): RelatedFact[] => sites.flatMap(({ site, message }) => {
    const file = site ? resolve(site) : null;
    return file && site ? [{ file, line: site.line, message }] : [];
  });
  const add = (site: SiteRef | null, p: ProblemFact): void => {
    const f = at(site);
    if (!f) return;
    (f.problems ??= []).push(p);
  };

  for (const s of [...(summary.deadlocks ?? []), ...(summary.hangs ?? [])]) {
    const deadlock = s.kind === 'deadlock';
    const roles = s.members.map((m) => {
      const what = m.object === null ? 'an unknown object' : m.object.name || `a ${m.object.kind}`;
      return `${m.thread} waits for ${what} here${m.heldBy !== null ? `, held by ${m.heldBy}` : ''}`;
    });
    s.members.forEach((m, i) => {
      add(m.waitSite, {
        code: deadlock ? 'deadlock' : 'hang', severity: deadlock ? 'error' : 'warning', message: s.sentence,
        lens: `Weft: ${deadlock ? 'deadlock' : 'hang'} · ${roles[i] as string} · show on the timeline`,
        related: related(s.members.flatMap((o, k) => (k === i ? [] : [{ site: o.waitSite, message: roles[k] as string }]))),
        stall: s.sentence,
      });
    });
  }

  for (const v of summary.lockOrderInversions ?? []) {
    const [a, b] = v.paths;
    if (!a || !b) continue;
    const first = v.first?.name || 'the first lock';
    const second = v.second?.name || 'the second lock';
    add(a.secondSite, {
      code: 'lock-order-inversion', severity: 'warning', message: v.sentence,
      lens: `Weft: lock-order inversion · ${a.thread} takes ${second} here while holding ${first}; ${b.thread} takes them the other way`,
      related: related([
        { site: a.firstSite, message: `${a.thread} took ${first} here first` },
        { site: b.firstSite, message: `${b.thread} took ${second} here first` },
        { site: b.secondSite, message: `then ${b.thread} took ${first} here` },
      ]),
    });
    add(b.secondSite, {
      code: 'lock-order-inversion', severity: 'warning', message: v.sentence,
      lens: `Weft: lock-order inversion · ${b.thread} takes ${first} here while holding ${second}; ${a.thread} takes them the other way`,
      related: related([
        { site: b.firstSite, message: `${b.thread} took ${second} here first` },
        { site: a.firstSite, message: `${a.thread} took ${first} here first` },
        { site: a.secondSite, message: `then ${a.thread} took ${second} here` },
      ]),
    });
  }

  for (const h of summary.heldAcrossWaits ?? []) {
    const lock = h.lock ? (h.lock.name ? `"${h.lock.name}"` : `a ${h.lock.kind}`) : 'a lock';
    const waiters = h.waiters.length;
    add(h.site, {
      code: 'lock-held-across-wait', severity: 'warning', message: h.sentence,
      lens: `Weft: ${lock} held across this call · ${waiters} thread${waiters === 1 ? '' : 's'} waited ${formatMs(h.waitedMs)} behind it`,
      related: related([{ site: h.lock?.site ?? null, message: `${lock} was created here` }]),
    });
  }
}
