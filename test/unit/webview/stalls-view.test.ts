/**
 * Deadlocks and hangs in the view (issue 12): the view data's stalls (sentence, members' lanes
 * and waits), the cycle's selection on the timeline, the reveal message, and the report.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { writeReport } from '../../../runtime/src/report/report';
import { decodeViewData } from '../../../runtime/src/view/codec';
import { buildViewData, SegmentState } from '../../../runtime/src/view/view-data';
import { isHostToWebviewMessage } from '../../../webview/src/protocol';
import { stallSelection } from '../../../webview/src/stalls';

const DEADLOCK = path.resolve(__dirname, '..', '..', 'fixtures', 'deadlock-killed');
const SENTENCE = 'deadlock: t1 waits for B (created at x.py:6) held by t2 at x.py:18; t2 waits for A (created at x.py:5) held by t1 at x.py:12';

describe('stalls in the view', () => {
  it('carry the sentence and each member\'s lane and wait, whose segments run to the end of the run', async () => {
    const d = buildViewData(await loadTrace(DEADLOCK));
    expect(d.stalls).toHaveLength(1);
    const st = d.stalls?.[0];
    expect(st).toMatchObject({ kind: 'deadlock', source: 'watchdog', pid: 300, detectedNs: 1_021_000_000, sentence: SENTENCE });
    expect(st?.members.map((m) => d.lanes[m.lane]?.name)).toEqual(['t1', 't2']);
    const sel = stallSelection(d, 0);
    expect(sel?.lanes).toEqual(st?.members.map((m) => m.lane));
    expect(sel?.segments.map((i) => [d.segments.wait[i], d.segments.end[i], d.segments.state[i]])).toEqual(
      (st?.members ?? []).map((m) => [m.wait, d.durationNs, SegmentState.LOCK]).sort((a, b) => (a[0] as number) - (b[0] as number)),
    );
    // From just before the first member's wait to the end of the run.
    expect(sel?.window.endNs).toBe(d.durationNs);
    expect(sel?.window.startNs).toBeLessThan(20_000_000);
    expect(stallSelection(d, 1)).toBeNull();
    expect(d.diagnostics.find((x) => x.code === 'deadlock')?.message).toBe(SENTENCE);
  });

  it('a reveal message can select one (the notification\'s "Show")', () => {
    expect(isHostToWebviewMessage({ type: 'reveal', stall: 0 })).toBe(true);
    expect(isHostToWebviewMessage({ type: 'reveal', stall: -1 })).toBe(false);
    expect(isHostToWebviewMessage({ type: 'reveal', stall: 0.5 })).toBe(false);
  });

  it('the HTML report carries them', async () => {
    const assets = mkdtempSync(path.join(tmpdir(), 'weft-assets-'));
    mkdirSync(assets, { recursive: true });
    writeFileSync(path.join(assets, 'webview.js'), '');
    writeFileSync(path.join(assets, 'webview.css'), '');
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'weft-report-')), 'r.html');
    await writeReport(DEADLOCK, out, { assetsDir: assets });
    const html = readFileSync(out, 'utf8');
    const body = /<script[^>]*application\/json[^>]*>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(decodeViewData(body).stalls?.map((s) => s.sentence)).toEqual([SENTENCE]);
  });
});
