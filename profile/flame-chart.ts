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
 */
import { ROOT_NODE, type CallTree, type CallTreeOptions } from './call-tree';
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
  /** Machine of the thread of the box's first sample. */
  machine: Int32Array;
}

export interface FlameChartLane {
  /** "thread:<index>" or "cpu:<n>": stable for a profile, saved with the view state. */
  key: string;
  label: string;
  sampleCount: number;
  /** Time (or weight) of the lane's first sample and the end of its last. */
  start: number;
  end: number;
  rows: FlameChartRow[];
  boxCount: number;
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
  for (let l = 0; l < laneCount; l++) {
    const idx = order.subarray(laneStart[l], laneStart[l + 1]);
    const x = timed ? timeSpans(samples.time, sortByTime(idx, samples.time)) : weightSpans(samples.weight, idx);
    const lane = buildLane(profile, tree, nodeOfStack, x);
    lane.key = names[l].key;
    lane.label = names[l].label;
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
  const median = g > 0 ? gaps.subarray(0, g).sort()[(g - 1) >> 1] : 1;
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

/** Grows one depth of a lane; typed once the lane is done. */
class RowBuilder {
  start: number[] = [];
  end: number[] = [];
  node: number[] = [];
  count: number[] = [];
  machine: number[] = [];
  finish(): FlameChartRow {
    return {
      length: this.start.length,
      start: Float64Array.from(this.start),
      end: Float64Array.from(this.end),
      node: Int32Array.from(this.node),
      count: Int32Array.from(this.count),
      machine: Int32Array.from(this.machine),
    };
  }
}

function buildLane(profile: Profile, tree: CallTree, nodeOfStack: Int32Array, x: Spans): FlameChartLane {
  const { stack, thread } = profile.samples;
  const threadMachine = profile.threads.machine;
  const rows: RowBuilder[] = [];
  // The boxes still open, one per depth: node, start, samples so far, machine.
  const openNode: number[] = [];
  const openStart: number[] = [];
  const openCount: number[] = [];
  const openMachine: number[] = [];
  let open = 0;
  let boxCount = 0;
  const path = new Int32Array(tree.maxDepth + 1);
  let prevEnd = NaN;

  // Samples at one instant make boxes of no width: nothing to draw or point at.
  const close = (to: number, at: number) => {
    for (let d = open - 1; d >= to; d--) {
      if (!(at > openStart[d])) continue;
      const row = (rows[d] ??= new RowBuilder());
      row.start.push(openStart[d]);
      row.end.push(at);
      row.node.push(openNode[d]);
      row.count.push(openCount[d]);
      row.machine.push(openMachine[d]);
      boxCount++;
    }
    open = Math.min(open, to);
  };

  for (let k = 0; k < x.sample.length; k++) {
    const i = x.sample[k];
    const t = x.start[k];
    if (t !== prevEnd) close(0, prevEnd);
    const leaf = stack[i] >= 0 ? nodeOfStack[stack[i]] : ROOT_NODE;
    // The path root-first, without the synthetic root: path[d] is the node at depth d.
    const depth = tree.depth[leaf];
    for (let v = leaf; v !== ROOT_NODE; v = tree.parent[v]) path[tree.depth[v] - 1] = v;
    let common = 0;
    while (common < open && common < depth && openNode[common] === path[common]) common++;
    close(common, t);
    for (let d = 0; d < common; d++) openCount[d]++;
    const machine = thread[i] >= 0 ? threadMachine[thread[i]] : 0;
    for (let d = common; d < depth; d++) {
      openNode[d] = path[d];
      openStart[d] = t;
      openCount[d] = 1;
      openMachine[d] = machine;
    }
    open = depth;
    prevEnd = x.end[k];
  }
  close(0, prevEnd);
  const m = x.sample.length;
  return {
    key: '',
    label: '',
    sampleCount: m,
    start: m > 0 ? x.start[0] : 0,
    end: m > 0 ? x.end[m - 1] : 0,
    rows: rows.map((r) => r.finish()),
    boxCount,
  };
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
function laneIds(profile: Profile, mode: LaneMode, event: number): { laneOf: Int32Array; names: { key: string; label: string }[] } {
  const { samples } = profile;
  const laneOf = new Int32Array(samples.length).fill(-1);
  const ids = new Map<number, number>();
  const names: { key: string; label: string }[] = [];
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
          ? { key: `cpu:${c}`, label: `CPU ${c}` }
          : { key: v >= 0 ? `thread:${t}:${v}` : `thread:${t}`, label: threadLabel(profile, t, v) },
      );
    }
    laneOf[i] = lane;
  }
  return { laneOf, names };
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

/** Index of the first box of `row` that ends after `x`. */
export function firstBoxEndingAfter(row: FlameChartRow, x: number): number {
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
