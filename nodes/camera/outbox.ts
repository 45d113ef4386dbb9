import { type Address } from '../wire/address';
import { type CameraAction, type SendAction, type Via } from './actions';
import { type CameraStats } from './stats';

/**
 * Cap on datagrams held back by `setReplyDelay`. A long delay under a flood of requests would
 * otherwise grow without bound; past the cap new datagrams are dropped, as a full NIC queue does.
 */
export const MAX_DELAYED_DATAGRAMS = 1000;

interface Delayed {
  readonly dueMs: number;
  readonly action: SendAction;
}

/**
 * The camera's network impairments, applied to every datagram it sends: random loss and a fixed
 * delay. Delayed datagrams wait here, sorted by due time, until the machine's `tick` releases them.
 */
export class Outbox {
  private delayMs = 0;
  private dropRate = 0;
  private readonly delayed: Delayed[] = [];

  constructor(
    private readonly random: () => number,
    private readonly stats: CameraStats,
  ) {}

  setDelay(ms: number): void {
    this.delayMs = Number.isFinite(ms) && ms > 0 ? ms : 0;
  }

  setDropRate(fraction: number): void {
    this.dropRate = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  }

  /** Whether to lose this datagram. Draws from `random` only while a drop rate is set, so tests without loss stay deterministic. */
  shouldDrop(): boolean {
    if (this.dropRate === 0 || this.random() >= this.dropRate) return false;
    this.stats.datagramsDropped++;
    return true;
  }

  send(out: CameraAction[], via: Via, to: Address, data: Buffer, nowMs: number): void {
    if (this.shouldDrop()) return;
    const action: SendAction = { kind: 'send', via, to, data };
    if (this.delayMs === 0) {
      out.push(action);
      return;
    }
    if (this.delayed.length >= MAX_DELAYED_DATAGRAMS) {
      this.stats.datagramsDropped++;
      return;
    }
    const dueMs = nowMs + this.delayMs;
    // Insert after every entry due at or before this one: the queue stays sorted and FIFO on ties.
    let at = this.delayed.length;
    while (at > 0 && (this.delayed[at - 1]?.dueMs ?? 0) > dueMs) at--;
    this.delayed.splice(at, 0, { dueMs, action });
  }

  /** Moves every delayed datagram due by `nowMs` to `out`, oldest first. */
  release(out: CameraAction[], nowMs: number): void {
    let count = 0;
    while (count < this.delayed.length && (this.delayed[count]?.dueMs ?? Infinity) <= nowMs) count++;
    for (const { action } of this.delayed.splice(0, count)) out.push(action);
  }

  nextDueMs(): number | undefined {
    return this.delayed[0]?.dueMs;
  }

  get delayedCount(): number {
    return this.delayed.length;
  }

  /** Forgets every held datagram: a camera that loses power loses its buffers. */
  clear(): void {
    this.delayed.length = 0;
  }
}
