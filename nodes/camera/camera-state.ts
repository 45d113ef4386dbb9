/**
 * What one emulated camera remembers between commands: pan/tilt position and presets, the
 * white light, siren and infrared switches, its clock, and the motion alarm. Sans-I/O: every
 * method takes the current time, nothing reads a clock or arms a timer.
 */

/** Pan runs from -PAN_LIMIT to PAN_LIMIT, tilt from -TILT_LIMIT to TILT_LIMIT, in motor steps. */
export const PAN_LIMIT = 175;
export const TILT_LIMIT = 45;
/** Motor speed while a move or a patrol runs: steps per second on each axis. */
export const STEPS_PER_SECOND = 30;
/** How far one `onestep=1` command moves. */
export const ONE_STEP = 5;
/** Preset slots n = 0..15 (PROTOCOL.md §7.2). */
export const PRESET_COUNT = 16;
/** A motion alarm lasts this long, or half the period when `motionEveryMs` is shorter than twice this. */
export const MOTION_ALARM_MS = 3000;

/** `alarm_status` in `get_status.cgi`: 0 none, 1 motion (2 would be the I/O input, never raised here). */
export type AlarmStatus = 0 | 1;

export interface PtzPosition {
  readonly x: number;
  readonly y: number;
}

/** -1, 0 or +1: which way an axis moves. */
type Direction = -1 | 0 | 1;

interface Axis {
  position: number;
  direction: Direction;
  /** A patrol bounces between the limits instead of stopping at them. */
  patrolling: boolean;
  readonly limit: number;
}

export interface ClockSettings {
  /** VStarCam convention: seconds *west* of UTC, i.e. minus the UTC offset (UTC+2 is -7200). */
  readonly tz: number;
  readonly ntpEnable: boolean;
  readonly ntpServer: string;
}

export interface CameraStateOptions {
  /** An alarm starts whenever Unix time is a multiple of this; 0 = never. */
  readonly motionEveryMs: number;
}

export type PtzOutcome = 'ok' | 'unknown-command' | 'no-such-preset';

export class CameraState {
  private readonly pan: Axis = { position: 0, direction: 0, patrolling: false, limit: PAN_LIMIT };
  private readonly tilt: Axis = { position: 0, direction: 0, patrolling: false, limit: TILT_LIMIT };
  /** When the axes were last brought up to date. */
  private settledMs: number | undefined;
  private readonly presets: (PtzPosition | undefined)[] = new Array<PtzPosition | undefined>(PRESET_COUNT).fill(
    undefined,
  );
  light = false;
  siren = false;
  infrared = false;
  /** Camera time minus host time, set by `set_datetime.cgi?now=`. */
  private clockOffsetMs = 0;
  private clock: ClockSettings = { tz: 0, ntpEnable: true, ntpServer: 'time.nist.gov' };

  constructor(private readonly options: CameraStateOptions) {}

  /** Where the head points at `nowMs`, moves included; whole steps. */
  position(nowMs: number): PtzPosition {
    this.settle(nowMs);
    return { x: Math.round(this.pan.position), y: Math.round(this.tilt.position) };
  }

  isMoving(nowMs: number): boolean {
    this.settle(nowMs);
    return this.pan.direction !== 0 || this.tilt.direction !== 0;
  }

  preset(slot: number): PtzPosition | undefined {
    return this.presets[slot];
  }

  /** One `decoder_control.cgi?command=C&onestep=S` (PROTOCOL.md §7.2). */
  decoderControl(command: number, oneStep: boolean, nowMs: number): PtzOutcome {
    this.settle(nowMs);
    const move = MOVES.get(command);
    if (move) {
      const axis = move.axis === 'pan' ? this.pan : this.tilt;
      if (move.direction === 0) {
        axis.direction = 0;
        axis.patrolling = false;
      } else if (oneStep) {
        axis.position = clamp(axis.position + move.direction * ONE_STEP, axis.limit);
      } else {
        axis.direction = move.direction;
        axis.patrolling = false;
      }
      return 'ok';
    }
    switch (command) {
      case CENTRE:
        this.stop();
        this.pan.position = 0;
        this.tilt.position = 0;
        return 'ok';
      case TILT_PATROL_START:
        return this.patrol(this.tilt, true);
      case TILT_PATROL_STOP:
        return this.patrol(this.tilt, false);
      case PAN_PATROL_START:
        return this.patrol(this.pan, true);
      case PAN_PATROL_STOP:
        return this.patrol(this.pan, false);
    }
    const slot = Math.floor((command - FIRST_PRESET_COMMAND) / 2);
    if (!Number.isInteger(command) || slot < 0 || slot >= PRESET_COUNT) return 'unknown-command';
    if ((command - FIRST_PRESET_COMMAND) % 2 === 0) {
      this.presets[slot] = { x: this.pan.position, y: this.tilt.position };
      return 'ok';
    }
    const target = this.presets[slot];
    if (!target) return 'no-such-preset';
    this.stop();
    this.pan.position = target.x;
    this.tilt.position = target.y;
    return 'ok';
  }

