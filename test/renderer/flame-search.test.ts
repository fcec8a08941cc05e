import { describe, expect, it } from 'vitest';
import { ProfileBuilder } from '../../profile/builder';
import { ROOT_NODE, buildCallTree, nodeName, type CallTree } from '../../profile/call-tree';
import { ExecContext } from '../../profile/model';
import { moveSelection } from '../../renderer/flame/navigate';
import { searchTree } from '../../renderer/flame/search';

/** "a;b;c weight" lines, all host user. */
function treeOf(lines: string): CallTree {
  const b = new ProfileBuilder();
  const ev = b.event('cycles');
  const t = b.thread('t', 1, 1);
  for (const line of lines.trim().split('\n')) {
    const [path, w] = line.trim().split(' ');
    let stack = -1;
    for (const f of path.split(';')) stack = b.stack(stack, b.frame(f, null, ExecContext.HostUser));
    b.sample({ stack, time: 0, weight: Number(w), event: ev, cpu: 0, thread: t, vcpu: -1, context: ExecContext.HostUser });
  }
  return buildCallTree(b.build({ name: 't', source: 'test', weightUnit: 'samples' }));
}

const tree = treeOf(`
  main;parse;lex 3
  main;parse 1
  main;eval;lex 2
  main;eval;apply;eval 4
  idle 9
`);
const node = (path: string) => {
  let n = ROOT_NODE;
  for (const part of path.split(';')) {
    const kids = Array.from(tree.children.subarray(tree.childStart[n], tree.childStart[n + 1]));
    n = kids.find((c) => nodeName(tree, c) === part)!;
  }
  return n;
};

describe('flame graph search', () => {
  it('marks matching nodes and counts each sample once however many matches its stack holds', () => {
    const r = searchTree(tree, '^eval$');
    expect(r.error).toBeNull();
    const matched = Array.from({ length: tree.length }, (_, n) => n).filter((n) => r.match![n] === 1);
    expect(matched).toEqual([node('main;eval'), node('main;eval;apply;eval')].sort((a, b) => a - b));
    // main;eval holds 6 of 19; the nested eval is inside it.
    expect(r.matchedWeight).toBe(6);
    expect(r.share).toBeCloseTo(6 / 19);
  });

  it('is case-insensitive and matches anywhere in the name', () => {
    expect(searchTree(tree, 'LEX').matchedWeight).toBe(5);
    expect(searchTree(tree, 'le|idle').share).toBeCloseTo(14 / 19);
  });

  it('reports an invalid pattern with the RegExp message and highlights nothing', () => {
    const r = searchTree(tree, 'ev(al');
    expect(r.match).toBeNull();
    expect(r.error).toMatch(/Invalid regular expression: \/ev\(al\/.*: Unterminated group/);
  });

  it('searches nothing for an empty pattern', () => {
    expect(searchTree(tree, '')).toEqual({ match: null, matchedWeight: 0, share: 0, error: null });
  });
});

describe('flame graph keyboard moves', () => {
  it('goes into the widest child, back to the parent, and across siblings', () => {
    expect(moveSelection(tree, ROOT_NODE, 'child')).toBe(node('main'));
    expect(moveSelection(tree, node('main'), 'child')).toBe(node('main;eval'));
    expect(moveSelection(tree, node('main;eval'), 'parent')).toBe(node('main'));
    expect(moveSelection(tree, ROOT_NODE, 'parent')).toBe(ROOT_NODE);
    expect(moveSelection(tree, node('main;eval'), 'next')).toBe(node('main;parse'));
    expect(moveSelection(tree, node('main;parse'), 'next')).toBe(node('main;parse'));
    expect(moveSelection(tree, node('main;parse'), 'prev')).toBe(node('main;eval'));
    expect(moveSelection(tree, node('main;parse;lex'), 'child')).toBe(node('main;parse;lex'));
  });
});
