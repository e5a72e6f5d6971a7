/**
 * Which renderer draws which kind of lane. Threads have their own track; every other kind
 * of trace format v2 (format/spec.ts LANE_KINDS) is a span track under its own name, and a kind
 * this viewer does not know (a newer agent, or what a reader keeps as "unknown") falls back
 * to the span track labelled "unknown kind", so that it is drawn rather than lost.
 */
import { UNKNOWN_LABEL, spanTrack } from './span-track';
import { threadTrack } from './thread-track';
import type { TrackRenderer } from './track';

const UNKNOWN = spanTrack(UNKNOWN_LABEL);

const BY_KIND: ReadonlyMap<string, TrackRenderer> = new Map<string, TrackRenderer>([
  ['thread', threadTrack],
  ['task', spanTrack('task')],
  ['greenlet', spanTrack('greenlet')],
  ['gpu-queue', spanTrack('GPU queue')],
  // The model's kind before v2 (types.ts LaneKind 'gpu'), so older models draw the same.
  ['gpu', spanTrack('GPU queue')],
  ['rank', spanTrack('rank')],
  ['worker', spanTrack('worker')],
  ['unknown', UNKNOWN],
]);

/** The renderer of a lane kind; an unknown kind gets the span track named "unknown kind". */
export function trackFor(kind: string): TrackRenderer {
  return BY_KIND.get(kind) ?? UNKNOWN;
}

/** Every kind with a renderer of its own (tests, docs). */
export function registeredKinds(): string[] {
  return [...BY_KIND.keys()];
}
