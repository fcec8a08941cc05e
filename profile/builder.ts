/**
 * ProfileBuilder: the one way importers (and the emulator) create a Profile.
 *
 * Interning avoids building keys on the hot path: frames go through nested
 * Maps of small integers, and stacks through an open-addressing table whose
 * slots point at stack rows, so the (prefix, frame) key is the row itself.
 */
import {
  type CounterTrack,
  type EventInfo,
  type ExecContext,
  type ImportWarning,
  type MachineInfo,
  type MarkerKind,
  type Profile,
  type ProfileMeta,
} from './model';


type TypedArray = Int32Array | Float64Array | Uint8Array;
interface TypedArrayCtor<T extends TypedArray> {
  new (length: number): T;
}

/** A growable typed array: amortised O(1) push, one copy at finish. */
class Column<T extends TypedArray> {
  private data: T;
  length = 0;
  constructor(
    private readonly ctor: TypedArrayCtor<T>,
    capacity = 1024,
  ) {
    this.data = new ctor(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new this.ctor(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  at(i: number): number {
    return this.data[i];
  }
  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}

const int32 = (capacity?: number) => new Column(Int32Array, capacity);
const float64 = (capacity?: number) => new Column(Float64Array, capacity);
const uint8 = (capacity?: number) => new Column(Uint8Array, capacity);

function stackHash(prefix: number, frame: number): number {
  const h = Math.imul(prefix + 1, 0x9e3779b1) ^ Math.imul(frame, 0x85ebca6b);
  return (h ^ (h >>> 15)) >>> 0;
}

export interface SampleInput {
  stack: number;
  time: number;
  weight: number;
  event: number;
  cpu: number;
  thread: number;
  vcpu: number;
  context: ExecContext;
}

export class ProfileBuilder {
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();

  private readonly frameName = int32();
  private readonly frameDso = int32();
  private readonly frameContext = uint8();
  /** name -> dso -> context -> frame, nested so no string keys are built per lookup. */
  private readonly frameIndex = new Map<number, Map<number, number>>();

  private readonly stackFrame = int32();
  private readonly stackPrefix = int32();
  /** Slot → stack row + 1 (0 = empty); power-of-two size, at most half full. */
  private stackSlots = new Int32Array(1 << 12);

  private readonly threadComm = int32(64);
  private readonly threadPid = int32(64);
  private readonly threadTid = int32(64);
  private readonly threadMachine = int32(64);
  private readonly threadIndex = new Map<string, number>();

  private readonly sStack = int32();
  private readonly sTime = float64();
  private readonly sWeight = float64();
  private readonly sEvent = int32();
  private readonly sCpu = int32();
  private readonly sThread = int32();
  private readonly sVcpu = int32();
  private readonly sContext = uint8();

  private readonly mName = int32(64);
  private readonly mKind = uint8();
  private readonly mStart = float64();
  private readonly mEnd = float64();
  private readonly mMachine = int32(64);
  private readonly mCpu = int32(64);
  private readonly mVcpu = int32(64);
  private readonly mData = int32(64);
  private readonly counters: CounterTrack[] = [];

  private readonly machines: MachineInfo[] = [{ name: 'host', kind: 'host', pid: -1 }];
  private readonly events: EventInfo[] = [];
  private readonly eventIndex = new Map<string, number>();
  readonly warnings: ImportWarning[] = [];

  get sampleCount(): number {
    return this.sStack.length;
  }

  string(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return i;
  }

  frame(name: string, dso: string | null, context: ExecContext): number {
    const n = this.string(name);
    const d = dso === null ? -1 : this.string(dso);
    let byDso = this.frameIndex.get(n);
    if (!byDso) this.frameIndex.set(n, (byDso = new Map()));
    const key = (d + 1) * 8 + context;
    let f = byDso.get(key);
    if (f === undefined) {
      f = this.frameName.length;
      this.frameName.push(n);
      this.frameDso.push(d);
      this.frameContext.push(context);
      byDso.set(key, f);
    }
    return f;
  }

  /** The stack row for `frame` called from `prefix` (-1 for a root frame). */
  stack(prefix: number, frame: number): number {
    const slots = this.stackSlots;
    const mask = slots.length - 1;
    for (let i = stackHash(prefix, frame) & mask; ; i = (i + 1) & mask) {
      const row = slots[i] - 1;
      if (row < 0) {
        const s = this.stackFrame.length;
        this.stackFrame.push(frame);
        this.stackPrefix.push(prefix);
        slots[i] = s + 1;
        if (2 * this.stackFrame.length > slots.length) this.growStackSlots();
        return s;
      }
      if (this.stackFrame.at(row) === frame && this.stackPrefix.at(row) === prefix) return row;
    }
  }

  private growStackSlots(): void {
    const slots = new Int32Array(this.stackSlots.length * 2);
    const mask = slots.length - 1;
    for (let row = 0; row < this.stackFrame.length; row++) {
      let i = stackHash(this.stackPrefix.at(row), this.stackFrame.at(row)) & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = row + 1;
    }
    this.stackSlots = slots;
  }

  machine(name: string, kind: MachineInfo['kind'], pid = -1): number {
    const found = this.machines.findIndex((m) => m.name === name);
    if (found >= 0) return found;
    this.machines.push({ name, kind, pid });
    return this.machines.length - 1;
  }

  thread(comm: string, pid: number, tid: number, machine = 0): number {
    const key = `${machine}/${pid}/${tid}/${comm}`;
    let t = this.threadIndex.get(key);
    if (t === undefined) {
      t = this.threadComm.length;
      this.threadComm.push(this.string(comm));
      this.threadPid.push(pid);
      this.threadTid.push(tid);
      this.threadMachine.push(machine);
      this.threadIndex.set(key, t);
    }
    return t;
  }

  /** The event named `name`, created with the given attr bits if new. */
  event(name: string, info?: Partial<Omit<EventInfo, 'name'>>): number {
    let e = this.eventIndex.get(name);
    if (e === undefined) {
      e = this.events.length;
      this.events.push({
        name,
        attr: info?.attr ?? {},
        exclude_guest: info?.exclude_guest ?? false,
        exclude_host: info?.exclude_host ?? false,
        exclude_user: info?.exclude_user ?? false,
        exclude_kernel: info?.exclude_kernel ?? false,
        exclude_hv: info?.exclude_hv ?? false,
      });
      this.eventIndex.set(name, e);
    } else if (info) {
      Object.assign(this.events[e], info);
    }
    return e;
  }

  sample(s: SampleInput): void {
    this.sStack.push(s.stack);
    this.sTime.push(s.time);
    this.sWeight.push(s.weight);
    this.sEvent.push(s.event);
    this.sCpu.push(s.cpu);
    this.sThread.push(s.thread);
    this.sVcpu.push(s.vcpu);
    this.sContext.push(s.context);
  }

  marker(m: {
    name: string;
    kind: MarkerKind;
    start: number;
    end?: number;
    machine?: number;
    cpu?: number;
    vcpu?: number;
    data?: string;
  }): void {
    this.mName.push(this.string(m.name));
    this.mKind.push(m.kind);
    this.mStart.push(m.start);
    this.mEnd.push(m.end ?? m.start);
    this.mMachine.push(m.machine ?? 0);
    this.mCpu.push(m.cpu ?? -1);
    this.mVcpu.push(m.vcpu ?? -1);
    this.mData.push(m.data === undefined ? -1 : this.string(m.data));
  }

  /** Adds a finished counter track (its arrays are taken as they are). */
  counter(track: CounterTrack): void {
    this.counters.push(track);
  }

  warn(line: number, message: string): void {
    this.warnings.push({ line, message });
  }

  build(meta: Omit<ProfileMeta, 'warnings'>): Profile {
    return {
      meta: { ...meta, warnings: this.warnings.slice() },
      strings: this.strings.slice(),
      frames: {
        length: this.frameName.length,
        name: this.frameName.finish(),
        dso: this.frameDso.finish(),
        context: this.frameContext.finish(),
      },
      stacks: {
        length: this.stackFrame.length,
        frame: this.stackFrame.finish(),
        prefix: this.stackPrefix.finish(),
      },
      threads: {
        length: this.threadComm.length,
        comm: this.threadComm.finish(),
        pid: this.threadPid.finish(),
        tid: this.threadTid.finish(),
        machine: this.threadMachine.finish(),
      },
      samples: {
        length: this.sStack.length,
        stack: this.sStack.finish(),
        time: this.sTime.finish(),
        weight: this.sWeight.finish(),
        event: this.sEvent.finish(),
        cpu: this.sCpu.finish(),
        thread: this.sThread.finish(),
        vcpu: this.sVcpu.finish(),
        context: this.sContext.finish(),
      },
      machines: this.machines.map((m) => ({ ...m })),
      events: this.events.map((e) => ({ ...e, attr: { ...e.attr } })),
      counters: this.counters.slice(),
      markers: {
        length: this.mName.length,
        name: this.mName.finish(),
        kind: this.mKind.finish(),
        start: this.mStart.finish(),
        end: this.mEnd.finish(),
        machine: this.mMachine.finish(),
        cpu: this.mCpu.finish(),
        vcpu: this.mVcpu.finish(),
        data: this.mData.finish(),
      },
    };
  }
}
