import { type Node, type NodeStatus } from 'node-red';
import { type HeartbeatReport } from '../session/heartbeat-monitor';
import { type NetworkCondition } from './network-handle';

/**
 * The one status vocabulary of every vstar node (DESIGN.md §2): grey ring idle / not configured,
 * yellow ring scanning or connecting, green dot connected, red ring error or lost.
 */
export const idle = (text: string): NodeStatus => ({ fill: 'grey', shape: 'ring', text });
export const busy = (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text });
export const good = (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text });
export const bad = (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text });

/** How a user node shows its network: undefined when the network is fine and the node speaks for itself. */
export function networkStatus(condition: NetworkCondition): NodeStatus | undefined {
  switch (condition.kind) {
    case 'starting':
      return busy('starting');
    case 'ready':
      return undefined;
    case 'error':
      return bad(condition.detail);
    case 'closed':
      return idle('closed');
  }
}

/** A session's end: grey when it was closed on purpose, red with the reason when it was lost. */
export function disconnectedStatus(
  reason: 'timeout' | 'closed-by-camera' | 'closed' | 'error',
  detail?: string,
): NodeStatus {
  switch (reason) {
    case 'closed':
      return idle('disconnected');
    case 'timeout':
      return bad('lost');
    case 'closed-by-camera':
      return bad('closed by camera');
    case 'error':
      return bad(`error: ${detail ?? 'unknown'}`);
  }
}

/** A heartbeat node after a report: green with the round trip, yellow while waiting, red when lost. */
export function heartbeatStatus(report: HeartbeatReport, misses: number): NodeStatus {
  if (report.lost) return bad('lost');
  if (!report.connected) return busy('connecting');
  if (!report.alive) return busy(`no reply (${report.misses}/${misses})`);
  return good(report.rttMs === null ? 'alive' : `rtt ${Math.round(report.rttMs)} ms`);
}

/** Status texts stay short: they are drawn under the node. */
const MAX_TEXT = 100;

/**
 * Views with a status to show once the current event is over: one setImmediate for all of them,
 * not one each (a network coming up tells a thousand nodes at once, bench/startup.ts).
 */
let pendingViews: StatusView[] = [];

function flushPendingViews(): void {
  const views = pendingViews;
  pendingViews = [];
  for (const view of views) {
    try {
      view.renderPending();
    } catch {
      // Outside any handler's guard here: a status a closing node refuses must not crash Node-RED.
    }
  }
}

/**
 * A node's status is its own unless its network has trouble: then the network's status shows,
 * and the node's own comes back by itself when the trouble goes (a transient error clears itself).
 */
export class StatusView {
  private own: NodeStatus = {};
  private network: NodeStatus | undefined;
  private notice: NodeStatus | undefined;
  private noticeTimer: NodeJS.Timeout | undefined;
  /** What the node last showed; nothing yet at first. */
  private shown: NodeStatus | undefined;
  private pending = false;

  constructor(private readonly node: Pick<Node, 'status'>) {}

  set(status: NodeStatus): void {
    this.endNotice();
    this.own = status;
    this.render();
  }

  /**
   * Like `set`, but shown once the current event is over. Node-RED delivers a sent message on the
   * next turn of the event loop (setImmediate): a status shown at once, by an editor round trip
   * of its own, would come before the message the flow is waiting for, and before the datagram a
   * handshake is waiting for (bench/nodered.ts). Any status set meanwhile is newer and wins.
   */
  setSoon(status: NodeStatus): void {
    this.endNotice();
    this.own = status;
    this.renderSoon();
  }

  /**
   * Shows `status` for `ms` (why a message was refused, say) over everything else, then the
   * status it covered again. The node's next own status ends it sooner: that is newer news.
   */
  flash(status: NodeStatus, ms: number): void {
    this.endNotice();
    this.notice = status;
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = undefined;
      this.notice = undefined;
      this.render();
    }, ms);
    this.render();
  }

  /** The node is closing: no timer may outlive it. */
  dispose(): void {
    this.endNoticeTimer();
    this.pending = false;
  }

  /**
   * Shown once the current event is over, like `setSoon`: when a network comes up, its many
   * users' statuses follow the sessions' first datagrams rather than hold them up (bench/startup.ts).
   */
  setNetwork(condition: NetworkCondition): void {
    this.network = networkStatus(condition);
    this.renderSoon();
  }

  clear(): void {
    this.endNotice();
    this.own = {};
    this.network = undefined;
    this.render();
  }

  private endNotice(): void {
    if (!this.notice) return;
    this.endNoticeTimer();
  }

  private endNoticeTimer(): void {
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = undefined;
    this.notice = undefined;
  }

  /** @internal the shared setImmediate's call; nothing when the view was disposed meanwhile. */
  renderPending(): void {
    if (!this.pending) return;
    this.pending = false;
    this.render();
  }

  private renderSoon(): void {
    if (this.pending) return;
    this.pending = true;
    if (pendingViews.length === 0) setImmediate(flushPendingViews);
    pendingViews.push(this);
  }

  private render(): void {
    const chosen = this.notice ?? this.network ?? this.own;
    const status: NodeStatus =
      chosen.text !== undefined && chosen.text.length > MAX_TEXT
        ? { ...chosen, text: `${chosen.text.slice(0, MAX_TEXT - 1)}…` }
        : chosen;
    // Field by field, not a JSON key per render: a status is three strings at most.
    const shown = this.shown;
    if (shown && shown.fill === status.fill && shown.shape === status.shape && shown.text === status.text) return;
    this.shown = status;
    this.node.status(status);
  }
}
