/**
 * The track registry and a whole lanes frame drawn on a recording canvas: each lane kind gets
 * its renderer, a model with a task under a thread, a GPU queue and a lane of a kind no one
 * knows draws without error, each in its own bar box, and hit testing finds what was drawn.
 */
import { describe, expect, it } from 'vitest';
import type { Ns } from '../../../runtime/src/format/spec';
import { SegmentState, buildViewData, type ViewData } from '../../../runtime/src/view/view-data';
import { contentToDeviceY, nsPerDevicePx, type TimeWindow } from '../../../webview/src/coords';
import { FlowIndex } from '../../../webview/src/flows';
import { keyCommand } from '../../../webview/src/interaction';
import { countText } from '../../../webview/src/labels';
import { laneGroupKey, layoutLanes, type Layout } from '../../../webview/src/layout';
import { LodIndex, LodItems, subsetTable } from '../../../webview/src/lod';
import { overviewLanes } from '../../../webview/src/overview';
import type { Theme } from '../../../webview/src/theme';
import { drawLanesFrame } from '../../../webview/src/timeline';
import { registeredKinds, trackFor } from '../../../webview/src/tracks/registry';
import { StatePaint, type LanesFrame } from '../../../webview/src/tracks/track';
import { makeModel } from './synthetic';

const MS = 1_000_000;

/** A Path2D that remembers its rectangles (Node has no Path2D). */
class RecordingPath {
  readonly rects: [number, number, number, number][] = [];
  segments = 0;
  rect(x: number, y: number, w: number, h: number): void {
    for (const v of [x, y, w, h]) if (!Number.isFinite(v)) throw new Error(`non-finite rect ${x},${y},${w},${h}`);
    this.rects.push([x, y, w, h]);
  }
  moveTo(): void { this.segments++; }
  lineTo(): void { this.segments++; }
  bezierCurveTo(): void { this.segments++; }
  arc(): void { this.segments++; }
  closePath(): void {}
}

interface Call { name: string; args: unknown[]; fillStyle: unknown; alpha: unknown }

/** A 2D context that records every call (with the fill style and alpha at the time) and keeps
 * assigned properties; a method the frame calls that a real context lacks would still show. */
function recordingContext(): { ctx: CanvasRenderingContext2D; calls: Call[] } {
  const calls: Call[] = [];
  const state: Record<string, unknown> = { globalAlpha: 1 };
  const ctx = new Proxy(state, {
    get(t, prop) {
      if (typeof prop !== 'string') return undefined;
      if (prop in t) return t[prop];
      return (...args: unknown[]) => {
        calls.push({ name: prop, args, fillStyle: t.fillStyle, alpha: t.globalAlpha });
      };
    },
    set(t, prop, v) {
      if (typeof prop === 'string') t[prop] = v;
      return true;
    },
  });
  return { ctx: ctx as unknown as CanvasRenderingContext2D, calls };
}

const theme: Theme = {
  state: ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'], offCpuPattern: 'hatch', background: 'bg', panel: 'panel',
  laneStripe: 'stripe', foreground: 'fg', muted: 'muted', grid: 'grid', selection: 'sel', highlight: 'hl', arrow: 'arrow',
  contrastBorder: '', highContrast: false, font: '12px sans-serif',
};

/** MainThread runs an asyncio task that waits on a lock the thread holds; a GPU queue and a
 * lane of a kind this viewer does not know; a queue message from the GPU lane to the task. */
function mixedData(): ViewData {
  const m = makeModel({
    lanes: [
      { name: 'MainThread', start: 0, end: 100 * MS, tid: 1 },
      { name: 'fetch()', start: 10 * MS, end: 90 * MS, tid: 2, kind: 'task', parent: 0 },
      { name: 'cuda:0', start: 0, end: 100 * MS, tid: 3, kind: 'gpu-queue' },
      { name: 'mystery', start: 0, end: 60 * MS, tid: 4, kind: 'fpga-stream' },
    ],
    objects: [{ kind: 'lock', name: 'db_lock' }, { kind: 'queue', name: 'q' }],
    waits: [
      { lane: 1, begin: 20 * MS, end: 40 * MS, object: 0, reason: 'lock', holder: 0, waker: 0 },
      { lane: 2, begin: 50 * MS, end: 70 * MS, object: 1, reason: 'queue_get' },
      ...Array.from({ length: 400 }, (_v, i) => ({ lane: 3, begin: i * 0.1 * MS, end: i * 0.1 * MS + 0.05 * MS, object: 1, reason: 'queue_put' as const })),
    ],
  });
  m.flows = [{ kind: 'queue', fromLane: 2, fromNs: (m.startNs + 30 * MS) as Ns, toLane: 1, toNs: (m.startNs + 45 * MS) as Ns, object: 1, size: null }];
  return buildViewData(m);
}

