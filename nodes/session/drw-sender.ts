import { MAX_DRW_DATA } from '../wire/pppp';

/**
 * The sending half of one DRW channel (PROTOCOL.md §5), sans-I/O: it hands back the
 * (index, data) pairs to put on the wire and learns from ACKs. Un-ACKed DRWs go out again with
 * the same index after `retransmitMs`, at most `maxTries` times in all.
 */
export interface DrwSenderLimits {
  readonly retransmitMs: number;
  readonly maxTries: number;
  /** DRWs sent but not yet ACKed. */
  readonly maxInFlight: number;
  /** DRWs waiting for a slot in flight; `enqueue` refuses more. */
  readonly maxQueued: number;
}

export const DEFAULT_DRW_SENDER_LIMITS: DrwSenderLimits = {
  retransmitMs: 300,
  maxTries: 8,
  maxInFlight: 64,
  maxQueued: 256,
};

export interface OutgoingDrw {
  readonly index: number;
  readonly data: Buffer;
}

interface InFlight {
  readonly data: Buffer;
  sentAt: number;
  tries: number;
}

export class DrwSender {
  private nextIndex = 0;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly queue: Buffer[] = [];

  constructor(private readonly limits: DrwSenderLimits = DEFAULT_DRW_SENDER_LIMITS) {}

  /**
   * Splits `data` into DRW-sized chunks and sends what the window allows now. Returns undefined
   * when the queue cannot take it all (nothing is queued then).
   */
  enqueue(data: Buffer, nowMs: number): OutgoingDrw[] | undefined {
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < data.length || chunks.length === 0; offset += MAX_DRW_DATA) {
      chunks.push(data.subarray(offset, offset + MAX_DRW_DATA));
    }
    if (this.queue.length + chunks.length > this.limits.maxQueued) return undefined;
    this.queue.push(...chunks);
    return this.fillWindow(nowMs);
  }

  /** Forgets ACKed indices and sends queued DRWs into the freed slots. */
  acknowledge(indices: readonly number[], nowMs: number): OutgoingDrw[] {
    for (const index of indices) this.inFlight.delete(index);
    return this.fillWindow(nowMs);
  }

  /**
   * Retransmits what is due; what ran out of tries is dropped and reported in `gaveUp`. `resend`
   * also carries queued DRWs sent for the first time into slots the given-up ones freed; the
   * first `retransmitted` entries are the true retransmissions.
   */
  tick(nowMs: number): { resend: OutgoingDrw[]; gaveUp: number[]; retransmitted: number } {
    const resend: OutgoingDrw[] = [];
    const gaveUp: number[] = [];
    for (const [index, entry] of this.inFlight) {
      if (nowMs - entry.sentAt < this.limits.retransmitMs) continue;
      if (entry.tries >= this.limits.maxTries) {
        this.inFlight.delete(index);
        gaveUp.push(index);
        continue;
      }
      entry.tries++;
      entry.sentAt = nowMs;
      resend.push({ index, data: entry.data });
    }
    const retransmitted = resend.length;
    if (gaveUp.length > 0) resend.push(...this.fillWindow(nowMs));
    return { resend, gaveUp, retransmitted };
  }

  nextWakeMs(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.inFlight.values()) {
      const due = entry.sentAt + this.limits.retransmitMs;
      if (earliest === undefined || due < earliest) earliest = due;
    }
    return earliest;
  }

  get pending(): number {
    return this.inFlight.size + this.queue.length;
  }

  private fillWindow(nowMs: number): OutgoingDrw[] {
    const sent: OutgoingDrw[] = [];
    while (this.inFlight.size < this.limits.maxInFlight) {
      const data = this.queue.shift();
      if (data === undefined) break;
      const index = this.nextIndex;
      this.nextIndex = (this.nextIndex + 1) & 0xffff;
      this.inFlight.set(index, { data, sentAt: nowMs, tries: 1 });
      sent.push({ index, data });
    }
    return sent;
  }
}
