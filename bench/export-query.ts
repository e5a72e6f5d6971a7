/**
 * Export and query benchmark: how fast a big trace becomes a Perfetto, speedscope or Chrome
 * file, and how long `weft query` takes to load it into SQLite. Not part of `npm test`: it
 * prints a table (the README's).
 *
 *   node scripts/build.mjs && node --expose-gc dist/bench-export-query.js [--tasks a,b] [--devnull] [counts...]   (default 1000000)
 *
 * --devnull writes the exports to /dev/null (bytes counted), leaving the disk out.
 *
 * Uses bench/model-load.ts's synthetic trace (bench/synthetic-trace.ts: 60 % waits, each woken
 * by another thread, so an unblock flow each; 30 % samples; 10 % CPU readings). Each task runs
 * in a fresh child process: load the model (not counted), then the task, timed; "events" are
 * the trace's records. Peak RSS is the child's, model included.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeExport, type ExportFormatName } from '../runtime/src/export/formats';
import { loadTrace } from '../runtime/src/model/build-model';
import { openTraceDatabase, queryTrace } from '../runtime/src/query/engine';
import { ensureTrace } from './synthetic-trace';

const TASKS = ['perfetto', 'speedscope', 'chrome', 'query-all', 'query-example'] as const;
type Task = (typeof TASKS)[number];

const EXAMPLE = `SELECT o.kind, o.name, count(*) AS waits, round(sum(w.dur_ms), 1) AS wait_ms
FROM waits w JOIN objects o ON o.object = w.charged_object GROUP BY o.object ORDER BY sum(w.dur_ms) DESC LIMIT 5`;

interface Result {
  seconds: number;
  bytes: number;
  rows: number;
  maxRssMB: number;
  loadSeconds: number;
}

async function measure(dir: string, task: Task): Promise<void> {
  const l0 = process.hrtime.bigint();
  const model = await loadTrace(dir);
  const loadSeconds = Number(process.hrtime.bigint() - l0) / 1e9;
  (globalThis as { gc?: () => void }).gc?.();
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  let rows = 0;
  if (task === 'query-all' || task === 'query-example') {
    if (task === 'query-all') {
      const { db, stats } = await openTraceDatabase(model);
      rows = stats.tables.reduce((a, t) => a + t.rows, 0);
      db.close();
    } else {
      const r = await queryTrace(model, EXAMPLE);
      rows = r.load.tables.reduce((a, t) => a + t.rows, 0);
    }
  } else {
    // --devnull: to /dev/null, counting bytes, so the disk's speed is left out.
    const file = process.env.WEFT_BENCH_DEVNULL ? '/dev/null' : path.join(tmpdir(), `weft-bench-export-${process.pid}.${task}`);
    const stream = createWriteStream(file);
    const write = stream.write.bind(stream);
    stream.write = ((chunk: Uint8Array | string, ...rest: never[]) => {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return write(chunk, ...rest);
    }) as typeof stream.write;
    await writeExport(model, task as ExportFormatName, stream);
    if (file !== '/dev/null') unlinkSync(file);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const result: Result = { seconds, bytes, rows, maxRssMB: process.resourceUsage().maxRSS / 1e3, loadSeconds };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--measure') {
    await measure(args[1] as string, args[2] as Task);
    return;
  }
  const counts = args.filter((a) => /^\d+$/.test(a)).map(Number);
  if (args.includes('--devnull')) process.env.WEFT_BENCH_DEVNULL = '1';
  const only = args.includes('--tasks') ? (args[args.indexOf('--tasks') + 1] ?? '').split(',') : null;
  console.log('| events | task | time | throughput | output | peak RSS (model included) |');
  console.log('|---:|---|---:|---:|---:|---:|');
  for (const n of counts.length > 0 ? counts : [1_000_000]) {
    const dir = await ensureTrace(n, 1);
    for (const task of TASKS.filter((t) => only === null || only.includes(t))) {
      const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', __filename, '--measure', dir, task], { encoding: 'utf8' });
      if (r.status !== 0) {
        console.log(`| ${n.toLocaleString('en-US')} | ${task} | failed: ${r.stderr.trim().split('\n').pop()} |`);
        continue;
      }
      const m = JSON.parse(r.stdout) as Result;
      const rate = `${((n / m.seconds) / 1e6).toFixed(2)} M events/s`;
      const out = m.bytes > 0 ? `${(m.bytes / 1e6).toFixed(0)} MB (${(m.bytes / 1e6 / m.seconds).toFixed(0)} MB/s)` : `${m.rows.toLocaleString('en-US')} rows`;
      console.log(`| ${n.toLocaleString('en-US')} | ${task} | ${m.seconds.toFixed(2)} s | ${rate} | ${out} | ${m.maxRssMB.toFixed(0)} MB |`);
    }
  }
}

void main();