function frameOf(d: ViewData, layout: Layout, win: TimeWindow, widthCss = 1000, heightCss = 400): { f: LanesFrame; calls: Call[]; paths: RecordingPath[] } {
  const { ctx, calls } = recordingContext();
  const paths: RecordingPath[] = [];
  const newPath = (): Path2D => {
    const p = new RecordingPath();
    paths.push(p);
    return p as unknown as Path2D;
  };
  const dpr = 2;
  const W = widthCss * dpr;
  const f: LanesFrame = {
    data: d, lod: LodIndex.fromTable(d.segments), theme, dpr, win, minNs: nsPerDevicePx(win, widthCss, dpr), widthDevice: W,
    toX: (ns) => ((ns - win.startNs) / (win.endNs - win.startNs)) * W, paint: new StatePaint(newPath), ctx, layout, scrollTopCss: 0,
    heightDevice: heightCss * dpr,
  };
  return { f, calls, paths };
}

const rowTop = (f: LanesFrame, lane: number): number => contentToDeviceY(f.layout.rows[f.layout.rowOfLane[lane] as number]?.y ?? Number.NaN, 0, f.dpr);

describe('track registry', () => {
  it('draws threads with the thread track and every other kind with the span track', () => {
    expect(trackFor('thread').renderer).toBe('thread');
    for (const kind of ['task', 'greenlet', 'gpu-queue', 'rank', 'worker', 'unknown']) {
      expect(trackFor(kind).renderer, kind).toBe('span');
    }
    expect(registeredKinds()).toEqual(expect.arrayContaining(['thread', 'task', 'greenlet', 'gpu-queue', 'rank', 'worker', 'unknown']));
  });

  it('falls back to the span track labelled "unknown kind" for a kind it does not know', () => {
    const t = trackFor('fpga-stream');
    expect(t.renderer).toBe('span');
    expect(t.kindLabel).toBe('unknown kind');
    const d = mixedData();
    expect(t.labelTitle(d, 3)).toMatch(/^mystery \(unknown kind "fpga-stream"\)/);
    expect(t.labelMeta(d, 3)).toMatch(/^unknown kind/);
  });

  it('reads no thread facts for other kinds: a task says what it runs on, not its CPU', () => {
    const d = mixedData();
    const title = trackFor('task').labelTitle(d, 1);
    expect(title).toMatch(/^fetch\(\) \(task\)\non MainThread\n/);
    expect(title).not.toMatch(/CPU|tid|daemon/);
    expect(trackFor('thread').labelTitle(d, 0)).toMatch(/tid 1[\s\S]*no CPU clock/);
  });
});

