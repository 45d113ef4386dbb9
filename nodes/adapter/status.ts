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
 * A node's status is its own unless its network has trouble: then the network's status shows,
 * and the node's own comes back by itself when the trouble goes (a transient error clears itself).
 */
export class StatusView {
  private own: NodeStatus = {};
  private network: NodeStatus | undefined;
  private notice: NodeStatus | undefined;
  private noticeTimer: NodeJS.Timeout | undefined;
  private shown = '';

  constructor(private readonly node: Pick<Node, 'status'>) {}

  set(status: NodeStatus): void {
    this.endNotice();
    this.own = status;
    this.render();
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
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = undefined;
    this.notice = undefined;
  }

  setNetwork(condition: NetworkCondition): void {
    this.network = networkStatus(condition);
    this.render();
  }

  clear(): void {
    this.endNotice();
    this.own = {};
    this.network = undefined;
    this.render();
  }

  private endNotice(): void {
    if (!this.notice) return;
    this.dispose();
  }

  private render(): void {
    const chosen = this.notice ?? this.network ?? this.own;
    const status: NodeStatus =
      chosen.text !== undefined && chosen.text.length > MAX_TEXT
        ? { ...chosen, text: `${chosen.text.slice(0, MAX_TEXT - 1)}…` }
        : chosen;
    const key = JSON.stringify(status);
    if (key === this.shown) return;
    this.shown = key;
    this.node.status(status);
  }
}
