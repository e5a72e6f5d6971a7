/**
 * Call trees from stack samples: where the time went, by call path (issue 16).
 *
 * Pure and columnar, so that the model handler (handlers/call-tree.ts: the whole run, for the
 * summary and the editor) and the webview (one lane or process, a time range, library frames
 * collapsed, rebuilt on every selection) run the same code on the same columns. It imports
 * nothing but the format spec; the webview reaches it through runtime/src/view/call-tree.ts.
 *
 * Input. Samples reference their *leaf* frame; frames form one model-wide prefix tree (parent,
 * site); a site is a line of a function (file, line, qualified name, and the `def` line when
 * the agent wrote it). Each sample carries a {@link SampleCategory} (running, with its share on
 * a CPU, or waiting with the reason of the `W` that covered it) and stands for the achieved
 * sampling period of its process (`laneWeightNs`, measured from the samples).
 *
 * Cost. Samples are read once: their weight is added into one row per distinct leaf (running
 * on and off a CPU, waiting with its reason; a second reason at one leaf goes to a small map),
 * so the rest of the work is per *distinct leaf*, not per sample: each is walked up to the
 * root once, memoised per frame, to find its call-tree node; totals then flow to parents in one reverse pass over the nodes
 * (a node is always created after its parent). Functions (inclusive time, a recursive function
 * counted once per path) and lines are one more walk per distinct leaf. Measured by
 * bench/call-tree.ts (1M samples, 20,000 leaves 24 deep, 400,000 nodes, a loaded 2-core
 * machine): 0.7-0.8 s of CPU for the whole run with lines; 70-140 ms when 1M samples share
 * 5,000 leaves of 100,000 frames.
 *
 * Nodes are functions, not lines: two calls of `burn` from different lines of `f` are one node
 * (`f` → `burn`), as in speedscope's and py-spy's flame graphs; lines are aggregated beside it
 * for the editor's gutter.
 */
import { WAIT_REASONS } from '../format/spec';

/**
 * What a sample's time was, one byte per sample. WAITING samples carry the reason of the
 * recorded wait that covers them (WAIT_BASE + reason), or WAIT_UNKNOWN. RUNNING samples are
 * RUNNING, and their time is split by the sample's `onCpu` share (next to the category): the
 * part the lane's CPU clock says it was on a CPU counts as ON_CPU, the rest as
 * OFF_CPU_ESTIMATE (runnable but not on a CPU: GIL wait, a busy machine, native code; an
 * estimate, labelled so). A split rather than a yes/no per sample, because on a loaded
 * machine a busy thread gets a third of every interval, and the CPU time is what the user's
 * code cost.
 */
export const SampleCategory = {
  /** Stored on RUNNING samples; never a bucket of its own (split into the next two). */
  RUNNING: 0,
  ON_CPU: 0,
  OFF_CPU_ESTIMATE: 1,
  WAIT_UNKNOWN: 2,
  /** WAIT_BASE + index into WAIT_REASONS. */
  WAIT_BASE: 3,
} as const;
/** `onCpu` of a RUNNING sample is a share 0..1 stored as 0..ON_CPU_SCALE. */
export const ON_CPU_SCALE = 255;
export const CATEGORY_COUNT = SampleCategory.WAIT_BASE + WAIT_REASONS.length;

/** The name of a category as the summary writes it ("cpu", "offCpuEstimate", a wait reason). */
export function categoryName(c: number): string {
  if (c === SampleCategory.ON_CPU) return 'cpu';
  if (c === SampleCategory.OFF_CPU_ESTIMATE) return 'offCpuEstimate';
  if (c === SampleCategory.WAIT_UNKNOWN) return 'unknown';
  return WAIT_REASONS[c - SampleCategory.WAIT_BASE] ?? 'unknown';
}

export function isWaitCategory(c: number): boolean {
  return c >= SampleCategory.WAIT_UNKNOWN;
}

/** A site as the builder needs it (model SourceSite and view ViewSite both fit). */
export interface CallSite {
  file: string;
  line: number;
  func: string;
  defLine?: number;
}

