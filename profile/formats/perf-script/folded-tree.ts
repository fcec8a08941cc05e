import { PairMap, detach } from './tables';

/**
 * The stacks a collapser has counted, as a prefix tree: node 0 is the root, a
 * node is (parent, name id), and names are interned once. A count stays a
 * number until it passes 2^53, then that node's count is a BigInt: exact, or
 * wrapped to 64 bits as a Rust usize is (`wrap64`).
 */
export class FoldedTree {
  /** Interned names; `names[i]` is a detached copy. */
  readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private readonly nodeParent: number[] = [-1];
  private readonly nodeName: number[] = [-1];
  /** -1: a node no stack ends at (yet); 0 with an entry in `big`: a BigInt count. */
  private readonly nodeCount: number[] = [-1];
  private readonly children = new PairMap(4096);
  private big: Map<number, bigint> | null = null;

  constructor(private readonly wrap64: boolean) {}

  intern(name: string): number {
    let i = this.nameIndex.get(name);
    if (i === undefined) {
      i = this.names.length;
      const kept = detach(name);
      this.names.push(kept);
      this.nameIndex.set(kept, i);
    }
    return i;
  }

  child(parent: number, name: number): number {
    let node = this.children.get(parent, name);
    if (node < 0) {
      node = this.nodeParent.length;
      this.nodeParent.push(parent);
      this.nodeName.push(name);
      this.nodeCount.push(-1);
      this.children.add(parent, name, node);
    }
    return node;
  }

  add(node: number, count: number | bigint): void {
    const big = this.big?.get(node);
    const prev = this.nodeCount[node];
    if (big === undefined && typeof count === 'number') {
      const sum = prev < 0 ? count : prev + count;
      if (sum <= Number.MAX_SAFE_INTEGER) {
        this.nodeCount[node] = sum;
        return;
      }
    }
    const sum = (big ?? BigInt(prev < 0 ? 0 : prev)) + BigInt(count);
    this.big ??= new Map();
    this.big.set(node, this.wrap64 ? BigInt.asUintN(64, sum) : sum);
    if (prev < 0) this.nodeCount[node] = 0;
  }

  /** Each counted stack in node order: its names root first, joined with ';', and its count. */
  forEachStack(visit: (key: string, count: number | bigint) => void): void {
    const parts: string[] = [];
    for (let node = 1; node < this.nodeParent.length; node++) {
      if (this.nodeCount[node] < 0) continue;
      parts.length = 0;
      for (let n = node; n > 0; n = this.nodeParent[n]) parts.push(this.names[this.nodeName[n]]);
      // join() builds a flat string: comparing flat strings is a memcmp, while
      // concatenated (cons) strings would be flattened again on every compare.
      visit(parts.reverse().join(';'), this.big?.get(node) ?? this.nodeCount[node]);
    }
  }
}
