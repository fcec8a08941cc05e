/**
 * Chrome / Node `.cpuprofile` (the DevTools protocol's Profiler.Profile):
 * `nodes` (a call tree, each node a callFrame with `children` ids or a
 * `parent` id), `samples` (one leaf node id per sample), `timeDeltas` (µs
 * since the previous sample; the first is relative to `startTime`) and
 * `startTime`/`endTime` in µs. Node ≤ 10 wrote an older shape: a nested
 * `head` tree, `timestamps` in µs, and `startTime`/`endTime` in seconds.
 *
 * V8 samples on a timer and records no weights, so a sample's weight is the
 * time until the next sample (ns), as DevTools and speedscope display it; the
 * last sample runs to `endTime` when that is later, else it weighs 0.
 */
import { ProfileBuilder } from '../builder';
import { ExecContext, type Profile } from '../model';
import { ParseError, type ExportOptions, type ImportOptions, type StreamingImporter, type TraceFormat } from './format';
import { JsonStreamScanner } from './json-stream';

interface CpuNode {
  parent: number;
  name: string;
  url: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/**
 * A V8 profile's call tree. Nodes link to their parent either by `parent`
 * (trace ProfileChunks) or through the parent's `children` (cpuprofile files);
 * both may arrive in any order and across chunks, so stacks are resolved late.
 */
export class CpuProfileTree {
  private readonly nodes = new Map<number, CpuNode>();
  private readonly parentFromChildren = new Map<number, number>();
  private readonly stacks = new Map<number, number>();

  get size(): number {
    return this.nodes.size;
  }

  /** Adds a node `{id, callFrame: {functionName, url}, parent?, children?}`; false if it is not one. */
  addNode(raw: unknown): boolean {
    if (!isObject(raw) || typeof raw.id !== 'number') return false;
    const frame = isObject(raw.callFrame) ? raw.callFrame : raw;
    this.nodes.set(raw.id, {
      parent: typeof raw.parent === 'number' ? raw.parent : -1,
      name: str(frame.functionName),
      url: str(frame.url),
    });
    if (Array.isArray(raw.children)) {
      for (const child of raw.children) if (typeof child === 'number') this.parentFromChildren.set(child, raw.id);
    }
    return true;
  }

  /** Adds the old nested `head` tree (children are node objects), without recursion. */
  addTree(head: unknown): void {
    const todo: Array<{ node: unknown; parent: number }> = [{ node: head, parent: -1 }];
    for (let item = todo.pop(); item; item = todo.pop()) {
      const { node, parent } = item;
      if (!isObject(node) || typeof node.id !== 'number') continue;
      this.nodes.set(node.id, { parent, name: str(node.functionName), url: str(node.url) });
      if (Array.isArray(node.children)) for (const c of node.children) todo.push({ node: c, parent: node.id });
    }
  }

  private parentOf(id: number): number {
    const node = this.nodes.get(id);
    if (!node) return -1;
    return node.parent >= 0 || !this.parentFromChildren.has(id) ? node.parent : this.parentFromChildren.get(id)!;
  }

