/**
 * The machine's symbol table: every function any code on it can run, as
 * (name, dso, mode). Samples and callchains carry these ids, so the profile
 * builder interns each function once. Kernel functions are shared by every
 * program (one kernel image); user functions are per binary.
 */
import { ExecContext } from '../../profile/model';

export interface SymbolInfo {
  name: string;
  dso: string;
  /** Kernel code (of the host, or of the guest named by `space`). */
  kernel: boolean;
  /** '' for the host; a VM's name for code of its guest. */
  space: string;
}

export class SymbolTable {
  readonly symbols: SymbolInfo[] = [];
  private readonly index = new Map<string, number>();

  intern(name: string, dso: string, kernel: boolean, space = ''): number {
    const key = `${space}\0${kernel ? 'k' : 'u'}\0${dso}\0${name}`;
    let id = this.index.get(key);
    if (id === undefined) {
      id = this.symbols.length;
      this.symbols.push({ name, dso, kernel, space });
      this.index.set(key, id);
    }
    return id;
  }

  get(id: number): SymbolInfo {
    return this.symbols[id];
  }

  /** The context a symbol's code runs in on a host. */
  hostContext(id: number): ExecContext {
    return this.symbols[id].kernel ? ExecContext.HostKernel : ExecContext.HostUser;
  }
}
