/**
 * Model load benchmark: writes synthetic traces of 1M and 10M records (or the counts given)
 * and measures how long `loadTrace` takes and how much memory it needs. Not part of
 * `npm test`: it prints numbers.
 *
 *   node scripts/build.mjs && node dist/bench-model-load.js [--files N] [--parallel auto|always|never] [counts...]
 *
 * The trace looks like the agent's output at scale: 16 threads per process sharing 16 locks,
 * 60 % waits (written when they end, so not in begin order, with holders, wakers and sites),
 * 30 % stack samples, 10 % CPU readings, plus definitions. With --files N the records are split
 * over N process files (the case where piscina workers parse in parallel).
 *
 * Each load runs in a fresh child process, so its peak RSS is its own; peak heap is sampled
 * while the load runs (between file reads). Typed-array columns live outside the JS heap, so
 * both are reported.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { loadTrace } from '../runtime/src/model/build-model';
import { ensureTrace } from './synthetic-trace';
import type { Parallelism } from '../runtime/src/model/parser-pool';

interface Measure {
  seconds: number;
  /** CPU time of the whole process (all threads, workers included). */
  cpuSeconds: number;
  peakHeapMB: number;
  maxRssMB: number;
  arrayBuffersMB: number;
  waits: number;
  samples: number;
  parser: string;
}

/** The child side: load once and print the measurements as JSON. */
async function measure(dir: string, parallel: Parallelism): Promise<void> {
  let peakHeap = process.memoryUsage().heapUsed;
  let peakBuffers = process.memoryUsage().arrayBuffers;
  const timer = setInterval(() => {
    const u = process.memoryUsage();
    peakHeap = Math.max(peakHeap, u.heapUsed);
    peakBuffers = Math.max(peakBuffers, u.arrayBuffers);
  }, 20);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const model = await loadTrace(dir, { parallel });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  const u = process.memoryUsage();
  const result: Measure = {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakHeapMB: Math.max(peakHeap, u.heapUsed) / 1e6,
    maxRssMB: process.resourceUsage().maxRSS / 1e3,
    arrayBuffersMB: Math.max(peakBuffers, u.arrayBuffers) / 1e6,
    waits: model.waits.count,
    samples: model.samples.count,
    parser: model.warnings.join('; ') || parallel,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const parallel = (args.includes('--parallel') ? args[args.indexOf('--parallel') + 1] : 'auto') as Parallelism;
  if (args[0] === '--measure') {
    await measure(args[1] as string, parallel);
    return;
  }
  const files = args.includes('--files') ? Number(args[args.indexOf('--files') + 1]) : 1;
  const counts = args.filter((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--files').map(Number);
  console.log('| records | files | size | load (wall) | CPU time | throughput | peak JS heap | peak array buffers | peak RSS |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const n of counts.length > 0 ? counts : [1_000_000, 10_000_000]) {
    const dir = await ensureTrace(n, files);
    const bytes = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).reduce((s, f) => s + statSync(path.join(dir, f)).size, 0);
    const r = spawnSync(process.execPath, ['--max-old-space-size=8192', __filename, '--measure', dir, '--parallel', parallel], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`| ${n.toLocaleString('en-US')} | ${files} | failed: ${r.stderr.trim().split('\n').pop()} |`);
      continue;
    }
    const m = JSON.parse(r.stdout) as Measure;
    console.log(`| ${n.toLocaleString('en-US')} | ${files} | ${(bytes / 1e6).toFixed(0)} MB | ${m.seconds.toFixed(1)} s | ${m.cpuSeconds.toFixed(1)} s | ${((bytes / 1e6) / m.seconds).toFixed(0)} MB/s | ${m.peakHeapMB.toFixed(0)} MB | ${m.arrayBuffersMB.toFixed(0)} MB | ${m.maxRssMB.toFixed(0)} MB |`);
  }
}

void main();
