/**
 * Parsing in piscina worker threads gives exactly the model that parsing in-process gives.
 * Needs the bundled worker (dist/parse-worker.js): `npm test` builds it first.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { createParser, InProcessParser, parseWorkerPath, WorkerParser } from '../../../runtime/src/model/parser-pool';
import { TraceError } from '../../../runtime/src/reader/read-trace';
import { FIXTURES, tempDir } from './helpers/traces';
import { writeFileSync } from 'node:fs';

const WORKER = path.resolve(__dirname, '..', '..', '..', 'dist', 'parse-worker.js');

describe('parse workers', () => {
  it('the bundled worker exists (run "node scripts/build.mjs" first)', () => {
    expect(existsSync(WORKER)).toBe(true);
    expect(parseWorkerPath(path.dirname(WORKER))).toBe(WORKER);
  });

  it('workers and the in-process parser build identical models', async () => {
    const workers = await WorkerParser.create(WORKER, 2);
    try {
      for (const dir of ['processes', 'contention', 'asyncio']) {
        const viaWorkers = await loadTrace(path.join(FIXTURES, dir), { parser: workers });
        const inProcess = await loadTrace(path.join(FIXTURES, dir), { parser: new InProcessParser() });
        expect(viaWorkers).toEqual(inProcess);
        expect(viaWorkers.waits.begin).toBeInstanceOf(Float64Array);
      }
      expect(workers.warnings).toEqual([]);
    } finally {
      await workers.close();
    }
  });

  it('a trace error in a worker arrives as the same TraceError', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'weft-1-0.jsonl'), '{"traceEvents": []}\n');
    const workers = await WorkerParser.create(WORKER, 1);
    try {
      const e = await loadTrace(dir, { parser: workers }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(TraceError);
      expect((e as TraceError).code).toBe('not-a-trace');
    } finally {
      await workers.close();
    }
  });

  it('uses workers only for several big files, and falls back in-process with a warning', async () => {
    const small = [{ path: 'a', bytes: 1000 }, { path: 'b', bytes: 1000 }];
    expect((await createParser(small)).kind).toBe('in-process');
    const big = [{ path: 'a', bytes: 64 << 20 }, { path: 'b', bytes: 64 << 20 }];
    const auto = await createParser(big, { workerFile: WORKER });
    expect(auto.kind).toBe('workers');
    await auto.close();
    const missing = await createParser(big, { workerFile: null });
    expect(missing.kind).toBe('in-process');
    expect(missing.warnings[0]).toMatch(/parse worker .* was not found/);
  });

  it('a worker that cannot start falls back to the main thread, with a warning', async () => {
    await expect(WorkerParser.create(path.join(tempDir(), 'no-such-worker.js'), 1)).rejects.toThrow(/does not exist/);
    const file = path.join(tempDir(), 'broken-worker.js');
    writeFileSync(file, 'throw new Error("this bundle is broken");\n');
    const broken = await WorkerParser.create(file, 1);
    try {
      const m = await loadTrace(path.join(FIXTURES, 'two-threads'), { parser: broken });
      expect(m.waits.count).toBe(1);
      expect(broken.warnings[0]).toMatch(/parsing in worker threads failed/);
    } finally {
      await broken.close();
    }
  });
});
