/**
 * Children that are not Python (`subprocess.Popen(["sleep", ...])`) have no trace file; the
 * model makes them untraced processes from their parent's `P` and `Q` records
 * (runtime/src/model/handlers/processes.ts). Read from the hand-written `non-python-child`
 * fixture (test/fixtures/README.md) and from a variation written next to the assertion.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { TraceModel } from '../../../runtime/src/model/types';
import { SUMMARY_JSON_SCHEMA } from '../../../runtime/src/summary/schema';
import { buildSummary, formatSummary } from '../../../runtime/src/summary/summary';
import { buildViewData } from '../../../runtime/src/view/view-data';
import { validate } from './helpers/json-schema';
import { FIXTURES, header, tempDir, writeProcessFile } from './helpers/traces';

const MS = 1_000_000;
const T0 = 1_000_000_000;

let m: TraceModel;
beforeAll(async () => {
  m = await loadTrace(path.join(FIXTURES, 'non-python-child'));
});

const proc = (model: TraceModel, pid: number) => {
  const p = model.processes.find((x) => x.pid === pid);
  if (p === undefined) throw new Error(`no process ${pid}`);
  return p;
};

describe('non-Python child processes', () => {
  it('become untraced processes with parent, argv, lifetime and exit status from P and Q', () => {
    expect(m.processes).toHaveLength(3);
    const parent = proc(m, 600);
    expect(parent.traced).toBe(true);
    const rows = [601, 602].map((pid) => {
      const p = proc(m, pid);
      return {
        pid: p.pid, ppid: p.ppid, parent: p.parent, traced: p.traced, startMethod: p.startMethod, argv: p.argv,
        startMs: (p.startNs - T0) / MS, endMs: (p.endNs - T0) / MS, exitCode: p.exitCode, endReason: p.endReason, complete: p.complete,
      };
    });
    expect(rows).toEqual([
      {
        pid: 601, ppid: 600, parent: parent.index, traced: false, startMethod: 'subprocess', argv: ['sh', '-c', 'exit 3'],
        startMs: 100, endMs: 150, exitCode: 3, endReason: 'exit', complete: true,
      },
      {
        pid: 602, ppid: 600, parent: parent.index, traced: false, startMethod: 'subprocess', argv: ['/bin/sleep', '5'],
        startMs: 200, endMs: 450, exitCode: null, endReason: 'killed by signal 9', complete: true,
      },
    ]);
    // "pid.serial" stays unique.
    expect(new Set(m.processes.map((p) => `${p.pid}.${p.serial}`)).size).toBe(3);
    expect(m.diagnostics.some((d) => d.message.includes('sleep 5, pid 602, was killed by signal 9'))).toBe(true);
  });

  it('each get one lane spanning their life, drawn on the timeline, with a spawn arrow to it', () => {
    for (const [pid, name, b, e] of [[601, 'sh', 100, 150], [602, 'sleep', 200, 450]] as const) {
      const p = proc(m, pid);
      const lanes = m.lanes.filter((l) => l.process === p.index);
      expect(lanes.map((l) => [l.name, l.tid, (l.startNs - T0) / MS, (l.endNs - T0) / MS])).toEqual([[name, 1, b, e]]);
      const lane = lanes[0]!;
      expect(new Set(m.lanes.map((l) => l.id)).size).toBe(m.lanes.length);
      const main = m.lanes.find((l) => m.processes[l.process]?.pid === 600 && l.tid === 1)!;
      expect(m.flows.filter((f) => f.kind === 'spawn' && f.toLane === lane.index).map((f) => [f.fromLane, (f.fromNs - T0) / MS, (f.toNs - T0) / MS]))
        .toEqual([[main.index, b, b]]);
      expect(m.threadTimes[lane.index]).toMatchObject({ wallNs: (e - b) * MS, cpuNs: null, waitNs: {} });
    }
    const view = buildViewData(m);
    const lane = m.lanes.find((l) => l.name === 'sleep')!;
    const s = view.segments;
    const from = s.laneOffsets[lane.index]!;
    const to = s.laneOffsets[lane.index + 1]!;
    expect(to - from).toBe(1);
    expect([s.begin[from]! / MS, s.end[from]! / MS]).toEqual([200, 450]);
  });

  it('are listed in the summary as not traced, which validates against the schema', () => {
    const summary = buildSummary(m);
    expect(validate(SUMMARY_JSON_SCHEMA as unknown as Record<string, unknown>, JSON.parse(JSON.stringify(summary)) as unknown)).toEqual([]);
    expect(summary.processes.map((p) => [p.pid, p.ppid, p.startMethod, p.exitCode, p.endReason, p.traced, p.threads.length])).toEqual([
      [600, 1, 'main', 0, 'exit', true, 1],
      [601, 600, 'subprocess', 3, 'exit', false, 0],
      [602, 600, 'subprocess', null, 'killed by signal 9', false, 0],
    ]);
    const text = formatSummary(summary, '/w');
    expect(text).toContain('Weft summary: 500 ms, 3 processes, 1 thread');
    expect(text).toContain('\nProcess 601 (subprocess, exit 3, not traced: not Python): sh -c exit 3\n');
    expect(text).toContain('\nProcess 602 (subprocess, killed by signal 9, not traced: not Python): sleep 5\n');
  });

  it("last until the parent's end when no Q saw them end; a pid with a file stays traced", async () => {
    const dir = tempDir();
    writeProcessFile(dir, header({ pid: 700 }), [
      ['T', T0, 1, 700, 'MainThread', 0, null, null],
      ['P', T0 + 10 * MS, 701, 'subprocess', ['cat'], 1, null],
      ['P', T0 + 20 * MS, 702, 'fork', ['prog.py'], 1, null],
    ], T0 + 300 * MS);
    writeProcessFile(dir, header({ pid: 702, ppid: 700, startNs: T0 + 21 * MS, startMethod: 'fork' }), [
      ['T', T0 + 21 * MS, 1, 702, 'MainThread', 0, null, null],
    ], T0 + 100 * MS);
    const model = await loadTrace(dir);
    expect(model.processes.map((p) => [p.pid, p.traced, p.parent])).toEqual([[700, true, null], [702, true, 0], [701, false, 0]]);
    const cat = proc(model, 701);
    expect([(cat.endNs - T0) / MS, cat.exitCode, cat.endReason, cat.complete]).toEqual([300, null, null, false]);
    expect(formatSummary(buildSummary(model), '/w')).toContain('Process 701 (subprocess, end unknown, not traced: not Python): cat');
  });
});
