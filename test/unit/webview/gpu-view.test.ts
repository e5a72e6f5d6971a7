/**
 * GPU queue lanes in the view, from the `gpu/` fixture (test/fixtures/README.md): the queue's
 * kernels and copies are its segments (WORK, pointing at their spans) with the idle time
 * between them left empty, and hovering one names the kernel, its device time, the launching
 * line and the queue gap (start − launch).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { SegmentState, buildViewData, type ViewData } from '../../../runtime/src/view/view-data';
import { decodeViewData, encodeViewData } from '../../../runtime/src/view/codec';
import { describeSegment } from '../../../webview/src/describe';
import { layoutLanes } from '../../../webview/src/layout';
import { drawGpuLabels } from '../../../webview/src/overlays';
import type { Theme } from '../../../webview/src/theme';
import type { LanesFrame } from '../../../webview/src/tracks/track';

const MS = 1_000_000;
let d: ViewData;
let q: number;
beforeAll(async () => {
  d = buildViewData(await loadTrace(path.resolve(__dirname, '..', '..', 'fixtures', 'gpu')));
  q = d.lanes.findIndex((l) => l.kind === 'gpu-queue');
});

function rows(lane: number): number[] {
  const s = d.segments;
  const out: number[] = [];
  for (let k = s.laneOffsets[lane] as number; k < (s.laneOffsets[lane + 1] as number); k++) out.push(k);
  return out;
}

describe('GPU queue lanes', () => {
  it('draw the operations as WORK segments on the device\'s converted times, idle time empty', () => {
    const s = d.segments;
    const start = d.originNs;
    expect(rows(q).map((k) => [
      ((s.begin[k] as number) + start - 1e9) / MS, ((s.end[k] as number) + start - 1e9) / MS, s.state[k],
      d.strings[d.spans.label[s.span[k] as number] as number],
    ])).toEqual([
      [5, 15, SegmentState.WORK, 'vadd'], [15, 25, SegmentState.WORK, 'vadd'], [31, 35, SegmentState.WORK, 'device→host 4.0 MB'],
    ]);
  });

  it('say on hover what ran, for how long, from which line and after what queue gap', () => {
    const [k1, k2, copy] = rows(q) as [number, number, number];
    expect(describeSegment(d, k1)).toEqual({
      title: 'GPU kernel · 10 ms',
      lines: ['kernel vadd', '10 ms on the device', 'launched at gpu.py:10', 'queue gap 3 ms (launch to start)'],
    });
    expect(describeSegment(d, k2).lines[3]).toBe('queue gap 12 ms (launch to start)');
    expect(describeSegment(d, copy).title).toBe('GPU copy · 4 ms');
    expect(describeSegment(d, copy).lines[0]).toBe('copy device→host 4.0 MB');
  });

  it('label the bars that are wide enough with the kernel name or the copy', () => {
    const texts: [string, number][] = [];
    const ctx = {
      save() {}, restore() {}, font: '', textBaseline: '', fillStyle: '',
      fillText(t: string, x: number) { texts.push([t, x]); },
    } as unknown as CanvasRenderingContext2D;
    const theme = { foreground: 'fg', font: '12px sans-serif' } as unknown as Theme;
    const frame = (widthCss: number, startMs: number, endMs: number): LanesFrame => {
      const win = { startNs: startMs * MS, endNs: endMs * MS };
      const W = widthCss;
      return {
        data: d, ctx, theme, dpr: 1, win, widthDevice: W, layout: layoutLanes(d, new Set()), scrollTopCss: 0, heightDevice: 400,
        toX: (ns: number) => ((ns - win.startNs) / (win.endNs - win.startNs)) * W,
      } as unknown as LanesFrame;
    };
    const origin = (d.originNs - 1e9) / MS;
    // 1000 px for 50 ms: the 10 ms kernels are 200 px, the 4 ms copy 80 px: all labelled.
    drawGpuLabels(frame(1000, -origin, 50 - origin));
    expect(texts.map(([t]) => t)).toEqual(['vadd', 'vadd', 'device→host 4.0 MB']);
    // 100 px for 50 ms: 20 and 8 px, too narrow for any label.
    texts.length = 0;
    drawGpuLabels(frame(100, -origin, 50 - origin));
    expect(texts).toEqual([]);
  });

  it('keep the launch times through the codec', () => {
    const back = decodeViewData(encodeViewData(d));
    expect(Array.from(back.spans.launchNs ?? [])).toEqual(Array.from(d.spans.launchNs ?? []));
  });
});
