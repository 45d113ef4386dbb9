import { type Endpoint, type EndpointState } from '../engine/endpoint';
import { type NetworkOptions } from './network-config';

/** What the nodes using a network need to know about it, for their status and their work. */
export type NetworkCondition =
  | { readonly kind: 'starting' }
  | { readonly kind: 'ready' }
  /** Transient (a busy port: the endpoint retries) or permanent (bad config: no endpoint). */
  | { readonly kind: 'error'; readonly detail: string }
  | { readonly kind: 'closed' };

export interface NetworkUser {
  networkChanged(condition: NetworkCondition): void;
}

/**
 * What a `vstar-network` config node shares with the nodes that use it: its endpoint (absent
 * when the config is invalid) and the list of users to tell when the endpoint's state changes.
 */
export class NetworkHandle {
  private readonly users = new Set<NetworkUser>();
  private conditionValue: NetworkCondition;

  constructor(
    readonly id: string,
    readonly endpoint: Endpoint | undefined,
    readonly options: NetworkOptions | undefined,
    readonly configError: string | undefined,
  ) {
    this.conditionValue = configError
      ? { kind: 'error', detail: `bad config: ${configError}` }
      : conditionOf(endpoint?.state ?? 'binding', endpoint?.stateMessage);
  }

  get condition(): NetworkCondition {
    return this.conditionValue;
  }

  get userCount(): number {
    return this.users.size;
  }

  /** Adds a user and tells it the current condition at once. */
  register(user: NetworkUser): void {
    this.users.add(user);
    user.networkChanged(this.conditionValue);
  }

  deregister(user: NetworkUser): void {
    this.users.delete(user);
  }

  /** The endpoint's state changed: every user hears of it; one user's failure does not stop the others. */
  update(state: EndpointState, detail: string | undefined): void {
    if (this.configError) return;
    this.conditionValue = conditionOf(state, detail);
    for (const user of [...this.users]) {
      try {
        user.networkChanged(this.conditionValue);
      } catch {
        // Users guard their own handlers; this only keeps a bug in one from starving the rest.
      }
    }
  }

  /** Forgets every user; the config node is closing. */
  clear(): void {
    this.users.clear();
  }
}

export function conditionOf(state: EndpointState, detail: string | undefined): NetworkCondition {
  switch (state) {
    case 'binding':
      return { kind: 'starting' };
    case 'ready':
      return { kind: 'ready' };
    case 'error':
      return { kind: 'error', detail: detail ?? 'network error' };
    case 'closed':
      return { kind: 'closed' };
  }
}

const handles = new WeakMap<object, NetworkHandle>();

/** Ties a handle to its config node object, so users can find it through `RED.nodes.getNode`. */
export function attachHandle(node: object, handle: NetworkHandle): void {
  handles.set(node, handle);
}

export function detachHandle(node: object): void {
  handles.delete(node);
}

/** The handle of a deployed `vstar-network` node; undefined for anything else. */
export function handleOf(node: unknown): NetworkHandle | undefined {
  return typeof node === 'object' && node !== null ? handles.get(node) : undefined;
}