  /**
   * The model stack of node `id`, or undefined for an unknown id. "(root)"
   * is dropped: it is the same synthetic frame at the bottom of every stack.
   * A parent cycle (only in a corrupt file) is cut where it closes.
   */
  stackOf(b: ProfileBuilder, id: number): number | undefined {
    const known = this.stacks.get(id);
    if (known !== undefined) return known;
    if (!this.nodes.has(id)) return undefined;
    const chain: number[] = [];
    const seen = new Set<number>();
    let base = -1;
    for (let at = id; at >= 0 && this.nodes.has(at) && !seen.has(at); at = this.parentOf(at)) {
      const done = this.stacks.get(at);
      if (done !== undefined) {
        base = done;
        break;
      }
      seen.add(at);
      chain.push(at);
    }
    let stack = base;
    for (let k = chain.length - 1; k >= 0; k--) {
      const node = this.nodes.get(chain[k])!;
      const isRoot = stack === -1 && node.name === '(root)';
      if (!isRoot) stack = b.stack(stack, b.frame(node.name || '(anonymous)', node.url || null, ExecContext.HostUser));
      this.stacks.set(chain[k], stack);
    }
    return stack;
  }
}

/**
 * Adds one sample per entry of `ids` at `timesNs`, weighted by the time to the
 * next sample. Returns how many samples named a node the tree lacks.
 */
export function emitCpuSamples(
  b: ProfileBuilder,
  tree: CpuProfileTree,
  ids: readonly unknown[],
  timesNs: readonly number[],
  endNs: number,
  thread: number,
  event: number,
): number {
  const n = Math.min(ids.length, timesNs.length);
  const order = Array.from({ length: n }, (_, i) => i).filter((i) => Number.isFinite(timesNs[i]));
  // Chrome can record a sample out of order (negative delta); weights need time order.
  order.sort((x, y) => timesNs[x] - timesNs[y] || x - y);
  let unknown = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const stack = typeof ids[i] === 'number' ? tree.stackOf(b, ids[i] as number) : undefined;
    if (stack === undefined) {
      unknown++;
      continue;
    }
    const next = k + 1 < order.length ? timesNs[order[k + 1]] : Math.max(endNs, timesNs[i]);
    const weight = Number.isFinite(next) ? next - timesNs[i] : 0;
    b.sample({ stack, time: timesNs[i], weight, event, cpu: -1, thread, vcpu: -1, context: ExecContext.HostUser });
  }
  return unknown;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : NaN);
const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.map(num) : []);

function parseValue(fileName: string, text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ParseError(fileName, line, `invalid JSON: ${(e as Error).message}`);
  }
}

const TOP_KEYS = new Set(['startTime', 'endTime', 'samples', 'timeDeltas', 'timestamps', 'head']);

function createImporter(options: ImportOptions): StreamingImporter {
  const { fileName } = options;
  const tree = new CpuProfileTree();
  const top: Record<string, unknown> = {};
  let badNodes = 0;
  const scanner = new JsonStreamScanner(fileName, new Set(['nodes']), {
    element(key, text, line) {
      if (key === null) throw new ParseError(fileName, line, 'a cpuprofile is a JSON object, not an array');
      if (!tree.addNode(parseValue(fileName, text, line))) badNodes++;
    },
    wants: (key) => TOP_KEYS.has(key),
    value(key, text, line) {
      top[key] = parseValue(fileName, text, line);
    },
  });
  return {
    push: (chunk) => scanner.push(chunk),
    finish(): Profile {
      scanner.finish();
      const b = new ProfileBuilder();
      if (top.head !== undefined) tree.addTree(top.head);
      if (tree.size === 0) throw new ParseError(fileName, -1, 'no call tree (neither "nodes" nor "head")');
      if (badNodes > 0) b.warn(-1, `${badNodes} entries of "nodes" are not profile nodes and were skipped`);
      const ids = Array.isArray(top.samples) ? top.samples : [];
      let times: number[];
      let endNs: number;
      if (Array.isArray(top.timestamps) || top.head !== undefined) {
        // Old format: absolute µs timestamps, start/end in seconds.
        times = numbers(top.timestamps).map((us) => Math.round(us * 1000));
        endNs = num(top.endTime) * 1e9;
      } else {
        // Accumulate in integer ns so exported sub-µs deltas come back exactly.
        let t = Math.round(num(top.startTime) * 1000);
        if (!Number.isFinite(t)) t = 0;
        times = numbers(top.timeDeltas).map((d) => (t += Number.isFinite(d) ? Math.round(d * 1000) : 0));
        endNs = Math.round(num(top.endTime) * 1000);
      }
      if (times.length < ids.length) b.warn(-1, `${ids.length - times.length} samples have no time and were skipped`);
      const thread = b.thread('main', -1, -1);
      const unknown = emitCpuSamples(b, tree, ids, times, endNs, thread, b.event('samples'));
      if (unknown > 0) b.warn(-1, `${unknown} samples name a node that is not in the tree and were skipped`);
      return b.build({ name: fileName, source: 'cpuprofile', weightUnit: 'ns' });
    },
  };
}

