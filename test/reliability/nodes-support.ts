// Shared pieces of the node-level reliability tests (test/reliability/nodes-*.test.ts): what the
// test helper's spies saw (log lines, node.error calls, sends), resource and heap figures, and a
// tracker that proves no node sends and no helper node receives after it was closed.
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { type Node, type NodeMessage } from 'node-red';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { type CameraConfig } from '../../nodes/camera/config';
import { Endpoint } from '../../nodes/engine/endpoint';
import { LOOPBACK_BROADCAST, guard, helper } from '../nodes/fixtures';

export interface SpyCall {
  readonly thisValue: unknown;
  readonly args: unknown[];
}

interface Spy {
  readonly callCount: number;
  getCalls(): SpyCall[];
}

function asSpy(method: unknown): Spy | undefined {
  const spy = method as Partial<Spy> | undefined;
  return spy && typeof spy.getCalls === 'function' ? (spy as Spy) : undefined;
}

/**
 * One of the methods the helper spies on Node.prototype (send, error, warn, log, status, ...),
 * looked up on the prototype: a node without wires has a no-op `send` of its own.
 */
export function prototypeSpy(node: Node, method: 'send' | 'error' | 'warn' | 'log' | 'status' | 'debug'): Spy {
  const proto = Object.getPrototypeOf(node) as Record<string, unknown>;
  const spy = asSpy(proto[method]);
  if (!spy) throw new Error(`Node.prototype.${method} is not spied on: is a flow loaded?`);
  return spy;
}

/** Calls of a spied method made on one node. */
export function callsOn(node: Node, method: 'send' | 'error' | 'warn' | 'log' | 'status' | 'debug'): unknown[][] {
  return prototypeSpy(node, method)
    .getCalls()
    .filter((c) => c.thisValue === node)
    .map((c) => c.args);
}

/** A line RED.log was asked to write, with its level (20 error, 30 warn, 40 info, 50 debug). */
export interface LogLine {
  readonly level: number;
  readonly id: string;
  readonly type: string;
  readonly text: string;
}

/** Every RED.log call since the last `helper.load` (the helper spies on RED.log.log). */
export function logLines(): LogLine[] {
  const spy = asSpy((helper as unknown as { log(): unknown }).log());
  if (!spy) return [];
  return spy.getCalls().map((call) => {
    const entry = (call.args[0] ?? {}) as { level?: unknown; id?: unknown; type?: unknown; msg?: unknown };
    return {
      level: typeof entry.level === 'number' ? entry.level : 0,
      id: String(entry.id ?? ''),
      type: String(entry.type ?? ''),
      text: textOf(entry.msg),
    };
  });
}

/**
 * The helper keeps its spy on RED.log (and every call it recorded, stack traces included) until
 * the next `helper.load`: a test measuring the heap after an unload forgets that history first.
 */
export function forgetLogHistory(): void {
  const spy = (helper as unknown as { log(): { resetHistory?: () => void } | undefined }).log();
  spy?.resetHistory?.();
}

export const LOG_ERROR = 20;
export const LOG_WARN = 30;

export function textOf(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Counts of the resources that keep the loop alive, after the loop turned twice (closed handles are freed in the close phase). */
export async function resources(): Promise<{ udp: number; timeout: number; all: string[] }> {
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
  const all = process.getActiveResourcesInfo();
  return {
    udp: all.filter((name) => name === 'UDPWrap').length,
    timeout: all.filter((name) => name === 'Timeout').length,
    all,
  };
}

/**
 * `global.gc` when node runs with --expose-gc; otherwise the V8 flag is set at run time and the
 * function fetched from a fresh context. Undefined when neither works (then heap is only reported).
 */
export function collector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as () => void;
  try {
    v8.setFlagsFromString('--expose-gc');
    const fetched: unknown = runInNewContext('gc');
    return typeof fetched === 'function' ? (fetched as () => void) : undefined;
  } catch {
    return undefined;
  }
}

/** Heap in use after full collections (several, with loop turns between, so weak callbacks and finalizers run). */
export async function settledHeap(gc: (() => void) | undefined): Promise<number> {
  for (let round = 0; round < 4; round++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/**
 * Watches node objects across deploys: when each closed (by the send spy's call count at that
 * moment) and every message a helper node received, so the test can show that nothing was sent
 * by, or delivered to, a node after its close.
 */
export class CloseTracker {
  private readonly closedAt = new Map<Node, number>();
  private readonly watched = new Set<Node>();
  /** Messages a helper node received after it had closed. */
  readonly lateDeliveries: { id: string; event: unknown }[] = [];
  /** Every message helper nodes received, in order. */
  readonly received: NodeMessage[] = [];

  /** Starts watching a deployed node object (a no-op for one already watched). */
  watch(node: Node, isHelper: boolean): void {
    if (this.watched.has(node)) return;
    this.watched.add(node);
    const send = prototypeSpy(node, 'send');
    node.on('close', () => {
      this.closedAt.set(node, send.callCount);
    });
    if (isHelper) {
      node.on('input', (msg: NodeMessage) => {
        this.received.push(msg);
        if (this.closedAt.has(node)) this.lateDeliveries.push({ id: node.id, event: msg.event });
      });
    }
  }

  get nodesWatched(): number {
    return this.watched.size;
  }

  get nodesClosed(): number {
    return this.closedAt.size;
  }

  /** Sends (through the helper's spy on Node.prototype.send) made by a node after its close. */
  lateSends(send: Spy): { id: string; type: string }[] {
    const late: { id: string; type: string }[] = [];
    send.getCalls().forEach((call, index) => {
      const node = call.thisValue as Node;
      const closedAt = this.closedAt.get(node);
      if (closedAt !== undefined && index >= closedAt) late.push({ id: node.id, type: node.type });
    });
    return late;
  }
}

/** An emulator whose cameras live at `firstAddress` (127.x, distinct per test file) and broadcast to loopback. */
export function startCameras(firstAddress: string, cameras: readonly Partial<CameraConfig>[]): Promise<CameraEmulator> {
  return CameraEmulator.start({
    cameras,
    firstAddress,
    dhPort: 0,
    searchPort: 0,
    broadcastAddress: LOOPBACK_BROADCAST,
  });
}

/** Sessions the emulated cameras hold right now. */
export function cameraSessions(emu: CameraEmulator): number {
  return emu.cameras.reduce((sum, camera) => sum + camera.machine.sessionPeers().length, 0);
}

/** Resolves once no emulated camera holds a session (each ends by CLOSE or by silence). */
export function sessionsGone(emu: CameraEmulator): Promise<void> {
  if (cameraSessions(emu) === 0) return Promise.resolve();
  return guard(
    new Promise((resolve) => {
      const listener = (): void => {
        if (cameraSessions(emu) !== 0) return;
        emu.off('session-closed', listener);
        resolve();
      };
      emu.on('session-closed', listener);
    }),
    `camera sessions still open: ${cameraSessions(emu)}`,
  );
}

/**
 * A scan from an endpoint of the test's own: time passes by an event (a leaked node timer would
 * fire meanwhile, the emulator's own timer runs out) and it shows the cameras still answer.
 */
export async function independentScan(emu: CameraEmulator, windowMs: number): Promise<number> {
  const endpoint = new Endpoint({ targets: [LOOPBACK_BROADCAST], dhPort: emu.dhPort, searchPort: emu.searchPort });
  try {
    await endpoint.ready();
    return (await endpoint.scan(windowMs)).cameras.length;
  } finally {
    await endpoint.close();
  }
}