export interface CallTreeInput {
  /** Parent frame of each frame (-1: a root) and its site. */
  frameParent: Int32Array;
  frameSite: Int32Array;
  sites: readonly CallSite[];
  /** Samples sorted by time. `frame` -1: no Python frame (skipped). `onCpu`: for RUNNING
   * samples, the share of the interval before them that the lane was on a CPU, 0..255
   * (absent: all on a CPU). `task`: the asyncio task lane whose step covered the sample on
   * its thread, -1 for none (absent: no tasks); a lane filter naming the task selects it. */
  samples: { count: number; ts: Float64Array; lane: Int32Array; frame: Int32Array; category: Uint8Array; onCpu?: Uint8Array; task?: Int32Array };
  /** Time each sample of a lane stands for, ns (its process's achieved sampling period). */
  laneWeightNs: Float64Array;
}

/** Functions: one per (file, qualified name, def line); sites map onto them. */
export interface FunctionTable {
  count: number;
  file: string[];
  name: string[];
  /** The `def` line, or, for traces without it, the lowest line seen of the function. */
  line: Int32Array;
  /** 1 when `line` is the true def line (the agent wrote it), 0 when it is the fallback. */
  defKnown: Uint8Array;
  /** 1 for the standard library, pseudo-files and Weft's own frames. */
  library: Uint8Array;
  /** Function of each site. */
  ofSite: Int32Array;
}

/** True for the Python standard library (not site-packages), pseudo-files and the Weft agent. */
export function isLibraryFile(file: string): boolean {
  if (file.startsWith('<')) return true;
  if (/[\\/]runtime[\\/]python[\\/]weft[\\/]/.test(file)) return true;
  return /[\\/]lib[\\/]python3[.\d]*t?[\\/]/i.test(file) && !/[\\/](site|dist)-packages[\\/]/.test(file);
}

export function functionTable(sites: readonly CallSite[]): FunctionTable {
  const keys = new Map<string, number>();
  const file: string[] = [];
  const name: string[] = [];
  const line: number[] = [];
  const defKnown: number[] = [];
  const ofSite = new Int32Array(sites.length);
  sites.forEach((s, i) => {
    const def = s.defLine !== undefined && s.defLine > 0 ? s.defLine : -1;
    const key = `${s.file}\u0000${s.func}\u0000${def}`;
    let fn = keys.get(key);
    if (fn === undefined) {
      fn = file.length;
      keys.set(key, fn);
      file.push(s.file);
      name.push(s.func);
      line.push(def > 0 ? def : s.line);
      defKnown.push(def > 0 ? 1 : 0);
    } else if (def < 0 && s.line < (line[fn] as number)) {
      line[fn] = s.line;
    }
    ofSite[i] = fn;
  });
  return {
    count: file.length, file, name, line: Int32Array.from(line), defKnown: Uint8Array.from(defKnown),
    library: Uint8Array.from(file, (f) => (isLibraryFile(f) ? 1 : 0)), ofSite,
  };
}

export interface CallTreeOptions {
  /** Only samples of these lanes (all when absent). */
  lanes?: ReadonlySet<number>;
  /** Only samples with fromNs <= ts <= toNs (the timeline's selected range). */
  fromNs?: number;
  toNs?: number;
  /** Fold frames of library functions into their caller (the standard library and Weft). */
  hideLibrary?: boolean;
  /** Also aggregate per site (line), for the editor's gutter. */
  lines?: boolean;
}

/**
 * A call tree. Node 0 is the root (all selected time; its self time is samples whose frames
 * were all folded away). A node's parent always has a lower index; children are listed in CSR
 * form (`childOffsets`), heaviest first (a "left-heavy" flame graph).
 */
export interface CallTree {
  nodeCount: number;
  parent: Int32Array;
  /** Function of the node (index into the function table), -1 for the root. */
  func: Int32Array;
  depth: Int32Array;
  selfNs: Float64Array;
  totalNs: Float64Array;
  /** Of the total: on a CPU, running but not on a CPU (estimate), and waiting (any reason). */
  cpuNs: Float64Array;
  offCpuNs: Float64Array;
  waitNs: Float64Array;
  totalSamples: Float64Array;
  childOffsets: Uint32Array;
  children: Int32Array;
  maxDepth: number;
  /** Samples in the selection (with a Python frame). */
  samples: number;
  /** First and last sample time of the selection (NaN when empty). */
  firstNs: number;
  lastNs: number;
}

