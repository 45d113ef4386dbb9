/**
 * Out-of-order DRWs held per channel while waiting for a missing index. A DRW further ahead is
 * neither kept nor ACKed, so the client sends it again once the gap has closed.
 */
export const DRW_RECEIVE_WINDOW = 64;

/** Indices live on a u16 circle: an index up to half the circle behind `expected` is old. */
const HALF_CIRCLE = 0x8000;

export interface DrwReceipt {
  /** Whether to ACK this index. Duplicates are ACKed too: the client may have lost the first ACK. */
  readonly ack: boolean;
  /** Data now deliverable in order (this DRW's and any buffered ones it unblocked). */
  readonly deliver: readonly Buffer[];
}

/** In-order delivery for one channel of incoming DRWs (PROTOCOL.md §5): indices start at 0 and wrap after 0xFFFF. */
export class DrwReceiver {
  private expected = 0;
  private readonly early = new Map<number, Buffer>();

  accept(index: number, data: Buffer): DrwReceipt {
    const ahead = (index - this.expected) & 0xffff;
    if (ahead >= HALF_CIRCLE) return { ack: true, deliver: [] };
    if (ahead >= DRW_RECEIVE_WINDOW) return { ack: false, deliver: [] };
    if (ahead > 0) {
      // Copied so a held DRW does not pin its whole datagram buffer.
      if (!this.early.has(index)) this.early.set(index, Buffer.from(data));
      return { ack: true, deliver: [] };
    }
    const deliver = [data];
    this.expected = (this.expected + 1) & 0xffff;
    for (let next = this.early.get(this.expected); next; next = this.early.get(this.expected)) {
      this.early.delete(this.expected);
      deliver.push(next);
      this.expected = (this.expected + 1) & 0xffff;
    }
    return { ack: true, deliver };
  }

  get heldCount(): number {
    return this.early.size;
  }
}
