/**
 * The flame graph's layout and level of detail (webview/src/flame/flame-layout.ts) and the
 * timeline highlight of a frame's samples (flame-panel.ts sampleOverlay): positions follow
 * inclusive time, narrow callees merge into one block per caller, and a 1M-sample tree lays
 * out in a bounded number of visits.
 */
import { describe, expect, it } from 'vitest';
import { buildCallTree, functionTable, type CallTreeInput } from '../../../runtime/src/view/call-stacks';
import { FlameRects, hitFlame, layoutFlame, metricBy, nodeStarts } from '../../../webview/src/flame/flame-layout';

/** A tree from paths of site ids (root first) and a sample count per path, 1 ms each. */
function treeOf(paths: [number[], number][], siteCount: number) {
  const sites = Array.from({ length: siteCount }, (_, i) => ({ file: 'a.py', line: i + 1, func: `fn${i}`, defLine: i + 1 }));
  const parent: number[] = [];
  const site: number[] = [];
  const key = new Map<string, number>();
  const leaf = (p: number[]): number => {
    let f = -1;
    for (const s of p) {
      const k = `${f}:${s}`;
      let id = key.get(k);
      if (id === undefined) {
        id = parent.length;
        parent.push(f);
        site.push(s);
        key.set(k, id);
      }
      f = id;
    }
    return f;
  };
  const frames: number[] = [];
  for (const [p, n] of paths) {
    const f = leaf(p);
    for (let i = 0; i < n; i++) frames.push(f);
  }
  const count = frames.length;
  const input: CallTreeInput = {
    frameParent: Int32Array.from(parent), frameSite: Int32Array.from(site), sites,
    samples: { count, ts: Float64Array.from(frames, (_, i) => i), lane: new Int32Array(count), frame: Int32Array.from(frames), category: new Uint8Array(count) },
    laneWeightNs: Float64Array.of(1e6),
  };
  const fns = functionTable(sites);
  return { input, fns, tree: buildCallTree(input, fns).tree };
}

describe('flame layout', () => {
  it('places children left-heavy inside their caller, as wide as their inclusive time', () => {
    // main(0) → f(1) → burn(3) ×60; main → g(2) → burn ×30.
    const { tree, fns } = treeOf([[[0, 1, 3], 60], [[0, 2, 3], 30]], 4);
    const out = layoutFlame(tree, nodeStarts(tree), { focus: 0, widthPx: 900, firstDepth: 1, rows: 10, minPx: 1 }, new FlameRects());
    const rows = Array.from({ length: out.length }, (_, i) => [fns.name[tree.func[out.node[i] as number] as number], out.depth[i] as number, Math.round(out.x[i] as number), Math.round(out.w[i] as number)] as const)
      .sort((a, b) => a[1] - b[1] || a[2] - b[2]);
    expect(rows).toEqual([
      ['fn0', 1, 0, 900], ['fn1', 2, 0, 600], ['fn2', 2, 600, 300], ['fn3', 3, 0, 600], ['fn3', 3, 600, 300],
    ]);
    // A hit at (700 px, row 2) is g.
    const hit = hitFlame(out, 700, 1.5 * 18, 18, 1);
    expect(fns.name[tree.func[out.node[hit] as number] as number]).toBe('fn2');
  });

  it('zooms: the focus fills the width, its ancestors stay above it', () => {
    const { tree, fns } = treeOf([[[0, 1, 3], 60], [[0, 2, 3], 30]], 4);
    const starts = nodeStarts(tree);
    const g = Array.from({ length: tree.nodeCount }, (_, n) => n).find((n) => fns.name[tree.func[n] as number] === 'fn2') as number;
    const out = layoutFlame(tree, starts, { focus: g, widthPx: 300, firstDepth: 1, rows: 10, minPx: 1 }, new FlameRects());
    const rows = Array.from({ length: out.length }, (_, i) => [fns.name[tree.func[out.node[i] as number] as number], out.depth[i], out.x[i], out.w[i]]);
    expect(rows).toEqual([['fn0', 1, 0, 300], ['fn2', 2, 0, 300], ['fn3', 3, 0, 300]]);
  });

  it('measures widths by another weight (CPU time), its heaviest child first', () => {
    const { tree, fns } = treeOf([[[0, 1, 3], 60], [[0, 2, 3], 30]], 4);
    // Suppose f was on a CPU 20 % of its stack time and g all of it.
    const cpu = Float64Array.from(tree.totalNs);
    const name = (n: number): string => fns.name[tree.func[n] as number] ?? '';
    for (let n = 1; n < tree.nodeCount; n++) {
      let f = n;
      while (f > 0 && name(f) !== 'fn1') f = tree.parent[f] as number;
      if (f > 0) cpu[n] = (cpu[n] as number) * 0.2;
    }
    cpu[1] = (cpu[1] as number) - 0.8 * 60e6; // main: f's part shrinks
    cpu[0] = cpu[1] as number;
    const metric = metricBy(tree, cpu);
    const out = layoutFlame(tree, nodeStarts(tree, metric), { focus: 0, widthPx: 420, firstDepth: 1, rows: 10, minPx: 1 }, new FlameRects(), metric);
    const rows = Array.from({ length: out.length }, (_, i) => [name(out.node[i] as number), out.depth[i] as number, Math.round(out.x[i] as number), Math.round(out.w[i] as number)] as const)
      .sort((a, b) => a[1] - b[1] || a[2] - b[2]);
    expect(rows).toEqual([['fn0', 1, 0, 420], ['fn2', 2, 0, 300], ['fn1', 2, 300, 120], ['fn3', 3, 0, 300], ['fn3', 3, 300, 120]]);
  });

  it('merges callees narrower than a pixel into one block per caller and does not visit below them', () => {
    // main → 1 heavy child (1000 samples) and 500 children of 1 sample each, each with a
    // subtree 5 deep: at 100 px a light child is 0.07 px.
    const paths: [number[], number][] = [[[0, 1], 1000]];
    for (let i = 0; i < 500; i++) paths.push([[0, 2 + i, 600, 601, 602, 603, 604], 1]);
    const { tree } = treeOf(paths, 700);
    const out = layoutFlame(tree, nodeStarts(tree), { focus: 0, widthPx: 100, firstDepth: 1, rows: 10, minPx: 1 }, new FlameRects());
    const merged = Array.from({ length: out.length }, (_, i) => i).filter((i) => out.node[i] === -1);
    expect(merged).toHaveLength(1);
    expect(out.merged[merged[0] as number]).toBe(500);
    expect(out.w[merged[0] as number]).toBeCloseTo((100 * 500) / 1500, 6);
    // main, the heavy child, the first light one (which starts the merge): nothing below.
    expect(out.visited).toBe(3);
    expect(tree.nodeCount).toBe(1 + 1 + 1 + 500 * 6);
  });

  it('lays out a 1M-sample tree in visits bounded by the pixels, not the nodes', () => {
    // 20,000 distinct paths, 12 deep, under 40 top functions; 1M samples.
    const paths: [number[], number][] = [];
    for (let i = 0; i < 20_000; i++) {
      const p = [0, 1 + (i % 40)];
      // Distinct paths below the top two levels (a hash of path and depth).
      for (let d = 0; d < 10; d++) p.push(100 + ((Math.imul(i * 16 + d, 2654435761) >>> 0) % 2000));
      paths.push([p, 50]);
    }
    const { tree } = treeOf(paths, 2200);
    expect(tree.samples).toBe(1_000_000);
    const out = new FlameRects();
    const widthPx = 1600;
    layoutFlame(tree, nodeStarts(tree), { focus: 0, widthPx, firstDepth: 1, rows: 40, minPx: 0.5 }, out);
    // Every visited node is drawn or starts a merged block: at most ~2 per pixel per row.
    expect(out.visited).toBeLessThanOrEqual(out.length + 40);
    expect(out.length).toBeLessThan(2 * (widthPx / 0.5) * 12);
    expect(out.length).toBeLessThan(tree.nodeCount / 4);
  });
});

