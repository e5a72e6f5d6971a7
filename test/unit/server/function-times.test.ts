/**
 * Time per function inline (extension/src/server/function-times.ts through hotspots.ts): the
 * CodeLens above each user function's def line and its hover with callers and callees, from
 * a synthetic trace whose answer is known (main → f → burn 60 samples, main → g → burn 30, at
 * 10 ms), through the real reader, model and summary.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../../runtime/src/model/build-model';
import { buildSummary } from '../../../runtime/src/summary/summary';
import { hoverMarkdown, lensTitles, lineFactsFromSummary, type LineFacts } from '../../../extension/src/server/hotspots';
import { functionLensTitle, type FunctionFact } from '../../../extension/src/server/function-times';
import { header, tempDir, writeProcessFile } from '../runtime/helpers/traces';

const MS = 1_000_000;
const T0 = 1_000_000_000;
let facts: LineFacts[];
const at = (line: number): LineFacts => {
  const f = facts.find((x) => x.line === line && x.file === '/w/app.py');
  if (!f) throw new Error(`no facts for line ${line}: ${facts.map((x) => x.line).join(', ')}`);
  return f;
};

beforeAll(async () => {
  const dir = tempDir();
  const k = (n: number, frame: number, from: number): unknown[][] => Array.from({ length: n }, (_, i) => ['K', T0 + (from + i) * 10 * MS, 1, frame, 0]);
  writeProcessFile(dir, header({ sampleHz: 100, version: 2 }), [
    ['T', T0, 1, 1, 'MainThread', 0, null, null],
    ['S', 1, 'app.py', 40, 'main', 38], ['S', 2, 'app.py', 11, 'f', 10], ['S', 3, 'app.py', 21, 'g', 20], ['S', 4, 'app.py', 5, 'burn', 3],
    ['S', 5, 'app.py', 41, 'main', 38], ['S', 6, '/usr/lib/python3.11/threading.py', 300, 'Condition.wait', 280],
    ['F', 1, null, 1], ['F', 2, 1, 2], ['F', 3, 2, 4], ['F', 4, null, 5], ['F', 5, 4, 3], ['F', 6, 5, 4],
    ...k(60, 3, 0), ...k(30, 6, 60),
  ], T0 + 900 * MS);
  facts = lineFactsFromSummary(buildSummary(await loadTrace(dir)), '/w');
});

describe('time per function inline', () => {
  it('puts a lens with total, self, share and CPU time above each def line', () => {
    expect(lensTitles(at(10), '/w')).toEqual(['Weft: 600 ms total (67% of sampled time) · 0.00 ms self · 600 ms on CPU']);
    expect(lensTitles(at(20), '/w')).toEqual(['Weft: 300 ms total (33% of sampled time) · 0.00 ms self · 300 ms on CPU']);
    expect(lensTitles(at(3), '/w')).toEqual(['Weft: 900 ms total (100% of sampled time) · 900 ms self · 900 ms on CPU']);
  });

  it('says a module\'s lens on line 1 is its top-level code, not the whole file', () => {
    const module: FunctionFact = {
      name: '<module>', totalMs: 1030, selfMs: 0, share: 0.17, runningMs: 0, notOnCpuEstimateMs: 0, waitingMs: { join: 1030 },
      samples: 103, periodMs: 10, defLine: true, callers: [], callees: [],
    };
    expect(functionLensTitle(module)).toBe('Weft: module-level code 1.03 s total (17% of sampled time) · 0.00 ms self · 1.03 s waiting');
  });

  it('keeps the line\'s other lenses below the function\'s', () => {
    // Line 5 of burn is the sampled hotspot; line 3 its def: separate lines, separate lenses.
    expect(lensTitles(at(5), '/w')).toEqual([expect.stringMatching(/^Weft: CPU hotspot · 90 samples/)]);
  });

  it('hovers with the split and the top callers and callees', () => {
    const burn = hoverMarkdown(at(3), '/w');
    expect(burn).toContain('Time in `burn` (from 90 stack samples of 10.0 ms; estimates)');
    expect(burn).toContain('| 900 ms | 900 ms | 100% | 900 ms | 0.00 ms | - |');
    expect(burn).toMatch(/Top callers[\s\S]*\| f \| 600 ms \| app\.py:10 \|\n\| g \| 300 ms \| app\.py:20 \|/);
    const f = hoverMarkdown(at(10), '/w');
    expect(f).toMatch(/Top callers[\s\S]*\| main \| 600 ms \| app\.py:38 \|/);
    expect(f).toMatch(/Top callees[\s\S]*\| burn \| 600 ms \| app\.py:3 \|/);
  });

  it('gives library functions no lens', () => {
    expect(facts.some((x) => x.file.includes('threading.py'))).toBe(false);
  });
});
