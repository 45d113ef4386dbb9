import { EventEmitter } from 'node:events';
import { defaultIdentity } from './defaults';
import { type EmulatedCamera } from './emulated-camera';
import { CameraEmulator } from './emulator';
import { addressRange } from './ipv4';

/**
 * The emulated LAN of `npm start`: three cameras that stay, plus a script that loops forever so
 * that whoever opens the editor, whenever, sees every event the nodes can send within a minute.
 * `discovered` only fires on a node's first sighting of a UID, so each cycle brings a visitor
 * with a UID never seen before; `conflict` needs a UID answering from two addresses, so a clone
 * of camera 3 comes by; `lost` needs a silence longer than the heartbeat window, so camera 1
 * loses power for longer than that, then boots (new HTTP port: `changed`).
 *
 * Visitor and clone each run in an emulator of their own on the same UDP ports: broadcasts reach
 * every wildcard socket bound with SO_REUSEADDR, so they join the LAN without the main emulator
 * knowing, and leave it by closing.
 */

export type DemoLanAction =
  'visitor-joins' | 'visitor-leaves' | 'clone-joins' | 'clone-leaves' | 'power-off' | 'power-on';

export interface DemoLanStep {
  /** Offset from the start of the cycle. */
  readonly atMs: number;
  readonly action: DemoLanAction;
  /** What the step makes the demo flow say, for the terminal's timeline. */
  readonly shows: string;
}

/**
 * Shorter than a minute even with a scan interval (10 s) added, so every event recurs within any
 * 60 s window. Offsets suit the demo flow's timings: scans every 10 s, heartbeat every 3 s with
 * 2 misses (lost after ~6-9 s), session timeout 5 s.
 */
export const DEMO_CYCLE_MS = 45_000;

export const DEMO_SCHEDULE: readonly DemoLanStep[] = [
  { atMs: 0, action: 'visitor-joins', shows: 'a visitor camera with a new UID joins for 20 s: discovered' },
  { atMs: 12_000, action: 'clone-joins', shows: 'a clone of camera 3 (same UID) joins for 12 s: conflict' },
  { atMs: 20_000, action: 'visitor-leaves', shows: 'the visitor leaves' },
  { atMs: 24_000, action: 'clone-leaves', shows: 'the clone leaves' },
  {
    atMs: 25_000,
    action: 'power-off',
    shows: 'camera 1 loses power for 16 s: lost (heartbeat), disconnected (session)',
  },
  {
    atMs: 41_000,
    action: 'power-on',
    shows: 'camera 1 boots on a new HTTP port: changed, connected, restored',
  },
];

/** The index of camera 1 (loses power) and camera 3 (cloned) among the steady cameras. */
const POWER_CAMERA = 0;
const CLONED_CAMERA = 2;
const STEADY_CAMERAS = 3;

export interface DemoLanOptions {
  /** Steady cameras on this address and the next two; the visitor and the clone on the two after. Default 127.0.0.2. */
  readonly firstAddress?: string;
  /** 0 picks a free port. Default 8600. */
  readonly dhPort?: number;
  /** 0 picks a free port. Default 32108. */
  readonly searchPort?: number;
  readonly broadcastAddress?: string;
  readonly cycleMs?: number;
  readonly schedule?: readonly DemoLanStep[];
}

export interface DemoLanEvents {
  /** A step has been carried out; `detail` names what it made (UID, address, new HTTP port). */
  step: [step: DemoLanStep, cycle: number, detail: string];
  /** A step failed; the script carries on with the next one. */
  error: [error: Error];
}

export class DemoLan extends EventEmitter<DemoLanEvents> {
  private visitor: CameraEmulator | undefined;
  private clone: CameraEmulator | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private next = 0;
  private readonly startedAt = Date.now();

  private constructor(
    readonly steady: CameraEmulator,
    private readonly addresses: { readonly visitor: string; readonly clone: string },
    private readonly broadcastAddress: string | undefined,
    readonly cycleMs: number,
    readonly schedule: readonly DemoLanStep[],
  ) {
    super();
  }

