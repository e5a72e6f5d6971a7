/**
 * The findings of issue 12, as diagnostics with codes and related lines: deadlocks and hangs
 * (one finding per stall, at its first member's line, the other members' lines related),
 * lock-order inversions (at the second acquisition of the first path, the other path related)
 * and locks held across blocking calls (at the blocking call). Called by diagnostics.ts; the
 * sentences of stalls are stall-text.ts's, the one wording every surface uses.
 */
import { stallSentence, shortSite, type StallMember as StallText } from '../../summary/stall-text';
import type {
  Diagnostic, HeldAcrossWait, Lane, LockOrderInversion, SourceSite, Stall, SyncObject,
} from '../types';
import { blockingCallPhrase } from './held-across';

export interface StallFindingsInput {
  lanes: readonly Lane[];
  objects: readonly SyncObject[];
  sites: readonly SourceSite[];
  stalls: readonly Stall[];
  inversions: readonly LockOrderInversion[];
  heldAcross: readonly HeldAcrossWait[];
}

/** "B", else "a lock" / "an rlock": how a sentence names an object. */
export function objectWord(o: SyncObject | undefined): string | null {
  if (o === undefined) return null;
  if (o.name !== '') return o.name;
  return /^[aeiou]/.test(o.kind) ? `an ${o.kind}` : `a ${o.kind}`;
}

const siteText = (sites: readonly SourceSite[], i: number | null): string | null => {
  const s = i === null ? undefined : sites[i];
  return s === undefined ? null : shortSite(s.file, s.line);
};

/** A stall's members as stall-text.ts reads them. */
export function stallTextMembers(input: Pick<StallFindingsInput, 'lanes' | 'objects' | 'sites'>, stall: Stall): StallText[] {
  return stall.members.map((m) => {
    const o = m.object === null ? undefined : input.objects[m.object];
    return {
      lane: input.lanes[m.lane]?.name ?? `lane ${m.lane}`,
      objectName: objectWord(o),
      objectSite: siteText(input.sites, o?.site ?? null),
      waitSite: siteText(input.sites, m.site),
    };
  });
}

/** The sentence of a stall, with "(found in the open waits ...)" when the watchdog did not see it. */
export function stallMessage(input: Pick<StallFindingsInput, 'lanes' | 'objects' | 'sites'>, stall: Stall): string {
  const kind = stall.kind === 'unknown' ? 'hang' : stall.kind;
  const text = stallSentence(kind, stallTextMembers(input, stall));
  return stall.source === 'open-waits' ? `${text} (found in the waits still open when the process stopped)` : text;
}

/** The sentence of an inversion: "lock-order inversion: t1 took A at x.py:5 then B at x.py:6;
 * t2 took B at x.py:12 then A at x.py:13 (a deadlock when both run at once)". */
export function inversionMessage(input: Pick<StallFindingsInput, 'lanes' | 'objects' | 'sites'>, v: LockOrderInversion): string {
  const name = (o: number | null): string => objectWord(o === null ? undefined : input.objects[o]) ?? 'an unknown lock';
  const lane = (l: number | null): string => (l === null ? 'a thread' : (input.lanes[l]?.name ?? `lane ${l}`));
  const at = (s: number | null): string => {
    const t = siteText(input.sites, s);
    return t === null ? '' : ` at ${t}`;
  };
  return `lock-order inversion: ${lane(v.lane)} took ${name(v.first)}${at(v.firstSite)} then ${name(v.second)}${at(v.secondSite)}; `
    + `${lane(v.otherLane)} took ${name(v.second)}${at(v.otherFirstSite)} then ${name(v.first)}${at(v.otherSecondSite)} `
    + '(the two can deadlock when they run at once: take the locks in one order)';
}

