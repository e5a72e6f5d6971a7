/**
 * The multi-kind, multi-host fixture (test/fixtures/multi-host, made by its make-fixture.mjs
 * with a known ground truth): a thread, a task lane under it, a GPU queue on its own clock,
 * and a second host whose monotonic clock reads 3 s ahead and whose wall clock is 0.5 s off.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { buildSummary } from '../../../runtime/src/summary/summary';
import { WAIT_REASONS } from '../../../runtime/src/format/spec';

const FIXTURE = path.resolve(__dirname, '../../fixtures/multi-host');
const GPU_AT = (t: number): number => 5_000_000_000 + (t - 1_000_000_000) * 1.00002;
const KERNELS = [[1_200_000_000, 1_250_000_000], [1_600_000_000, 1_700_000_000]] as const;

describe('a trace of several hosts and lane kinds (multi-host fixture)', () => {
  it('reads a folder of folders as one run with two hosts, and the same pid on each as two processes', async () => {
    const m = await loadTrace(FIXTURE);
    expect(m.hosts?.map((h) => h.name)).toEqual(['alpha', 'beta']);
    expect(m.processes.map((p) => [p.pid, p.host])).toEqual([[100, 0], [100, 1]]);
    expect(new Set(m.lanes.map((l) => l.id)).size).toBe(m.lanes.length);
  });

  it('has a task lane under its thread and a GPU-queue lane, each of its own kind', async () => {
    const m = await loadTrace(FIXTURE);
    const byName = new Map(m.lanes.map((l) => [l.name, l]));
    const task = byName.get('fetch()');
    const gpu = byName.get('queue 0');
    expect(task?.kind).toBe('task');
    expect(gpu?.kind).toBe('gpu-queue');
    expect(m.lanes[task?.parentLane ?? -1]?.name).toBe('MainThread');
    expect(gpu?.clockDomain).toBe('gpu:0');
    // Thread-only figures do not exist for other kinds.
    expect(m.threadTimes[task?.index ?? -1]?.gilWaitEstimateNs).toBeNull();
  });

  it('puts GPU spans within 50 µs of their true host time after calibration (20 ppm drift, µs jitter)', async () => {
    const m = await loadTrace(FIXTURE);
    const kernels = m.spans.filter((s) => s.kind === 'kernel');
    expect(kernels).toHaveLength(2);
    kernels.forEach((k, i) => {
      const [b, e] = KERNELS[i] as readonly [number, number];
      expect(Math.abs(k.begin - b)).toBeLessThan(50_000);
      expect(Math.abs(k.end - e)).toBeLessThan(50_000);
    });
    // Without the fitted rate a 1 s distance at 20 ppm would be 20 µs off; the device clock's
    // raw values are 4 s away from host time.
    expect(GPU_AT(1_200_000_000) - 1_200_000_000).toBeGreaterThan(3e9);
    const clock = m.clocks?.find((c) => c.domain === 'gpu:0');
    expect(clock?.method).toBe('calibration');
    expect(clock?.errorNs).not.toBeNull();
  });

  it('lines the other host up by its messages: receives after sends both ways, within the stated bound', async () => {
    const m = await loadTrace(FIXTURE);
    const mpi = m.flows.filter((f) => f.kind === 'mpi');
    expect(mpi).toHaveLength(2);
    for (const f of mpi) expect(f.toNs).toBeGreaterThanOrEqual(f.fromNs);
    const beta = m.clocks?.find((c) => c.host === 1);
    expect(beta?.method).toBe('flows');
    // Truth: beta's clock is 3 s ahead; the wall clocks alone would say 2.5 s.
    expect(Math.abs((beta?.offsetNs ?? 0) + 3_000_000_000)).toBeLessThanOrEqual(beta?.errorNs ?? 0);
    expect(beta?.errorNs).toBe(50_000_000);
    const sleep = WAIT_REASONS.indexOf('sleep');
    const i = Array.from(m.waits.reason).indexOf(sleep);
    expect(m.waits.begin[i]).toBe(1_500_000_000);
  });

  it('keeps a wait whose reason a newer writer added, as "unknown", with one warning', async () => {
    const m = await loadTrace(FIXTURE);
    const unknown = WAIT_REASONS.indexOf('unknown');
    expect(Array.from(m.waits.reason)).toContain(unknown);
    expect(m.warnings.filter((w) => w.includes('"await_future"'))).toHaveLength(1);
  });

  it('summarizes every lane, the hosts and how each clock was converted', async () => {
    const s = buildSummary(await loadTrace(FIXTURE));
    expect(s.hosts?.map((h) => h.name)).toEqual(['alpha', 'beta']);
    expect(s.processes[0]?.lanes?.map((l) => [l.kind, l.name, l.parent])).toEqual([
      ['task', 'fetch()', 'MainThread'], ['gpu-queue', 'queue 0', 'MainThread'],
    ]);
    expect(s.processes[1]?.host).toBe(1);
    expect(s.clocks?.map((c) => c.method)).toEqual(['reference', 'flows', 'calibration']);
  });

  it('reads the same trace given as two folders', async () => {
    const m = await loadTrace([path.join(FIXTURE, 'host-a'), path.join(FIXTURE, 'host-b')]);
    expect(m.processes).toHaveLength(2);
    expect(m.flows.filter((f) => f.kind === 'mpi').every((f) => f.toNs >= f.fromNs)).toBe(true);
  });
});