  /** Starts the steady cameras and the script (its first step at once). */
  static async start(options: DemoLanOptions = {}): Promise<DemoLan> {
    const addresses = addressRange(options.firstAddress ?? '127.0.0.2', STEADY_CAMERAS + 2);
    const [visitor, clone] = addresses?.slice(STEADY_CAMERAS) ?? [];
    if (visitor === undefined || clone === undefined) throw new RangeError(`no room for the demo LAN's addresses`);
    const cycleMs = options.cycleMs ?? DEMO_CYCLE_MS;
    const schedule = [...(options.schedule ?? DEMO_SCHEDULE)].sort((a, b) => a.atMs - b.atMs);
    if (schedule.some((s) => s.atMs < 0 || s.atMs >= cycleMs))
      throw new RangeError('every step must fall inside the cycle');
    const steady = await CameraEmulator.start({
      cameras: STEADY_CAMERAS,
      firstAddress: options.firstAddress,
      dhPort: options.dhPort,
      searchPort: options.searchPort,
      broadcastAddress: options.broadcastAddress,
    });
    const lan = new DemoLan(steady, { visitor, clone }, options.broadcastAddress, cycleMs, schedule);
    lan.arm();
    return lan;
  }

  get dhPort(): number {
    return this.steady.dhPort;
  }

  get searchPort(): number {
    return this.steady.searchPort;
  }

  /** Every camera on the LAN right now: the steady ones, then the visitor and the clone when present. */
  cameras(): EmulatedCamera[] {
    return [this.steady, this.visitor, this.clone].flatMap((e) => (e ? [...e.cameras] : []));
  }

  /** Stops the script, waits for the step in flight, closes every camera. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      await this.running;
      await Promise.all([this.visitor?.close(), this.clone?.close(), this.steady.close()]);
      this.visitor = this.clone = undefined;
    })();
    return this.closing;
  }

  private arm(): void {
    if (this.closing) return;
    const cycle = Math.floor(this.next / this.schedule.length);
    const step = this.schedule[this.next % this.schedule.length];
    if (!step) return;
    const due = this.startedAt + cycle * this.cycleMs + step.atMs;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.next++;
        this.running = this.perform(step, cycle).then(
          (detail) => {
            if (!this.closing) this.emit('step', step, cycle, detail);
          },
          (err: unknown) => {
            if (!this.closing) this.emit('error', err instanceof Error ? err : new Error(String(err)));
          },
        );
        void this.running.then(() => this.arm());
      },
      Math.max(0, due - Date.now()),
    );
  }

  private async perform(step: DemoLanStep, cycle: number): Promise<string> {
    const powerCamera = this.steady.cameras[POWER_CAMERA];
    const cloned = this.steady.cameras[CLONED_CAMERA];
    if (!powerCamera || !cloned) return '';
    switch (step.action) {
      case 'visitor-joins': {
        await this.visitor?.close();
        // A UID no earlier cycle used, so a discover node announces it as new.
        const identity = defaultIdentity(STEADY_CAMERAS + cycle);
        this.visitor = await this.join(this.addresses.visitor, { ...identity, name: `Visitor ${cycle + 1}` });
        return `${identity.uid} at ${this.addresses.visitor}`;
      }
      case 'visitor-leaves':
        await this.visitor?.close();
        this.visitor = undefined;
        return '';
      case 'clone-joins': {
        await this.clone?.close();
        const { uid, mac, name } = cloned.machine.config;
        this.clone = await this.join(this.addresses.clone, { uid, mac, name });
        return `${uid} at ${this.addresses.clone} beside ${cloned.ip}`;
      }
      case 'clone-leaves':
        await this.clone?.close();
        this.clone = undefined;
        return '';
      case 'power-off':
        await powerCamera.powerOff();
        return powerCamera.uid;
      case 'power-on':
        // A camera that boots picks a new web-server port, as after a reboot.
        await powerCamera.reboot();
        return `${powerCamera.uid}, HTTP port ${powerCamera.httpPort}`;
    }
  }

  private join(address: string, identity: { uid: string; mac: string; name: string }): Promise<CameraEmulator> {
    return CameraEmulator.start({
      cameras: [identity],
      firstAddress: address,
      dhPort: this.steady.dhPort,
      searchPort: this.steady.searchPort,
      broadcastAddress: this.broadcastAddress,
    });
  }
}
