import { type CameraSpec, parseCameraSpec } from '../engine/camera-spec';
import { CheckList, checkBoolean, checkChoice, checkNumber } from './validate';

/** Properties of the nodes that use a network, as flow files store them (DESIGN.md §2). */
export interface DiscoverProperties {
  readonly network?: unknown;
  readonly interval?: unknown;
  readonly window?: unknown;
  readonly output?: unknown;
  readonly includeSecrets?: unknown;
}

export interface DiscoverConfig {
  /** Seconds between scans; 0 = only on input. */
  readonly intervalS: number;
  readonly windowMs: number;
  readonly output: 'each' | 'list';
  readonly includeSecrets: boolean;
}

export interface SessionProperties {
  readonly network?: unknown;
  readonly camera?: unknown;
  readonly autoConnect?: unknown;
  readonly reconnect?: unknown;
}

export interface SessionNodeConfig {
  readonly spec: CameraSpec;
  readonly autoConnect: boolean;
  readonly reconnect: boolean;
}

export interface HeartbeatProperties {
  readonly network?: unknown;
  readonly camera?: unknown;
  readonly interval?: unknown;
  readonly misses?: unknown;
}

export interface HeartbeatNodeConfig {
  readonly spec: CameraSpec;
  readonly intervalMs: number;
  readonly misses: number;
}

export type Parsed<T> = { readonly ok: true; readonly config: T } | { readonly ok: false; readonly error: string };

const DAY_S = 24 * 3600;

export function parseDiscoverConfig(props: DiscoverProperties): Parsed<DiscoverConfig> {
  const check = new CheckList();
  const intervalS = check.take(checkNumber('interval', props.interval, 0, { min: 0, max: DAY_S }), 0);
  const windowMs = check.take(
    checkNumber('window', props.window, 2000, { min: 100, max: 60_000, integer: true }),
    2000,
  );
  const output = check.take(checkChoice('output', props.output, ['each', 'list'] as const, 'each'), 'each');
  const includeSecrets = check.take(checkBoolean('includeSecrets', props.includeSecrets, false), false);
  if (intervalS > 0 && intervalS * 1000 < windowMs) {
    check.errors.push(`interval (${intervalS} s) must be at least the scan window (${windowMs} ms)`);
  }
  if (check.errors.length > 0) return { ok: false, error: check.errors.join('; ') };
  return { ok: true, config: { intervalS, windowMs, output, includeSecrets } };
}

export function parseSessionConfig(props: SessionProperties): Parsed<SessionNodeConfig> {
  const check = new CheckList();
  const spec = checkSpec(check, props.camera);
  const autoConnect = check.take(checkBoolean('autoConnect', props.autoConnect, true), true);
  const reconnect = check.take(checkBoolean('reconnect', props.reconnect, true), true);
  if (check.errors.length > 0 || !spec) return { ok: false, error: check.errors.join('; ') };
  return { ok: true, config: { spec, autoConnect, reconnect } };
}

export function parseHeartbeatConfig(props: HeartbeatProperties): Parsed<HeartbeatNodeConfig> {
  const check = new CheckList();
  const spec = checkSpec(check, props.camera);
  const intervalS = check.take(
    checkNumber('interval', props.interval, 5, { min: 0, exclusiveMin: true, max: DAY_S }),
    5,
  );
  const misses = check.take(checkNumber('misses', props.misses, 3, { min: 1, max: 1000, integer: true }), 3);
  if (check.errors.length > 0 || !spec) return { ok: false, error: check.errors.join('; ') };
  return { ok: true, config: { spec, intervalMs: Math.max(1, Math.round(intervalS * 1000)), misses } };
}

function checkSpec(check: CheckList, camera: unknown): CameraSpec | undefined {
  const parsed = parseCameraSpec(camera);
  if (parsed.ok) return parsed.spec;
  check.errors.push(parsed.error);
  return undefined;
}
