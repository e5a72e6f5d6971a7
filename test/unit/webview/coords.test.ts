/** The coordinate spaces of the timeline and the conversions between them. */
import { describe, expect, it } from 'vitest';
import {
  MIN_SPAN_NS, clampWindow, cssToDevice, cssToNs, maxZoom, nsPerDevicePx, nsToCss, panWindow, transformToWindow,
  windowToTransform, zoomWindow,
} from '../../../webview/src/coords';
import { formatDuration, formatTick } from '../../../webview/src/format';

describe('coordinate spaces', () => {
  const win = { startNs: 2_000_000, endNs: 12_000_000 };

  it('maps the visible window onto the lanes area and back (view ns ↔ CSS px)', () => {
    expect(nsToCss(2_000_000, win, 1000)).toBe(0);
    expect(nsToCss(12_000_000, win, 1000)).toBe(1000);
    expect(nsToCss(7_000_000, win, 1000)).toBe(500);
    for (const x of [0, 1, 333.5, 999]) expect(cssToNs(x, win, 1000)).toBeCloseTo(win.startNs + x * 10_000, 6);
  });

  it('scales CSS px to device px by the pixel ratio, and sizes LOD buckets in device px', () => {
    expect(cssToDevice(10, 2)).toBe(20);
    expect(nsPerDevicePx(win, 1000, 1)).toBe(10_000);
    expect(nsPerDevicePx(win, 1000, 2)).toBe(5_000);
  });

  it('converts windows to d3-zoom transforms and back', () => {
    const dur = 50_000_000;
    const t = windowToTransform(win, 800, dur);
    expect(t.k).toBe(5);
    const back = transformToWindow(t, 800, dur);
    expect(back.startNs).toBeCloseTo(win.startNs, 3);
    expect(back.endNs).toBeCloseTo(win.endNs, 3);
    expect(windowToTransform({ startNs: 0, endNs: dur }, 800, dur)).toEqual({ k: 1, x: -0 });
  });
});

describe('zoom and pan', () => {
  const dur = 1_000_000_000;

  it('keep the window inside the run and no narrower than a microsecond', () => {
    expect(clampWindow({ startNs: -50, endNs: 100 }, dur)).toEqual({ startNs: 0, endNs: MIN_SPAN_NS });
    expect(clampWindow({ startNs: dur - 10, endNs: dur + 500 }, dur)).toEqual({ startNs: dur - MIN_SPAN_NS, endNs: dur });
    expect(clampWindow({ startNs: -5, endNs: 2 * dur }, dur)).toEqual({ startNs: 0, endNs: dur });
    expect(clampWindow({ startNs: Number.NaN, endNs: Number.NaN }, dur)).toEqual({ startNs: 0, endNs: dur });
    // An empty run still has a finite window.
    expect(clampWindow({ startNs: 0, endNs: 0 }, 0)).toEqual({ startNs: 0, endNs: MIN_SPAN_NS });
  });

  it('zooming keeps the point under the pointer where it was', () => {
    const w = { startNs: 100_000_000, endNs: 300_000_000 };
    const anchor = 150_000_000;
    const z = zoomWindow(w, 4, anchor, dur);
    expect(z.endNs - z.startNs).toBe(50_000_000);
    expect((anchor - z.startNs) / (z.endNs - z.startNs)).toBeCloseTo((anchor - w.startNs) / (w.endNs - w.startNs), 9);
  });

  it('zooms from the whole run down to one microsecond and no further', () => {
    let w = { startNs: 0, endNs: dur };
    for (let i = 0; i < 40; i++) w = zoomWindow(w, 2, 500_000_000, dur);
    expect(w.endNs - w.startNs).toBe(MIN_SPAN_NS);
    expect(maxZoom(dur)).toBe(dur / MIN_SPAN_NS);
  });

  it('pans by a fraction of the window and stops at the ends', () => {
    expect(panWindow({ startNs: 0, endNs: 100_000 }, 0.5, dur)).toEqual({ startNs: 50_000, endNs: 150_000 });
    expect(panWindow({ startNs: 0, endNs: 100_000 }, -1, dur)).toEqual({ startNs: 0, endNs: 100_000 });
  });
});

describe('time labels', () => {
  it('formats durations with a unit people read', () => {
    expect(formatDuration(850)).toBe('850 ns');
    expect(formatDuration(12_340)).toBe('12.3 µs');
    expect(formatDuration(4_560_000)).toBe('4.56 ms');
    expect(formatDuration(1_230_000_000)).toBe('1.23 s');
    expect(formatDuration(125e9)).toBe('2 min 05 s');
  });

  it('labels axis ticks so that neighbours differ', () => {
    expect([0, 500_000, 1_000_000].map((t) => formatTick(t, 500_000))).toEqual(['0.0 ms', '0.5 ms', '1.0 ms']);
    expect(formatTick(200_000_000, 100_000_000)).toBe('0.2 s');
    expect(formatTick(20_000_000, 20_000_000)).toBe('20 ms');
    expect(formatTick(1_500, 500)).toBe('1.5 µs');
  });
});
