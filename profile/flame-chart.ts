/**
 * The time-ordered flame chart (the Firefox Profiler's stack chart,
 * speedscope's "time order" view): time on x, stack depth on y, one lane per
 * thread or per CPU. Unlike the flame graph nothing is merged across time:
 * consecutive samples of a lane that share a stack prefix become one box per
 * prefix frame, and a box ends where the next sample's stack leaves it.
 *
 * A sample lasts until the lane's next sample, unless that gap is more than
 * twice the lane's median gap (the thread slept, the CPU idled): then it
 * lasts one median gap and the chart shows the pause as empty space. A trace
 * without times (folded stacks) is laid out by weight instead, samples in
 * file order, which is speedscope's time-ordered view of such files.
 *
 * Boxes name nodes of a top-down call tree of the same samples, so a box's
 * function, context and weight are the call tree's. Rows are sorted by start,
 * so drawing and hit-testing find the visible boxes by binary search.
 *
 * A lane's boxes are built on first read of its `rows`: the window stacks
 * every lane but shows most of them collapsed, as an activity strip (runs of
 * samples whose leaf shares an execution context), which is cheap to build
 * for all of them at once.
 */
import { ROOT_NODE, type CallTree, type CallTreeOptions } from './call-tree';
import { lowerMedian } from './median';
import type { Profile } from './model';
import { TreeBuilder, defaultEvent, functionsOf, stackWeights } from './tree-builder';

export type LaneMode = 'thread' | 'cpu';

/** The boxes at one depth of a lane (depth 0 = the outermost frames). */
export interface FlameChartRow {
  length: number;
  start: Float64Array;
  end: Float64Array;
  /** Call tree node of the box (its function and the path to it). */
  node: Int32Array;
  /** Samples the box spans. */
  count: Int32Array;
  /** The box's first sample (its thread, machine, CPU). */
  sample: Int32Array;
}

/** Stretches of a lane whose samples follow each other without a pause and share the leaf's execution context. */
export interface ActivityRuns {
  length: number;
  start: Float64Array;
  end: Float64Array;
  context: Uint8Array;
}

export interface FlameChartLane {
  /** "thread:<index>[:<vcpu>]" or "cpu:<n>": stable for a profile, saved with the view state. */
  readonly key: string;
  readonly label: string;
  /** Names of the machines the lane's samples ran on (a CPU lane can hold host and guest code). */
  readonly machines: readonly string[];
  readonly sampleCount: number;
  /** Time (or weight) of the lane's first sample and the end of its last. */
  readonly start: number;
  readonly end: number;
  readonly activity: ActivityRuns;
  /** The boxes, one row per depth: built on first read. */
  readonly rows: FlameChartRow[];
  readonly boxCount: number;
  /** Whether `rows` has been built yet. */
  readonly built: boolean;
}

export interface FlameChart {
  /** 'time': x is the samples' nanoseconds; 'weight': cumulative sample weight (untimed traces). */
  axis: 'time' | 'weight';
  mode: LaneMode;
  tree: CallTree;
  /** Busiest first. */
  lanes: FlameChartLane[];
  start: number;
  end: number;
  event: number;
}

export interface FlameChartOptions extends CallTreeOptions {
  lanes?: LaneMode;
}

export function buildFlameChart(profile: Profile, options: FlameChartOptions = {}): FlameChart {
  const event = defaultEvent(profile, options.event);
  const mode = options.lanes ?? 'thread';
  const { samples } = profile;
  const { tree, nodeOfStack } = topDown(profile, event);

  // Samples of the event, grouped by lane (counting sort keeps file order within a lane).
  const { laneOf, names } = laneIds(profile, mode, event);
  const laneCount = names.length;
  let timed = true;
  const laneStart = new Int32Array(laneCount + 1);
  for (let i = 0; i < samples.length; i++) {
    if (laneOf[i] < 0) continue;
    laneStart[laneOf[i] + 1]++;
    if (!Number.isFinite(samples.time[i])) timed = false;
  }
  for (let l = 0; l < laneCount; l++) laneStart[l + 1] += laneStart[l];
  const order = new Int32Array(laneStart[laneCount]);
  const fill = laneStart.slice(0, laneCount);
  for (let i = 0; i < samples.length; i++) if (laneOf[i] >= 0) order[fill[laneOf[i]]++] = i;

  const lanes: FlameChartLane[] = [];
  let start = Infinity;
  let end = -Infinity;
  const boxesOf = (x: Spans) => buildBoxes(profile, tree, nodeOfStack, x);
  for (let l = 0; l < laneCount; l++) {
    const idx = order.subarray(laneStart[l], laneStart[l + 1]);
    const x = timed ? timeSpans(samples.time, sortByTime(idx, samples.time)) : weightSpans(samples.weight, idx);
    const machines = names[l].machines.map((m) => profile.machines[m]?.name ?? '?');
    const lane = new Lane(names[l].key, names[l].label, machines, x, activityRuns(samples.context, x), boxesOf);
    lanes.push(lane);
    if (lane.start < start) start = lane.start;
    if (lane.end > end) end = lane.end;
  }
  lanes.sort((a, b) => b.sampleCount - a.sampleCount);
  if (lanes.length === 0) start = end = 0;
  return { axis: timed ? 'time' : 'weight', mode, tree, lanes, start, end, event };
}

