/**
 * When each camera next needs a tick, as an indexed binary min-heap: the host arms one timer at
 * the head instead of scanning every camera (1000+ of them) on every wake-up.
 */
export class WakeQueue {
  private readonly heap: number[] = [];
  private readonly dueMs = new Map<number, number>();
  private readonly position = new Map<number, number>();

  /** Sets (or with undefined, removes) when `id` is due. */
  set(id: number, due: number | undefined): void {
    const at = this.position.get(id);
    if (due === undefined) {
      if (at !== undefined) this.removeAt(at);
      return;
    }
    this.dueMs.set(id, due);
    if (at === undefined) {
      this.heap.push(id);
      this.position.set(id, this.heap.length - 1);
      this.up(this.heap.length - 1);
    } else {
      this.up(at);
      this.down(this.position.get(id) ?? at);
    }
  }

  peekDueMs(): number | undefined {
    const head = this.heap[0];
    return head === undefined ? undefined : this.dueMs.get(head);
  }

  /** Removes and returns every id due at or before `nowMs`, earliest first. */
  takeDue(nowMs: number): number[] {
    const due: number[] = [];
    for (let head = this.heap[0]; head !== undefined && this.key(0) <= nowMs; head = this.heap[0]) {
      due.push(head);
      this.removeAt(0);
    }
    return due;
  }

  get size(): number {
    return this.heap.length;
  }

  private key(at: number): number {
    const id = this.heap[at];
    return id === undefined ? Infinity : (this.dueMs.get(id) ?? Infinity);
  }

  private removeAt(at: number): void {
    const id = this.heap[at];
    const last = this.heap.pop();
    if (id === undefined || last === undefined) return;
    this.position.delete(id);
    this.dueMs.delete(id);
    if (at < this.heap.length) {
      this.heap[at] = last;
      this.position.set(last, at);
      this.up(at);
      this.down(this.position.get(last) ?? at);
    }
  }

  private up(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (this.key(parent) <= this.key(at)) return;
      this.swap(at, parent);
      at = parent;
    }
  }

  private down(at: number): void {
    for (;;) {
      const left = at * 2 + 1;
      const right = left + 1;
      let smallest = at;
      if (left < this.heap.length && this.key(left) < this.key(smallest)) smallest = left;
      if (right < this.heap.length && this.key(right) < this.key(smallest)) smallest = right;
      if (smallest === at) return;
      this.swap(at, smallest);
      at = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const ida = this.heap[a];
    const idb = this.heap[b];
    if (ida === undefined || idb === undefined) return;
    this.heap[a] = idb;
    this.heap[b] = ida;
    this.position.set(idb, a);
    this.position.set(ida, b);
  }
}