/** Per function of the table: inclusive (recursion counted once per path) and self time. */
export interface FunctionTimes {
  selfNs: Float64Array;
  totalNs: Float64Array;
  selfSamples: Float64Array;
  totalSamples: Float64Array;
  /** Inclusive time by category: row f is `byCategory[f * CATEGORY_COUNT + c]`. */
  byCategory: Float64Array;
}

/** Per site (line): self time, and inclusive time (a line counted once per path). */
export interface LineTimes {
  selfNs: Float64Array;
  totalNs: Float64Array;
}

export interface CallTreeResult {
  tree: CallTree;
  functions: FunctionTimes;
  lines: LineTimes | null;
  /** Sample rows [begin, end) that the time range selected. */
  rowBegin: number;
  rowEnd: number;
}

/** First row with ts >= t in ascending `ts`. */
export function lowerBound(ts: Float64Array, t: number, n = ts.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First row with ts > t in ascending `ts`. */
export function upperBound(ts: Float64Array, t: number, n = ts.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * (parent node, function) → child node: open addressing over typed arrays. A `Map` keyed by
 * `parent * functions + fn` was most of the build's time at 400,000 nodes (hashing boxed
 * keys, a cache miss per probe); this is one multiply-shift hash and a linear probe. At most
 * one entry per frame, so it never grows past half full.
 */
class ChildTable {
  private readonly mask: number;
  /** Slots of (parent, function, child); parent -1 marks an empty slot. */
  private readonly slots: Int32Array;

  constructor(maxEntries: number) {
    let cap = 16;
    while (cap < maxEntries * 2) cap *= 2;
    this.mask = cap - 1;
    this.slots = new Int32Array(cap * 3).fill(-1);
  }

  private slot(a: number, b: number): number {
    return ((Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 1, 0x85ebca77)) >>> 0) & this.mask;
  }

  get(a: number, b: number): number {
    const t = this.slots;
    for (let i = this.slot(a, b); ; i = (i + 1) & this.mask) {
      const k = t[i * 3] as number;
      if (k === -1) return -1;
      if (k === a && t[i * 3 + 1] === b) return t[i * 3 + 2] as number;
    }
  }

  set(a: number, b: number, v: number): void {
    const t = this.slots;
    for (let i = this.slot(a, b); ; i = (i + 1) & this.mask) {
      const k = t[i * 3] as number;
      if (k === -1 || (k === a && t[i * 3 + 1] === b)) {
        t[i * 3] = a;
        t[i * 3 + 1] = b;
        t[i * 3 + 2] = v;
        return;
      }
    }
  }
}