/** Samples of a lane in time order, each with the span it covers. */
interface Spans {
  sample: Int32Array;
  start: Float64Array;
  end: Float64Array;
}

function sortByTime(idx: Int32Array, time: Float64Array): Int32Array {
  for (let k = 1; k < idx.length; k++) {
    if (time[idx[k]] < time[idx[k - 1]]) return Int32Array.from(idx).sort((a, b) => time[a] - time[b] || a - b);
  }
  return idx;
}

function timeSpans(time: Float64Array, sample: Int32Array): Spans {
  const m = sample.length;
  const gaps = new Float64Array(m);
  let g = 0;
  for (let k = 1; k < m; k++) {
    const gap = time[sample[k]] - time[sample[k - 1]];
    if (gap > 0) gaps[g++] = gap;
  }
  const median = g > 0 ? lowerMedian(gaps.subarray(0, g)) : 1;
  const start = new Float64Array(m);
  const end = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const t = time[sample[k]];
    start[k] = t;
    // Ending exactly at the next sample's time is what makes the two contiguous.
    const next = k + 1 < m ? time[sample[k + 1]] : Infinity;
    end[k] = next - t <= 2 * median ? next : t + median;
  }
  return { sample, start, end };
}

function weightSpans(weight: Float64Array, sample: Int32Array): Spans {
  const start = new Float64Array(sample.length);
  const end = new Float64Array(sample.length);
  let x = 0;
  for (let k = 0; k < sample.length; k++) {
    start[k] = x;
    x += weight[sample[k]];
    end[k] = x;
  }
  return { sample, start, end };
}

/**
 * The boxes still open while a lane's samples are read in time order, one
 * per depth of the current stack; a box is closed (written to its row) when
 * a sample's stack leaves it or the lane pauses.
 */
class LaneBuilder {
  /**
   * Boxes per depth. The lane is read twice (a lane can hold millions of
   * boxes): the first pass only counts them, so the second writes each row's
   * typed columns at their final size, with no growing or trimming copies.
   */
  readonly perDepth: Int32Array;
  rows: FlameChartRow[] | null = null;
  private readonly fill: Int32Array;
  private open = 0;
  private readonly node: Int32Array;
  private readonly start: Float64Array;
  private readonly count: Int32Array;
  private readonly sample: Int32Array;

  constructor(maxDepth: number) {
    this.perDepth = new Int32Array(maxDepth + 1);
    this.fill = new Int32Array(maxDepth + 1);
    this.node = new Int32Array(maxDepth + 1);
    this.start = new Float64Array(maxDepth + 1);
    this.count = new Int32Array(maxDepth + 1);
    this.sample = new Int32Array(maxDepth + 1);
  }

  /** After the counting pass: rows of the counted sizes, and a fresh start for the writing pass. */
  allocate(): void {
    let depth = this.perDepth.length;
    while (depth > 0 && this.perDepth[depth - 1] === 0) depth--;
    this.rows = Array.from({ length: depth }, (_, d) => {
      const n = this.perDepth[d];
      return { length: n, start: new Float64Array(n), end: new Float64Array(n), node: new Int32Array(n), count: new Int32Array(n), sample: new Int32Array(n) };
    });
    this.open = 0;
  }

