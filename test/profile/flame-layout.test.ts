import { describe, expect, it } from 'vitest';
import { ProfileBuilder } from '../../profile/builder';
import { EXEC_CONTEXT_NAMES, ExecContext, totalWeight, type Profile } from '../../profile/model';
import { ROOT_NODE, ancestors, buildCallTree, formatCallTree, nodeName, type CallTree } from '../../profile/call-tree';
import { buildFlameLayout, firstVisible, nodeAt, zoom } from '../../profile/flame-layout';

/**
 * A profile from folded-style lines: "event: frame;frame;leaf weight", root
 * first. A frame is "name", "name@dso" or "name/ctx" with ctx one of
 * hu hk hv gk gu (host-user by default). An empty stack ("event:  w") is a
 * sample without a callchain.
 */
function folded(text: string): Profile {
  const ctx: Record<string, ExecContext> = {
    hu: ExecContext.HostUser,
    hk: ExecContext.HostKernel,
    hv: ExecContext.Hypervisor,
    gk: ExecContext.GuestKernel,
    gu: ExecContext.GuestUser,
  };
  const b = new ProfileBuilder();
  const thread = b.thread('t', 1, 1);
  for (const raw of text.trim().split('\n')) {
    const m = /^\s*(\S+):\s*(.*?)\s+(\d+)$/.exec(raw);
    if (!m) throw new Error(`bad fixture line ${raw}`);
    const event = b.event(m[1]);
    let stack = -1;
    let leafCtx: ExecContext = ExecContext.Unknown;
    for (const f of m[2] ? m[2].split(';') : []) {
      const [nameDso, c = 'hu'] = f.split('/');
      const [name, dso = null] = nameDso.split('@');
      leafCtx = ctx[c];
      stack = b.stack(stack, b.frame(name, dso, leafCtx));
    }
    b.sample({ stack, time: NaN, weight: Number(m[3]), event, cpu: 0, thread, vcpu: -1, context: leafCtx });
  }
  return b.build({ name: 'fixture', source: 'test', weightUnit: 'samples' });
}

const fixture = folded(`
  cycles: main;a;b 3
  cycles: main;a;b;a;b 2
  cycles: main;a 1
  cycles: main;c/hk 4
  cycles: main;c/gk 5
  cycles: main;a@libx.so;b 1
  cycles:  2
  instructions: main;z 7
  instructions: main;a;b 1
`);

function find(tree: CallTree, path: string): number {
  let node = ROOT_NODE;
  for (const part of path.split(';')) {
    const [name, ctx] = part.split('/');
    let next = -1;
    for (let i = tree.childStart[node]; i < tree.childStart[node + 1]; i++) {
      const c = tree.children[i];
      if (nodeName(tree, c) === name && (!ctx || EXEC_CONTEXT_NAMES[tree.context[c]] === ctx)) next = c;
    }
    if (next < 0) throw new Error(`no node ${path}`);
    node = next;
  }
  return node;
}

