import dgram from 'node:dgram';
import { type EventEmitter } from 'node:events';
import { type Node, type NodeMessage, type NodeStatus } from 'node-red';
import helper from 'node-red-node-test-helper';
import { CameraEmulator } from '../../nodes/camera/emulator';

/**
 * Shared pieces of the node tests: one emulator per test file on loopback, flow builders for a
 * network that only ever sends to 127.255.255.255, and waits driven by events (each with a
 * guard that fails the test instead of hanging it).
 */
/**
 * The Node-RED runtime under test: this checkout's devDependency, or the installation that
 * VSTAR_NODE_RED_PATH names (a node-red package directory; scripts/compat.mjs sets it to run
 * these tests against other Node-RED versions).
 */
export const NODE_RED_PATH = require.resolve(process.env.VSTAR_NODE_RED_PATH || 'node-red');
helper.init(NODE_RED_PATH);

export { helper };

export const LOOPBACK_BROADCAST = '127.255.255.255';
/** Only a guard against a hang: every wait resolves on an event long before this. */
export const GUARD_MS = 20_000;

export const DDNS = { server: 'user2.ipcam.so', name: 'porch', user: 'dqqlz', password: 's3cret-ddns' };

export function startEmulator(): Promise<CameraEmulator> {
  return CameraEmulator.start({
    cameras: [{ name: 'Porch', ddns: DDNS }, { name: 'Garage' }, { name: 'Гостиная' }],
    dhPort: 0,
    searchPort: 0,
    broadcastAddress: LOOPBACK_BROADCAST,
  });
}

export interface NetworkFlowNode {
  id: string;
  type: 'vstar-network';
  name: string;
  bind: string;
  targets: string;
  dhPort: number | string;
  searchPort: number | string;
  localDhPort: number | string;
  localPort: number | string;
  timeout: number | string;
  passphrases: string;
  bindRetryMs?: number;
}

export function networkNode(emu: CameraEmulator, overrides: Partial<NetworkFlowNode> = {}): NetworkFlowNode {
  return {
    id: 'net',
    type: 'vstar-network',
    name: 'loopback',
    bind: '0.0.0.0',
    targets: LOOPBACK_BROADCAST,
    dhPort: emu.dhPort,
    searchPort: emu.searchPort,
    localDhPort: 0,
    localPort: 0,
    timeout: 2,
    passphrases: '',
    ...overrides,
  };
}

export function getNode(id: string): Node {
  const node = helper.getNode(id);
  if (!node) throw new Error(`node ${id} is not deployed`);
  return node;
}

/** Every message a helper node receives, and waits for the ones a test expects. */
export class Inbox {
  readonly messages: NodeMessage[] = [];
  private waiters: { match: (msg: NodeMessage) => boolean; resolve: (msg: NodeMessage) => void }[] = [];

  constructor(node: Node) {
    node.on('input', (msg: NodeMessage) => {
      this.messages.push(msg);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(msg)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(msg);
        }
      }
    });
  }

  /** The next message (from now, or already received after index `from`) that matches. */
  next(match: (msg: NodeMessage) => boolean, from = this.messages.length, what = 'message'): Promise<NodeMessage> {
    const earlier = this.messages.slice(from).find(match);
    if (earlier) return Promise.resolve(earlier);
    return guard(
      new Promise((resolve) => this.waiters.push({ match, resolve })),
      `no ${what} after ${GUARD_MS} ms; got: ${this.messages.map((m) => String(m.event)).join(', ')}`,
    );
  }

  event(event: string, from?: number): Promise<NodeMessage> {
    return this.next((msg) => msg.event === event, from, `"${event}"`);
  }

  of(event: string): NodeMessage[] {
    return this.messages.filter((msg) => msg.event === event);
  }
}

interface SpyCall {
  readonly thisValue: unknown;
  readonly args: unknown[];
}

/** The helper spies on Node.prototype.status; this reads one node's calls from the spy. */
export function statuses(node: Node): NodeStatus[] {
  const spy = node.status as unknown as { getCalls?: () => SpyCall[] };
  return (spy.getCalls?.() ?? []).filter((c) => c.thisValue === node).map((c) => c.args[0] as NodeStatus);
}

export function lastStatus(node: Node): NodeStatus | undefined {
  return statuses(node).at(-1);
}

/** Resolves with the node's status once it matches (it may already). */
export function waitStatus(node: Node, match: (status: NodeStatus) => boolean, what = 'status'): Promise<NodeStatus> {
  const current = lastStatus(node);
  if (current && match(current)) return Promise.resolve(current);
  const emitter: EventEmitter = node;
  return guard(
    new Promise((resolve) => {
      const listener = (call: SpyCall): void => {
        const latest = lastStatus(node);
        if (call.thisValue === node && latest && match(latest)) {
          emitter.off('call:status', listener);
          resolve(latest);
        }
      };
      emitter.on('call:status', listener);
    }),
    `${what} not reached; statuses: ${JSON.stringify(statuses(node))}`,
  );
}

export function guard<T>(promise: Promise<T>, message: string, ms = GUARD_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A port nobody holds right now: bound to 0 by a throw-away socket, then freed. */
export async function freePort(): Promise<number> {
  const socket = await bindSocket(0);
  const { port } = socket.address();
  await closeSocket(socket);
  return port;
}

export function bindSocket(port: number, address = '0.0.0.0'): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

export function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/**
 * UDP sockets this process holds: a load/unload cycle must give back every one it took. A
 * closed socket's handle is released in the event loop's close phase, so let the loop turn twice.
 */
export async function udpHandles(): Promise<number> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
  return process.getActiveResourcesInfo().filter((name) => name === 'UDPWrap').length;
}

/** A flow on one tab: every node but the config nodes sits on it, as the editor would save it. */
export function onTab(nodes: readonly object[]): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    ...nodes.map((node) => ('type' in node && node.type === 'vstar-network' ? node : { z: 'tab', ...node })),
  ];
}
