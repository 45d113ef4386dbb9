/**
 * The heartbeat policy for one camera, sans-I/O: once per interval it looks at whether the
 * session heard anything since the last look and turns consecutive silent intervals into
 * `lost` and the first traffic after that into `restored`. It asks for one probe (ALIVE) per
 * interval while connected: a camera pings every second, so a session is seldom quiet, and
 * without our own probe the round trip would never be measured.
 */
export interface HeartbeatConfig {
  readonly intervalMs: number;
  /** Unanswered probes (silent intervals) before `lost`. */
  readonly misses: number;
}

export interface HeartbeatReport {
  /** True when the camera was heard during the last interval. */
  readonly alive: boolean;
  readonly connected: boolean;
  /** Last measured round trip, null until one was measured. */
  readonly rttMs: number | null;
  readonly rttMinMs: number | null;
  readonly rttMaxMs: number | null;
  readonly rttAvgMs: number | null;
  readonly misses: number;
  readonly probesSent: number;
  readonly probesAnswered: number;
  readonly lost: boolean;
}

export type HeartbeatEvent =
  | { readonly type: 'heartbeat'; readonly report: HeartbeatReport }
  | { readonly type: 'lost'; readonly report: HeartbeatReport }
  | { readonly type: 'restored'; readonly report: HeartbeatReport };

export interface HeartbeatTick {
  /** Send an ALIVE now. */
  readonly probe: boolean;
  readonly events: HeartbeatEvent[];
}

export class HeartbeatMonitor {
  private lastTickAt: number;
  private dueAt: number;
  private missesValue = 0;
  private lostValue = false;
  private probeOutstanding = false;
  private probesSent = 0;
  private probesAnswered = 0;
  private rttLast: number | null = null;
  private rttMin: number | null = null;
  private rttMax: number | null = null;
  private rttSum = 0;
  private rttCount = 0;

  constructor(
    readonly config: HeartbeatConfig,
    startMs: number,
  ) {
    this.lastTickAt = startMs;
    this.dueAt = startMs + config.intervalMs;
  }

  nextWakeMs(): number {
    return this.dueAt;
  }

  /** A round trip measured by the session for one of our probes. */
  recordRtt(rttMs: number): void {
    this.probeOutstanding = false;
    this.probesAnswered++;
    this.rttLast = rttMs;
    this.rttMin = this.rttMin === null ? rttMs : Math.min(this.rttMin, rttMs);
    this.rttMax = this.rttMax === null ? rttMs : Math.max(this.rttMax, rttMs);
    this.rttSum += rttMs;
    this.rttCount++;
  }

  /**
   * `lastHeardMs` is when the session last heard the camera; `connected` whether it can probe.
   * Call at `nextWakeMs()`; earlier calls do nothing.
   */
  tick(nowMs: number, lastHeardMs: number, connected: boolean): HeartbeatTick {
    if (nowMs < this.nextWakeMs()) return { probe: false, events: [] };
    const heard = connected && lastHeardMs > this.lastTickAt;
    this.lastTickAt = nowMs;
    // A round trip measured before an outage says nothing about the link now.
    if (!connected) this.rttLast = null;
    // The next tick is due one interval after this one was due, not after it ran: the endpoint's
    // timer runs a little late by design (it coalesces wakeups), and a cadence that slipped by
    // every delay would stretch the `misses` intervals and so the time to `lost`. A tick more
    // than half an interval late (a stalled process) restarts the cadence instead of catching up.
    const intervalMs = this.config.intervalMs;
    this.dueAt = nowMs - this.dueAt > intervalMs / 2 ? nowMs + intervalMs : this.dueAt + intervalMs;
    const events: HeartbeatEvent[] = [];
    if (heard) {
      this.missesValue = 0;
      if (this.lostValue) {
        this.lostValue = false;
        events.push({ type: 'restored', report: this.report(true, connected) });
      }
    } else {
      this.missesValue++;
      if (!this.lostValue && this.missesValue >= this.config.misses) {
        this.lostValue = true;
        events.push({ type: 'lost', report: this.report(false, connected) });
      }
    }
    events.unshift({ type: 'heartbeat', report: this.report(heard, connected) });
    const probe = connected;
    if (probe) {
      this.probesSent++;
      this.probeOutstanding = true;
    }
    return { probe, events };
  }

  get lost(): boolean {
    return this.lostValue;
  }

  get awaitingProbe(): boolean {
    return this.probeOutstanding;
  }

  private report(alive: boolean, connected: boolean): HeartbeatReport {
    return {
      alive,
      connected,
      rttMs: this.rttLast,
      rttMinMs: this.rttMin,
      rttMaxMs: this.rttMax,
      rttAvgMs: this.rttCount === 0 ? null : Math.round((this.rttSum / this.rttCount) * 1000) / 1000,
      misses: this.missesValue,
      probesSent: this.probesSent,
      probesAnswered: this.probesAnswered,
      lost: this.lostValue,
    };
  }
}
