/** Text encoding of view data (base64 columns) for the report. */
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decodeViewData, encodeViewData } from '../../../runtime/src/view/codec';
import { VIEW_DATA_VERSION, buildViewData } from '../../../runtime/src/view/view-data';
import { makeModel, rng } from './synthetic';

describe('base64', () => {
  it('matches Node\'s encoder for every length and decodes back', () => {
    const r = rng(3);
    for (let len = 0; len < 70; len++) {
      const bytes = Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
      const text = bytesToBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(base64ToBytes(text))).toEqual(Array.from(bytes));
    }
  });

  it('rejects characters outside the alphabet', () => {
    expect(() => base64ToBytes('ab$d')).toThrow(/invalid base64/);
  });
});

describe('view data codec', () => {
  const model = makeModel({
    lanes: [{ name: 'a', start: 0, end: 100 }, { name: 'b "quoted" </script>', start: 0, end: 100 }],
    objects: [{ kind: 'lock', name: 'l' }],
    waits: [{ lane: 1, begin: 10, end: 60, object: 0, reason: 'lock', holder: 0, waker: 0 }],
    samples: [{ ts: 0, lane: 0, state: 0, cpu: 0 }, { ts: 50, lane: 0, state: 0, cpu: 10 }],
    warnings: ['weft-1-0.jsonl: cut short'],
  });

  it('round-trips every column with its type and every table', () => {
    const d = buildViewData(model);
    const back = decodeViewData(encodeViewData(d));
    expect(back).toEqual(d);
    expect(back.segments.begin).toBeInstanceOf(Float64Array);
    expect(back.segments.cpuShare).toBeInstanceOf(Float32Array);
    expect(back.waits.reason).toBeInstanceOf(Uint8Array);
    expect(back.segments.laneOffsets).toBeInstanceOf(Uint32Array);
  });

  it('refuses data of another version with a message saying what to do', () => {
    const text = encodeViewData(buildViewData(model)).replace(`"version":${VIEW_DATA_VERSION}`, '"version":99');
    expect(() => decodeViewData(text)).toThrow(/version 99.*rebuild the report or update Weft/);
  });

  it('refuses data without its columns', () => {
    expect(() => decodeViewData(`{"version":${VIEW_DATA_VERSION},"lanes":[]}`)).toThrow(/missing its lanes or columns/);
  });
});
