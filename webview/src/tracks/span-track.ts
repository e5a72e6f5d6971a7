/**
 * The track of every lane that is not an OS thread: asyncio tasks, greenlets, GPU queues,
 * ranks, workers, and kinds this viewer does not know. Such a lane is cut into segments the
 * same way as a thread (its waits, and running time between them), so it reuses the segment
 * machinery and its level of detail; it has no CPU clock and so no off-CPU estimate, and no
 * thread facts (daemon, CPU time, GIL estimate) are read. Its bars are thinner than a
 * thread's, so that a task drawn under its thread reads as part of it.
 */
import type { ViewData, ViewTaskFacts } from '../../../runtime/src/view/view-data';
import { laneName } from '../describe';
import { formatDuration, formatPercent } from '../format';
import type { LodItems } from '../lod';
import { describeItem, drawSegments } from './segments';
import type { BarBox, ItemDescription, TrackFrame, TrackRenderer } from './track';

const SPAN_BAR: BarBox = { top: 5, height: 12 };

/** What a task lane's label tooltip says about the task: coroutine, creator, end. */
function taskLines(data: ViewData, t: ViewTaskFacts | null): string[] {
  if (!t) return [];
  const def = t.coroutineSite !== null ? data.sites[t.coroutineSite] : undefined;
  const end = t.outcome === 'cancelled' ? 'ended: cancelled' : t.outcome === 'exception' ? `ended: raised ${t.detail ?? ''}` : t.outcome === 'result' ? 'ended: returned' : 'had not ended';
  return [
    `coroutine ${t.coroutine || '?'}${def ? ` (${def.file}:${def.line})` : ''}`,
    t.creatorLane !== null ? `created by ${laneName(data, t.creatorLane)}` : '',
    `ran ${formatDuration(t.runNs)} in ${t.steps} step${t.steps === 1 ? '' : 's'}`,
    end,
  ].filter(Boolean);
}

/** The label of lanes whose kind this viewer does not know. */
export const UNKNOWN_LABEL = 'unknown kind';

/** A span track whose lanes are called `kindLabel` ("asyncio task", "unknown kind"). */
export function spanTrack(kindLabel: string): TrackRenderer {
  return {
    renderer: 'span',
    kindLabel,
    bar: SPAN_BAR,
    draw(frame: TrackFrame, lane: number, rowTop: number, items: LodItems): void {
      drawSegments(frame, lane, rowTop, SPAN_BAR, items);
    },
    hitTest(items: LodItems, ns: number, toleranceNs: number): number {
      return items.find(ns, toleranceNs);
    },
    describe(data: ViewData, _lane: number, items: LodItems, item: number): ItemDescription {
      return describeItem(data, items, item);
    },
    labelTitle(data: ViewData, lane: number): string {
      const l = data.lanes[lane];
      if (!l) return '';
      const parent = l.parentLane !== null ? data.lanes[l.parentLane] : undefined;
      return [
        // An unknown kind is named as the trace wrote it, so the user can tell two apart.
        `${laneName(data, lane)} (${kindLabel === UNKNOWN_LABEL && l.kind !== 'unknown' ? `${UNKNOWN_LABEL} "${l.kind}"` : kindLabel})`,
        parent ? `on ${laneName(data, parent.index)}` : '',
        ...taskLines(data, l.task),
        `alive ${formatDuration(l.wallNs)}`,
        `waiting ${formatDuration(l.waitNs)} (${formatPercent(l.wallNs > 0 ? l.waitNs / l.wallNs : 0)})`,
      ].filter(Boolean).join('\n');
    },
    // Only the kind beside the name: with the wait share too, the 210 px label column cut
    // names like "cuda:0" to "cud…" (seen in the report). The share is in the label's tooltip.
    labelMeta(data: ViewData, lane: number): string {
      // How a task ended is worth the room: a cancelled or failed task stands out in the list.
      const outcome = data.lanes[lane]?.task?.outcome;
      if (outcome === 'cancelled') return `${kindLabel} · cancelled`;
      if (outcome === 'exception') return `${kindLabel} · raised`;
      return kindLabel;
    },
  };
}
