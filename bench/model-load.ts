/**
 * Model load benchmark: writes a synthetic trace of N records (waits, samples, CPU readings
 * across 8 threads) and measures how long the reader and model take, and the peak heap.
 *
 *   node scripts/build.mjs && node --expose-gc dist/bench-model-load.js [records=1000000] [dir]
 *
 * A benchmark, not a test: it prints numbers.
 */
import { createWriteStream, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadTrace } from '../runtime/src/model/build-model';

async function writeTrace(dir: string, n: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'weft-1-0.jsonl');
  const out = createWriteStream(file);
  const write = (s: string): Promise<void> | void => {
    if (!out.write(s)) return new Promise((r) => out.once('drain', () => r()));
  };
  const t0 = 1_000_000_000;
  await write(`${JSON.stringify({ format: 'weft-trace', version: 1, agent: 'bench', pid: 1, ppid: 0, serial: 0, python: '3.11.7', implementation: 'cpython', gil: true, platform: 'linux', clock: 'CLOCK_MONOTONIC', startNs: t0, wallNs: 0, argv: ['synthetic.py'], cwd: '/', executable: 'python3', startMethod: 'main', sampleHz: 1000 })}\n`);
  let lines: string[] = [];
  const push = async (s: string): Promise<void> => {
    lines.push(s);
    if (lines.length >= 10_000) {
      const chunk = `${lines.join('\n')}\n`;
      lines = [];
      await write(chunk);
    }
  };
  for (let t = 1; t <= 8; t++) await push(`["T",${t0},${t},${100 + t},"worker-${t}",0,null,null]`);
  for (let s = 1; s <= 64; s++) await push(`["S",${s},"/app/module_${s % 8}.py",${10 + s},"func_${s}"]`);
  for (let o = 1; o <= 16; o++) await push(`["O",${o},"lock","lock_${o}",${o},null,null]`);
  for (let f = 1; f <= 64; f++) await push(`["F",${f},${f > 8 ? f - 8 : 'null'},${f}]`);
  let ts = t0;
  for (let i = 0; i < n; i++) {
    ts += 1000;
    const tid = (i % 8) + 1;
    const k = i % 10;
    if (k < 6) await push(`["W",${ts},${ts + 500 + (i % 97) * 10},${tid},${(i % 16) + 1},"lock",${(i % 64) + 1},${((i + 1) % 8) + 1},${(i % 64) + 1},${((i + 1) % 8) + 1},0]`);
    else if (k < 9) await push(`["K",${ts},${tid},${(i % 64) + 1},${i % 2}]`);
    else await push(`["C",${ts},${tid},${i * 100}]`);
  }
  await push(`["Z",${ts + 1},"exit",0,${n + 8 + 64 + 16 + 64}]`);
  await write(`${lines.join('\n')}\n`);
  await new Promise<void>((r) => out.end(() => r()));
  return file;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1_000_000);
  const dir = process.argv[3] ?? path.join(tmpdir(), `weft-bench-${n}`);
  const tw = Date.now();
  const file = await writeTrace(dir, n);
  const size = statSync(file).size;
  console.error(`wrote ${n} records (${(size / 1e6).toFixed(0)} MB) in ${((Date.now() - tw) / 1000).toFixed(1)} s`);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  let peak = heap0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, 50);
  const t0 = process.hrtime.bigint();
  const model = await loadTrace(dir);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  gc?.();
  const retained = process.memoryUsage().heapUsed - heap0;
  console.log(`| ${n.toLocaleString('en-US')} | ${(size / 1e6).toFixed(0)} MB | ${secs.toFixed(1)} s | ${((size / 1e6) / secs).toFixed(0)} MB/s | ${(peak / 1e6).toFixed(0)} MB | ${(retained / 1e6).toFixed(0)} MB | ${model.waits.count.toLocaleString('en-US')} waits, ${model.samples.count.toLocaleString('en-US')} samples |`);
}

void main();
