/** The notification of a deadlock or hang (issue 12): once per stall and view, by sentence. */
import { describe, expect, it } from 'vitest';
import { newStallNotices } from '../../../extension/src/stall-notices';
import type { ViewStall } from '../../../runtime/src/view/view-data';

const stall = (kind: ViewStall['kind'], sentence: string): ViewStall => ({ kind, source: 'watchdog', pid: 1, detectedNs: 0, sentence, members: [] });

describe('stall notices', () => {
  it('announce each deadlock or hang once, as "Weft found a deadlock: ...", even when live updates reorder them', () => {
    const seen = new Set<string>();
    const d = stall('deadlock', 'deadlock: t1 waits for B held by t2 at x.py:18; t2 waits for A held by t1 at x.py:12');
    expect(newStallNotices([d], seen)).toEqual([
      { index: 0, severity: 'error', text: 'Weft found a deadlock: t1 waits for B held by t2 at x.py:18; t2 waits for A held by t1 at x.py:12' },
    ]);
    expect(newStallNotices([d], seen)).toEqual([]);
    const h = stall('hang', 'hang: every thread is blocked; MainThread waits for e at x.py:3');
    expect(newStallNotices([h, d], seen)).toEqual([
      { index: 0, severity: 'warning', text: 'Weft found a hang: every thread is blocked; MainThread waits for e at x.py:3' },
    ]);
    expect(newStallNotices(undefined, seen)).toEqual([]);
  });

  it('show at most two at once (the rest are the view\'s banners)', () => {
    const many = [1, 2, 3].map((i) => stall('deadlock', `deadlock: ${i}`));
    expect(newStallNotices(many, new Set()).map((n) => n.index)).toEqual([0, 1]);
  });
});
