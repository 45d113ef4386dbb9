/** Reconnect delays: 1 s, doubling each failed attempt, capped at 60 s (DESIGN.md §2). */
export const RECONNECT_FIRST_MS = 1000;
export const RECONNECT_MAX_MS = 60_000;

export function reconnectDelayMs(
  failedAttempts: number,
  firstMs = RECONNECT_FIRST_MS,
  maxMs = RECONNECT_MAX_MS,
): number {
  const exponent = Math.min(Math.max(failedAttempts, 0), 30);
  return Math.min(firstMs * 2 ** exponent, maxMs);
}
