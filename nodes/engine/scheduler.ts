/**
 * One timer for many deadlines. Sessions and monitors say when they next need a tick; the
 * scheduler keeps a min-heap of those deadlines and arms a single Node timer at the earliest.
 * Deadlines are rounded up (never down) onto a grid whose step grows with how far off they are,
 * like kernel timer slack, so deadlines close together are served by one wakeup: keepalives a
 * second away share 80 ms slots however many sessions there are, a 100 ms retransmit moves by
 * 10 ms at most.
 *
 * The heap is intrusive: each key carries its own deadline and heap position (`Scheduled`), so a
 * deadline costs two fields on its key and one heap slot, with nothing allocated when it moves.
 * An entry object and a Map entry per key were ~80 B of an idle session's heap at 10k sessions
 * and an allocation per wakeup (issue 12).
 */
export interface Scheduled {
  /** @internal the scheduler's: the key's coalesced deadline while it is queued. */
  scheduledAt: number;
  /** @internal the scheduler's: the key's index in the heap, -1 while not queued. */
  heapIndex: number;
}

/** A deadline may move later by about this fraction of its distance... */
const SLACK_DIVISOR = 8;
/** ...but never by more than this. */
const MAX_SLACK_MS = 250;
/** Added to every timeout; see `arm`. */
const TIMER_LAG_MS = 1;
/** A timer this late means the event loop was stalled; see `fire`. */
const STALL_MS = 100;
/** The longest a stalled loop is given to read what piled up before deadlines are served. */
const MAX_HOLD_MS = 500;

export class Scheduler<K extends Scheduled> {
  private readonly heap: K[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** When the armed timer should fire by the clock (later than `timerAt` if that was past). */
  private expectedAt = 0;
  /** No wakeup before this: the loop is catching up after a stall. */
  private holdUntil = 0;
  private closed = false;
  wakeups = 0;

  constructor(
    private readonly clock: () => number,
    private readonly onDue: (keys: K[], nowMs: number) => void,
    private readonly granularityMs = 5,
  ) {}

  /** Replaces any deadline `key` had; undefined clears it. */
  set(key: K, atMs: number | undefined): void {
    if (this.closed) return;
    if (atMs === undefined || !Number.isFinite(atMs)) {
      this.delete(key);
      return;
    }
    this.place(key, this.coalesce(atMs));
  }

  /** Sets the deadline only if it is earlier than the one `key` has; a wakeup that comes early is harmless to callers that recompute. */
  wakeBy(key: K, atMs: number | undefined): void {
    if (this.closed || atMs === undefined || !Number.isFinite(atMs)) return;
    const queued = key.heapIndex >= 0;
    // Coalescing only rounds up, so a deadline at or before the raw time is earlier than the
    // coalesced one too: the common case (an ALIVE moved the deadline later) needs no clock read.
    if (queued && key.scheduledAt <= atMs) return;
    const at = this.coalesce(atMs);
    if (queued && key.scheduledAt <= at) return;
    this.place(key, at);
  }

  delete(key: K): void {
    const index = key.heapIndex;
    if (index < 0 || this.heap[index] !== key) return;
    key.heapIndex = -1;
    const last = this.heap.pop();
    if (last === undefined || last === key) return;
    this.heap[index] = last;
    last.heapIndex = index;
    this.restore(last);
  }

  get size(): number {
    return this.heap.length;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const key of this.heap) key.heapIndex = -1;
    this.heap.length = 0;
  }

  private place(key: K, at: number): void {
    const index = key.heapIndex;
    if (index >= 0 && this.heap[index] === key) {
      if (key.scheduledAt === at) return;
      key.scheduledAt = at;
      this.restore(key);
    } else {
      key.scheduledAt = at;
      key.heapIndex = this.heap.length;
      this.heap.push(key);
      this.siftUp(key);
    }
    this.arm();
  }

  /** `atMs` rounded up onto a grid of granularityMs x 2^k, k growing with the distance to it. */
  private coalesce(atMs: number): number {
    const slack = Math.min(MAX_SLACK_MS, (atMs - this.clock()) / SLACK_DIVISOR);
    let step = this.granularityMs;
    while (step * 2 <= slack) step *= 2;
    return Math.ceil(atMs / step) * step;
  }

  private arm(): void {
    const top = this.heap[0];
    if (!top) return;
    const at = Math.max(Math.ceil(top.scheduledAt / this.granularityMs) * this.granularityMs, this.holdUntil);
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.expectedAt = Math.max(at, this.clock());
    // Node counts a timeout from the loop's cached time, which lags the clock by the work done
    // so far in this turn: without the extra millisecond the timer often fires just before `at`,
    // finds nothing due and has to be armed again (a wasted wakeup).
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.clock()) + TIMER_LAG_MS);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.wakeups++;
    const now = this.clock();
    const stalledMs = now - this.expectedAt - TIMER_LAG_MS;
    if (stalledMs > STALL_MS && this.holdUntil === 0) {
      // The event loop was stalled (a long GC, CPU starvation): what the cameras sent meanwhile
      // still sits unread in the socket buffer, and Node runs timers before it reads sockets.
      // Judged now, thousands of sessions would all look silent and probe at once, adding load
      // exactly when the process is behind (bench/scale.ts saw that snowball into dropped
      // datagrams). So the poll phase gets a while to catch up first, once: the next wakeup
      // serves the deadlines whatever happens, so detection is late by at most MAX_HOLD_MS.
      this.holdUntil = now + Math.min(stalledMs, MAX_HOLD_MS);
      this.arm();
      return;
    }
    this.holdUntil = 0;
    // Taken off the heap before onDue runs: a key onDue gives a new deadline goes back on, one it
    // gives none stays off.
    const due: K[] = [];
    for (let top = this.heap[0]; top !== undefined && top.scheduledAt <= now; top = this.heap[0]) {
      this.delete(top);
      due.push(top);
    }
    if (due.length > 0) this.onDue(due, now);
    if (!this.closed) this.arm();
  }

  /** Moves `key`, whose deadline changed, up or down to its place. */
  private restore(key: K): void {
    const index = key.heapIndex;
    const parent = this.heap[(index - 1) >> 1];
    if (index > 0 && parent !== undefined && parent.scheduledAt > key.scheduledAt) this.siftUp(key);
    else this.siftDown(key);
  }

  private siftUp(key: K): void {
    const heap = this.heap;
    let i = key.heapIndex;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex];
      if (parent === undefined || parent.scheduledAt <= key.scheduledAt) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = parentIndex;
    }
    heap[i] = key;
    key.heapIndex = i;
  }

  private siftDown(key: K): void {
    const heap = this.heap;
    let i = key.heapIndex;
    for (;;) {
      const left = 2 * i + 1;
      const l = heap[left];
      if (l === undefined) break;
      const r = heap[left + 1];
      const child = r !== undefined && r.scheduledAt < l.scheduledAt ? r : l;
      if (child.scheduledAt >= key.scheduledAt) break;
      const childIndex = child === l ? left : left + 1;
      heap[i] = child;
      child.heapIndex = i;
      i = childIndex;
    }
    heap[i] = key;
    key.heapIndex = i;
  }
}
