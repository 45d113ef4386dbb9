import { type Node } from 'node-red';

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Wraps an event handler so that nothing it throws can escape into the emitter (and from there
 * crash Node-RED): the failure becomes a `node.error` instead.
 */
export function guarded<A extends unknown[]>(
  node: Pick<Node, 'error'>,
  what: string,
  handler: (...args: A) => void,
): (...args: A) => void {
  return (...args: A) => {
    try {
      handler(...args);
    } catch (error) {
      reportError(node, `${what}: ${errorMessage(error)}`);
    }
  };
}

/** `node.error` that never throws itself (a node that is closing may refuse). */
export function reportError(node: Pick<Node, 'error'>, text: string): void {
  try {
    node.error(text);
  } catch {
    // Nothing left to tell.
  }
}
