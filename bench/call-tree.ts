/**
 * Call tree benchmark (issue 16): builds the call tree of 1M stack samples (or the count
 * given) and lays out its flame graph, as the model handler and the webview do. Not part of
 * `npm test`: it prints numbers.
 *
 *   node scripts/build.mjs && node dist/bench-call-tree.js [samples] [--write DIR]
 *
 * The samples look like a busy program's: 8 threads, 20,000 distinct leaf frames on paths 24
 * frames deep under 40 top-level functions, 10 % of the samples waiting (on a lock or a
 * queue), the CPU clock read with each. Timed: the build over every lane (what the summary
 * reads), one lane with library frames folded and a time range (what a webview click does),
 * samples under a node (the timeline highlight) and one flame layout at 1,600 px.
 *
 * Each line gives wall and CPU time (a shared machine makes the wall time wait for a core).
 *
 * `--write DIR` also writes the samples as a trace (one process file), so that
 * `weft summary DIR` and `weft report DIR` can be measured on it end to end.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildCallTree, functionTable, samplesUnder, type CallTreeInput } from '../runtime/src/model/call-tree';
import { FlameRects, layoutFlame, nodeStarts } from '../webview/src/flame/flame-layout';

const THREADS = 8;
const LEAVES = 20_000;
const DEPTH = 24;

function hash(x: number): number {
  return Math.imul(x ^ (x >>> 15), 2654435761) >>> 0;
}

function synthetic(n: number): CallTreeInput & { paths: number[][] } {
  // Sites: 4,000 lines of 800 functions in 40 files; one in ten in the standard library.
  const sites = Array.from({ length: 4000 }, (_, i) => {
    const fn = i % 800;
    const lib = fn % 10 === 9;
    return { file: lib ? `/usr/lib/python3.11/mod${fn % 40}.py` : `/app/mod${fn % 40}.py`, line: 10 + i, func: `fn${fn}`, defLine: 1 + fn };
  });
  const parent: number[] = [];
  const site: number[] = [];
  const key = new Map<number, number>();
  const paths: number[][] = [];
  const leaves = new Int32Array(LEAVES);
  for (let l = 0; l < LEAVES; l++) {
    let f = -1;
    const p: number[] = [];
    for (let d = 0; d < DEPTH; d++) {
      // Shared prefixes near the root (40 tops, then fan out), distinct deeper.
      const s = d === 0 ? l % 40 : d < 4 ? (hash(l % (40 << d)) + d) % 4000 : hash(l * 31 + d) % 4000;
      p.push(s);
      const k = (f + 1) * 4096 + s;
      let id = key.get(k);
      if (id === undefined) {
        id = parent.length;
        parent.push(f);
        site.push(s);
        key.set(k, id);
      }
      f = id;
    }
    leaves[l] = f;
    paths.push(p);
  }
  const s = {
    count: n, ts: new Float64Array(n), lane: new Int32Array(n), frame: new Int32Array(n), category: new Uint8Array(n), onCpu: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    s.ts[i] = 1e9 + Math.floor(i / THREADS) * 1e7;
    s.lane[i] = i % THREADS;
    // A skewed choice of leaf: some paths are hot.
    const r = hash(i) / 2 ** 32;
    s.frame[i] = leaves[Math.floor(r * r * LEAVES)] as number;
    s.category[i] = i % 10 === 0 ? 3 + (i % 3 === 0 ? 0 : 6) : 0;
    s.onCpu[i] = 200 + (i % 56);
  }
  return { frameParent: Int32Array.from(parent), frameSite: Int32Array.from(site), sites, samples: s, laneWeightNs: new Float64Array(THREADS).fill(1e7), paths };
}

function time<T>(label: string, runs: number, fn: () => T): T {
  let out: T | undefined;
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    out = fn();
    ms.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
  // CPU time beside wall time: on a shared machine the wall time includes waiting for a core.
  console.log(`${label.padEnd(52)} first ${ms[0]?.toFixed(1)} ms, median ${median(ms).toFixed(1)} ms wall, ${median(cpu).toFixed(1)} ms CPU`);
  return out as T;
}

function writeTrace(dir: string, input: CallTreeInput): void {
  mkdirSync(dir, { recursive: true });
  const s = input.samples;
  const lines: string[] = [JSON.stringify({
    format: 'weft-trace', version: 2, agent: 'bench', pid: 4242, ppid: 1, serial: 0, python: '3.11.7', implementation: 'cpython', gil: true,
    platform: 'linux', clock: 'CLOCK_MONOTONIC', startNs: 1e9, wallNs: 0, argv: ['bench_call_tree.py'], cwd: '/app', executable: '/usr/bin/python3',
    startMethod: 'main', sampleHz: 100,
  })];
  for (let t = 0; t < THREADS; t++) lines.push(JSON.stringify(['T', 1e9, t + 1, 100 + t, t === 0 ? 'MainThread' : `worker-${t}`, 0, null, null]));
  input.sites.forEach((x, i) => lines.push(JSON.stringify(['S', i + 1, x.file, x.line, x.func, x.defLine])));
  for (let f = 0; f < input.frameParent.length; f++) {
    const p = input.frameParent[f] as number;
    lines.push(JSON.stringify(['F', f + 1, p < 0 ? null : p + 1, (input.frameSite[f] as number) + 1]));
  }
  const cpu = new Float64Array(THREADS);
  for (let i = 0; i < s.count; i++) {
    const lane = (s.lane[i] as number) + 1;
    const waiting = (s.category[i] as number) !== 0;
    lines.push(`["K",${s.ts[i]},${lane},${(s.frame[i] as number) + 1},${waiting ? 1 : 0}]`);
    if (!waiting) cpu[lane - 1] = (cpu[lane - 1] as number) + 8e6;
    lines.push(`["C",${s.ts[i]},${lane},${cpu[lane - 1]}]`);
  }
  lines.push(JSON.stringify(['Z', (s.ts[s.count - 1] as number) + 1e7, 'exit', 0, lines.length - 1]));
  writeFileSync(path.join(dir, 'weft-4242-0.jsonl'), `${lines.join('\n')}\n`);
  console.log(`wrote ${dir} (${s.count} samples)`);
}

function main(): void {
  const args = process.argv.slice(2);
  const w = args.indexOf('--write');
  const dir = w >= 0 ? args[w + 1] : undefined;
  const n = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--write') ?? 1_000_000);
  const input = synthetic(n);
  console.log(`${n.toLocaleString('en-US')} samples, ${input.frameParent.length.toLocaleString('en-US')} frames, ${LEAVES} leaves, depth ${DEPTH}, ${THREADS} lanes`);
  const fns = time('function table (4,000 sites)', 3, () => functionTable(input.sites));
  const all = time('call tree, all lanes, with lines (summary)', 5, () => buildCallTree(input, fns, { lines: true }));
  console.log(`  ${all.tree.nodeCount.toLocaleString('en-US')} nodes, depth ${all.tree.maxDepth}`);
  const half = (input.samples.ts[n - 1] as number) / 2;
  const one = time('call tree, one lane, folded, half the run (webview)', 5, () => buildCallTree(input, fns, { lanes: new Set([0]), hideLibrary: true, fromNs: half }));
  const top = one.tree.children[one.tree.childOffsets[0] as number] as number;
  time('samples under the heaviest top node (highlight)', 5, () => samplesUnder(input, fns, one.tree, top, one.rowBegin, one.rowEnd, { lanes: new Set([0]), hideLibrary: true }));
  const starts = time('node starts (once per tree)', 5, () => nodeStarts(all.tree));
  const rects = new FlameRects();
  time('flame layout, 1,600 px, 40 rows', 20, () => layoutFlame(all.tree, starts, { focus: 0, widthPx: 1600, firstDepth: 1, rows: 40, minPx: 0.5 }, rects));
  console.log(`  ${rects.length.toLocaleString('en-US')} rectangles, ${rects.visited.toLocaleString('en-US')} nodes visited of ${all.tree.nodeCount.toLocaleString('en-US')}`);
  if (dir !== undefined) writeTrace(dir, input);
}

main();
