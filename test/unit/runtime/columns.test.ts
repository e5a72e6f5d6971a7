/** Typed-array columns, id maps and the radix sort used for big traces. */
import { describe, expect, it } from 'vitest';
import { F64Column, IdMap, percentile, permuteF64, sortOrder, sortOrderOrNull } from '../../../runtime/src/model/columns';

describe('columns', () => {
  it('grow past their capacity and finish exactly sized', () => {
    const c = new F64Column(16);
    for (let i = 0; i < 1000; i++) c.push(i * 1.5);
    const out = c.finish();
    expect(out.length).toBe(1000);
    expect(out[999]).toBe(1498.5);
  });

  it('hand over their array without a copy when grown to the exact size', () => {
    const c = new F64Column(16);
    c.grow(100, true);
    c.data.fill(7, 0, 100);
    c.length = 100;
    const data = c.data;
    expect(c.finish()).toBe(data);
  });
});

describe('IdMap', () => {
  it('maps dense ids, unknown ids and null to -1 for unknowns', () => {
    const m = new IdMap(4);
    m.set(1, 10);
    m.set(4000, 20);
    expect(m.get(1)).toBe(10);
    expect(m.get(4000)).toBe(20);
    expect(m.get(2)).toBe(-1);
    expect(m.get(null)).toBe(-1);
    expect(m.get(-5)).toBe(-1);
  });

  it('keeps huge or negative ids in a map instead of allocating for them', () => {
    const m = new IdMap(4);
    m.set(2 ** 40, 1);
    m.set(-3, 2);
    expect(m.get(2 ** 40)).toBe(1);
    expect(m.get(-3)).toBe(2);
  });
});

describe('sortOrder', () => {
  const reference = (keys: number[]): number[] => keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[1]);

  it('is stable and agrees with a comparator sort on big unsorted timestamps (radix path)', () => {
    let seed = 7;
    const keys: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 48271) % 2147483647;
      // ns timestamps over ~3 days with many ties
      keys.push(7_000_000_000_000 + (seed % 5000) * 50_000_000_000);
    }
    expect([...sortOrder(keys)]).toEqual(reference(keys));
  });

  it('handles small, fractional and already sorted input', () => {
    expect([...sortOrder([3, 1, 2])]).toEqual([1, 2, 0]);
    expect([...sortOrder([0.5, 0.25, 0.5])]).toEqual([1, 0, 2]);
    expect(sortOrderOrNull([1, 2, 2, 3])).toBeNull();
    const order = sortOrderOrNull(Float64Array.from([5, 4]));
    expect(permuteF64(Float64Array.from([5, 4]), order)).toEqual(Float64Array.from([4, 5]));
  });

  it('nearest-rank percentiles', () => {
    const sorted = [10, 20, 30, 40];
    expect(percentile(sorted, 0.5)).toBe(20);
    expect(percentile(sorted, 0.95)).toBe(40);
    expect(percentile([], 0.5)).toBe(0);
  });
});