describe('a lanes frame on a recording canvas', () => {
  it('draws a thread, its task, a GPU queue and an unknown kind without error, each in its bar box', () => {
    const d = mixedData();
    const layout = layoutLanes(d, new Set());
    const { f, calls, paths } = frameOf(d, layout, { startNs: 0, endNs: d.durationNs });
    const items = new Map<number, LodItems>();
    const thinned = drawLanesFrame(f, {
      ticks: [0, 50 * MS], items, overlay: null, flowIndex: new FlowIndex(d), widthCss: 1000, selected: -1, hover: null, pointerXCss: 10, newPath: () => new RecordingPath() as unknown as Path2D,
    });
    expect(thinned).toBe(false);
    expect([...items.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const lane of [0, 1, 2, 3]) expect(items.get(lane)?.length, `lane ${lane}`).toBeGreaterThan(0);
    // The task's lock wait is a LOCK rectangle inside the span bar (5..17 CSS px of its row).
    const lock = paths.find((p) => p === (f.paint.fills[SegmentState.LOCK] as unknown as RecordingPath));
    const top1 = rowTop(f, 1);
    expect(lock?.rects.some(([, y, , hgt]) => y === top1 + 5 * f.dpr && hgt === 12 * f.dpr)).toBe(true);
    // The thread's running time fills the thread bar (3..19 CSS px).
    const running = f.paint.fills[SegmentState.RUNNING] as unknown as RecordingPath;
    expect(running.rects.some(([, y, , hgt]) => y === rowTop(f, 0) + 3 * f.dpr && hgt === 16 * f.dpr)).toBe(true);
    // One fill per state per frame, whatever the number of lanes, and no OFF_CPU hatching.
    expect(calls.filter((c) => c.name === 'fill' && c.fillStyle === 's2')).toHaveLength(2);
    expect((f.paint.fills[SegmentState.OFF_CPU_ESTIMATE] as unknown as RecordingPath).rects).toHaveLength(0);
    // The process header band and the pointer line.
    expect(calls.some((c) => c.name === 'fillRect' && c.fillStyle === 'panel')).toBe(true);
    expect(calls.some((c) => c.name === 'fillRect' && c.fillStyle === 'muted')).toBe(true);
  });

  it('merges the GPU queue\'s 400 short waits into at most about two items per pixel', () => {
    const d = mixedData();
    const { f } = frameOf(d, layoutLanes(d, new Set()), { startNs: 0, endNs: d.durationNs }, 100);
    const items = new Map<number, LodItems>();
    drawLanesFrame(f, { ticks: [], items, overlay: null, flowIndex: null, widthCss: 100, selected: -1, hover: null, pointerXCss: null, newPath: () => new RecordingPath() as unknown as Path2D });
    expect(items.get(3)?.length).toBeLessThanOrEqual(2 * 200 + 2);
    expect(items.get(3)?.length).toBeLessThan(400);
  });

  it('draws the selected lock overlay, a selection, hover and arrows on span tracks too', () => {
    const d = mixedData();
    const layout = layoutLanes(d, new Set());
    const { f, calls } = frameOf(d, layout, { startNs: 0, endNs: d.durationNs });
    const rows: number[] = [];
    for (let i = 0; i < d.segments.count; i++) if ((d.segments.wait[i] as number) >= 0 && d.waits.object[d.segments.wait[i] as number] === 0) rows.push(i);
    const sub = subsetTable(d.segments, rows, d.lanes.length);
    const items = new Map<number, LodItems>();
    const arrows: RecordingPath[] = [];
    const selected = rows[0] as number;
    drawLanesFrame(f, {
      ticks: [], items, overlay: { lod: new LodIndex(sub.cols, sub.laneOffsets), source: sub.source, holds: null }, flowIndex: new FlowIndex(d),
      widthCss: 1000, selected, hover: { lane: 1, item: 0, first: 0, count: 1, beginNs: 10 * MS, endNs: 20 * MS }, pointerXCss: null,
      newPath: () => {
        const p = new RecordingPath();
        arrows.push(p);
        return p as unknown as Path2D;
      },
    });
    // Lanes dimmed under the overlay, the lock wait filled at full strength.
    expect(calls.some((c) => c.name === 'fill' && c.fillStyle === 's2' && c.alpha === 0.28)).toBe(true);
    expect(calls.some((c) => c.name === 'fill' && c.fillStyle === 's2' && c.alpha === 1)).toBe(true);
    // Selection outline, holder bracket (dashed), hover outline; the queue arrow drawn.
    expect(calls.filter((c) => c.name === 'strokeRect').length).toBeGreaterThanOrEqual(3);
    expect(calls.some((c) => c.name === 'setLineDash')).toBe(true);
    expect(arrows.some((p) => p.segments > 0)).toBe(true);
  });

  it('ends an arrow to a task of a collapsed thread on the thread row', () => {
    const d = mixedData();
    const layout = layoutLanes(d, new Set([laneGroupKey(d, 0)]));
    const { f } = frameOf(d, layout, { startNs: 0, endNs: d.durationNs });
    const lines: { y: number[] }[] = [];
    const newPath = (): Path2D => {
      const ys: number[] = [];
      lines.push({ y: ys });
      const p = new RecordingPath();
      return Object.assign(p, {
        moveTo: (_x: number, y: number) => ys.push(y),
        bezierCurveTo: (_a: number, _b: number, _c: number, _d: number, _x: number, y: number) => ys.push(y),
      }) as unknown as Path2D;
    };
    const items = new Map<number, LodItems>();
    drawLanesFrame(f, { ticks: [], items, overlay: null, flowIndex: new FlowIndex(d), widthCss: 1000, selected: -1, hover: null, pointerXCss: null, newPath });
    expect(items.has(1)).toBe(false);
    const threadMid = rowTop(f, 0) + (22 / 2) * f.dpr;
    expect(lines.some((l) => l.y.includes(threadMid))).toBe(true);
  });

  it('hit-tests each track by its renderer and describes the task\'s wait', () => {
    const d = mixedData();
    const { f } = frameOf(d, layoutLanes(d, new Set()), { startNs: 0, endNs: d.durationNs });
    const items = new Map<number, LodItems>();
    drawLanesFrame(f, { ticks: [], items, overlay: null, flowIndex: null, widthCss: 1000, selected: -1, hover: null, pointerXCss: null, newPath: () => new RecordingPath() as unknown as Path2D });
    const task = trackFor('task');
    const k = task.hitTest(items.get(1) as LodItems, 30 * MS, 0);
    expect(k).toBeGreaterThanOrEqual(0);
    const text = task.describe(d, 1, items.get(1) as LodItems, k);
    expect(text.title).toBe('Lock wait · 20 ms');
    expect(text.lines).toContain('Held by MainThread');
    expect(text.estimated).toBe(false);
  });
});

describe('pieces of the timeline', () => {
  it('maps keys to view commands and leaves other keys alone', () => {
    expect(keyCommand('+', false)).toEqual({ type: 'zoom', factor: 1.6 });
    expect(keyCommand('ArrowLeft', true)).toEqual({ type: 'pan', fraction: -0.5 });
    expect(keyCommand('0', false)).toEqual({ type: 'whole' });
    expect(keyCommand('Escape', false)).toEqual({ type: 'clear' });
    expect(keyCommand('a', false)).toBeNull();
  });

  it('counts lanes by kind in words, and the overview counts threads only', () => {
    expect(countText('thread', 1)).toBe('1 thread');
    expect(countText('gpu-queue', 2)).toBe('2 GPU queues');
    expect(countText('fpga-stream', 3)).toBe('3 lanes of unknown kind');
    expect(overviewLanes(mixedData())).toEqual([0]);
  });
});