describe('call tree', () => {
  it('merges by function (name + context, not dso), keeps recursion as nested nodes, sorts children by name', () => {
    const tree = buildCallTree(fixture);
    expect(formatCallTree(tree, EXEC_CONTEXT_NAMES)).toBe(
      [
        'all 18/2',
        '  main [host-user] 16/0',
        '    a [host-user] 7/1',
        '      b [host-user] 6/4',
        '        a [host-user] 2/0',
        '          b [host-user] 2/2',
        '    c [host-kernel] 4/4',
        '    c [guest-kernel] 5/5',
      ].join('\n'),
    );
    expect(tree.maxDepth).toBe(5);
    expect(tree.event).toBe(0);
  });

  it('counts samples without a callchain as root self weight, so the root total is the event total', () => {
    const tree = buildCallTree(fixture);
    expect(tree.total[ROOT_NODE]).toBe(totalWeight(fixture, 0));
    expect(tree.self[ROOT_NODE]).toBe(2);
    expect(tree.sampleCount[ROOT_NODE]).toBe(7);
  });

  it('builds one event at a time, or all events with -1', () => {
    const ins = buildCallTree(fixture, { event: 1 });
    expect(formatCallTree(ins)).toBe(['all 8/0', '  main 8/0', '    a 1/0', '      b 1/1', '    z 7/7'].join('\n'));
    const all = buildCallTree(fixture, { event: -1 });
    expect(all.total[ROOT_NODE]).toBe(26);
    expect(all.total[find(all, 'main;a;b')]).toBe(7);
  });

  it('sorts wide sibling runs by name too', () => {
    const names = Array.from({ length: 40 }, (_, i) => `f${String(39 - i).padStart(2, '0')}`);
    const tree = buildCallTree(folded(names.map((n) => `cycles: main;${n} 1`).join('\n')));
    const main = find(tree, 'main');
    const kids = Array.from(tree.children.subarray(tree.childStart[main], tree.childStart[main + 1]), (n) => nodeName(tree, n));
    expect(kids).toEqual([...names].sort());
  });

  it('gives the path from the root for breadcrumbs', () => {
    const tree = buildCallTree(fixture);
    const inner = find(tree, 'main;a;b;a;b');
    expect(ancestors(tree, inner).map((n) => nodeName(tree, n))).toEqual(['all', 'main', 'a', 'b', 'a', 'b']);
    expect(ancestors(tree, ROOT_NODE)).toEqual([ROOT_NODE]);
  });

  it('handles 1M samples over 100k distinct stacks quickly', () => {
    const b = new ProfileBuilder();
    const ev = b.event('cycles');
    const thread = b.thread('t', 1, 1);
    const funcs = Array.from({ length: 2000 }, (_, i) => b.frame(`f${i}`, 'x.so', (i % 5) as ExecContext));
    // 100k leaves under 1000 inner chains of depth 10.
    const leaves: number[] = [];
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let chain = 0; chain < 1000; chain++) {
      let s = -1;
      for (let d = 0; d < 10; d++) s = b.stack(s, funcs[Math.floor(rnd() * 200)]);
      for (let l = 0; l < 100; l++) leaves.push(b.stack(s, funcs[200 + Math.floor(rnd() * 1800)]));
    }
    for (let i = 0; i < 1_000_000; i++) {
      b.sample({ stack: leaves[i % leaves.length], time: i, weight: 1, event: ev, cpu: 0, thread, vcpu: -1, context: 0 });
    }
    const profile = b.build({ name: 'big', source: 'test', weightUnit: 'samples' });
    expect(profile.stacks.length).toBeGreaterThan(100_000);
    buildCallTree(profile); // warm-up (JIT)
    const t0 = performance.now();
    const tree = buildCallTree(profile);
    const layout = buildFlameLayout(tree);
    const ms = performance.now() - t0;
    expect(tree.total[ROOT_NODE]).toBe(1_000_000);
    expect(layout.total).toBe(1_000_000);
    expect(ms).toBeLessThan(300);
  });
});

describe('flame layout', () => {
  const tree = buildCallTree(fixture);
  const layout = buildFlameLayout(tree);

  it('lays rows out in weight space: children left-aligned under the parent, widths = totals', () => {
    expect(layout.total).toBe(18);
    expect(layout.rows.length).toBe(tree.maxDepth + 1);
    const row = (d: number) =>
      Array.from(layout.rows[d].node, (n, i) => `${nodeName(tree, n)}@${layout.rows[d].start[i]}+${layout.rows[d].width[i]}`);
    expect(row(0)).toEqual(['all@0+18']);
    expect(row(1)).toEqual(['main@0+16']);
    expect(row(2)).toEqual(['a@0+7', 'c@7+4', 'c@11+5']);
    expect(row(3)).toEqual(['b@0+6']);
    expect(row(5)).toEqual(['b@0+2']);
  });

  it('hit-tests a row by binary search', () => {
    expect(nodeAt(layout, 0, 17.9)).toBe(ROOT_NODE);
    expect(nodeAt(layout, 0, 18)).toBe(-1);
    expect(nodeAt(layout, 2, 6.99)).toBe(find(tree, 'main;a'));
    expect(nodeAt(layout, 2, 7)).toBe(find(tree, 'main;c/host-kernel'));
    expect(nodeAt(layout, 2, 12)).toBe(find(tree, 'main;c/guest-kernel'));
    expect(nodeAt(layout, 2, -1)).toBe(-1);
    expect(nodeAt(layout, 3, 6.5)).toBe(-1); // a's self weight: the gap right of b
    expect(nodeAt(layout, 9, 1)).toBe(-1);
  });

  it('zooms to a node: its range fills the view', () => {
    const c = find(tree, 'main;c/guest-kernel');
    expect(zoom(layout, c)).toEqual({ node: c, depth: 2, start: 11, end: 16 });
    expect(zoom(layout, ROOT_NODE)).toEqual({ node: ROOT_NODE, depth: 0, start: 0, end: 18 });
    expect(zoom(layout, 10_000)).toEqual({ node: ROOT_NODE, depth: 0, start: 0, end: 18 });
  });

  it('finds the first rectangle visible in a range', () => {
    const row = layout.rows[2];
    expect(firstVisible(row, 0)).toBe(0);
    expect(firstVisible(row, 7)).toBe(1);
    expect(firstVisible(row, 10.5)).toBe(1);
    expect(firstVisible(row, 11)).toBe(2);
    expect(firstVisible(row, 16)).toBe(3);
  });

  it('lays out an empty profile as no rows', () => {
    const empty = buildFlameLayout(buildCallTree(new ProfileBuilder().build({ name: 'e', source: 't', weightUnit: 'samples' })));
    expect(empty.rows).toEqual([]);
    expect(empty.total).toBe(0);
    expect(nodeAt(empty, 0, 0)).toBe(-1);
  });
});
