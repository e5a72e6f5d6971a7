/** The summary: JSON valid against its published schema, numbers from the model, readable text. */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { TraceModel } from '../../../runtime/src/model/types';
import { SUMMARY_JSON_SCHEMA, SUMMARY_SCHEMA_VERSION } from '../../../runtime/src/summary/schema';
import { buildSummary, displayPath, formatMs, formatSummary } from '../../../runtime/src/summary/summary';
import { validate } from './helpers/json-schema';
import { FIXTURES } from './helpers/traces';

let contention: TraceModel;
let processes: TraceModel;
beforeAll(async () => {
  contention = await loadTrace(path.join(FIXTURES, 'contention'));
  processes = await loadTrace(path.join(FIXTURES, 'processes'));
});

describe('summary JSON', () => {
  it('validates against the JSON Schema for every fixture, after a JSON round trip', async () => {
    for (const dir of ['contention', 'processes', 'two-threads', 'truncated', 'future-records']) {
      const s = JSON.parse(JSON.stringify(buildSummary(await loadTrace(path.join(FIXTURES, dir))))) as unknown;
      expect(validate(SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>, s), dir).toEqual([]);
    }
  });

  it('the validator rejects what the schema forbids (so the check above can fail)', () => {
    const s = JSON.parse(JSON.stringify(buildSummary(contention))) as Record<string, unknown>;
    const schema = SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>;
    expect(validate(schema, { ...s, schemaVersion: 2 })).toHaveLength(1);
    const { locks: _, ...noLocks } = s;
    expect(validate(schema, noLocks)).toEqual(['$: missing required "locks"']);
    const bad = JSON.parse(JSON.stringify(s)) as { locks: { waitMs: unknown }[] };
    (bad.locks[0] as { waitMs: unknown }).waitMs = '350';
    expect(validate(schema, bad)).toEqual(['$.locks[0].waitMs: expected number, got "350"']);
  });

  it('reports the contended lock, its holder at its line and the waiters, in ms', () => {
    const s = buildSummary(contention);
    expect(s.schemaVersion).toBe(SUMMARY_SCHEMA_VERSION);
    expect(s.durationMs).toBe(700);
    expect(s.locks[0]).toEqual({
      kind: 'lock', name: 'lock', pid: 200, site: { file: '/w/prog.py', line: 5, func: '<module>' },
      acquisitions: 10, contentions: 3, waitMs: 350, maxWaitMs: 150, p50WaitMs: 100, p95WaitMs: 150, contendedHoldMs: 300,
      holders: [
        { thread: 'worker-a', site: { file: '/w/prog.py', line: 10, func: 'work' }, waits: 2, waitMs: 250 },
        { thread: 'worker-b', site: { file: '/w/prog.py', line: 10, func: 'work' }, waits: 1, waitMs: 100 },
      ],
      waiters: [
        { thread: 'worker-c', site: { file: '/w/prog.py', line: 10, func: 'work' }, waits: 2, waitMs: 250 },
        { thread: 'worker-b', site: { file: '/w/prog.py', line: 10, func: 'work' }, waits: 1, waitMs: 100 },
      ],
      // worker-c's last wait never ended (flag OPEN): the one field a trace with open waits adds.
      openWaits: 1,
    });
    expect(s.processes[0]?.threads[1]).toEqual({
      name: 'worker-a', tid: 2, nativeId: 201, daemon: false, runMs: 495, cpuMs: 400, waitMs: { sleep: 50, lock: 10 }, gilWaitEstimateMs: 35,
    });
    expect(s.hotspots[0]).toEqual({ file: '/w/prog.py', line: 10, func: 'work', cpuMs: 0, waitMs: 50, samples: 5 });
    expect(s.diagnostics).toHaveLength(4);
    expect(s.omitted).toEqual({ locks: 0, hotspots: 0 });
  });

  it('keeps the per-thread identity runMs = cpu + waits + GIL estimate', () => {
    for (const t of buildSummary(contention).processes[0]?.threads ?? []) {
      if (t.cpuMs === null || t.gilWaitEstimateMs === null) continue;
      const waited = Object.values(t.waitMs).reduce((a, b) => a + b, 0);
      expect(t.cpuMs + waited + t.gilWaitEstimateMs).toBeCloseTo(t.runMs, 2);
    }
  });

  it('says how many locks and hotspots the limits left out', () => {
    const s = buildSummary(contention, { locks: 1, hotspots: 0 });
    expect(s.locks).toHaveLength(1);
    expect(s.omitted).toEqual({ locks: 1, hotspots: 2 });
  });

  it('carries processes, exit codes and warnings', () => {
    const s = buildSummary(processes);
    expect(s.processes.map((p) => [p.pid, p.ppid, p.startMethod, p.exitCode, p.endReason, p.complete])).toEqual([
      [300, 1, 'main', 3, 'exit', true], [301, 300, 'fork', null, 'killed by signal 9', false],
    ]);
    expect(s.warnings).toHaveLength(1);
    expect(s.diagnostics.find((d) => d.message.includes('killed'))?.pid).toBe(301);
  });
});

describe('summary text', () => {
  it('shows the lock with holder and waiter lines relative to the working directory', () => {
    const text = formatSummary(buildSummary(contention), '/w');
    expect(text).toContain('lock "lock" created at prog.py:5');
    expect(text).toContain('3 waits in 10 acquisitions; 350 ms waited in total (p50 100 ms, p95 150 ms, max 150 ms)');
    expect(text).toContain('held by    worker-a at prog.py:10: 2 waits, 250 ms');
    expect(text).toContain('waited in  worker-c at prog.py:10: 2 waits, 250 ms');
    expect(text).toMatch(/worker-a\s+495 ms\s+400 ms\s+sleep 50\.0 ms, lock 10\.0 ms\s+35\.0 ms/);
    expect(text).toMatch(/worker-b\s+504 ms\s+\?\s+lock 100 ms, condition 10\.0 ms\s+\?/);
    expect(text).toContain('Hotspots (from samples, estimates; running / waiting):');
    expect(text).not.toContain('/w/');
  });

  it('shows absolute paths outside the working directory, process status and warnings', () => {
    const text = formatSummary(buildSummary(processes), '/elsewhere');
    expect(text).toContain('Process 301 (fork, killed by signal 9, trace cut short): parent.py');
    expect(text).toContain('Process 300 (main, exit 3): parent.py');
    expect(text).toContain('Warnings:\n  process 301 was cut short');
    expect(text).toContain('No thread waited on a lock or other synchronisation object.');
  });

  it('formats paths and durations', () => {
    expect(displayPath('/w/a/b.py', '/w')).toBe('a/b.py');
    expect(displayPath('/wx/b.py', '/w')).toBe('/wx/b.py');
    expect(displayPath('C:\\p\\b.py', 'C:\\p')).toBe('b.py');
    expect([0.123, 12.34, 123.4, 1234, 12345].map(formatMs)).toEqual(['0.12 ms', '12.3 ms', '123 ms', '1.23 s', '12.3 s']);
  });
});
