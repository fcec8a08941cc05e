/**
 * The call tree: stacks merged by function, with self and total weight.
 *
 * Node identity is (parent node, function), where a function is a frame's
 * (name, context): two frames that differ only by dso become one node, the
 * way flamegraph.pl merges by symbol, but a guest-kernel `memcpy` never merges
 * with a host-kernel `memcpy`: keeping contexts apart is the point of the tool.
 *
 * The tree is columnar like the model. Node 0 is the synthetic root "all";
 * nodes are numbered so that a parent precedes its children (they are created
 * in stack-table order, which is topological), and each node's children sit
 * in one contiguous run of `children`, sorted by name as flamegraph.pl sorts
 * them (then by context, so the order is total and stable).
 *
 * Cost: O(frames log frames + groups × stacks + samples), one group unless
 * split. Samples are folded into per-stack weights first, so the per-sample
 * loop only reads and adds; nodes are found through a numeric hash table,
 * once per (group, stack), never per sample.
 */
import { ExecContext, type Profile } from './model';
import { NodeTable } from './node-table';
import { functionRanks, linkChildren } from './sibling-order';

export const ROOT_NODE = 0;
/** CallTree.machine of a node no sample passes through. */
export const NO_MACHINE = -1;
/** CallTree.machine of a node whose samples come from more than one machine. */
export const MIXED_MACHINES = -2;

export interface CallTree {
  /** Number of nodes, including the root. */
  length: number;
  /** -1 for the root. */
  parent: Int32Array;
  /** A representative FrameIndex of the node's function; -1 for the root and group nodes. */
  frame: Int32Array;
  /**
   * StringIndex of the function name; -1 for the root ("all"), and
   * -2 - i for the split's group node labelled `groups[i]`.
   */
  name: Int32Array;
  context: Uint8Array; // ExecContext; Unknown for the root
  /**
   * MachineIndex the node's samples come from, NO_MACHINE or MIXED_MACHINES.
   * This and the other optional columns are buildCallTree's: trees other
   * builders grow (bottom-up, sandwich) leave them out.
   */
  machine?: Int32Array;
  /** 0 for the root. */
  depth: Int32Array;
  /** Weight of the samples whose leaf is this node. */
  self: Float64Array;
  /** Weight of the samples that pass through this node (self + children). */
  total: Float64Array;
  /** Number of samples that pass through this node. */
  sampleCount: Float64Array;
  /** With CallTreeOptions.secondary: the part of `total` that event contributes. */
  secondary?: Float64Array;
  /** Children of node n are children[childStart[n] .. childStart[n + 1]), sorted by name. */
  childStart: Int32Array;
  children: Int32Array;
  maxDepth: number;
  /** The event the tree was built for, -1 for all events. */
  event: number;
  /** Labels of the split's group nodes ("host", "hypervisor", "vm0", "vm0 vCPU 1"). */
  groups?: string[];
  /** Names, shared with the profile (not copied). */
  strings: readonly string[];
}

export interface CallTreeOptions {
  /**
   * Only samples of this event; -1 for every event. Defaults to the first
   * event (0): weights of different events (cycles vs instructions) do not add.
   */
  event?: number;
  /**
   * Split the root by where samples ran: "host", "hypervisor" (samples in
   * the Hypervisor context, or whose callchain passes through hypervisor
   * code: the kernel helpers KVM's exit handling calls run on behalf of the
   * guest too), and one node per guest machine
   * with one per vCPU under it. Group nodes come first among the root's
   * children, in that order; the stacks hang under their group.
   */
  split?: boolean;
  /** Merge functions by name alone, across contexts (host `main` with guest `main`): the host/guest differential. */
  mergeContexts?: boolean;
  /** Also sum this event's weight per node into `secondary` (the differential's "before"). */
  secondary?: number;
}

/** One subtree of the split (or the whole tree): where its stacks hang and its samples. */
interface Group {
  label: string | null;
  context: ExecContext;
  machine: number;
  /** Index in the group list of the group node this one hangs under; -1 for the root. */
  parent: number;
  /** The samples of the group, as sample indices. */
  samples: Int32Array | null;
}

