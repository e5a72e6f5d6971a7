/**
 * Growable typed-array columns and the few algorithms over them that the model needs.
 *
 * Why columns: a big trace has millions of waits and samples. One JS object per row costs
 * ~100 bytes and GC time; a row spread over typed arrays costs its payload (~46 bytes for a
 * wait) and nothing to the garbage collector. Appending doubles the capacity, so a push is
 * amortised O(1). Nothing here imports Node: the webview may use these helpers too.
 */

type TypedArrayOf<T> = T extends Float64Array ? Float64Array : T extends Int32Array ? Int32Array : Uint8Array;

abstract class Column<T extends Float64Array | Int32Array | Uint8Array> {
  protected abstract alloc(n: number): T;
  data: T;
  length = 0;
  constructor(initial = 256) {
    this.data = this.alloc(Math.max(16, initial));
  }
  push(v: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = v;
  }
  /** Makes room for at least `n` values in total (exactly `n` when `exact`: the caller knows
   * the final size, and finish() can then hand over the array without a copy). */
  grow(n: number, exact = false): void {
    if (n <= this.data.length) return;
    let cap = exact ? n : this.data.length * 2;
    while (cap < n) cap *= 2;
    const next = this.alloc(cap);
    next.set(this.data.subarray(0, this.length) as never);
    this.data = next;
  }
  /** The values as an exactly sized array; the column must not be used after. */
  finish(): TypedArrayOf<T> {
    const out = this.length === this.data.length ? this.data : this.data.slice(0, this.length);
    this.data = this.alloc(16);
    this.length = 0;
    return out as unknown as TypedArrayOf<T>;
  }
}

export class F64Column extends Column<Float64Array> {
  protected alloc(n: number): Float64Array {
    return new Float64Array(n);
  }
}
export class I32Column extends Column<Int32Array> {
  protected alloc(n: number): Int32Array {
    return new Int32Array(n);
  }
}
export class U8Column extends Column<Uint8Array> {
  protected alloc(n: number): Uint8Array {
    return new Uint8Array(n);
  }
}

/**
 * Maps small non-negative integer ids (the per-file ids of the trace format) to model
 * indexes. The agent allocates ids densely from 1, so a typed array indexed by id is the fast
 * path; a sparse or hostile file (ids in the billions) falls back to a Map instead of
 * allocating gigabytes. Absent ids map to -1.
 */
export class IdMap {
  private dense: Int32Array | null;
  private readonly sparse = new Map<number, number>();
  constructor(maxId = 1024) {
    this.dense = maxId >= 0 && maxId < 1 << 24 ? new Int32Array(maxId + 1).fill(-1) : null;
  }
  set(id: number, value: number): void {
    if (this.dense !== null && Number.isInteger(id) && id >= 0) {
      if (id < this.dense.length) {
        this.dense[id] = value;
        return;
      }
      if (id < 1 << 24) {
        let cap = this.dense.length * 2;
        while (cap <= id) cap *= 2;
        const next = new Int32Array(cap).fill(-1);
        next.set(this.dense);
        this.dense = next;
        this.dense[id] = value;
        return;
      }
    }
    this.sparse.set(id, value);
  }
  /** The mapped value, or -1 for null/unknown ids. */
  get(id: number | null): number {
    if (id === null) return -1;
    if (this.dense !== null && id >= 0 && id < this.dense.length) {
      const v = this.dense[id] as number;
      if (v !== -1 || this.sparse.size === 0) return v;
    }
    return this.sparse.get(id) ?? -1;
  }
}

/**
 * The stable permutation that sorts `keys` ascending: `keys[order[0]] <= keys[order[1]] ...`.
 *
 * Already-sorted input (the common case for samples) costs one scan. Otherwise a least
 * significant digit radix sort on the keys' offsets from the minimum: O(n) with a handful of
 * passes, where a comparator sort of a few million rows took seconds. Keys must be finite
 * numbers; timestamps in ns (integers up to 2^53) sort exactly, fractions by their integer part
 * first and then by a final comparator pass over equal-integer runs.
 */
export function sortOrder(keys: ArrayLike<number>): Uint32Array {
  const n = keys.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let sorted = true;
  let min = Infinity;
  let max = -Infinity;
  let integral = true;
  for (let i = 0; i < n; i++) {
    const k = keys[i] as number;
    if (i > 0 && k < (keys[i - 1] as number)) sorted = false;
    if (k < min) min = k;
    if (k > max) max = k;
    if (integral && !Number.isInteger(k)) integral = false;
  }
  if (sorted) return order;
  if (n < 4096 || !integral || max - min > Number.MAX_SAFE_INTEGER) {
    return order.sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
  }
  return radixOrder(keys, min, max - min);
}

function radixOrder(keys: ArrayLike<number>, min: number, range: number): Uint32Array {
  const n = keys.length;
  // Each offset from the minimum as two 32-bit words, sorted 16 bits at a time. The words
  // travel with their row index, so every pass reads its input in order: an index-only
  // version read the words at random and was ten times slower (cache misses).
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const off = (keys[i] as number) - min;
    const h = Math.floor(off / 4294967296);
    hi[i] = h;
    lo[i] = off - h * 4294967296;
    idx[i] = i;
  }
  const digits = range < 2 ** 16 ? 1 : range < 2 ** 32 ? 2 : range < 2 ** 48 ? 3 : 4;
  let lo2 = new Uint32Array(n);
  let hi2 = new Uint32Array(n);
  let idx2 = new Uint32Array(n);
  const count = new Uint32Array(65536);
  for (let d = 0; d < digits; d++) {
    const words = d < 2 ? lo : hi;
    const shift = (d % 2) * 16;
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const b = ((words[i] as number) >>> shift) & 0xffff;
      count[b] = (count[b] as number) + 1;
    }
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const c = count[b] as number;
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const b = ((words[i] as number) >>> shift) & 0xffff;
      const at = count[b] as number;
      count[b] = at + 1;
      lo2[at] = lo[i] as number;
      hi2[at] = hi[i] as number;
      idx2[at] = idx[i] as number;
    }
    [lo, lo2] = [lo2, lo];
    [hi, hi2] = [hi2, hi];
    [idx, idx2] = [idx2, idx];
  }
  return idx;
}

/** Like {@link sortOrder}, but null when the keys are already sorted (nothing to permute). */
export function sortOrderOrNull(keys: ArrayLike<number>): Uint32Array | null {
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i] as number) < (keys[i - 1] as number)) return sortOrder(keys);
  }
  return null;
}

export function permuteF64(src: Float64Array, order: Uint32Array | null): Float64Array {
  if (order === null) return src;
  const out = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = src[order[i] as number] as number;
  return out;
}
export function permuteI32(src: Int32Array, order: Uint32Array | null): Int32Array {
  if (order === null) return src;
  const out = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = src[order[i] as number] as number;
  return out;
}
export function permuteU8(src: Uint8Array, order: Uint32Array | null): Uint8Array {
  if (order === null) return src;
  const out = new Uint8Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = src[order[i] as number] as number;
  return out;
}

/** Nearest-rank percentile of an ascending array (p in 0..1); 0 for an empty one. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[idx] as number;
}