  /** Closes the open boxes at depth `depth` and deeper, ending at `at`. */
  close(depth: number, at: number): void {
    const rows = this.rows;
    for (let d = this.open - 1; d >= depth; d--) {
      // Samples at one instant make boxes of no width: nothing to draw or point at.
      if (!(at > this.start[d])) continue;
      if (rows === null) {
        this.perDepth[d]++;
        continue;
      }
      const row = rows[d];
      const k = this.fill[d]++;
      row.start[k] = this.start[d];
      row.end[k] = at;
      row.node[k] = this.node[d];
      row.count[k] = this.count[d];
      row.sample[k] = this.sample[d];
    }
    if (depth < this.open) this.open = depth;
  }

  /** Sample `i` at `t` with stack `path[0 .. depth)` (root first): shared boxes grow, the rest open. */
  add(i: number, t: number, path: Int32Array, depth: number): void {
    let common = 0;
    while (common < this.open && common < depth && this.node[common] === path[common]) common++;
    this.close(common, t);
    for (let d = 0; d < common; d++) this.count[d]++;
    for (let d = common; d < depth; d++) {
      this.node[d] = path[d];
      this.start[d] = t;
      this.count[d] = 1;
      this.sample[d] = i;
    }
    this.open = depth;
  }
}

/** A lane whose boxes wait for the first read of `rows`; its spans are kept until then. */
class Lane implements FlameChartLane {
  readonly sampleCount: number;
  readonly start: number;
  readonly end: number;
  private spans: Spans | null;
  private boxes: LaneBoxes | null = null;

  constructor(
    readonly key: string,
    readonly label: string,
    readonly machines: readonly string[],
    spans: Spans,
    readonly activity: ActivityRuns,
    private readonly build: (x: Spans) => LaneBoxes,
  ) {
    const m = spans.sample.length;
    this.sampleCount = m;
    this.start = m > 0 ? spans.start[0] : 0;
    this.end = m > 0 ? spans.end[m - 1] : 0;
    this.spans = spans;
  }

  get rows(): FlameChartRow[] {
    return this.ensureBoxes().rows;
  }

  get boxCount(): number {
    return this.ensureBoxes().boxCount;
  }

  get built(): boolean {
    return this.boxes !== null;
  }

  private ensureBoxes(): LaneBoxes {
    if (!this.boxes) {
      this.boxes = this.build(this.spans!);
      this.spans = null;
    }
    return this.boxes;
  }
}

function activityRuns(context: Uint8Array, x: Spans): ActivityRuns {
  const m = x.sample.length;
  const start = new Float64Array(m);
  const end = new Float64Array(m);
  const ctx = new Uint8Array(m);
  let n = 0;
  for (let k = 0; k < m; k++) {
    const c = context[x.sample[k]];
    if (n > 0 && end[n - 1] === x.start[k] && ctx[n - 1] === c) {
      end[n - 1] = x.end[k];
      continue;
    }
    start[n] = x.start[k];
    end[n] = x.end[k];
    ctx[n++] = c;
  }
  return { length: n, start: start.slice(0, n), end: end.slice(0, n), context: ctx.slice(0, n) };
}

interface LaneBoxes {
  rows: FlameChartRow[];
  boxCount: number;
}

function buildBoxes(profile: Profile, tree: CallTree, nodeOfStack: Int32Array, x: Spans): LaneBoxes {
  const { stack } = profile.samples;
  const lane = new LaneBuilder(tree.maxDepth);
  const path = new Int32Array(tree.maxDepth + 1);
  const walk = () => {
    let prevEnd = NaN;
    let prevLeaf = -1;
    let depth = 0;
    for (let k = 0; k < x.sample.length; k++) {
      const i = x.sample[k];
      const t = x.start[k];
      if (t !== prevEnd) lane.close(0, prevEnd);
      const leaf = stack[i] >= 0 ? nodeOfStack[stack[i]] : ROOT_NODE;
      // The path root-first, without the synthetic root: path[d] is the node at depth d + 1.
      if (leaf !== prevLeaf) {
        depth = tree.depth[leaf];
        for (let v = leaf; v !== ROOT_NODE; v = tree.parent[v]) path[tree.depth[v] - 1] = v;
        prevLeaf = leaf;
      }
      lane.add(i, t, path, depth);
      prevEnd = x.end[k];
    }
    lane.close(0, prevEnd);
  };
  walk();
  lane.allocate();
  walk();
  return { rows: lane.rows!, boxCount: lane.perDepth.reduce((a, n) => a + n, 0) };
}

