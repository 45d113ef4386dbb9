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
  private expected = 0;
  private readonly held = new Map<number, Buffer>();

  /** `reorderWindow` caps how many out-of-order DRWs are held (and so the memory one channel uses). */
  constructor(private readonly reorderWindow = 64) {}

  receive(index: number, data: Buffer): DrwReceiveResult {
    const distance = (index - this.expected) & 0xffff;
    if (distance >= HALF_INDEX_SPACE || (distance > 0 && this.held.has(index))) {
      return { ack: [index], deliver: [], duplicate: true, overflow: false };
    }
    if (distance >= this.reorderWindow) return { ack: [], deliver: [], duplicate: false, overflow: true };
    if (distance > 0) {
      this.held.set(index, Buffer.from(data));
      return { ack: [index], deliver: [], duplicate: false, overflow: false };
    }
    const deliver = [data];
    this.expected = (this.expected + 1) & 0xffff;
    for (let next = this.held.get(this.expected); next !== undefined; next = this.held.get(this.expected)) {
      this.held.delete(this.expected);
      deliver.push(next);
      this.expected = (this.expected + 1) & 0xffff;
    }
    return { ack: [index], deliver, duplicate: false, overflow: false };
  }

  get heldCount(): number {
    return this.held.size;
  }

  get nextExpected(): number {
    return this.expected;
  }
}
