/**
 * Un-ACKed DRWs kept per session for retransmission. A client that never ACKs must not make the
 * camera grow without bound: past the cap the oldest DRW is given up.
 */
export const MAX_UNACKED_DRWS = 256;

export interface OutgoingDrw {
  readonly index: number;
  readonly data: Buffer;
}

interface Pending extends OutgoingDrw {
  tries: number;
  dueMs: number;
}

export interface DueDrws {
  readonly resend: readonly OutgoingDrw[];
  /** How many DRWs were given up in this call. */
  readonly abandoned: number;
}

/**
 * One channel's outgoing DRWs (PROTOCOL.md §5): indices from 0, wrapping after 0xFFFF; each DRW
 * is resent with the same index every `retransmitMs` until ACKed or `maxTries` sends were made.
 */
export class DrwSender {
  private nextIndex = 0;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly retransmitMs: number,
    private readonly maxTries: number,
  ) {}

  /** Assigns the next index to `data` and remembers it until ACKed. Returns the DRW and how many old ones it pushed out. */
  send(data: Buffer, nowMs: number): { drw: OutgoingDrw; abandoned: number } {
    let abandoned = 0;
    while (this.pending.size >= MAX_UNACKED_DRWS) {
      const oldest = this.pending.keys().next();
      if (oldest.done === true) break;
      this.pending.delete(oldest.value);
      abandoned++;
    }
    const index = this.nextIndex;
    this.nextIndex = (this.nextIndex + 1) & 0xffff;
    this.pending.set(index, { index, data, tries: 1, dueMs: nowMs + this.retransmitMs });
    return { drw: { index, data }, abandoned };
  }

  ack(indices: readonly number[]): void {
    for (const index of indices) this.pending.delete(index);
  }

  /** DRWs whose retransmit time has come, and the ones out of tries. */
  due(nowMs: number): DueDrws {
    const resend: OutgoingDrw[] = [];
    let abandoned = 0;
    for (const entry of this.pending.values()) {
      if (entry.dueMs > nowMs) continue;
      if (entry.tries >= this.maxTries) {
        this.pending.delete(entry.index);
        abandoned++;
        continue;
      }
      entry.tries++;
      entry.dueMs = nowMs + this.retransmitMs;
      resend.push({ index: entry.index, data: entry.data });
    }
    return { resend, abandoned };
  }

  nextDueMs(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.pending.values()) {
      if (earliest === undefined || entry.dueMs < earliest) earliest = entry.dueMs;
    }
    return earliest;
  }

  get unackedCount(): number {
    return this.pending.size;
  }
}
