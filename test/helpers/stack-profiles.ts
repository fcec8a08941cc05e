/**
 * Profiles for the call-tree projection tests: small ones written as text,
 * and a real recording of the emulator's default scenario (host workloads
 * and a 2-vCPU guest).
 */
import { ProfileBuilder } from '../../profile/builder';
import { EXEC_CONTEXT_NAMES, ExecContext, type Profile } from '../../profile/model';
import { ROOT_NODE, nodeName, type CallTree } from '../../profile/call-tree';
import { parsePerfCommand, type RecordOptions } from '../../emulator/perf-tool/cmdline';
import { loadBuiltinScenario } from '../../emulator/scenario/builtins';
import { applyOverrides, runRecord } from '../../emulator/session';

const CONTEXTS: Record<string, ExecContext> = {
  hu: ExecContext.HostUser,
  hk: ExecContext.HostKernel,
  hv: ExecContext.Hypervisor,
  gk: ExecContext.GuestKernel,
  gu: ExecContext.GuestUser,
};

/**
 * One sample per line, "[key=value ...] event: frame;frame;leaf weight",
 * root first. Keys: t (time, ns), cpu, thread (a name; guest threads are
 * "name@vm"). A frame is "name" or "name/ctx", ctx one of hu hk hv gk gu
 * (host-user by default). An empty stack ("cycles:  2") has no callchain.
 */
export function textProfile(text: string): Profile {
  const b = new ProfileBuilder();
  const tids = new Map<string, number>();
  for (const raw of text.trim().split('\n')) {
    const m = /^\s*((?:\w+=\S+\s+)*)(\S+):\s*(.*?)\s+(\d+)$/.exec(raw);
    if (!m) throw new Error(`bad fixture line ${raw}`);
    const keys = Object.fromEntries(m[1].trim().split(/\s+/).filter(Boolean).map((kv) => kv.split('=')));
    const [comm, vm] = (keys.thread ?? 'main').split('@');
    const machine = vm ? b.machine(vm, 'guest', 1000) : 0;
    if (!tids.has(comm)) tids.set(comm, tids.size + 1);
    const thread = b.thread(comm, 1, tids.get(comm)!, machine);
    let stack = -1;
    let leafCtx: ExecContext = ExecContext.Unknown;
    for (const f of m[3] ? m[3].split(';') : []) {
      const [name, c = 'hu'] = f.split('/');
      leafCtx = CONTEXTS[c];
      stack = b.stack(stack, b.frame(name, null, leafCtx));
    }
    b.sample({
      stack,
      time: keys.t === undefined ? NaN : Number(keys.t),
      weight: Number(m[4]),
      event: b.event(m[2]),
      cpu: keys.cpu === undefined ? 0 : Number(keys.cpu),
      thread,
      vcpu: -1,
      context: leafCtx,
    });
  }
  return b.build({ name: 'fixture', source: 'test', weightUnit: 'samples' });
}

/** `perf record -a -g` over the first `seconds` of the built-in default scenario. */
export function recordDefaultScenario(seconds = 0.5): Profile {
  const loaded = loadBuiltinScenario('default')!;
  const scenario = applyOverrides(loaded.scenario, { duration: seconds * 1e9 });
  return runRecord(scenario, parsePerfCommand(['record', '-a', '-g']) as RecordOptions, '').profile;
}

/** The functions on a sample's stack, root first, as "name/context-name". */
export function sampleStack(profile: Profile, i: number): string[] {
  const out: string[] = [];
  const { stacks, frames, strings } = profile;
  for (let s = profile.samples.stack[i]; s >= 0; s = stacks.prefix[s]) {
    const f = stacks.frame[s];
    out.push(`${strings[frames.name[f]]}/${EXEC_CONTEXT_NAMES[frames.context[f]]}`);
  }
  return out.reverse();
}

/** A node's function as sampleStack writes it. */
export function nodeKey(tree: CallTree, node: number): string {
  return `${nodeName(tree, node)}/${EXEC_CONTEXT_NAMES[tree.context[node]]}`;
}

/**
 * The weight of the paths that end at each node, keyed by the path from the
 * root's children down ("a;b;c"): what a tree says about the samples it was built from.
 */
export function pathWeights(tree: CallTree): Map<string, number> {
  const out = new Map<string, number>();
  const visit = (n: number, path: string[]) => {
    let end = tree.total[n];
    for (let k = tree.childStart[n]; k < tree.childStart[n + 1]; k++) {
      const c = tree.children[k];
      end -= tree.total[c];
      visit(c, [...path, nodeKey(tree, c)]);
    }
    if (n !== ROOT_NODE && Math.abs(end) > 1e-6) out.set(path.join(';'), end);
  };
  visit(ROOT_NODE, []);
  return out;
}

export function addTo(map: Map<string, number>, key: string, w: number): void {
  map.set(key, (map.get(key) ?? 0) + w);
}