/**
 * Writes one event's samples (options.event, else event 0) as a cpuprofile:
 * node id = stack index + 2 (1 is "(root)"). A cpuprofile has one thread and
 * no weights, so all threads are merged and a sample's weight becomes the
 * time to the next one. Guarantee: a one-thread 'ns' profile whose samples
 * are contiguous (time[i] + weight[i] = time[i+1], integer ns) imports back
 * with the same total weight per stack path. Samples without time are laid
 * end to end from 0 (weight as ns when the unit is ns, else 1 ms each).
 */
function* exportCpuprofile(profile: Profile, options?: ExportOptions): Iterable<string> {
  const { samples, stacks, frames, strings } = profile;
  const event = options?.event ?? 0;
  const picked: number[] = [];
  for (let i = 0; i < samples.length; i++) if (samples.event[i] === event) picked.push(i);
  const ns = profile.meta.weightUnit === 'ns';
  let clock = 0;
  const time = picked.map((i) => {
    if (Number.isFinite(samples.time[i])) return samples.time[i];
    const t = clock;
    clock += ns ? Math.max(0, samples.weight[i]) : 1e6;
    return t;
  });
  const order = picked.map((_, k) => k).sort((x, y) => time[x] - time[y] || x - y);
  const used = new Uint8Array(stacks.length);
  const hits = new Float64Array(stacks.length);
  for (const k of order) {
    const s = samples.stack[picked[k]];
    if (s >= 0) hits[s]++;
    for (let at = s; at >= 0 && !used[at]; at = stacks.prefix[at]) used[at] = 1;
  }
  const children = new Map<number, number[]>();
  for (let s = 0; s < stacks.length; s++) {
    if (!used[s]) continue;
    const parent = stacks.prefix[s] + 2; // -1 + 2 = the root node
    (children.get(parent) ?? children.set(parent, []).get(parent)!).push(s + 2);
  }
  const callFrame = (name: string, url: string) =>
    JSON.stringify({ functionName: name, scriptId: '0', url, lineNumber: -1, columnNumber: -1 });
  yield `{"nodes":[\n{"id":1,"callFrame":${callFrame('(root)', '')},"hitCount":0,"children":${JSON.stringify(children.get(1) ?? [])}}`;
  for (let s = 0; s < stacks.length; s++) {
    if (!used[s]) continue;
    const f = stacks.frame[s];
    const url = frames.dso[f] >= 0 ? strings[frames.dso[f]] : '';
    const kids = JSON.stringify(children.get(s + 2) ?? []);
    yield `,\n{"id":${s + 2},"callFrame":${callFrame(strings[frames.name[f]], url)},"hitCount":${hits[s]},"children":${kids}}`;
  }
  const first = order.length > 0 ? time[order[0]] : 0;
  const lastK = order.length > 0 ? order[order.length - 1] : -1;
  const end = lastK < 0 ? first : time[lastK] + (ns ? Math.max(0, samples.weight[picked[lastK]]) : 0);
  const ids = order.map((k) => (samples.stack[picked[k]] >= 0 ? samples.stack[picked[k]] + 2 : 1));
  const deltas = order.map((k, j) => (j === 0 ? 0 : (time[k] - time[order[j - 1]]) / 1000));
  yield `\n],"startTime":${first / 1000},"endTime":${end / 1000},"samples":${JSON.stringify(ids)},`;
  yield `"timeDeltas":${JSON.stringify(deltas)}}\n`;
}

/**
 * A JSON object with a `nodes` array of callFrames (any key order), and not a
 * Chrome trace (whose ProfileChunks hold the same nodes); or Node ≤ 10's
 * `{"head":{"functionName"`. A heap profile (`{"head":{"callFrame"`) is not one.
 */
function detect(head: Uint8Array): boolean {
  const text = new TextDecoder().decode(head);
  if (!/^\uFEFF?\s*\{/.test(text)) return false;
  if (/^\uFEFF?\s*\{\s*"head"\s*:\s*\{\s*"functionName"/.test(text)) return true;
  return /"nodes"\s*:\s*\[/.test(text) && text.includes('"callFrame"') && !/"(traceEvents|ph)"\s*:/.test(text);
}

export const cpuprofileFormat: TraceFormat = {
  id: 'cpuprofile',
  name: 'Chrome / Node CPU profile',
  extensions: ['cpuprofile'],
  detect,
  createImporter,
  export: exportCpuprofile,
  exportExtension: 'cpuprofile',
};
