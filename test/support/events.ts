import { EventEmitter } from 'node:events';
import { type CameraLink, type LinkEvents } from '../../nodes/engine/camera-link';

/**
 * Resolves with the arguments of the next `event` for which `accept` is true. The timeout is a
 * guard so a broken build fails instead of hanging; tests never wait on time otherwise.
 */
export function nextEvent<T extends unknown[]>(
  emitter: EventEmitter | CameraLink,
  event: string,
  accept: (...args: T) => boolean = () => true,
  guardMs = 15_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (!accept(...(args as T))) return;
      cleanup();
      resolve(args as T);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for '${event}'`));
    }, guardMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      if (emitter instanceof EventEmitter) emitter.off(event, listener);
      else emitter.off(event as keyof LinkEvents, listener);
    };
    if (emitter instanceof EventEmitter) emitter.on(event, listener);
    else emitter.on(event as keyof LinkEvents, listener);
  });
}