  /** Camera time in Unix seconds. */
  nowSeconds(nowMs: number): number {
    return Math.floor((nowMs + this.clockOffsetMs) / 1000);
  }

  get clockSettings(): ClockSettings {
    return this.clock;
  }

  /** `set_datetime.cgi`: `nowSeconds` sets the clock when given; the rest replaces what is given. */
  setClock(nowMs: number, nowSeconds: number | undefined, settings: Partial<ClockSettings>): void {
    if (nowSeconds !== undefined) this.clockOffsetMs = nowSeconds * 1000 - nowMs;
    this.clock = { ...this.clock, ...settings };
  }

  /** The alarm follows host time, so every camera with the same period alarms together (deterministic in tests). */
  alarmStatus(nowMs: number): AlarmStatus {
    const period = this.options.motionEveryMs;
    if (period <= 0) return 0;
    return mod(nowMs, period) < this.alarmLengthMs() ? 1 : 0;
  }

  /** When `alarmStatus` next changes; undefined when alarms are off. */
  nextAlarmChangeMs(nowMs: number): number | undefined {
    const period = this.options.motionEveryMs;
    if (period <= 0) return undefined;
    const phase = mod(nowMs, period);
    const start = nowMs - phase;
    const length = this.alarmLengthMs();
    return phase < length ? start + length : start + period;
  }

  private alarmLengthMs(): number {
    return Math.max(1, Math.min(MOTION_ALARM_MS, Math.floor(this.options.motionEveryMs / 2)));
  }

  private patrol(axis: Axis, start: boolean): PtzOutcome {
    if (start) {
      axis.patrolling = true;
      // Starts towards the far limit, so a patrol from the centre goes right (or up) first.
      axis.direction = axis.position >= axis.limit ? -1 : 1;
    } else {
      axis.patrolling = false;
      axis.direction = 0;
    }
    return 'ok';
  }

  private stop(): void {
    for (const axis of [this.pan, this.tilt]) {
      axis.direction = 0;
      axis.patrolling = false;
    }
  }

  /** Moves the axes on to `nowMs`. Time that runs backwards moves nothing. */
  private settle(nowMs: number): void {
    const elapsedMs = this.settledMs === undefined ? 0 : Math.max(0, nowMs - this.settledMs);
    this.settledMs = this.settledMs === undefined ? nowMs : Math.max(this.settledMs, nowMs);
    const distance = (elapsedMs * STEPS_PER_SECOND) / 1000;
    for (const axis of [this.pan, this.tilt]) advance(axis, distance);
  }
}

function advance(axis: Axis, distance: number): void {
  if (axis.direction === 0 || distance === 0) return;
  if (!axis.patrolling) {
    axis.position = clamp(axis.position + axis.direction * distance, axis.limit);
    // A move that reached its limit has stopped, as the motor does.
    if (Math.abs(axis.position) >= axis.limit) axis.direction = 0;
    return;
  }
  // A patrol is a triangle wave: unfold the bounce into a circle of length 4 * limit.
  const span = 2 * axis.limit;
  if (span === 0) return;
  const offset = axis.position + axis.limit;
  const unfolded = axis.direction > 0 ? offset : 2 * span - offset;
  const moved = mod(unfolded + distance, 2 * span);
  if (moved <= span) {
    axis.position = moved - axis.limit;
    axis.direction = 1;
  } else {
    axis.position = 2 * span - moved - axis.limit;
    axis.direction = -1;
  }
}

function clamp(value: number, limit: number): number {
  return Math.min(limit, Math.max(-limit, value));
}

function mod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

const CENTRE = 25;
const TILT_PATROL_START = 26;
const TILT_PATROL_STOP = 27;
const PAN_PATROL_START = 28;
const PAN_PATROL_STOP = 29;
/** 30 + 2n sets preset n, 31 + 2n goes to it. */
const FIRST_PRESET_COMMAND = 30;

/** Commands 0..7: start/stop up, down, left, right. Up and right are the positive directions. */
const MOVES: ReadonlyMap<number, { readonly axis: 'pan' | 'tilt'; readonly direction: Direction }> = new Map([
  [0, { axis: 'tilt', direction: 1 }],
  [1, { axis: 'tilt', direction: 0 }],
  [2, { axis: 'tilt', direction: -1 }],
  [3, { axis: 'tilt', direction: 0 }],
  [4, { axis: 'pan', direction: -1 }],
  [5, { axis: 'pan', direction: 0 }],
  [6, { axis: 'pan', direction: 1 }],
  [7, { axis: 'pan', direction: 0 }],
]);
