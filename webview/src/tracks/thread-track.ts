/**
 * The track of an OS thread: its segments with level of detail (lod.ts), waits coloured by
 * reason, running time inside a work item as WORK, and the off-CPU estimate (from samples and
 * the thread CPU clock, threads only) hatched. The selected lock's waits and holds are drawn
 * over every kind of track by overlays.ts, since a task can wait on a lock as well.
 */
import type { ViewData } from '../../../runtime/src/view/view-data';
import { laneName } from '../describe';
import { formatDuration, formatPercent } from '../format';
import type { LodItems } from '../lod';
import { blockSentence } from '../tasks/event-loop-panel';
import { describeItem, drawSegments } from './segments';
import type { BarBox, ItemDescription, TrackFrame, TrackRenderer } from './track';

/** Full lane height (22 px) less 3 px above and below. */
const THREAD_BAR: BarBox = { top: 3, height: 16 };

/** "12% wait" beside a lane's name: its share of its life in recorded waits. */
export function waitShareText(data: ViewData, lane: number): string {
  const l = data.lanes[lane];
  return l && l.wallNs > 0 ? `${formatPercent(l.waitNs / l.wallNs)} wait` : '';
}

export const threadTrack: TrackRenderer = {
  renderer: 'thread',
  kindLabel: '',
  bar: THREAD_BAR,
  draw(frame: TrackFrame, lane: number, rowTop: number, items: LodItems): void {
    drawSegments(frame, lane, rowTop, THREAD_BAR, items);
  },
  hitTest(items: LodItems, ns: number, toleranceNs: number): number {
    return items.find(ns, toleranceNs);
  },
  describe(data: ViewData, lane: number, items: LodItems, item: number): ItemDescription {
    const text = describeItem(data, items, item);
    // An event-loop block under the pointer says so first: it is why this stretch matters.
    const b0 = items.begin[item] as number;
    const b1 = items.end[item] as number;
    const block = data.loopBlocks.find((b) => b.loopLane === lane && b.beginNs < b1 && b.endNs > b0);
    return block ? { ...text, lines: [blockSentence(data, block), ...text.lines] } : text;
  },
  labelTitle(data: ViewData, lane: number): string {
    const l = data.lanes[lane];
    if (!l) return '';
    const t = l.thread;
    const wall = l.wallNs;
    return [
      `${laneName(data, lane)} (tid ${l.tid}${t?.daemon ? ', daemon' : ''})`,
      `alive ${formatDuration(wall)}`,
      `waiting ${formatDuration(l.waitNs)} (${formatPercent(wall > 0 ? l.waitNs / wall : 0)})`,
      t && t.cpuNs !== null ? `on CPU ${formatDuration(t.cpuNs)}` : 'no CPU clock',
      t && t.gilWaitEstimateNs !== null ? `not on CPU outside waits ${formatDuration(t.gilWaitEstimateNs)} (estimated: GIL or native)` : '',
    ].filter(Boolean).join('\n');
  },
  labelMeta: waitShareText,
};