/**
 * Builds the call tree of `profile`. Samples without a callchain (stack -1)
 * count as self weight of their group's node (the root unless split), so the
 * root's total is always the event's total weight (`totalWeight(profile,
 * event)`). Stacks that carry no sample of the event make no node.
 */
export function buildCallTree(profile: Profile, options: CallTreeOptions = {}): CallTree {
  const event = options.event ?? (profile.events.length > 0 ? 0 : -1);
  const secondaryEvent = options.secondary ?? -2;
  const { frames, stacks, samples } = profile;

  // 1. Frame -> function, keyed numerically by name * 8 + context.
  const funcOfFrame = new Int32Array(frames.length);
  const funcFrame: number[] = [];
  const funcIndex = new Map<number, number>();
  const contextKey = options.mergeContexts ? 0 : 1;
  for (let f = 0; f < frames.length; f++) {
    const key = frames.name[f] * 8 + frames.context[f] * contextKey;
    let fn = funcIndex.get(key);
    if (fn === undefined) {
      fn = funcFrame.length;
      funcFrame.push(f);
      funcIndex.set(key, fn);
    }
    funcOfFrame[f] = fn;
  }

  // 2. Samples -> per-(group, stack) self weight, count and machine: the
  //    only per-sample loops. Each group keeps the stacks it reaches.
  const groups = options.split ? splitGroups(profile, event) : [{ label: null, context: ExecContext.Unknown, machine: NO_MACHINE, parent: -1, samples: null }];
  const machineOfThread = profile.threads.machine;
  const stackSelf = new Float64Array(stacks.length);
  const stackCount = new Float64Array(stacks.length);
  const stackSecondary = new Float64Array(stacks.length);
  const stackMachine = new Int32Array(stacks.length).fill(NO_MACHINE);
  const stackReach = new Float64Array(stacks.length);
  const reached: { stacks: Int32Array; self: Float64Array; count: Float64Array; secondary: Float64Array; machine: Int32Array }[] = [];
  const groupSelf: number[] = [];
  const groupCount: number[] = [];
  const groupSecondary: number[] = [];
  const groupMachine: number[] = [];
  let reachedTotal = 0;
  for (const group of groups) {
    let rootSelf = 0;
    let rootCount = 0;
    let rootSecondary = 0;
    let rootMachine = NO_MACHINE;
    // Most groups (and a one-machine profile) come from one known machine:
    // then the per-sample loop need not look it up.
    const fixedMachine = group.machine >= 0 ? group.machine : profile.machines.length <= 1 ? 0 : NO_MACHINE;
    const perSampleMachine = fixedMachine === NO_MACHINE;
    const { stack, weight, event: ev, thread } = samples;
    const rows = group.samples;
    const n = rows ? rows.length : samples.length;
    for (let j = 0; j < n; j++) {
      const i = rows ? rows[j] : j;
      if (event >= 0 && ev[i] !== event) continue;
      const s = stack[i];
      const w = weight[i];
      if (s < 0) {
        rootSelf += w;
        rootCount++;
        if (ev[i] === secondaryEvent) rootSecondary += w;
        if (perSampleMachine) rootMachine = mergeMachine(rootMachine, machineOfThread[thread[i]] ?? NO_MACHINE);
      } else {
        stackSelf[s] += w;
        stackCount[s]++;
        if (ev[i] === secondaryEvent) stackSecondary[s] += w;
        if (perSampleMachine) stackMachine[s] = mergeMachine(stackMachine[s], machineOfThread[thread[i]] ?? NO_MACHINE);
      }
    }
    groupSelf.push(rootSelf);
    groupCount.push(rootCount);
    groupSecondary.push(rootSecondary);
    groupMachine.push(perSampleMachine || rootCount === 0 ? rootMachine : fixedMachine);
    // Subtree sample counts, children before parents (reverse topological
    // order), so that stacks no sample passes through are skipped.
    stackReach.set(stackCount);
    let r = 0;
    for (let s = stacks.length - 1; s >= 0; s--) {
      if (stackReach[s] === 0) continue;
      r++;
      const p = stacks.prefix[s];
      if (p >= 0) stackReach[p] += stackReach[s];
    }
    const out = { stacks: new Int32Array(r), self: new Float64Array(r), count: new Float64Array(r), secondary: new Float64Array(r), machine: new Int32Array(r) };
    let k = 0;
    for (let s = 0; s < stacks.length; s++) {
      if (stackReach[s] === 0) continue;
      out.stacks[k] = s;
      out.self[k] = stackSelf[s];
      out.count[k] = stackCount[s];
      out.secondary[k] = stackSecondary[s];
      out.machine[k] = perSampleMachine ? stackMachine[s] : fixedMachine;
      k++;
      stackSelf[s] = 0;
      stackCount[s] = 0;
      stackSecondary[s] = 0;
      stackMachine[s] = NO_MACHINE;
    }
    reached.push(out);
    reachedTotal += r;
  }

  // 3. Group nodes, then stack -> node per group. Nodes are created in
  //    stack order, so a parent always precedes its children.
  const cap = 1 + (options.split ? groups.length : 0) + reachedTotal;
  const parent = new Int32Array(cap);
  const func = new Int32Array(cap);
  const depth = new Int32Array(cap);
  const self = new Float64Array(cap);
  const count = new Float64Array(cap);
  const secondary = new Float64Array(cap);
  const machine = new Int32Array(cap).fill(NO_MACHINE);
  const groupNodeName = new Int32Array(cap).fill(-1);
  const groupNodeContext = new Uint8Array(cap);
  parent[ROOT_NODE] = -1;
  func[ROOT_NODE] = -1;
  let length = 1;
  // Groups are listed after the group they hang under, so its node exists.
  const groupNode = new Int32Array(groups.length);
  groups.forEach((group, g) => {
    if (group.label === null) return; // the merged tree: the root is the group
    const node = length++;
    const p = group.parent < 0 ? ROOT_NODE : groupNode[group.parent];
    parent[node] = p;
    func[node] = -2 - g; // sorts before functions, in group order (sortKeys)
    depth[node] = depth[p] + 1;
    groupNodeName[node] = -2 - g;
    groupNodeContext[node] = group.context;
    machine[node] = group.machine;
    groupNode[g] = node;
  });
  const nodeOfStack = new Int32Array(stacks.length).fill(-1);
  const table = new NodeTable(cap);
  groups.forEach((_, g) => {
    const top = groupNode[g];
    self[top] += groupSelf[g];
    count[top] += groupCount[g];
    secondary[top] += groupSecondary[g];
    machine[top] = mergeMachine(machine[top], groupMachine[g]);
    const r = reached[g];
    for (let k = 0; k < r.stacks.length; k++) {
      const s = r.stacks[k];
      const p = stacks.prefix[s];
      const parentNode = p < 0 ? top : nodeOfStack[p];
      const fn = funcOfFrame[stacks.frame[s]];
      let node = table.get(parentNode, fn);
      if (node < 0) {
        node = length++;
        parent[node] = parentNode;
        func[node] = fn;
        depth[node] = depth[parentNode] + 1;
        table.set(parentNode, fn, node);
      }
      nodeOfStack[s] = node;
      self[node] += r.self[k];
      count[node] += r.count[k];
      secondary[node] += r.secondary[k];
      machine[node] = mergeMachine(machine[node], r.machine[k]);
    }
  });

  const tree: CallTree = {
    length,
    parent: parent.slice(0, length),
    frame: new Int32Array(length),
    name: new Int32Array(length),
    context: new Uint8Array(length),
    depth: depth.slice(0, length),
    self: self.slice(0, length),
    total: self.slice(0, length),
    sampleCount: count.slice(0, length),
    secondary: options.secondary === undefined ? undefined : secondary.slice(0, length),
    childStart: new Int32Array(length + 1),
    children: new Int32Array(length - 1),
    maxDepth: 0,
    event,
    groups: groups.flatMap((g) => (g.label === null ? [] : [g.label])),
    strings: profile.strings,
  };
  tree.frame[0] = -1;
  tree.name[0] = -1;
  tree.context[0] = ExecContext.Unknown;
  for (let n = 1; n < length; n++) {
    if (func[n] < 0) {
      tree.frame[n] = -1;
      tree.name[n] = groupNodeName[n];
      tree.context[n] = groupNodeContext[n];
    } else {
      const f = funcFrame[func[n]];
      tree.frame[n] = f;
      tree.name[n] = frames.name[f];
      tree.context[n] = frames.context[f];
    }
    if (depth[n] > tree.maxDepth) tree.maxDepth = depth[n];
  }

  // 4. Totals: parents precede children, so one reverse pass suffices.
  const sec = tree.secondary;
  const mach = machine.subarray(0, length);
  for (let n = length - 1; n > 0; n--) {
    const p = tree.parent[n];
    tree.total[p] += tree.total[n];
    tree.sampleCount[p] += tree.sampleCount[n];
    if (sec) sec[p] += sec[n];
    mach[p] = mergeMachine(mach[p], mach[n]);
  }
  tree.machine = mach.slice();

  // 5. Children runs (CSR), then sort each run by function rank.
  linkChildren(tree, sortKeys(profile, funcFrame, func.subarray(0, length)));
  return tree;
}

