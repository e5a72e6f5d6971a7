/**
 * The synthetic traces of the benchmarks (bench/model-load.ts, bench/export-query.ts), written
 * once per size into the temporary folder and reused.
 *
 * The trace looks like the agent's output at scale: 16 threads per process sharing 16 locks,
 * 60 % waits (written when they end, so not in begin order, with holders, wakers and sites),
 * 30 % stack samples, 10 % CPU readings, plus definitions. Split over `files` process files
 * when asked (the case where piscina workers parse in parallel).
 */
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const THREADS = 16;

async function writeProcessFile(file: string, pid: number, n: number): Promise<void> {
  const out = createWriteStream(file);
  const write = (s: string): Promise<void> | void => {
    if (!out.write(s)) return new Promise((r) => out.once('drain', () => r()));
  };
  const t0 = 1_000_000_000_000;
  const headerLine = {
    format: 'weft-trace', version: 1, agent: 'bench', pid, ppid: pid === 1000 ? 1 : 1000, serial: 0, python: '3.11.7',
    implementation: 'cpython', gil: true, platform: 'linux', clock: 'CLOCK_MONOTONIC', startNs: t0, wallNs: 0,
    argv: ['synthetic.py'], cwd: '/app', executable: 'python3', startMethod: pid === 1000 ? 'main' : 'fork', sampleHz: 1000,
  };
  let lines: string[] = [JSON.stringify(headerLine)];
  let written = 0;
  const push = async (s: string): Promise<void> => {
    lines.push(s);
    written++;
    if (lines.length >= 20_000) {
      const chunk = `${lines.join('\n')}\n`;
      lines = [];
      await write(chunk);
    }
  };
  for (let t = 1; t <= THREADS; t++) await push(`["T",${t0},${t},${pid * 100 + t},"worker-${t}",0,${t === 1 ? 'null' : 1},null]`);
  for (let s = 1; s <= 256; s++) await push(`["S",${s},"/app/module_${s % 16}.py",${10 + s},"func_${s}"]`);
  for (let o = 1; o <= 16; o++) await push(`["O",${o},"lock","lock_${o}",${o},null,null]`);
  for (let f = 1; f <= 256; f++) await push(`["F",${f},${f > 16 ? f - 16 : 'null'},${f}]`);
  let ts = t0;
  const body = n - written;
  for (let i = 0; i < body; i++) {
    ts += 1000;
    const tid = (i % THREADS) + 1;
    const k = i % 10;
    if (k < 6) {
      // Written at its end: begins are up to ~100 µs earlier and out of order.
      const dur = 500 + ((i * 7919) % 97) * 1000;
      const other = ((i + 3) % THREADS) + 1;
      await push(`["W",${ts - dur},${ts},${tid},${(i % 16) + 1},"lock",${(i % 256) + 1},${other},${((i + 5) % 256) + 1},${other},0]`);
    } else if (k < 9) {
      await push(`["K",${ts},${tid},${(i % 256) + 1},${i % 2}]`);
    } else {
      await push(`["C",${ts},${tid},${i * 100}]`);
    }
  }
  await push(`["Z",${ts + 1},"exit",0,${written}]`);
  await write(`${lines.join('\n')}\n`);
  await new Promise<void>((r) => out.end(() => r()));
}

export async function ensureTrace(n: number, files: number): Promise<string> {
  const dir = path.join(tmpdir(), `weft-bench-${n}-x${files}`);
  if (existsSync(path.join(dir, 'done'))) return dir;
  mkdirSync(dir, { recursive: true });
  const t = Date.now();
  for (let f = 0; f < files; f++) await writeProcessFile(path.join(dir, `weft-${1000 + f}-0.jsonl`), 1000 + f, Math.floor(n / files));
  createWriteStream(path.join(dir, 'done')).end();
  process.stderr.write(`generated ${dir} in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  return dir;
}

