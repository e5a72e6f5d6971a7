/** speedscope export: valid against speedscope's published schema, one sampled profile per lane. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeSpeedscope } from '../../../runtime/src/export/speedscope';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { validate } from './helpers/json-schema';
import { FIXTURES } from './helpers/traces';

const SCHEMA = JSON.parse(readFileSync(path.join(FIXTURES, 'speedscope', 'file-format-schema.json'), 'utf8')) as Record<string, unknown>;

interface File {
  $schema: string;
  shared: { frames: { name: string; file?: string; line?: number }[] };
  profiles: { type: string; name: string; unit: string; startValue: number; endValue: number; samples: number[][]; weights: number[] }[];
}

async function exportFixture(dir: string): Promise<{ file: File; stats: Awaited<ReturnType<typeof writeSpeedscope>> }> {
  const model = await loadTrace(path.join(FIXTURES, dir));
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const stats = await writeSpeedscope(model, out);
  return { file: JSON.parse(Buffer.concat(chunks).toString('utf8')) as File, stats };
}

describe('speedscope export', () => {
  it('is valid against speedscope\'s file format schema', async () => {
    for (const dir of ['contention', 'pool-messages', 'asyncio', 'two-threads']) {
      const { file } = await exportFixture(dir);
      expect(validate(SCHEMA, file), dir).toEqual([]);
      expect(file.$schema).toBe('https://www.speedscope.app/file-format-schema.json');
    }
  });

  it('has one sampled profile per sampled lane, stacks root first, waiting samples ending in (waiting)', async () => {
    const { file, stats } = await exportFixture('contention');
    expect(file.profiles.map((p) => p.name)).toEqual(['worker-a (thread, pid 200)', 'worker-b (thread, pid 200)']);
    expect(stats).toMatchObject({ profiles: 2, samples: 10 });
    const frame = (i: number): string => {
      const f = file.shared.frames[i];
      return f?.file ? `${f.name} ${path.basename(f.file)}:${f.line}` : (f?.name ?? '?');
    };
    const [a, b] = file.profiles;
    expect(a?.samples.map((s) => s.map(frame))).toEqual(Array(5).fill(['work prog.py:10', 'work prog.py:12']));
    expect(b?.samples[0]?.map(frame)).toEqual(['work prog.py:10', 'Condition.wait threading.py:320', '(waiting)']);
    // 100 Hz, achieved: 10 ms a sample, in ns; values are ns since the trace's start.
    expect(a?.unit).toBe('nanoseconds');
    expect(a?.weights).toEqual(Array(5).fill(10_000_000));
    expect([a?.startValue, a?.endValue]).toEqual([100_000_000, 150_000_000]);
    // Frames are shared: each site once.
    const names = file.shared.frames.map((f) => `${f.name}:${f.line ?? ''}`);
    expect(new Set(names).size).toBe(names.length);
  });
});
