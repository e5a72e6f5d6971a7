/**
 * Flame graph layout with level of detail (issue 16), pure so a test can count what it
 * visits. The graph is an icicle: the root's children on the top row, callees below their
 * callers, each node as wide as its inclusive time, children heaviest first from the left
 * (speedscope's "left heavy").
 *
 * Coordinate spaces: *tree ns* (a node's offset within the root's total: `start`, computed
 * once per tree) → *view fraction* (the zoomed node spans 0..1) → *CSS px* of the canvas.
 *
 * Level of detail, as the timeline's (lod.ts): a node at least `minPx` wide is drawn as it
 * is; the children narrower than that (they are at the end, heaviest first) become one
 * merged block per parent, and nothing under them is visited. So a frame costs
 * O(rectangles on screen), however many nodes the tree has: every visited node is either
 * drawn or is the one merged block of its parent, and blocks are at least `minPx` wide or
 * the last of a row's parent — at most about two per pixel and row.
 */
import type { CallTree } from '../../../runtime/src/view/call-stacks';

/**
 * What widths measure: a weight per node (the tree's `totalNs`, time on the stack, or its
 * `cpuNs`, time on a CPU) and the children ordered heaviest first by that weight.
 */
export interface FlameMetric {
  weight: Float64Array;
  children: Int32Array;
}

/** Time on the stack: the tree's own order. */
export function totalMetric(tree: CallTree): FlameMetric {
  return { weight: tree.totalNs, children: tree.children };
}

/** Another weight (CPU time): children re-sorted by it, once per tree. */
export function metricBy(tree: CallTree, weight: Float64Array): FlameMetric {
  const children = tree.children.slice();
  for (let n = 0; n < tree.nodeCount; n++) {
    const a = tree.childOffsets[n] as number;
    const b = tree.childOffsets[n + 1] as number;
    if (b - a > 1) children.set(Array.from(children.subarray(a, b)).sort((x, y) => (weight[y] as number) - (weight[x] as number) || x - y), a);
  }
  return { weight, children };
}

/** Offsets of each node within its parent's span (in the metric's unit), from the children's order. */
export function nodeStarts(tree: CallTree, metric: FlameMetric = totalMetric(tree)): Float64Array {
  const start = new Float64Array(tree.nodeCount);
  for (let n = 0; n < tree.nodeCount; n++) {
    let x = start[n] as number;
    for (let k = tree.childOffsets[n] as number; k < (tree.childOffsets[n + 1] as number); k++) {
      const c = metric.children[k] as number;
      start[c] = x;
      x += metric.weight[c] as number;
    }
  }
  return start;
}

/** Rectangles of one frame: node -1 marks a merged block (`merged` nodes, total `ns`). */
export class FlameRects {
  node = new Int32Array(256);
  depth = new Int32Array(256);
  x = new Float64Array(256);
  w = new Float64Array(256);
  /** For merged blocks: how many nodes they stand for. */
  merged = new Int32Array(256);
  length = 0;
  /** Nodes read while laying out (for the level-of-detail bound). */
  visited = 0;

  clear(): void {
    this.length = 0;
    this.visited = 0;
  }

  push(node: number, depth: number, x: number, w: number, merged: number): void {
    if (this.length === this.node.length) {
      const n = this.length * 2;
      const g = <T extends Int32Array | Float64Array>(a: T, make: (k: number) => T): T => {
        const b = make(n);
        b.set(a);
        return b;
      };
      this.node = g(this.node, (k) => new Int32Array(k));
      this.depth = g(this.depth, (k) => new Int32Array(k));
      this.x = g(this.x, (k) => new Float64Array(k));
      this.w = g(this.w, (k) => new Float64Array(k));
      this.merged = g(this.merged, (k) => new Int32Array(k));
    }
    const i = this.length++;
    this.node[i] = node;
    this.depth[i] = depth;
    this.x[i] = x;
    this.w[i] = w;
    this.merged[i] = merged;
  }
}

export interface FlameView {
  /** The node whose span fills the width (0: the root, the whole selection). */
  focus: number;
  widthPx: number;
  /** Rows shown: [firstDepth, firstDepth + rows). Depth 1 is the root's children. */
  firstDepth: number;
  rows: number;
  /** Narrower than this is merged (CSS px; a device pixel is 1 / devicePixelRatio). */
  minPx: number;
}

/**
 * Lays out the visible rectangles of `tree` for `view` into `out`. The focus node's
 * ancestors are drawn full width above it (as speedscope does when zoomed), so the path stays
 * readable.
 */
export function layoutFlame(tree: CallTree, starts: Float64Array, view: FlameView, out: FlameRects, metric: FlameMetric = totalMetric(tree)): FlameRects {
  out.clear();
  const { weight, children } = metric;
  const focus = view.focus > 0 && view.focus < tree.nodeCount ? view.focus : 0;
  const span = weight[focus] as number;
  if (span <= 0 || view.widthPx <= 0) return out;
  const scale = view.widthPx / span;
  const lastDepth = view.firstDepth + view.rows - 1;
  // Ancestors of the focus (full width, one per row above it).
  const focusDepth = focus === 0 ? 0 : (tree.depth[focus] as number);
  for (let a = focus; a > 0; a = tree.parent[a] as number) {
    out.visited++;
    const d = tree.depth[a] as number;
    if (d >= view.firstDepth && d <= lastDepth && a !== focus) out.push(a, d, 0, view.widthPx, 0);
  }
  if (focus > 0 && focusDepth >= view.firstDepth && focusDepth <= lastDepth) out.push(focus, focusDepth, 0, view.widthPx, 0);
  // Below the focus: depth-first over nodes wide enough, x from the cumulative starts.
  const stack: number[] = [focus];
  const xs: number[] = [0];
  while (stack.length > 0) {
    const n = stack.pop() as number;
    const x = xs.pop() as number;
    const d = n === 0 ? 0 : (tree.depth[n] as number);
    if (d + 1 > lastDepth) continue;
    const a = tree.childOffsets[n] as number;
    const b = tree.childOffsets[n + 1] as number;
    for (let k = a; k < b; k++) {
      const c = children[k] as number;
      out.visited++;
      const w = (weight[c] as number) * scale;
      const cx = x + ((starts[c] as number) - (starts[n] as number)) * scale;
      if (w < view.minPx) {
        // This child and every later sibling (lighter still) merge into one block.
        let rest = 0;
        for (let j = k; j < b; j++) rest += weight[children[j] as number] as number;
        const mw = rest * scale;
        if (d + 1 >= view.firstDepth && mw > 0) out.push(-1, d + 1, cx, mw, b - k);
        break;
      }
      if (d + 1 >= view.firstDepth) out.push(c, d + 1, cx, w, 0);
      stack.push(c);
      xs.push(cx);
    }
  }
  return out;
}

/** The rectangle under a point (CSS px within the canvas, row height given), or -1. */
export function hitFlame(out: FlameRects, x: number, y: number, rowHeight: number, firstDepth: number): number {
  const depth = Math.floor(y / rowHeight) + firstDepth;
  for (let i = 0; i < out.length; i++) {
    if ((out.depth[i] as number) !== depth) continue;
    const x0 = out.x[i] as number;
    if (x >= x0 && x < x0 + Math.max(1, out.w[i] as number)) return i;
  }
  return -1;
}