/** A top-down call tree of the event's samples and the node each stack maps to. */
function topDown(profile: Profile, event: number): { tree: CallTree; nodeOfStack: Int32Array } {
  const { stacks } = profile;
  const fns = functionsOf(profile);
  const weights = stackWeights(profile, event);
  const b = new TreeBuilder(profile, fns, stacks.length + 1);
  b.addEnd(ROOT_NODE, weights.noStackWeight, weights.noStackCount);
  b.addSelf(ROOT_NODE, weights.noStackWeight);
  const reach = weights.count.slice();
  for (let s = stacks.length - 1; s >= 0; s--) if (stacks.prefix[s] >= 0) reach[stacks.prefix[s]] += reach[s];
  const nodeOfStack = new Int32Array(stacks.length).fill(ROOT_NODE);
  for (let s = 0; s < stacks.length; s++) {
    if (reach[s] === 0) continue;
    const p = stacks.prefix[s];
    const node = b.child(p < 0 ? ROOT_NODE : nodeOfStack[p], fns.funcOfFrame[stacks.frame[s]]);
    nodeOfStack[s] = node;
    b.addEnd(node, weights.weight[s], weights.count[s]);
    b.addSelf(node, weights.weight[s]);
  }
  return { tree: b.finish(event), nodeOfStack };
}

/**
 * Each sample's lane (-1: not of the event, or no CPU known), lanes numbered
 * in order of first appearance. A guest's samples all carry the guest's one
 * thread, but its vCPUs run at once, so a thread lane is split by vCPU.
 */
function laneIds(profile: Profile, mode: LaneMode, event: number): { laneOf: Int32Array; names: LaneName[] } {
  const { samples, threads } = profile;
  const laneOf = new Int32Array(samples.length).fill(-1);
  const ids = new Map<number, number>();
  const names: LaneName[] = [];
  for (let i = 0; i < samples.length; i++) {
    if (event >= 0 && samples.event[i] !== event) continue;
    const t = samples.thread[i];
    const v = samples.vcpu[i];
    const c = samples.cpu[i];
    if (mode === 'cpu' ? c < 0 : t < 0) continue;
    const id = mode === 'cpu' ? c : t * 4096 + v + 1;
    let lane = ids.get(id);
    if (lane === undefined) {
      lane = names.length;
      ids.set(id, lane);
      names.push(
        mode === 'cpu'
          ? { key: `cpu:${c}`, label: `CPU ${c}`, machines: [] }
          : { key: v >= 0 ? `thread:${t}:${v}` : `thread:${t}`, label: threadLabel(profile, t, v), machines: [] },
      );
    }
    laneOf[i] = lane;
    const machine = t >= 0 ? threads.machine[t] : -1;
    const seen = names[lane].machines;
    if (machine >= 0 && seen[seen.length - 1] !== machine && !seen.includes(machine)) seen.push(machine);
  }
  for (const n of names) n.machines.sort((a, b) => a - b);
  return { laneOf, names };
}

interface LaneName {
  key: string;
  label: string;
  /** Machine indices, ascending. */
  machines: number[];
}

function threadLabel(profile: Profile, t: number, vcpu: number): string {
  const { threads, strings, machines } = profile;
  const comm = strings[threads.comm[t]];
  const pid = threads.pid[t];
  const ids = pid >= 0 ? `${pid}/${threads.tid[t]}` : `${threads.tid[t]}`;
  const machine = machines[threads.machine[t]];
  const where = machine && machine.kind === 'guest' ? ` (${machine.name}${vcpu >= 0 ? ` vCPU ${vcpu}` : ''})` : '';
  return `${comm} ${ids}${where}`;
}

/** Index of the first box of `row` (or run of an activity strip) that ends after `x`. */
export function firstBoxEndingAfter(row: { length: number; end: Float64Array }, x: number): number {
  let lo = 0;
  let hi = row.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (row.end[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The box of `row` that contains `x`, or -1. */
export function boxAt(row: FlameChartRow | undefined, x: number): number {
  if (!row) return -1;
  const k = firstBoxEndingAfter(row, x);
  return k < row.length && row.start[k] <= x ? k : -1;
}