function mergeMachine(a: number, b: number): number {
  if (a === NO_MACHINE || a === b) return b;
  if (b === NO_MACHINE) return a;
  return MIXED_MACHINES;
}

/**
 * The split's groups in display order (host, hypervisor, then each guest
 * and its vCPUs), only those with samples of `event`, each with its sample
 * indices (a counting sort by group, so each group's loop is linear).
 */
function splitGroups(profile: Profile, event: number): Group[] {
  const { samples, machines } = profile;
  const machineOfThread = profile.threads.machine;
  // Group codes: 0 host, 1 hypervisor, then per guest machine m:
  // 2 + m * (vcpus + 1) + vcpu + 1 (vcpu -1 = guest samples with no vCPU).
  let maxVcpu = 0;
  for (let i = 0; i < samples.length; i++) if (samples.vcpu[i] > maxVcpu) maxVcpu = samples.vcpu[i];
  const perMachine = maxVcpu + 2;
  // Per thread, the first code of its guest machine (-1 for host threads):
  // the per-sample loop then reads typed arrays only.
  const guestBase = new Int32Array(profile.threads.length);
  for (let t = 0; t < guestBase.length; t++) {
    const m = machineOfThread[t];
    guestBase[t] = m > 0 && machines[m]?.kind === 'guest' ? 2 + m * perMachine + 1 : -1;
  }
  // Stacks are parents first: one pass marks every stack with hypervisor code at or above it.
  const { stacks, frames } = profile;
  const inHypervisor = new Uint8Array(stacks.length);
  for (let s = 0; s < stacks.length; s++) {
    const p = stacks.prefix[s];
    inHypervisor[s] = frames.context[stacks.frame[s]] === ExecContext.Hypervisor || (p >= 0 && inHypervisor[p] === 1) ? 1 : 0;
  }
  const codeOf = new Int32Array(samples.length);
  const codeCount = new Int32Array(2 + machines.length * perMachine);
  const { event: ev, thread, context, vcpu, stack } = samples;
  for (let i = 0; i < samples.length; i++) {
    if (event >= 0 && ev[i] !== event) {
      codeOf[i] = -1;
      continue;
    }
    const base = guestBase[thread[i]];
    const hv = context[i] === ExecContext.Hypervisor || (stack[i] >= 0 && inHypervisor[stack[i]] === 1);
    const code = hv ? 1 : base < 0 ? 0 : base + (vcpu[i] < 0 ? -1 : vcpu[i]);
    codeOf[i] = code;
    codeCount[code]++;
  }
  const groups: Group[] = [];
  const groupOfCode = new Int32Array(codeCount.length).fill(-1);
  const add = (code: number, group: Omit<Group, 'samples'>) => {
    groupOfCode[code] = groups.length;
    groups.push({ ...group, samples: null });
  };
  if (codeCount[0] > 0) add(0, { label: 'host', context: ExecContext.HostKernel, machine: 0, parent: -1 });
  if (codeCount[1] > 0) add(1, { label: 'hypervisor', context: ExecContext.Hypervisor, machine: NO_MACHINE, parent: -1 });
  machines.forEach((info, m) => {
    const base = 2 + m * perMachine;
    if (m === 0 || info.kind !== 'guest') return;
    let any = false;
    for (let v = 0; v < perMachine; v++) any ||= codeCount[base + v] > 0;
    if (!any) return;
    // The machine node itself holds the guest samples that name no vCPU.
    const machineGroup = groups.length;
    add(base, { label: info.name, context: ExecContext.GuestKernel, machine: m, parent: -1 });
    for (let v = 1; v < perMachine; v++) {
      if (codeCount[base + v] > 0) add(base + v, { label: `${info.name} vCPU ${v - 1}`, context: ExecContext.GuestKernel, machine: m, parent: machineGroup });
    }
  });
  // One array of sample indices, each group's a contiguous run of it.
  const start = new Int32Array(groups.length + 1);
  for (let code = 0; code < codeCount.length; code++) if (groupOfCode[code] >= 0) start[groupOfCode[code] + 1] = codeCount[code];
  for (let g = 0; g < groups.length; g++) start[g + 1] += start[g];
  const order = new Int32Array(start[groups.length]);
  const pos = start.slice(0, groups.length);
  for (let i = 0; i < samples.length; i++) {
    const code = codeOf[i];
    if (code >= 0) order[pos[groupOfCode[code]]++] = i;
  }
  groups.forEach((group, g) => (group.samples = order.subarray(start[g], start[g + 1])));
  return groups;
}

