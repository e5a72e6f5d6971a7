/**
 * Model handlers, each checked against numbers worked out by hand from the fixtures (see
 * test/fixtures/README.md for the story of each trace).
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WAIT_REASONS } from '../../../runtime/src/format/spec';
import { loadTrace, ModelAssembler } from '../../../runtime/src/model/build-model';
import { effectiveSamplePeriod, isLibraryFile } from '../../../runtime/src/model/handlers/hotspots';
import { resolveSourcePath } from '../../../runtime/src/model/handlers/interning';
import { visibleObject } from '../../../runtime/src/model/handlers/lock-stats';
import { parseProcessFile } from '../../../runtime/src/model/parse-file';
import type { TraceModel } from '../../../runtime/src/model/types';
import { FIXTURES, header, tempDir, writeProcessFile } from './helpers/traces';

const MS = 1e6;
let m: TraceModel;
let procs: TraceModel;

beforeAll(async () => {
  m = await loadTrace(path.join(FIXTURES, 'contention'));
  procs = await loadTrace(path.join(FIXTURES, 'processes'));
});

const lane = (model: TraceModel, name: string, pid?: number): number => {
  const l = model.lanes.find((x) => x.name === name && (pid === undefined || model.processes[x.process]?.pid === pid));
  if (l === undefined) throw new Error(`no lane ${name}`);
  return l.index;
};
const objectNamed = (name: string): number => m.objects.findIndex((o) => o.name === name);

describe('the model as a whole', () => {
  it('is frozen at the table level and spans the trace', () => {
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.isFrozen(m.lanes)).toBe(true);
    expect(m.startNs).toBe(1_000_000_000);
    expect(m.endNs).toBe(1_700_000_000);
    expect(m.warnings).toEqual([]);
    expect(m.formatVersion).toBe(1);
  });
});

describe('InterningHandler', () => {
  it('resolves relative source files against the process cwd and keeps pseudo-files', () => {
    expect(m.sites.map((s) => `${s.file}:${s.line}`)).toEqual([
      '/w/prog.py:5', '/w/prog.py:10', '/w/prog.py:12', '/w/prog.py:20', '/usr/lib/python3.11/threading.py:320',
    ]);
    expect(resolveSourcePath('../lib/x.py', '/w/app')).toBe('/w/lib/x.py');
    expect(resolveSourcePath('./a.py', '/w')).toBe('/w/a.py');
    expect(resolveSourcePath('<frozen runpy>', '/w')).toBe('<frozen runpy>');
    expect(resolveSourcePath('C:\\x\\a.py', 'C:\\w')).toBe('C:\\x\\a.py');
    expect(resolveSourcePath('a.py', 'C:\\w')).toBe('C:\\w\\a.py');
  });

  it('links internal objects to the one the user sees', () => {
    const cond = objectNamed('cond');
    const internal = m.objects.findIndex((o) => o.parent === cond);
    expect(m.objects[internal]?.role).toBe('lock');
    expect(visibleObject(m, internal)).toBe(cond);
  });

  it('shares sites and frames between processes that run the same code', async () => {
    const dir = tempDir();
    for (const pid of [1, 2]) {
      writeProcessFile(dir, header({ pid, startMethod: pid === 1 ? 'main' : 'fork', ppid: pid === 1 ? 0 : 1 }), [
        ['T', 1_000_000_000, 1, pid, 'MainThread', 0, null, null], ['S', 1, 'a.py', 1, 'f'], ['S', 2, 'a.py', 2, 'g'],
        ['F', 1, null, 1], ['F', 2, 1, 2], ['O', 1, 'lock', 'l', 1, null, null],
      ]);
    }
    const two = await loadTrace(dir);
    expect(two.sites).toHaveLength(2);
    expect(two.frames).toEqual([{ parent: -1, site: 0 }, { parent: 0, site: 1 }]);
    expect(two.objects.map((o) => o.process)).toEqual([0, 1]); // objects are per process
  });
});

describe('LanesHandler', () => {
  it('makes one lane per thread with parents, start lines and ends', () => {
    expect(m.lanes.map((l) => [l.id, l.name, l.nativeId, l.endNs - l.startNs])).toEqual([
      ['p200.0/t1', 'MainThread', 200, 700 * MS],
      ['p200.0/t2', 'worker-a', 201, 495 * MS],
      ['p200.0/t3', 'worker-b', 202, 504 * MS],
      // No end record: alive until its process's end.
      ['p200.0/t4', 'worker-c', 203, 693 * MS],
    ]);
    expect(m.lanes[1]?.parentLane).toBe(0);
    expect(m.sites[m.lanes[1]?.startSite ?? -1]?.line).toBe(20);
  });
});

describe('WaitsHandler', () => {
  it('re-keys waits to lanes, objects and sites and sorts them by begin', () => {
    const w = m.waits;
    expect(w.count).toBe(7);
    for (let i = 1; i < w.count; i++) expect(w.begin[i]).toBeGreaterThanOrEqual(w.begin[i - 1] as number);
    const first = [...w.begin].indexOf(1_100_000_000);
    expect(w.lane[first]).toBe(lane(m, 'worker-b'));
    expect(w.object[first]).toBe(objectNamed('lock'));
    expect(WAIT_REASONS[w.reason[first] as number]).toBe('lock');
    expect(w.holderLane[first]).toBe(lane(m, 'worker-a'));
    expect(m.sites[w.holderSite[first] as number]?.line).toBe(10);
  });
});

describe('SamplesHandler', () => {
  it('re-keys samples to lanes and frames, with the leaf site and CPU reading', () => {
    const s = m.samples;
    expect(s.count).toBe(10);
    expect(s.lane[0]).toBe(lane(m, 'worker-a'));
    expect(m.sites[s.site[0] as number]?.line).toBe(12);
    expect(m.sites[s.site[1] as number]?.file).toMatch(/threading\.py$/);
    expect(Number.isNaN(s.cpu?.[0])).toBe(true);
  });
});

describe('ThreadTimesHandler', () => {
  it('splits each thread into CPU, waits by reason and the estimated GIL wait', () => {
    const t = (name: string) => m.threadTimes[lane(m, name)];
    // Main thread existed before the agent: CPU counts from its first reading (170 - 150 ms).
    expect(t('MainThread')).toEqual({ lane: 0, wallNs: 700 * MS, cpuNs: 20 * MS, waitNs: { join: 490 * MS }, gilWaitEstimateNs: 190 * MS });
    // Started under the agent: its clock began at zero. 495 - 400 - (50 + 10) = 35 ms.
    expect(t('worker-a')).toEqual({ lane: 1, wallNs: 495 * MS, cpuNs: 400 * MS, waitNs: { sleep: 50 * MS, lock: 10 * MS }, gilWaitEstimateNs: 35 * MS });
    // No CPU clock readings: CPU and the estimate are unknown, not zero.
    expect(t('worker-b')).toEqual({ lane: 2, wallNs: 504 * MS, cpuNs: null, waitNs: { lock: 100 * MS, condition: 10 * MS }, gilWaitEstimateNs: null });
    expect(t('worker-c')?.waitNs).toEqual({ lock: 250 * MS });
  });

  it('counts overlapping waits once and clips waits to the thread life', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ startNs: 0 }), [
      ['T', 0, 1, 1, 'MainThread', 0, null, null],
      ['T', 100, 2, 2, 'w', 0, 1, null],
      ['O', 1, 'lock', 'a', null, null, null],
      ['W', 50, 300, 2, 1, 'lock', null, null, null, null, 0], // starts before the thread: clipped to 100
      ['W', 200, 400, 2, 1, 'condition', null, null, null, null, 0], // overlaps the first by 100
      ['C', 500, 2, 30],
      ['E', 500, 2],
    ], 600);
    const model = await loadTrace(dir);
    const t = model.threadTimes[1];
    expect(t?.waitNs).toEqual({ lock: 200, condition: 100 });
    expect(t?.gilWaitEstimateNs).toBe(400 - 30 - 300);
  });

  it('gives no CPU figure for a thread that existed before the agent and was read once', () => {
    const child = procs.threadTimes[lane(procs, 'MainThread', 301)];
    expect(child?.cpuNs).toBeNull();
    expect(child?.gilWaitEstimateNs).toBeNull();
  });
});

describe('LockStatsHandler', () => {
  it('computes contention with percentiles, union and holders at their lines', () => {
    const l = m.locks.find((x) => x.object === objectNamed('lock'));
    expect(l).toMatchObject({
      acquisitions: 10, contentions: 3, waitNs: 350 * MS, maxWaitNs: 150 * MS, p50WaitNs: 100 * MS, p95WaitNs: 150 * MS,
      contendedHoldNs: 300 * MS,
    });
    expect(l?.holders).toEqual([
      { lane: lane(m, 'worker-a'), site: 1, waits: 2, waitNs: 250 * MS },
      { lane: lane(m, 'worker-b'), site: 1, waits: 1, waitNs: 100 * MS },
    ]);
    expect(l?.waiters).toEqual([
      { lane: lane(m, 'worker-c'), site: 1, waits: 2, waitNs: 250 * MS },
      { lane: lane(m, 'worker-b'), site: 1, waits: 1, waitNs: 100 * MS },
    ]);
  });

  it('charges waits and acquisitions of internal objects to their parent', () => {
    const c = m.locks.find((x) => x.object === objectNamed('cond'));
    expect(c).toMatchObject({ acquisitions: 4, contentions: 2, waitNs: 20 * MS });
    // The wait on the internal lock names its holder, worker-b at line 12; the timed-out wait
    // on the condition itself had no holder and nobody woke it, so it adds no holder row.
    expect(c?.holders).toEqual([{ lane: lane(m, 'worker-b'), site: 2, waits: 1, waitNs: 10 * MS }]);
  });

  it('leaves sleeps and joins out of contention and sorts by total wait', () => {
    expect(m.locks.map((l) => m.objects[l.object]?.name)).toEqual(['lock', 'cond']);
  });
});

describe('HotspotsHandler', () => {
  it('charges samples to the innermost user line, running and waiting apart', () => {
    expect(m.hotspots.map((h) => [m.sites[h.site]?.line, h.cpuNs, h.waitNs, h.samples])).toEqual([
      [10, 0, 50 * MS, 5], // worker-b inside threading.py, called from line 10
      [12, 50 * MS, 0, 5],
    ]);
  });

  it('uses the period the sampler achieved when it fell behind', async () => {
    const dir = tempDir();
    // 100 Hz asked, but ticks came every 20 ms.
    const file = writeProcessFile(dir, header({ sampleHz: 100 }), [
      ['T', 1_000_000_000, 1, 1, 'MainThread', 0, null, null],
      ...[0, 1, 2, 3].map((i) => ['K', 1_000_000_000 + i * 20 * MS, 1, null, 0]),
    ]);
    expect(effectiveSamplePeriod(await parseProcessFile(file))).toBe(20 * MS);
  });

  it('leaves out stacks with no user frame (a pool\'s handler thread, a helper process)', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ sampleHz: 100 }), [
      ['T', 1_000_000_000, 1, 1, 'MainThread', 0, null, null],
      ['S', 1, '/usr/lib/python3.11/selectors.py', 468, 'EpollSelector.select'],
      ['S', 2, 'app.py', 3, 'main'],
      ['F', 1, null, 1], ['F', 2, null, 2], ['F', 3, 2, 1],
      ['K', 1_000_000_000, 1, 1, 0], ['K', 1_010_000_000, 1, 3, 0],
    ]);
    const model = await loadTrace(dir);
    expect(model.hotspots.map((h) => [model.sites[h.site]?.file, h.samples])).toEqual([['/w/app.py', 1]]);
  });

  it('tells library files from user files', () => {
    expect(isLibraryFile('/usr/lib/python3.11/threading.py')).toBe(true);
    expect(isLibraryFile('/root/.pyenv/versions/3.11.7/lib/python3.11/queue.py')).toBe(true);
    expect(isLibraryFile('<frozen runpy>')).toBe(true);
    expect(isLibraryFile('/repo/runtime/python/weft/hooks.py')).toBe(true);
    expect(isLibraryFile('/venv/lib/python3.11/site-packages/requests/api.py')).toBe(false);
    expect(isLibraryFile('/home/me/app/main.py')).toBe(false);
  });
});

describe('FlowsHandler', () => {
  it('draws unblock arrows from the releasing thread to each waiter it let go', () => {
    const unblock = m.flows.filter((f) => f.kind === 'unblock').map((f) => [m.lanes[f.fromLane]?.name, m.lanes[f.toLane]?.name, f.toNs]);
    // Not the timed-out wait, not the wait still open at exit.
    expect(unblock).toEqual([
      ['worker-a', 'MainThread', 1_500_000_000],
      ['worker-a', 'worker-b', 1_200_000_000],
      ['worker-b', 'worker-c', 1_300_000_000],
      ['worker-c', 'worker-a', 1_410_000_000],
    ]);
  });

  it('pairs L ends across processes by key and draws spawn arrows', () => {
    const parent = lane(procs, 'MainThread', 300);
    const child = lane(procs, 'MainThread', 301);
    expect(procs.flows).toEqual([
      { kind: 'queue', fromLane: parent, fromNs: 1_100_000_000, toLane: child, toNs: 1_200_000_000, object: null, size: 64 },
      { kind: 'spawn', fromLane: parent, fromNs: 1_050_000_000, toLane: child, toNs: 1_060_000_000, object: null, size: null },
    ]);
    expect(procs.spans).toEqual([{ begin: 1_050_000_000, end: 1_100_000_000, lane: parent, kind: 'work', label: 'prepare', site: 0 }]);
  });
});

describe('ProcessesHandler', () => {
  it('links children to parents and takes exit codes from run.json and the parent\'s Q record', () => {
    expect(procs.processes.map((p) => [p.pid, p.parent, p.startMethod, p.exitCode, p.endReason, p.complete])).toEqual([
      [300, null, 'main', 3, 'exit', true], // run.json says 3, which beats the end record's 0
      [301, 0, 'fork', null, 'killed by signal 9', false],
    ]);
    expect(procs.warnings).toEqual(['process 301 was cut short (killed or crashed?): read up to 240.0 ms after it started; its trace has no end record.']);
  });

  it('keeps counters per process and name', () => {
    expect(procs.counters?.map((c) => [c.process, c.name, [...c.value]])).toEqual([[0, 'queue_depth', [3, 1]]]);
  });
});

describe('DiagnosticsHandler', () => {
  it('reports the contended lock with its main holder, the open wait and the GIL estimate', () => {
    expect(m.diagnostics.map((d) => [d.severity, d.message])).toEqual([
      ['warning', 'lock "lock" (created at prog.py:5) made threads wait 350 ms in total (3 waits by 2 threads, p95 150 ms, longest 150 ms); held mostly by thread "worker-a" at prog.py:10 (250 ms of the waiting)'],
      ['info', 'threads waited 20 ms in total on condition "cond" (created at prog.py:5) (2 waits by 2 threads, p95 10 ms, longest 10 ms); released mostly by thread "worker-b" (10 ms of the waiting)'],
      ['warning', 'thread "worker-c" was still waiting at prog.py:10 (lock) on lock "lock" (created at prog.py:5) when its process ended, after 100 ms; it was held by thread "worker-b" at prog.py:10. A deadlock, or a wait nobody would end?'],
      ['info', 'thread "MainThread" was runnable but not running for about 190 ms (27% of its life; an estimate): most likely waiting for the GIL while other threads ran Python code (400 ms of CPU).'],
    ]);
    expect(m.sites[m.diagnostics[0]?.site ?? -1]?.line).toBe(5);
  });

  it('calls time off the CPU a blocking call, not GIL wait, when no other thread was running', async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ startNs: 0 }), [
      ['T', 0, 1, 1, 'MainThread', 0, null, null],
      ['T', 0, 2, 2, 'idle', 0, 1, null],
      ['C', 10 * MS, 1, 5 * MS], ['C', 400 * MS, 1, 15 * MS], // 10 ms of CPU in 400 ms
      ['C', 400 * MS, 2, 1 * MS],
    ], 400 * MS);
    const model = await loadTrace(dir);
    expect(model.diagnostics.map((d) => d.message)).toContainEqual(
      'thread "MainThread" spent about 390 ms (98% of its life; an estimate) neither on the CPU nor in a recorded wait, while the other threads of its process used little CPU: blocked in a call Weft does not record (I/O, select, a C extension), not waiting for the GIL.',
    );
  });

  it('reports a child process killed by a signal', () => {
    expect(procs.diagnostics.map((d) => d.message)).toContain('parent.py (fork), pid 301, was killed by signal 9.');
  });
});

describe('ModelAssembler', () => {
  it('gives the same model whatever parser produced the files, merged in file order', async () => {
    const files = ['weft-300-0.jsonl', 'weft-301-0.jsonl'].map((f) => path.join(FIXTURES, 'processes', f));
    const a = new ModelAssembler();
    for (const f of files) a.addFile(await parseProcessFile(f));
    const model = a.finish();
    expect(model.processes.map((p) => p.pid)).toEqual([300, 301]);
    expect(model.flows).toHaveLength(2);
  });
});
