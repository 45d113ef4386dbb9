import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { EventEmitter } from 'node:events';
import { type CameraLink, type LinkEvents } from '../../nodes/engine/camera-link';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const now = (): number => performance.now();

/** The value below which `q` (0..1) of the sorted samples fall (nearest rank). */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 0.5);
}

/** Runs the collector (node --expose-gc) a few times so heap figures settle. */
export async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export function hasGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

/** CPU time (user + system) this process used, in microseconds. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** CPU share of one core and wall time over `fn`'s run (or a plain wait). */
export async function measureCpu<T>(fn: () => Promise<T>): Promise<{ value: T; cpuShare: number; wallMs: number }> {
  const cpu0 = cpuMicros();
  const t0 = now();
  const value = await fn();
  const wallMs = now() - t0;
  return { value, cpuShare: (cpuMicros() - cpu0) / 1000 / wallMs, wallMs };
}

/** Resolves with the first arguments of `event`, or rejects after `guardMs`. */
export function once<T extends unknown[]>(
  emitter: EventEmitter | CameraLink,
  event: string,
  guardMs = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      if (emitter instanceof EventEmitter) emitter.off(event, listener);
      else emitter.off(event as keyof LinkEvents, listener);
      reject(new Error(`timed out waiting for '${event}'`));
    }, guardMs);
    if (emitter instanceof EventEmitter) emitter.once(event, listener);
    else emitter.once(event as keyof LinkEvents, listener);
  });
}

/** A UDP port nobody holds right now (bind 0, read, close). */
export async function freePort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '0.0.0.0', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export function bindSocket(address: string, port = 0): Promise<dgram.Socket> {
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
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function memory(): { heapUsed: number; rss: number; external: number; arrayBuffers: number } {
  const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
  return { heapUsed, rss, external, arrayBuffers };
}
