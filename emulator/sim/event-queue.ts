/**
 * The simulation's event queue: a binary min-heap on (time, seq). `seq` is the
 * insertion order, so events due at the same nanosecond run first-in first-out
 * and a run never depends on heap internals. Cancelled timers are not removed
 * (that would cost a search); the owner bumps a generation number and ignores
 * stale firings instead (see SimTimer).
 */
export interface SimEvent {
  time: number;
  seq: number;
  /** A one-off callback, or null for a timer's firing. */
  fire: ((now: number) => void) | null;
  /** The timer this firing belongs to, and the generation it was armed in. */
  timer: SimTimer | null;
  gen: number;
}

/** Run a popped event: a stale timer firing (re-armed or cancelled since) does nothing. */
export function dispatch(ev: SimEvent): void {
  if (ev.timer) ev.timer.expire(ev.gen, ev.time);
  else ev.fire?.(ev.time);
}

export class EventQueue {
  private heap: SimEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(time: number, fire: (now: number) => void): void {
    this.insert({ time, seq: this.seq++, fire, timer: null, gen: 0 });
  }

  /** A timer's firing: no closure per arm, since timers re-arm on every burst. */
  pushTimer(time: number, timer: SimTimer, gen: number): void {
    this.insert({ time, seq: this.seq++, fire: null, timer, gen });
  }

  /** Time of the earliest event, Infinity when empty. */
  peekTime(): number {
    return this.heap.length ? this.heap[0].time : Infinity;
  }

  pop(): SimEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length && last) {
      heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private insert(ev: SimEvent): void {
    const heap = this.heap;
    heap.push(ev);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(ev, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = ev;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const ev = heap[i];
    const n = heap.length;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap[child + 1], heap[child])) child++;
      if (!before(heap[child], ev)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = ev;
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

/**
 * A re-armable one-shot timer on the queue (an hrtimer). Arming it again, or
 * cancelling it, makes any earlier firing a no-op.
 */
export class SimTimer {
  private generation = 0;
  /** When it will fire, or -1 when not armed. */
  expires = -1;

  constructor(
    private readonly queue: EventQueue,
    private readonly callback: (now: number) => void,
  ) {}

  arm(time: number): void {
    this.expires = time;
    this.queue.pushTimer(time, this, ++this.generation);
  }

  /** Called by dispatch(): fires only if not re-armed or cancelled since `gen`. */
  expire(gen: number, now: number): void {
    if (gen !== this.generation) return;
    this.expires = -1;
    this.callback(now);
  }

  cancel(): void {
    this.generation++;
    this.expires = -1;
  }

  get armed(): boolean {
    return this.expires >= 0;
  }
}
