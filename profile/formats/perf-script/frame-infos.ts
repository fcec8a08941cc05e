/**
 * What the importer knows about each distinct callchain text ("symbol+off
 * (dso)"), kept in flat typed arrays: the per-frame hot path reads one small
 * record instead of chasing object pointers across the heap.
 */
import type { FrameClass } from './contexts';

const STRIDE = 4; // [class | inlined << 4, first part, part count, dso index]

function grown(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const b = new Int32Array(Math.max(need, a.length * 2)).fill(-1);
  b.set(a);
  return b;
}

export class FrameInfos {
  private meta = new Int32Array(1024 * STRIDE);
  count = 0;
  /**
   * Each part's function: one per distinct (name, dso), shared by the texts
   * that differ only in offset, so the builder is asked once per function
   * and context.
   */
  private partFunc = new Int32Array(1024);
  private partCount = 0;
  readonly funcNames: string[] = [];
  readonly funcDso: number[] = [];
  private readonly funcIndex = new Map<string, number>();
  /** Builder frame per function and context: funcIds[func * 8 + context], -1 = none yet. */
  funcIds = new Int32Array(8192).fill(-1);
  /** Distinct dsos; index 0 is "no dso". */
  readonly dsos: (string | null)[] = [null];
  private readonly dsoIndex = new Map<string, number>();

  /** Adds an info; `names` and `dso` must already be detached copies. */
  add(names: readonly string[], dso: string | null, cls: FrameClass, inlined: boolean): number {
    let d = 0;
    if (dso !== null) {
      d = this.dsoIndex.get(dso) ?? -1;
      if (d < 0) {
        d = this.dsos.length;
        this.dsos.push(dso);
        this.dsoIndex.set(dso, d);
      }
    }
    const first = this.partCount;
    for (const n of names) {
      const key = `${d}\u0000${n}`;
      let f = this.funcIndex.get(key);
      if (f === undefined) {
        f = this.funcNames.length;
        this.funcNames.push(n);
        this.funcDso.push(d);
        this.funcIndex.set(key, f);
      }
      if (this.partCount === this.partFunc.length) {
        const grownParts = new Int32Array(this.partFunc.length * 2);
        grownParts.set(this.partFunc);
        this.partFunc = grownParts;
      }
      this.partFunc[this.partCount++] = f;
    }
    this.funcIds = grown(this.funcIds, this.funcNames.length * 8);
    const index = this.count++;
    if (this.count * STRIDE > this.meta.length) {
      const meta = new Int32Array(this.meta.length * 2);
      meta.set(this.meta);
      this.meta = meta;
    }
    const m = index * STRIDE;
    this.meta[m] = cls | (inlined ? 16 : 0);
    this.meta[m + 1] = first;
    this.meta[m + 2] = names.length;
    this.meta[m + 3] = d;
    return index;
  }

  cls(index: number): FrameClass {
    return (this.meta[index * STRIDE] & 15) as FrameClass;
  }

  inlined(index: number): boolean {
    return (this.meta[index * STRIDE] & 16) !== 0;
  }

  firstPart(index: number): number {
    return this.meta[index * STRIDE + 1];
  }

  parts(index: number): number {
    return this.meta[index * STRIDE + 2];
  }

  dso(index: number): number {
    return this.meta[index * STRIDE + 3];
  }

  /** The function of a part (see firstPart/partCount). */
  func(part: number): number {
    return this.partFunc[part];
  }
}
