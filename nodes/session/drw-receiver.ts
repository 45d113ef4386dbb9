/**
 * The receiving half of one DRW channel, sans-I/O: ACK what may be ACKed, deliver in order,
 * drop duplicates. u16 indices wrap, so "before" and "after" are judged by the distance from
 * the next expected index modulo 2^16: within half the space ahead is the future, the rest is
 * the past.
 */
export interface DrwReceiveResult {
  /** Indices to ACK: every DRW that is now held or was already delivered. */
  readonly ack: readonly number[];
  /** Data now deliverable, in order. */
  readonly deliver: readonly Buffer[];
  readonly duplicate: boolean;
  /** True when the DRW was too far ahead to hold; it is neither held nor ACKed, so the sender retries. */
  readonly overflow: boolean;
}

const HALF_INDEX_SPACE = 0x8000;

export class DrwReceiver {
  private expected: number;
  // Made when the first DRW arrives out of order: on most channels none ever does, and an empty
  // Map per channel was a tenth of an idle session's memory at 10k sessions (issue 12).
  private held: Map<number, Buffer> | undefined;

  /**
   * `reorderWindow` caps how many out-of-order DRWs are held (and so the memory one channel uses).
   * `nextExpected` resumes a channel whose receiver was let go while it held nothing.
   */
  constructor(
    private readonly reorderWindow = 64,
    nextExpected = 0,
  ) {
    this.expected = nextExpected & 0xffff;
  }

  receive(index: number, data: Buffer): DrwReceiveResult {
    const distance = (index - this.expected) & 0xffff;
    if (distance >= HALF_INDEX_SPACE || (distance > 0 && this.held?.has(index))) {
      return { ack: [index], deliver: [], duplicate: true, overflow: false };
    }
    if (distance >= this.reorderWindow) return { ack: [], deliver: [], duplicate: false, overflow: true };
    if (distance > 0) {
      (this.held ??= new Map()).set(index, Buffer.from(data));
      return { ack: [index], deliver: [], duplicate: false, overflow: false };
    }
    const deliver = [data];
    this.expected = (this.expected + 1) & 0xffff;
    this.releaseRun(deliver);
    return { ack: [index], deliver, duplicate: false, overflow: false };
  }

  /**
   * Gives up the hole in front of the nearest held DRW: the next expected index moves there and
   * the run that follows is delivered. With nothing held, moves to `upTo` instead (when given).
   * Returns the run (from `firstIndex`) and how many indices were given up; undefined when nothing moved.
   */
  skipHole(upTo?: number): { firstIndex: number; deliver: Buffer[]; skipped: number } | undefined {
    let nearest: number | undefined;
    for (const index of this.held?.keys() ?? []) {
      if (nearest === undefined || this.distance(index) < this.distance(nearest)) nearest = index;
    }
    const target = nearest ?? upTo;
    if (target === undefined || target === this.expected) return undefined;
    const skipped = this.distance(target);
    this.expected = target;
    const deliver: Buffer[] = [];
    this.releaseRun(deliver);
    return { firstIndex: target, deliver, skipped };
  }

  /** Moves the held DRWs that follow on from the next expected index into `deliver`. */
  private releaseRun(deliver: Buffer[]): void {
    const held = this.held;
    if (!held) return;
    for (let next = held.get(this.expected); next !== undefined; next = held.get(this.expected)) {
      held.delete(this.expected);
      deliver.push(next);
      this.expected = (this.expected + 1) & 0xffff;
    }
    if (held.size === 0) this.held = undefined;
  }

  private distance(index: number): number {
    return (index - this.expected) & 0xffff;
  }

  get heldCount(): number {
    return this.held?.size ?? 0;
  }

  get nextExpected(): number {
    return this.expected;
  }
}

/** Data delivered in order with consecutive indices, the first being `firstIndex`. */
export interface DeliveredRun {
  readonly firstIndex: number;
  readonly chunks: readonly Buffer[];
}

export interface LossyReceiveResult {
  /** Every DRW that arrives is ACKed, a late one included: a sender must never retry into a full window. */
  readonly ack: readonly number[];
  readonly runs: readonly DeliveredRun[];
  readonly duplicate: boolean;
  /** Indices given up as lost in this call. */
  readonly skipped: number;
}

/**
 * The receiving half of a channel where a late DRW is worth less than the next one: video
 * (PROTOCOL.md §7.3). It holds out-of-order DRWs like `DrwReceiver`, but when the camera never
 * resends a lost one it does not stall: a hole is given up once the reorder window is full, or
 * once it has been open for `gapWaitMs`. The consumer sees the jump in the indices of what is
 * delivered (the frame assembler then drops the frame with the hole). A DRW that arrives after its
 * hole was given up counts as a duplicate. Sans-I/O: time is passed in, `nextWakeMs` says when a
 * hole times out.
 */
export class LossyDrwReceiver {
  private readonly inner: DrwReceiver;
  private holeSinceMs: number | undefined;

  constructor(
    reorderWindow: number,
    private readonly gapWaitMs: number,
  ) {
    this.inner = new DrwReceiver(reorderWindow);
  }

  receive(index: number, data: Buffer, nowMs: number): LossyReceiveResult {
    const runs: DeliveredRun[] = [];
    let skipped = 0;
    let firstIndex = this.inner.nextExpected;
    let result = this.inner.receive(index, data);
    // Each skip moves the window forward, so this ends within a window's worth of rounds.
    while (result.overflow) {
      const skip = this.inner.skipHole(index);
      if (!skip) break;
      skipped += skip.skipped;
      if (skip.deliver.length > 0) runs.push({ firstIndex: skip.firstIndex, chunks: skip.deliver });
      firstIndex = this.inner.nextExpected;
      result = this.inner.receive(index, data);
    }
    if (result.deliver.length > 0) runs.push({ firstIndex, chunks: result.deliver });
    this.trackHole(nowMs);
    return { ack: [index], runs, duplicate: result.duplicate, skipped };
  }

  /** Gives up every hole that has been open for `gapWaitMs`, delivering what was held behind it. */
  tick(nowMs: number): { runs: DeliveredRun[]; skipped: number } {
    const runs: DeliveredRun[] = [];
    let skipped = 0;
    if (this.holeSinceMs === undefined || nowMs < this.holeSinceMs + this.gapWaitMs) return { runs, skipped };
    // Everything held arrived after the oldest hole opened: once that hole is given up, waiting on
    // the holes behind it would only add their own delay to frames already late.
    for (let skip = this.inner.skipHole(); skip; skip = this.inner.skipHole()) {
      skipped += skip.skipped;
      if (skip.deliver.length > 0) runs.push({ firstIndex: skip.firstIndex, chunks: skip.deliver });
    }
    this.trackHole(nowMs);
    return { runs, skipped };
  }

  nextWakeMs(): number | undefined {
    return this.holeSinceMs === undefined ? undefined : this.holeSinceMs + this.gapWaitMs;
  }

  get heldCount(): number {
    return this.inner.heldCount;
  }

  get nextExpected(): number {
    return this.inner.nextExpected;
  }

  private trackHole(nowMs: number): void {
    if (this.inner.heldCount === 0) this.holeSinceMs = undefined;
    else this.holeSinceMs ??= nowMs;
  }
}
