/**
 * Problems of issue 12 on source lines (extension/src/server/problems.ts): one diagnostic per
 * member line of a deadlock with the other members related, an inversion on both paths, a lock
 * held across a blocking call on the holder's blocking line; each with a lens.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import type { Summary } from '../../../runtime/src/summary/schema';
import { buildSummary } from '../../../runtime/src/summary/summary';
import { diagnosticsOf, lensTitles, lineFactsFromSummary, problemLenses, type LineFacts } from '../../../extension/src/server/hotspots';

const FIX = path.resolve(__dirname, '..', '..', 'fixtures');
const site = (line: number, func = 'f') => ({ file: '/w/x.py', line, func });
let summary: Summary;

beforeAll(async () => {
  summary = buildSummary(await loadTrace(path.join(FIX, 'deadlock-killed')));
});

const at = (facts: LineFacts[], line: number): LineFacts => {
  const f = facts.find((x) => x.file === '/w/x.py' && x.line === line);
  if (!f) throw new Error(`no facts at ${line}`);
  return f;
};

describe('problems on lines', () => {
  it('a deadlock: one error per member line, related to the other member\'s line, lens first', () => {
    const facts = lineFactsFromSummary(summary, '/w');
    const d12 = diagnosticsOf(at(facts, 12));
    expect(d12[0]).toEqual({
      line: 11, severity: 'error', source: 'weft', code: 'deadlock', message: summary.deadlocks?.[0]?.sentence,
      related: [{ file: '/w/x.py', line: 18, message: 't2 waits for A here, held by t1' }],
    });
    expect(diagnosticsOf(at(facts, 18))[0]?.related).toEqual([{ file: '/w/x.py', line: 12, message: 't1 waits for B here, held by t2' }]);
    expect(lensTitles(at(facts, 12), '/w')[0]).toBe('Weft: deadlock · t1 waits for B here, held by t2 · show on the timeline');
    expect(problemLenses(at(facts, 12))).toEqual([{ title: 'Weft: deadlock · t1 waits for B here, held by t2 · show on the timeline', stall: summary.deadlocks?.[0]?.sentence }]);
  });

  it('an inversion on both paths, each related to the three other lines; a held-across wait on the blocking line', () => {
    const s: Summary = {
      ...summary, deadlocks: [], hangs: [], locks: [],
      lockOrderInversions: [{
        pid: 300, detectedAtMs: 1, first: { name: 'A', kind: 'lock', site: site(5) }, second: { name: 'B', kind: 'lock', site: site(6) },
        paths: [{ thread: 't1', firstSite: site(11), secondSite: site(12) }, { thread: 't2', firstSite: site(17), secondSite: site(18) }],
        sentence: 'lock-order inversion: ...',
      }],
      heldAcrossWaits: [{
        pid: 300, lock: { name: 'X', kind: 'lock', site: site(3) }, site: site(40), reason: 'sleep', blockingObject: null, holders: ['T'],
        occurrences: 1, heldMs: 1200, longestMs: 1200, waiters: ['w1', 'w2', 'w3'], waits: 3, waitedMs: 3100,
        sentence: 'lock "X" held across time.sleep at x.py:40 (1.20 s); 3 threads waited 3.10 s behind it',
      }],
    };
    const facts = lineFactsFromSummary(s, '/w');
    expect(diagnosticsOf(at(facts, 12)).map((d) => [d.code, d.related?.map((r) => r.line)])).toEqual([['lock-order-inversion', [11, 17, 18]]]);
    expect(diagnosticsOf(at(facts, 18)).map((d) => [d.code, d.related?.map((r) => r.line)])).toEqual([['lock-order-inversion', [17, 11, 12]]]);
    expect(lensTitles(at(facts, 12), '/w')[0]).toBe('Weft: lock-order inversion · t1 takes B here while holding A; t2 takes them the other way');
    const held = diagnosticsOf(at(facts, 40));
    expect(held).toEqual([{
      line: 39, severity: 'warning', source: 'weft', code: 'lock-held-across-wait', message: s.heldAcrossWaits?.[0]?.sentence,
      related: [{ file: '/w/x.py', line: 3, message: '"X" was created here' }],
    }]);
    expect(lensTitles(at(facts, 40), '/w')).toEqual(['Weft: "X" held across this call · 3 threads waited 3.10 s behind it']);
    expect(problemLenses(at(facts, 40))[0]?.stall).toBeNull();
  });
});