/**
 * Each node's sort key among its siblings: its function's position when
 * functions are sorted by (name, context), one sort instead of one per
 * sibling run. Group nodes (func -2 - g) come first, in group order.
 */
function sortKeys(profile: Profile, funcFrame: number[], func: Int32Array): Int32Array {
  const rank = functionRanks(profile, funcFrame);
  const key = new Int32Array(func.length);
  for (let n = 1; n < func.length; n++) key[n] = func[n] >= 0 ? rank[func[n]] : -1_000_000 - 2 - func[n];
  return key;
}

/** The node's function name; "all" for the root. */
export function nodeName(tree: CallTree, node: number): string {
  if (node === ROOT_NODE) return 'all';
  const name = tree.name[node];
  return name >= 0 ? tree.strings[name] : (tree.groups?.[-2 - name] ?? '');
}

/** A node of the split that stands for a machine, vCPU or the hypervisor rather than a function. */
export function isGroupNode(tree: CallTree, node: number): boolean {
  return node !== ROOT_NODE && tree.name[node] < -1;
}

/** The path from the root to `node`, both included (root first): breadcrumbs. */
export function ancestors(tree: CallTree, node: number): number[] {
  const path: number[] = [];
  for (let n = node; n >= 0; n = tree.parent[n]) path.push(n);
  return path.reverse();
}

/**
 * The tree as indented text, one node per line: "name [context] total/self".
 * For tests and debugging (children in tree order).
 */
export function formatCallTree(tree: CallTree, contextNames?: readonly string[]): string {
  const lines: string[] = [];
  const visit = (n: number) => {
    const ctx = n === ROOT_NODE || !contextNames ? '' : ` [${contextNames[tree.context[n]]}]`;
    lines.push(`${'  '.repeat(tree.depth[n])}${nodeName(tree, n)}${ctx} ${tree.total[n]}/${tree.self[n]}`);
    for (let i = tree.childStart[n]; i < tree.childStart[n + 1]; i++) visit(tree.children[i]);
  };
  if (tree.length > 0) visit(ROOT_NODE);
  return lines.join('\n');
}
