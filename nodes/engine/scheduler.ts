/**
 * One timer for many deadlines. Sessions and monitors say when they next need a tick; the
 * scheduler keeps a min-heap of those deadlines and arms a single Node timer at the earliest.
 * Deadlines are rounded up (never down) onto a grid whose step grows with how far off they are,
 * like kernel timer slack, so deadlines close together are served by one wakeup: keepalives a
 * second away share 80 ms slots however many sessions there are, a 100 ms retransmit moves by
 * 10 ms at most. Entries superseded by a later `set` are skipped lazily when they reach the top
 * of the heap.
 */
interface Entry<K> {
  readonly at: number;
  readonly key: K;
  /**
   * Popped and handed to `onDue`. The entry stays the key's current one while `onDue` runs, so the
   * callee's `set` overwrites it in place: deleting it first and adding it back made a Map entry
   * and a hole per wakeup, and doubled the table at 10k links (issue 12).
   */
  fired?: boolean;
}

/** Superseded entries are swept when the heap grows past this multiple of the live ones. */
const COMPACT_FACTOR = 4;
const COMPACT_SLACK = 1024;
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

export class Scheduler<K> {
  private readonly heap: Entry<K>[] = [];
  /** Each key's live entry, the very object in the heap: one allocation per `set`, not two. */
  private readonly current = new Map<K, Entry<K>>();
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
      this.current.delete(key);
      return;
    }
    this.place(key, this.coalesce(atMs));
  }

  /** Sets the deadline only if it is earlier than the one `key` has; a wakeup that comes early is harmless to callers that recompute. */
  wakeBy(key: K, atMs: number | undefined): void {
    if (this.closed || atMs === undefined || !Number.isFinite(atMs)) return;
    const existing = this.live(key);
    // Coalescing only rounds up, so a deadline at or before the raw time is earlier than the
    // coalesced one too: the common case (an ALIVE moved the deadline later) needs no clock read.
    if (existing && existing.at <= atMs) return;
    const at = this.coalesce(atMs);
    if (existing && existing.at <= at) return;
    this.place(key, at);
  }

  delete(key: K): void {
    this.current.delete(key);
  }

  get size(): number {
    return this.current.size;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.heap.length = 0;
    this.current.clear();
  }

  /** The key's pending entry (not one already handed to onDue). */
  private live(key: K): Entry<K> | undefined {
    const entry = this.current.get(key);
    return entry?.fired ? undefined : entry;
  }

  private place(key: K, at: number): void {
    const existing = this.live(key);
    if (existing && existing.at === at) return;
    const entry: Entry<K> = { at, key };
    this.current.set(key, entry);
    this.push(entry);
    if (this.heap.length > COMPACT_FACTOR * this.current.size + COMPACT_SLACK) this.compact();
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
    this.dropStale();
    const top = this.heap[0];
    if (!top) return;
    const at = Math.max(Math.ceil(top.at / this.granularityMs) * this.granularityMs, this.holdUntil);
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
    const due: K[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      top.fired = true;
      due.push(top.key);
    }
    if (due.length > 0) this.onDue(due, now);
    // Keys onDue gave no new deadline have none.
    for (const key of due) if (this.current.get(key)?.fired) this.current.delete(key);
    if (!this.closed) this.arm();
  }

  private dropStale(): void {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (this.current.get(top.key) === top) return;
      this.pop();
    }
  }

  private compact(): void {
    const live = this.heap.filter((e) => this.current.get(e.key) === e);
    this.heap.length = 0;
    for (const entry of live) this.push(entry);
  }

  private push(entry: Entry<K>): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (!p || p.at <= entry.at) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (!last || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      let smallestAt = last.at;
      const l = heap[left];
      const r = heap[right];
      if (l && l.at < smallestAt) {
        smallest = left;
        smallestAt = l.at;
      }
      if (r && r.at < smallestAt) smallest = right;
      if (smallest === i) break;
      const child = heap[smallest];
      if (!child) break;
      heap[i] = child;
      i = smallest;
    }
    heap[i] = last;
  }
}
