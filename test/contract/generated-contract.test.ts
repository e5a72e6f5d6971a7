import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT_PATH, buildContract, contractText } from '../../runtime/src/format/contract';
import { OPTIONAL_SHAPES, RECORD_SHAPES, RECORDS, validateRecord } from '../../runtime/src/format/spec';

const ROOT = path.resolve(__dirname, '..', '..');

describe('the generated contract (runtime/python/weft/trace_format.json)', () => {
  it('is up to date with spec.ts (run npm run gen:contract when this fails)', () => {
    const onDisk = readFileSync(path.join(ROOT, CONTRACT_PATH), 'utf8');
    expect(onDisk).toBe(contractText());
  });

  it('describes every record with the shapes the validator uses', () => {
    const c = buildContract() as { records: Record<string, { shape: string; optional: string }> };
    for (const code of Object.keys(RECORDS)) {
      expect(c.records[code]?.shape, code).toBe((RECORD_SHAPES as Record<string, string>)[code]);
      expect(c.records[code]?.optional, code).toBe((OPTIONAL_SHAPES as Record<string, string | undefined>)[code] ?? '');
    }
  });

  it('names every id a record refers to, so readers in any language can check definitions come first', () => {
    const refs = Object.entries(RECORDS).flatMap(([code, r]) => r.fields.filter((x) => x.ref).map((x) => `${code}.${x.name}->${x.ref}`));
    expect(refs).toContain('W.lane->lane');
    expect(refs).toContain('W.holder->lane');
    expect(refs).toContain('K.frame->frame');
    expect(refs).toContain('Y.parentLane->lane');
    expect(refs).toContain('O.site->site');
  });

  it('keeps a record with an enum word a newer writer added valid (read as unknown later)', () => {
    expect(validateRecord(['W', 1, 2, 1, 1, 'await', null, null, null, null, 0])).toBeNull();
    expect(validateRecord(['Y', 1, 2, 'fiber', 1, 'f', null, null])).toBeNull();
    expect(validateRecord(['W', 1, 2, 1, 1, 'Not A Word!', null, null, null, null, 0])).not.toBeNull();
  });
});
