/**
 * The view worker gives the host the same view data as loading in its own thread, with
 * errors that keep their TraceError code, and a host whose worker cannot start still loads.
 * The worker is bundled from the current source for the test, as scripts/build.mjs does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceError } from '../../../runtime/src/reader/read-trace';
import { exportChoices, InProcessTraceLoader, WorkerTraceLoader } from '../../../extension/src/trace-loader';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const FIX = path.join(ROOT, 'test', 'fixtures');
// Inside the repository so the bundle resolves piscina (external, as in the real build).
const workerFile = path.join(ROOT, 'node_modules', '.cache', 'weft-test', 'view-worker.js');
let loader: WorkerTraceLoader;
const fallbacks: string[] = [];

beforeAll(async () => {
  await build({
    entryPoints: [path.join(ROOT, 'extension', 'src', 'view-worker.ts')], outfile: workerFile, bundle: true,
    platform: 'node', format: 'cjs', target: 'node20', external: ['piscina'], logLevel: 'error',
  });
  loader = new WorkerTraceLoader(workerFile, (r) => fallbacks.push(r));
});
afterAll(() => loader.dispose());

describe('WorkerTraceLoader', () => {
  it('returns the same view data as loading in the host thread, columns included', async () => {
    const target = path.join(FIX, 'two-threads');
    const [viaWorker, local] = await Promise.all([loader.load(target), new InProcessTraceLoader().load(target)]);
    expect(fallbacks).toEqual([]);
    expect(viaWorker.data.lanes).toEqual(local.data.lanes);
    expect(viaWorker.data.locks).toEqual(local.data.locks);
    expect(viaWorker.data.waits.begin).toBeInstanceOf(Float64Array);
    expect(Array.from(viaWorker.data.waits.begin)).toEqual(Array.from(local.data.waits.begin));
    expect(Array.from(viaWorker.data.segments.state)).toEqual(Array.from(local.data.segments.state));
  });

  it('applies the live treatment in the worker too', async () => {
    const live = await loader.load(path.join(FIX, 'truncated'), { live: true });
    expect(live.data.warnings).toEqual([]);
    const final = await loader.load(path.join(FIX, 'truncated'));
    expect(final.data.warnings.some((w) => /cut short/.test(w))).toBe(true);
  });

  it('exports Chrome trace JSON in the worker: thread names and the 200 ms wait of the fixture', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'weft-export-')), 'two.chrome.json');
    await loader.exportTrace(path.join(FIX, 'two-threads'), out);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { ph: string; name: string; cat?: string; dur?: number; args?: { name?: string } }[] };
    const names = json.traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.args?.name);
    expect(names).toEqual(['MainThread', 'holder', 'waiter']);
    const waits = json.traceEvents.filter((e) => e.ph === 'X' && e.cat === 'wait');
    expect(waits.map((e) => e.dur)).toEqual([200_000]);
  });

  it('exports the self-contained HTML report in the worker when the file name ends in .html', async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'weft-export-')), 'two.html');
    await loader.exportTrace(path.join(FIX, 'two-threads'), out);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('id="weft-data"');
  });

  it('exports the format picked in Export Trace... (Perfetto protobuf, speedscope) in the worker', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weft-export-'));
    await loader.exportTrace(path.join(FIX, 'two-threads'), path.join(dir, 't.perfetto-trace'), 'perfetto');
    const pb = readFileSync(path.join(dir, 't.perfetto-trace'));
    expect(pb[0]).toBe(0x0a); // Trace.packet (field 1, length-delimited)
    expect(pb.includes(Buffer.from('waiter'))).toBe(true);
    await loader.exportTrace(path.join(FIX, 'contention'), path.join(dir, 'c.json'), 'speedscope');
    expect(JSON.parse(readFileSync(path.join(dir, 'c.json'), 'utf8')).$schema).toBe('https://www.speedscope.app/file-format-schema.json');
    expect(exportChoices().map((c) => c.format)).toEqual(['perfetto', 'chrome', 'speedscope', 'report']);
  });

  it('an export to an unwritable place fails with the reason instead of hanging', async () => {
    await expect(loader.exportTrace(path.join(FIX, 'two-threads'), path.join(ROOT, 'no', 'such', 'dir', 'x.json'))).rejects.toThrow(/ENOENT/);
  });

  it('a foreign file is still a TraceError with its code and message', async () => {
    const err = await loader.load(path.join(FIX, 'foreign')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TraceError);
    expect((err as TraceError).code).toBe('not-a-trace');
    expect((err as TraceError).message).toMatch(/not a Weft trace/);
  });

  it('when the worker cannot start, loads still work in the host thread and the reason is logged once', async () => {
    const reasons: string[] = [];
    const broken = new WorkerTraceLoader(path.join(ROOT, 'no', 'such', 'view-worker.js'), (r) => reasons.push(r));
    const a = await broken.load(path.join(FIX, 'two-threads'));
    const b = await broken.load(path.join(FIX, 'two-threads'));
    broken.dispose();
    expect(a.data.lanes).toHaveLength(3);
    expect(b.data.lanes).toHaveLength(3);
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/trace worker could not run/);
  });

  it('a worker that dies while loading fails over instead of leaving the load pending', async () => {
    const file = path.join(path.dirname(workerFile), 'broken-worker.js');
    writeFileSync(file, "throw new Error('the worker bundle is broken');\n");
    const reasons: string[] = [];
    const broken = new WorkerTraceLoader(file, (r) => reasons.push(r));
    const t = await broken.load(path.join(FIX, 'two-threads'));
    broken.dispose();
    expect(t.data.lanes).toHaveLength(3);
    expect(reasons[0]).toMatch(/the worker bundle is broken/);
  });
});
