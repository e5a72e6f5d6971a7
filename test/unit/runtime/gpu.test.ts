/**
 * GPU queues (format v2, issue 11) through the model and the summary, against the `gpu/`
 * fixture (test/fixtures/README.md): a queue lane on a device clock 500 ms behind the host's,
 * two kernels and a copy with their launch flows, and the host's gpu_sync waits.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { TraceModel } from '../../../runtime/src/model/types';
import { SUMMARY_JSON_SCHEMA, type Summary } from '../../../runtime/src/summary/schema';
import { buildSummary, formatSummary } from '../../../runtime/src/summary/summary';
import { validate } from './helpers/json-schema';
import { FIXTURES } from './helpers/traces';

const MS = 1e6;
let m: TraceModel;
let s: Summary;
beforeAll(async () => {
  m = await loadTrace(path.join(FIXTURES, 'gpu'));
  s = buildSummary(m);
});

describe('GPU queues in the model', () => {
  it('puts the queue lane\'s spans on the host timeline through its calibration pairs', () => {
    const q = m.lanes.find((l) => l.kind === 'gpu-queue');
    expect(q?.name).toBe('dev queue 1');
    expect(q?.clockDomain).toBe('opencl:dev');
    const spans = m.spans.filter((x) => x.lane === q?.index);
    expect(spans.map((x) => [x.kind, x.label, (x.begin - 1e9) / MS, (x.end - 1e9) / MS])).toEqual([
      ['kernel', 'vadd', 5, 15], ['kernel', 'vadd', 15, 25], ['copy', 'device→host 4.0 MB', 31, 35],
    ]);
  });

  it('pairs launches from the host line to the op\'s start on the queue', () => {
    const q = m.lanes.find((l) => l.kind === 'gpu-queue')?.index;
    const main = m.lanes.find((l) => l.name === 'MainThread')?.index;
    const launches = m.flows.filter((f) => f.kind === 'launch');
    expect(launches.map((f) => [f.fromLane, (f.fromNs - 1e9) / MS, f.toLane, (f.toNs - 1e9) / MS])).toEqual([
      [main, 2, q, 5], [main, 3, q, 15], [main, 30, q, 31],
    ]);
  });
});

describe('GPU queues in the summary', () => {
  it('sums busy and idle time, operations, bytes and host stalls by line', () => {
    expect(s.gpu).toEqual([{
      pid: 800, name: 'dev queue 1', thread: 'MainThread', site: { file: '/w/gpu.py', line: 5, func: '<module>' },
      lifeMs: 49, busyMs: 24, idleMs: 25, kernels: 2, copies: 1, fills: 0, bytesCopied: 4194304, copyGBps: 1.049, hostStallMs: 27,
      stalls: [
        { site: { file: '/w/gpu.py', line: 12, func: '<module>' }, thread: 'MainThread', waits: 1, waitMs: 21, waitedFor: { kind: 'kernel', name: 'vadd' } },
        { site: { file: '/w/gpu.py', line: 14, func: '<module>' }, thread: 'MainThread', waits: 1, waitMs: 6, waitedFor: { kind: 'copy', name: 'device→host 4.0 MB' } },
      ],
      // Launched at 2, 3 and 30 ms; started at 5, 15 and 31.
      queueGap: { launches: 3, meanMs: 5.333, p95Ms: 12, maxMs: 12 },
      byKernel: [{ name: 'vadd', site: { file: '/w/gpu.py', line: 10, func: '<module>' }, count: 2, totalMs: 20 }],
    }]);
  });

  it('validates against the schema, and summaries without GPU lanes have no gpu field', async () => {
    const schema = SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>;
    expect(validate(schema, JSON.parse(JSON.stringify(s)) as unknown)).toEqual([]);
    const plain = buildSummary(await loadTrace(path.join(FIXTURES, 'asyncio')));
    expect('gpu' in plain).toBe(false);
  });

  it('prints a GPU section', () => {
    const text = formatSummary(s, '/w');
    expect(text).toContain('GPU queues (device time, on the timeline):');
    expect(text).toContain('busy 24.0 ms (49 % of its life), idle 25.0 ms');
    expect(text).toContain('2 kernels, 1 copy (4.0 MiB, 1.049 GB/s), 0 fills; host waited 27.0 ms');
    expect(text).toMatch(/host waited in MainThread at .*gpu\.py:12: 1 wait, 21\.0 ms \(waited for kernel vadd\)/);
    expect(text).toContain('queueing gap (launch to start): mean 5.33 ms, p95 12.0 ms, max 12.0 ms over 3 launches');
  });
});