describe('highlighting a frame\'s samples on the timeline', () => {
  it('turns the samples under a node into segments of their lane, each the period before it', async () => {
    const { loadTrace } = await import('../../../runtime/src/model/build-model');
    const { buildViewData } = await import('../../../runtime/src/view/view-data');
    const { callTreeInput, samplesUnder } = await import('../../../runtime/src/view/call-stacks');
    const { sampleOverlay } = await import('../../../webview/src/flame/flame-panel');
    const { header, tempDir, writeProcessFile } = await import('../runtime/helpers/traces');
    const MS = 1_000_000;
    const T0 = 1_000_000_000;
    const dir = tempDir();
    writeProcessFile(dir, header({ sampleHz: 100, version: 2 }), [
      ['T', T0, 1, 1, 'MainThread', 0, null, null],
      ['S', 1, 'app.py', 11, 'f', 10], ['S', 2, 'app.py', 21, 'g', 20],
      ['F', 1, null, 1], ['F', 2, null, 2],
      ...Array.from({ length: 10 }, (_, i) => ['K', T0 + i * 10 * MS, 1, i < 6 ? 1 : 2, 0]),
    ], T0 + 100 * MS);
    const d = buildViewData(await loadTrace(dir));
    const cs = d.callStacks;
    if (!cs) throw new Error('no call stacks in the view data');
    expect(cs.samples.count).toBe(10);
    expect(d.sites.find((s) => s.func === 'f')?.defLine).toBe(10);
    const input = callTreeInput(cs, d.sites);
    const fns = functionTable(d.sites);
    const r = buildCallTree(input, fns);
    const f = Array.from({ length: r.tree.nodeCount }, (_, n) => n).find((n) => fns.name[r.tree.func[n] as number] === 'f') as number;
    const rows = samplesUnder(input, fns, r.tree, f, r.rowBegin, r.rowEnd);
    const o = sampleOverlay(d, rows);
    expect(o?.lod.cols.begin.length).toBe(6);
    // View ns: the first sample is at the run's start; each segment is the 10 ms before it.
    const lane = 0;
    expect(Array.from(o?.lod.cols.end ?? []).map((v) => v / MS)).toEqual([0, 10, 20, 30, 40, 50].map((v) => v + (cs.samples.ts[0] as number) / MS));
    expect(o?.lod.laneOffsets[lane + 1]).toBe(6);
  });
});