/** "lock "X" held across time.sleep at app.py:9 (1.20 s); 3 threads waited 3.60 s behind it". */
export function heldAcrossMessage(input: Pick<StallFindingsInput, 'lanes' | 'objects' | 'sites'>, h: HeldAcrossWait, fmt: (ns: number) => string): string {
  const o = input.objects[h.lock];
  const lock = o === undefined ? 'a lock' : `${o.kind}${o.name ? ` "${o.name}"` : ''}`;
  let call = blockingCallPhrase(h.reason);
  if (call === 'a wait for another lock' && h.blockingObject !== null) {
    const other = objectWord(input.objects[h.blockingObject]);
    if (other !== null) call = `a wait for ${other.startsWith('a ') || other.startsWith('an ') ? other : `"${other}"`}`;
  }
  const where = siteText(input.sites, h.site);
  const held = h.occurrences === 1 ? fmt(h.heldNs) : `${h.occurrences} times, ${fmt(h.heldNs)} in total`;
  const waiters = h.waiterLanes.length;
  const who = h.waiterLanes.every((l) => input.lanes[l]?.kind === 'task') ? 'task' : 'thread';
  return `${lock} held across ${call}${where === null ? '' : ` at ${where}`} (${held}); `
    + `${waiters} ${who}${waiters === 1 ? '' : 's'} waited ${fmt(h.waitedNs)} behind it`;
}

/** The diagnostics of stalls, inversions and held-across waits. */
export function stallFindings(input: StallFindingsInput, fmt: (ns: number) => string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lanes = input.lanes;
  for (const s of input.stalls) {
    const text = stallTextMembers(input, s);
    const withSite = s.members.map((m, i) => ({ m, i })).filter(({ m }) => m.site !== null);
    const first = withSite[0];
    out.push({
      severity: s.kind === 'deadlock' ? 'error' : 'warning',
      code: s.kind === 'deadlock' ? 'deadlock' : 'hang',
      message: stallMessage(input, s),
      site: first?.m.site ?? null,
      process: s.process,
      related: withSite.slice(1).map(({ m, i }) => ({ site: m.site as number, message: memberRole(s, text, i) })),
    });
  }
  for (const v of input.inversions) {
    const related: { site: number; message: string }[] = [];
    const lane = (l: number | null): string => (l === null ? 'a thread' : (lanes[l]?.name ?? `lane ${l}`));
    const name = (o: number | null): string => objectWord(o === null ? undefined : input.objects[o]) ?? 'a lock';
    if (v.firstSite !== null) related.push({ site: v.firstSite, message: `${lane(v.lane)} took ${name(v.first)} here first` });
    if (v.otherFirstSite !== null) related.push({ site: v.otherFirstSite, message: `${lane(v.otherLane)} took ${name(v.second)} here first` });
    if (v.otherSecondSite !== null) related.push({ site: v.otherSecondSite, message: `then ${lane(v.otherLane)} took ${name(v.first)} here` });
    out.push({
      severity: 'warning', code: 'lock-order-inversion', message: inversionMessage(input, v),
      site: v.secondSite ?? v.firstSite, process: v.process, related,
    });
  }
  for (const h of input.heldAcross) {
    const o = input.objects[h.lock];
    const related = o?.site !== null && o?.site !== undefined ? [{ site: o.site, message: `${objectWord(o) ?? 'the lock'} was created here` }] : [];
    out.push({
      severity: 'warning', code: 'lock-held-across-wait', message: heldAcrossMessage(input, h, fmt),
      site: h.site, process: lanes[h.holderLanes[0] ?? -1]?.process ?? o?.process ?? null, related,
    });
  }
  return out;
}

/** What member i does at its line, for a related-information entry. */
export function memberRole(s: Stall, text: readonly StallText[], i: number): string {
  const m = text[i] as StallText;
  const object = m.objectName ?? 'an unknown object';
  if (s.kind !== 'deadlock') return `${m.lane} waits for ${object} here`;
  const holder = text[(i + 1) % text.length] as StallText;
  return `${m.lane} waits for ${object} here, held by ${holder.lane}`;
}
