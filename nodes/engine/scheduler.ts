/**
 * One timer for many deadlines. Sessions and monitors say when they next need a tick; the
 * scheduler keeps a min-heap of those deadlines and arms a single Node timer at the earliest,
 * rounded up to `granularityMs` so deadlines close together are served by one wakeup.
 * Entries superseded by a later `set` are skipped lazily when they reach the top of the heap.
 */
interface Entry<K> {
  readonly at: number;
  readonly key: K;
  readonly generation: number;
}

/** Superseded entries are swept when the heap grows past this multiple of the live ones. */
const COMPACT_FACTOR = 4;
const COMPACT_SLACK = 1024;

export class Scheduler<K> {
  private readonly heap: Entry<K>[] = [];
  private readonly current = new Map<K, { at: number; generation: number }>();
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
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
    const existing = this.current.get(key);
    if (existing && existing.at === atMs) return;
    const generation = ++this.generation;
    this.current.set(key, { at: atMs, generation });
    this.push({ at: atMs, key, generation });
    if (this.heap.length > COMPACT_FACTOR * this.current.size + COMPACT_SLACK) this.compact();
    this.arm();
  }

  /** Sets the deadline only if it is earlier than the one `key` has; a wakeup that comes early is harmless to callers that recompute. */
  wakeBy(key: K, atMs: number | undefined): void {
    if (atMs === undefined) return;
    const existing = this.current.get(key);
    if (existing && existing.at <= atMs) return;
    this.set(key, atMs);
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

  private arm(): void {
    this.dropStale();
    const top = this.heap[0];
    if (!top) return;
    const at = Math.ceil(top.at / this.granularityMs) * this.granularityMs;
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.clock()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    this.wakeups++;
    const now = this.clock();
    const due: K[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (!top || top.at > now) break;
      this.pop();
      this.current.delete(top.key);
      due.push(top.key);
    }
    if (due.length > 0) this.onDue(due, now);
    if (!this.closed) this.arm();
  }

  private dropStale(): void {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      const live = this.current.get(top.key);
      if (live && live.generation === top.generation) return;
      this.pop();
    }
  }

  private compact(): void {
    const live = this.heap.filter((e) => this.current.get(e.key)?.generation === e.generation);
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