/** Grows a typed array to at least n elements (doubling). */
function grown<T extends Float64Array | Int32Array>(a: T, n: number, make: (k: number) => T): T {
  if (n <= a.length) return a;
  const b = make(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

export function buildCallTree(input: CallTreeInput, fns: FunctionTable, opts: CallTreeOptions = {}): CallTreeResult {
  const { frameParent, frameSite, samples: s, laneWeightNs } = input;
  const frameCount = frameParent.length;
  const C = CATEGORY_COUNT;
  const rowBegin = opts.fromNs === undefined ? 0 : lowerBound(s.ts, opts.fromNs, s.count);
  const rowEnd = opts.toNs === undefined ? s.count : upperBound(s.ts, opts.toNs, s.count);
  const lanes = opts.lanes;

  // 1. Per leaf frame: running time split into on and off a CPU, waiting time with its first
  // category (typed arrays: no hashing per sample), samples. A leaf that waits for a second
  // reason too keeps the others in a small map (rare: a leaf is one line).
  // One interleaved row per distinct leaf (on CPU, off CPU, waiting, samples), leaves numbered
  // densely in order of first sight: a sample touches one small remap entry and one row of a
  // table that stays in cache, not four arrays of every frame at a random index (measured:
  // those cache misses were half the build at 400,000 frames).
  const denseOf = new Int32Array(frameCount).fill(-1);
  let leafCount = 0;
  let acc = new Float64Array(4 * 1024);
  let denseFrame = new Int32Array(1024);
  let denseWaitCat = new Int16Array(1024).fill(-1);
  const otherWaits = new Map<number, number>();
  const onCpu = s.onCpu;
  const task = s.task;
  let samples = 0;
  let firstNs = Number.NaN;
  let lastNs = Number.NaN;
  for (let i = rowBegin; i < rowEnd; i++) {
    const frame = s.frame[i] as number;
    if (frame < 0 || frame >= frameCount) continue;
    const lane = s.lane[i] as number;
    if (lanes !== undefined && !lanes.has(lane) && !(task !== undefined && lanes.has(task[i] as number))) continue;
    let d = denseOf[frame] as number;
    if (d < 0) {
      d = leafCount++;
      denseOf[frame] = d;
      if (d >= denseFrame.length) {
        const n = denseFrame.length * 2;
        const f2 = new Int32Array(n);
        f2.set(denseFrame);
        denseFrame = f2;
        const w2 = new Int16Array(n).fill(-1);
        w2.set(denseWaitCat);
        denseWaitCat = w2;
        const a2 = new Float64Array(n * 4);
        a2.set(acc);
        acc = a2;
      }
      denseFrame[d] = frame;
    }
    const w = laneWeightNs[lane] ?? 0;
    const cat = s.category[i] as number;
    const r = d * 4;
    if (cat === SampleCategory.RUNNING) {
      const share = onCpu === undefined ? 1 : (onCpu[i] as number) / ON_CPU_SCALE;
      acc[r] = (acc[r] as number) + w * share;
      acc[r + 1] = (acc[r + 1] as number) + w * (1 - share);
    } else {
      const first = denseWaitCat[d] as number;
      if (first === -1 || first === cat) {
        denseWaitCat[d] = cat;
        acc[r + 2] = (acc[r + 2] as number) + w;
      } else {
        const key = frame * C + cat;
        otherWaits.set(key, (otherWaits.get(key) ?? 0) + w);
      }
    }
    acc[r + 3] = (acc[r + 3] as number) + 1;
    samples++;
    if (Number.isNaN(firstNs)) firstNs = s.ts[i] as number;
    lastNs = s.ts[i] as number;
  }

  // 2. Call-tree nodes, found once per distinct frame on a path (memoised).
  const hidden = opts.hideLibrary === true ? fns.library : null;
  const nodeOfFrame = new Int32Array(frameCount).fill(-1);
  let cap = 1024;
  let parent = new Int32Array(cap);
  let func = new Int32Array(cap);
  let depth = new Int32Array(cap);
  parent[0] = -1;
  func[0] = -1;
  let nodeCount = 1;
  const children_ = new ChildTable(frameCount + 1);
  const stack: number[] = [];
  const nodeOf = (leaf: number): number => {
    let f = leaf;
    // Walk up to a memoised frame (or the root), then create nodes on the way down.
    for (let guard = 0; f >= 0 && guard < 100_000; guard++) {
      if (nodeOfFrame[f] !== -1) break;
      stack.push(f);
      f = frameParent[f] as number;
      if (f >= frameCount) f = -1;
    }
    let node = f >= 0 ? (nodeOfFrame[f] as number) : 0;
    while (stack.length > 0) {
      const fr = stack.pop() as number;
      const site = frameSite[fr] as number;
      const fn = site >= 0 && site < fns.ofSite.length ? (fns.ofSite[site] as number) : -1;
      if (fn >= 0 && (hidden === null || hidden[fn] === 0)) {
        let child = children_.get(node, fn);
        if (child < 0) {
          child = nodeCount++;
          if (child >= cap) {
            cap *= 2;
            parent = grown(parent, cap, (k) => new Int32Array(k));
            func = grown(func, cap, (k) => new Int32Array(k));
            depth = grown(depth, cap, (k) => new Int32Array(k));
          }
          parent[child] = node;
          func[child] = fn;
          depth[child] = (node === 0 ? 0 : (depth[node] as number)) + 1;
          children_.set(node, fn, child);
        }
        node = child;
      }
      nodeOfFrame[fr] = node;
    }
    return node;
  };

  // 3. Self weights per node and category.
  let selfNs = new Float64Array(cap);
  let selfCpu = new Float64Array(cap);
  let selfOff = new Float64Array(cap);
  let selfWait = new Float64Array(cap);
  // Node of every leaf with time, leaves in order of their first sample (nodes are numbered
  // in that order; children are sorted by weight afterwards, so the tree's shape does not
  // depend on it).
  const leafEntries: [number, number, number][] = [];
  for (let d = 0; d < leafCount; d++) {
    const f = denseFrame[d] as number;
    const r = d * 4;
    if ((acc[r] as number) > 0) leafEntries.push([f, SampleCategory.ON_CPU, acc[r] as number]);
    if ((acc[r + 1] as number) > 0) leafEntries.push([f, SampleCategory.OFF_CPU_ESTIMATE, acc[r + 1] as number]);
    if ((acc[r + 2] as number) > 0) leafEntries.push([f, denseWaitCat[d] as number, acc[r + 2] as number]);
  }
  for (const [key, w] of otherWaits) {
    const leaf = Math.floor(key / C);
    leafEntries.push([leaf, key - leaf * C, w]);
  }
  const entryNode = new Int32Array(leafEntries.length);
  leafEntries.forEach(([leaf], k) => {
    entryNode[k] = nodeOf(leaf);
  });
  selfNs = grown(selfNs, nodeCount, (k) => new Float64Array(k));
  selfCpu = grown(selfCpu, nodeCount, (k) => new Float64Array(k));
  selfOff = grown(selfOff, nodeCount, (k) => new Float64Array(k));
  selfWait = grown(selfWait, nodeCount, (k) => new Float64Array(k));
  const totalSamples = new Float64Array(nodeCount);
  leafEntries.forEach(([, cat, w], k) => {
    const n = entryNode[k] as number;
    selfNs[n] = (selfNs[n] as number) + w;
    if (cat === SampleCategory.ON_CPU) selfCpu[n] = (selfCpu[n] as number) + w;
    else if (cat === SampleCategory.OFF_CPU_ESTIMATE) selfOff[n] = (selfOff[n] as number) + w;
    else selfWait[n] = (selfWait[n] as number) + w;
  });
  for (let d = 0; d < leafCount; d++) {
    const n = nodeOfFrame[denseFrame[d] as number] as number;
    if (n >= 0) totalSamples[n] = (totalSamples[n] as number) + (acc[d * 4 + 3] as number);
  }

  // 4. Totals flow to parents (children have higher indexes).
  const totalNs = selfNs.slice(0, nodeCount);
  const cpuNs = selfCpu.slice(0, nodeCount);
  const offCpuNs = selfOff.slice(0, nodeCount);
  const waitNs = selfWait.slice(0, nodeCount);
  const childCount = new Uint32Array(nodeCount + 1);
  let maxDepth = 0;
  for (let n = nodeCount - 1; n >= 1; n--) {
    const p = parent[n] as number;
    totalNs[p] = (totalNs[p] as number) + (totalNs[n] as number);
    cpuNs[p] = (cpuNs[p] as number) + (cpuNs[n] as number);
    offCpuNs[p] = (offCpuNs[p] as number) + (offCpuNs[n] as number);
    waitNs[p] = (waitNs[p] as number) + (waitNs[n] as number);
    totalSamples[p] = (totalSamples[p] as number) + (totalSamples[n] as number);
    childCount[p + 1] = (childCount[p + 1] as number) + 1;
    if ((depth[n] as number) > maxDepth) maxDepth = depth[n] as number;
  }

  // 5. Children, heaviest first.
  const childOffsets = new Uint32Array(nodeCount + 1);
  for (let n = 0; n < nodeCount; n++) childOffsets[n + 1] = (childOffsets[n] as number) + (childCount[n + 1] as number);
  const children = new Int32Array(Math.max(0, nodeCount - 1));
  const fill = childOffsets.slice(0, nodeCount);
  for (let n = 1; n < nodeCount; n++) {
    const p = parent[n] as number;
    children[fill[p] as number] = n;
    fill[p] = (fill[p] as number) + 1;
  }
  for (let n = 0; n < nodeCount; n++) {
    const a = childOffsets[n] as number;
    const b = childOffsets[n + 1] as number;
    if (b - a > 1) {
      const sorted = Array.from(children.subarray(a, b)).sort((x, y) => (totalNs[y] as number) - (totalNs[x] as number) || x - y);
      children.set(sorted, a);
    }
  }

  // 6 and 7. Functions and lines, one walk per distinct leaf: every distinct function (and
  // line) on the leaf's path gets the leaf's weight once, so a recursive function's total is
  // the time it was on the stack, not a multiple of it. A leaf's second wait reason (rare)
  // walks again with its weight only.
  const fnSelf = new Float64Array(fns.count);
  const fnTotal = new Float64Array(fns.count);
  const fnSelfSamples = new Float64Array(fns.count);
  const fnTotalSamples = new Float64Array(fns.count);
  const byCategory = new Float64Array(fns.count * C);
  const stamp = new Int32Array(fns.count).fill(-1);
  const nSites = input.sites.length;
  const wantLines = opts.lines === true;
  const lineSelf = wantLines ? new Float64Array(nSites) : null;
  const lineTotal = wantLines ? new Float64Array(nSites) : null;
  const siteStamp = wantLines ? new Int32Array(nSites).fill(-1) : null;
  let walk = 0;
  const walkUp = (leaf: number, cpu: number, off: number, wait: number, waitCat: number, count: number): void => {
    const id = walk++;
    const tot = cpu + off + wait;
    let f = leaf;
    let first = true;
    for (let guard = 0; f >= 0 && f < frameCount && guard < 100_000; guard++) {
      const site = frameSite[f] as number;
      const fn = site >= 0 && site < fns.ofSite.length ? (fns.ofSite[site] as number) : -1;
      if (fn >= 0 && stamp[fn] !== id) {
        stamp[fn] = id;
        fnTotal[fn] = (fnTotal[fn] as number) + tot;
        fnTotalSamples[fn] = (fnTotalSamples[fn] as number) + count;
        const row = fn * C;
        if (cpu > 0) byCategory[row] = (byCategory[row] as number) + cpu;
        if (off > 0) byCategory[row + 1] = (byCategory[row + 1] as number) + off;
        if (wait > 0) byCategory[row + waitCat] = (byCategory[row + waitCat] as number) + wait;
        if (first) {
          fnSelf[fn] = (fnSelf[fn] as number) + tot;
          fnSelfSamples[fn] = (fnSelfSamples[fn] as number) + count;
        }
      }
      if (siteStamp !== null && lineSelf !== null && lineTotal !== null && site >= 0 && site < nSites && siteStamp[site] !== id) {
        siteStamp[site] = id;
        lineTotal[site] = (lineTotal[site] as number) + tot;
        if (first) lineSelf[site] = (lineSelf[site] as number) + tot;
      }
      first = false;
      f = frameParent[f] as number;
    }
  };
  for (let d = 0; d < leafCount; d++) {
    const r = d * 4;
    walkUp(denseFrame[d] as number, acc[r] as number, acc[r + 1] as number, acc[r + 2] as number, denseWaitCat[d] as number, acc[r + 3] as number);
  }
  for (const [key, w] of otherWaits) {
    const leaf = Math.floor(key / C);
    walkUp(leaf, 0, 0, w, key - leaf * C, 0);
  }
  const lines: LineTimes | null = lineSelf !== null && lineTotal !== null ? { selfNs: lineSelf, totalNs: lineTotal } : null;

  const tree: CallTree = {
    nodeCount, parent: parent.slice(0, nodeCount), func: func.slice(0, nodeCount), depth: depth.slice(0, nodeCount),
    selfNs: selfNs.slice(0, nodeCount), totalNs, cpuNs, offCpuNs, waitNs, totalSamples, childOffsets, children, maxDepth,
    samples, firstNs, lastNs,
  };
  return {
    tree, functions: { selfNs: fnSelf, totalNs: fnTotal, selfSamples: fnSelfSamples, totalSamples: fnTotalSamples, byCategory },
    lines, rowBegin, rowEnd,
  };
}

/** The path of a node from the first frame below the root down to it. */
export function nodePath(tree: CallTree, node: number): number[] {
  const path: number[] = [];
  for (let n = node; n > 0; n = tree.parent[n] as number) path.push(n);
  return path.reverse();
}

/**
 * Callers and callees of a function, from a call tree: the time of each call edge (the
 * callee's node total), summed over the tree. A recursive function is its own caller.
 */
export function callEdges(tree: CallTree, fn: number): { callers: Map<number, number>; callees: Map<number, number> } {
  const callers = new Map<number, number>();
  const callees = new Map<number, number>();
  for (let n = 1; n < tree.nodeCount; n++) {
    const p = tree.parent[n] as number;
    const f = tree.func[n] as number;
    const pf = p > 0 ? (tree.func[p] as number) : -1;
    if (f === fn && pf >= 0) callers.set(pf, (callers.get(pf) ?? 0) + (tree.totalNs[n] as number));
    if (pf === fn) callees.set(f, (callees.get(f) ?? 0) + (tree.totalNs[n] as number));
  }
  return { callers, callees };
}

/**
 * Frames of function `fn` (or below it) in the tree: every sample row in [rowBegin, rowEnd)
 * whose stack passes through a node of `node`'s path, for highlighting on the timeline. Returns
 * the matching sample rows. `nodeOfFrame` is rebuilt here rather than kept on the tree, so
 * trees stay small.
 */
export function samplesUnder(input: CallTreeInput, fns: FunctionTable, tree: CallTree, node: number, rowBegin: number, rowEnd: number, opts: CallTreeOptions = {}): Int32Array {
  // The path of function ids from the root to the node; a sample matches when its stack,
  // with the same folding, begins with this path.
  const path = nodePath(tree, node).map((n) => tree.func[n] as number);
  const hidden = opts.hideLibrary === true ? fns.library : null;
  const { frameParent, frameSite, samples: s } = input;
  const frameCount = frameParent.length;
  // match[f]: 1 when frame f's folded path starts with `path`, 0 when not, -1 unknown.
  const match = new Int8Array(frameCount).fill(-1);
  const depthOf = new Int32Array(frameCount).fill(-1);
  const prefixOk = new Int8Array(frameCount).fill(-1);
  const resolve = (leaf: number): number => {
    const chain: number[] = [];
    let f = leaf;
    while (f >= 0 && f < frameCount && match[f] === -1) {
      chain.push(f);
      f = frameParent[f] as number;
    }
    // Parent state: depth of the folded path so far and whether it still agrees with `path`.
    let d = f >= 0 && f < frameCount ? (depthOf[f] as number) : 0;
    let ok = f >= 0 && f < frameCount ? (prefixOk[f] as number) : 1;
    let m = f >= 0 && f < frameCount ? (match[f] as number) : path.length === 0 ? 1 : 0;
    while (chain.length > 0) {
      const fr = chain.pop() as number;
      const site = frameSite[fr] as number;
      const fn = site >= 0 && site < fns.ofSite.length ? (fns.ofSite[site] as number) : -1;
      if (fn >= 0 && (hidden === null || hidden[fn] === 0) && m !== 1) {
        if (ok === 1 && d < path.length && path[d] === fn) {
          d++;
          if (d === path.length) m = 1;
        } else {
          ok = 0;
        }
      }
      depthOf[fr] = d;
      prefixOk[fr] = ok;
      match[fr] = m;
    }
    return m;
  };
  const out: number[] = [];
  for (let i = rowBegin; i < rowEnd; i++) {
    const fr = s.frame[i] as number;
    if (fr < 0 || fr >= frameCount) continue;
    if (opts.lanes !== undefined && !opts.lanes.has(s.lane[i] as number) && !(s.task !== undefined && opts.lanes.has(s.task[i] as number))) continue;
    const m = match[fr] === -1 ? resolve(fr) : (match[fr] as number);
    if (m === 1) out.push(i);
  }
  return Int32Array.from(out);
}
