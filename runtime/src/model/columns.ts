/** Growable typed-array columns: amortised O(1) append, no per-row object. */

export class F64Column {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  finish(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

export class I32Column {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  finish(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

export class U8Column {
  data = new Uint8Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint8Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  finish(): Uint8Array {
    return this.data.slice(0, this.length);
  }
}

/** Returns the permutation that sorts `keys` ascending (stable). */
export function sortOrder(keys: Float64Array): Uint32Array {
  const order = new Uint32Array(keys.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i] as number) < (keys[i - 1] as number)) {
      sorted = false;
      break;
    }
  }
  if (!sorted) order.sort((a, b) => (keys[a] as number) - (keys[b] as number) || a - b);
  return order;
}

export function permuteF64(src: Float64Array, order: Uint32Array): Float64Array {
  const out = new Float64Array(src.length);
  for (let i = 0; i < order.length; i++) out[i] = src[order[i] as number] as number;
  return out;
}
export function permuteI32(src: Int32Array, order: Uint32Array): Int32Array {
  const out = new Int32Array(src.length);
  for (let i = 0; i < order.length; i++) out[i] = src[order[i] as number] as number;
  return out;
}
export function permuteU8(src: Uint8Array, order: Uint32Array): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < order.length; i++) out[i] = src[order[i] as number] as number;
  return out;
}
