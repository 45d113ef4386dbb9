import { type Node, type NodeAPI } from 'node-red';
import { type CameraLink, type LinkOptions } from '../engine/camera-link';
import { type CameraSpec } from '../engine/camera-spec';
import { type Endpoint } from '../engine/endpoint';
import { errorMessage, reportError } from './guard';
import { type NetworkCondition, type NetworkHandle, type NetworkUser, handleOf } from './network-handle';
import { type StatusView, bad } from './status';
import { isBlank, typeOf } from './validate';

/**
 * A user node's place on its `vstar-network`: it is registered there, its status shows the
 * network's trouble while there is some, and it hears every change of the network's condition.
 */
export class Membership implements NetworkUser {
  private listener: ((condition: NetworkCondition) => void) | undefined;
  private left = false;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(
    readonly handle: NetworkHandle,
    readonly endpoint: Endpoint,
    private readonly view: StatusView,
    private readonly node: Pick<Node, 'error'>,
  ) {}

  networkChanged(condition: NetworkCondition): void {
    if (this.left) return;
    this.view.setNetwork(condition);
    if (condition.kind !== 'starting') this.settleWaiters();
    try {
      this.listener?.(condition);
    } catch (error) {
      reportError(this.node, `network change: ${errorMessage(error)}`);
    }
  }

  /** Starts calling `listener` on every change, at once with the current condition. */
  listen(listener: (condition: NetworkCondition) => void): void {
    this.listener = listener;
    this.networkChanged(this.handle.condition);
  }

  get ready(): boolean {
    return this.handle.condition.kind === 'ready';
  }

  /** Why the network cannot serve now, for errors passed to `done`. */
  get notReadyReason(): string {
    const condition = this.handle.condition;
    switch (condition.kind) {
      case 'ready':
        return 'ready';
      case 'starting':
        return 'network is starting';
      case 'error':
        return `network not ready: ${condition.detail}`;
      case 'closed':
        return 'network closed';
    }
  }

  /**
   * Resolves once the network is ready: at once when it is, after the bind when it is starting
   * (a message that arrives right after a deploy waits a moment rather than failing); rejects
   * with the reason when it is in trouble, or when this node leaves first.
   */
  whenReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      if (this.left || this.handle.condition.kind !== 'starting') this.settleWaiters();
    });
  }

  leave(): void {
    this.left = true;
    this.listener = undefined;
    // A status still to be shown must not reach a node that has closed.
    this.view.dispose();
    this.handle.deregister(this);
    this.settleWaiters();
  }

  private settleWaiters(): void {
    const ready = !this.left && this.ready;
    const reason = this.left ? 'node closed' : this.notReadyReason;
    for (const waiter of this.waiters.splice(0)) {
      if (ready) waiter.resolve();
      else waiter.reject(new Error(reason));
    }
  }
}

export type Joined =
  { readonly ok: true; readonly membership: Membership } | { readonly ok: false; readonly error: string };

/**
 * Joins the network named by a node's `network` property. When it cannot (none configured, not
 * deployed, invalid config) the node is turned into a broken one: red status, errors on input.
 */
export function joinNetwork(RED: NodeAPI, node: Node, networkId: unknown, view: StatusView): Joined {
  if (isBlank(networkId)) return breakNode(node, view, 'no network configured', true);
  if (typeof networkId !== 'string') {
    return breakNode(node, view, `network must be the id of a vstar-network node, got ${typeOf(networkId)}`, true);
  }
  const handle = handleOf(RED.nodes.getNode(networkId));
  if (!handle) return breakNode(node, view, 'network node missing or disabled', true);
  const endpoint = handle.endpoint;
  if (!endpoint) {
    // The network node already logged its invalid config; the user shows it in red.
    const error = handle.condition.kind === 'error' ? handle.condition.detail : 'network unavailable';
    const user: NetworkUser = { networkChanged: (condition) => view.setNetwork(condition) };
    handle.register(user);
    return breakNode(node, view, error, false, () => handle.deregister(user));
  }
  const membership = new Membership(handle, endpoint, view, node);
  handle.register(membership);
  return { ok: true, membership };
}

/**
 * Joins the network and takes a share of the camera's session (created on first use): what
 * vstar-session and vstar-heartbeat both need before they can run. On failure the node is
 * already broken (red status, logged) and undefined comes back.
 */
export function joinCameraLink(
  RED: NodeAPI,
  node: Node,
  networkId: unknown,
  view: StatusView,
  spec: CameraSpec,
  options: LinkOptions,
): { readonly membership: Membership; readonly link: CameraLink } | undefined {
  const joined = joinNetwork(RED, node, networkId, view);
  if (!joined.ok) return undefined;
  const membership = joined.membership;
  const link = membership.endpoint.link(spec, options);
  if (!link) {
    breakNode(node, view, 'too many sessions on this network', true, () => membership.leave());
    return undefined;
  }
  return { membership, link };
}

/**
 * A node that cannot work: red status with the reason, `node.error` once (unless someone else
 * already said it), every input answered with the reason as an error, and a clean close.
 */
export function breakNode(
  node: Node,
  view: StatusView,
  error: string,
  log: boolean,
  cleanup?: () => void,
): { readonly ok: false; readonly error: string } {
  view.set(bad(error));
  if (log) reportError(node, error);
  node.on('input', (_msg, _send, done) => done(new Error(error)));
  node.on('close', (_removed: boolean, done: () => void) => {
    view.dispose();
    cleanup?.();
    done();
  });
  return { ok: false, error };
}
