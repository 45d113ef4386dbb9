import { EventEmitter } from 'node:events';
import type dgram from 'node:dgram';
import { type Address } from '../wire/address';
import { normalizeUid } from '../wire/did';
import { type SessionCloseReason, type Via } from './actions';
import { CameraMachine } from './camera-machine';
import { type CameraConfig, type CameraConfigInput } from './config';
import { MAX_CAMERAS, defaultIdentity, randomHttpPort } from './defaults';
import { type CameraHost, EmulatedCamera } from './emulated-camera';
import { addressRange } from './ipv4';
import { forEachLimit } from './parallel';
import { bindUdp, closeUdp, reserveFreePort } from './udp';
import { WakeQueue } from './wake-queue';

export { EmulatedCamera, type CameraInfo, type EmulatedCameraStats } from './emulated-camera';
export { MAX_CAMERAS } from './defaults';

/** Binds in flight at once: enough to start 1000 cameras quickly without a burst of thousands of pending binds. */
const BIND_CONCURRENCY = 64;
/** setTimeout's largest delay; later wake-ups are re-armed when this one fires. */
const MAX_TIMER_MS = 0x7fffffff;

export interface EmulatorOptions {
  /** How many cameras, or one partial config per camera (missing fields get generated defaults). Default 1. */
  readonly cameras?: number | readonly Partial<CameraConfig>[];
  /** Camera i listens on this address plus i, counting up across octets. Default 127.0.0.2. */
  readonly firstAddress?: string;
  /** DH search port; 0 picks a free one. Default 8600. */
  readonly dhPort?: number;
  /** PPPP LAN search port; 0 picks a free one. Default 32108. */
  readonly searchPort?: number;
  /** Where DH reply copies go. Default 127.255.255.255. */
  readonly broadcastAddress?: string;
  /** Encrypt every camera that has no passphrase of its own. */
  readonly passphrase?: string;
  /** Random source for HTTP ports and drop decisions. Default Math.random. */
  readonly random?: () => number;
}

export interface CameraEmulatorEvents {
  session: [camera: EmulatedCamera, peer: Address];
  'session-closed': [camera: EmulatedCamera, peer: Address, reason: SessionCloseReason];
}

/**
 * Runs N emulated cameras on loopback. Linux delivers a broadcast to 127.255.255.255 only to
 * sockets bound to the wildcard (or to the broadcast address itself), and unicast to 127.0.0.N
 * to the socket bound to exactly that address when there is one. So the host holds one wildcard
 * socket per well-known port, which hands every datagram to every camera, and each camera binds
 * its own address for unicast and replies. One timer serves every camera.
 */
export class CameraEmulator extends EventEmitter<CameraEmulatorEvents> implements CameraHost {
  readonly cameras: readonly EmulatedCamera[];
  private readonly wildcard: dgram.Socket[] = [];
  private readonly wakes = new WakeQueue();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly dhPort: number,
    readonly searchPort: number,
    configs: readonly CameraConfigInput[],
    private readonly random: () => number,
  ) {
    super();
    this.cameras = configs.map((config, index) => {
      const camera = new EmulatedCamera(index, new CameraMachine(config, random), this);
      camera.on('session', (peer) => this.emit('session', camera, peer));
      camera.on('session-closed', (peer, reason) => this.emit('session-closed', camera, peer, reason));
      return camera;
    });
  }

  /** Binds every socket; resolves once every camera listens. On any failure closes what was bound and rejects. */
  static async start(options: EmulatorOptions = {}): Promise<CameraEmulator> {
    const random = options.random ?? Math.random;
    const configs = cameraConfigs(options, random);
    const dhPort = await portFor(options.dhPort ?? 8600);
    const searchPort = await portFor(options.searchPort ?? 32108);
    const emulator = new CameraEmulator(dhPort, searchPort, configs, random);
    try {
      await emulator.listen();
    } catch (err) {
      await emulator.close();
      throw err;
    }
    return emulator;
  }

  /** A camera by index, or by UID in either spelling. */
  camera(uidOrIndex: string | number): EmulatedCamera | undefined {
    if (typeof uidOrIndex === 'number') return this.cameras[uidOrIndex];
    const uid = normalizeUid(uidOrIndex);
    return this.cameras.find((c) => c.uid === uid);
  }

  /** Closes every socket and the timer; resolves when every socket has emitted `close`. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.disarm();
      const sockets = this.wildcard.splice(0);
      await Promise.all([...sockets.map(closeUdp), ...this.cameras.map((c) => c.close())]);
      this.disarm();
      await handlesReleased();
    })();
    return this.closing;
  }

  now(): number {
    return Date.now();
  }

  reschedule(camera: EmulatedCamera): void {
    if (this.closing) return;
    this.wakes.set(camera.index, camera.machine.nextWakeMs());
    this.arm();
  }

  newHttpPort(current: number): number {
    return randomHttpPort(this.random, current);
  }

  private async listen(): Promise<void> {
    for (const [port, via] of [
      [this.dhPort, 'dh'],
      [this.searchPort, 'search'],
    ] as const) {
      const socket = await bindUdp('0.0.0.0', port, true, (err) => this.socketError(err));
      this.wildcard.push(socket);
      socket.on('message', (data, rinfo) => this.fanOut(via, data, { address: rinfo.address, port: rinfo.port }));
    }
    await forEachLimit(this.cameras, BIND_CONCURRENCY, (c) => c.open(this.dhPort, this.searchPort));
  }

  /**
   * A datagram on a wildcard socket was broadcast, or sent to a 127.x address no camera holds:
   * Node cannot tell which, so every camera sees it, as every camera on a LAN sees a broadcast.
   */
  private fanOut(via: Via, data: Buffer, from: Address): void {
    for (const camera of this.cameras) camera.handle(via, data, from);
  }

  private arm(): void {
    const due = this.wakes.peekDueMs();
    if (due === undefined) {
      this.disarm();
      return;
    }
    if (this.timer && this.armedFor <= due) return;
    this.disarm();
    this.armedFor = due;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_TIMER_MS, Math.max(0, due - this.now())));
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = this.now();
    for (const index of this.wakes.takeDue(now)) this.cameras[index]?.tick(now);
    this.arm();
  }

  private socketError(err: Error): void {
    process.emitWarning(`vstar camera emulator: ${err.message}`);
  }
}

/**
 * dgram emits `close` when libuv is asked to close the handle; libuv frees it in the loop's close
 * phase, which has certainly run once two check phases (setImmediate) have passed. Without this,
 * a caller checking for leaked handles right after `close()` would still see every socket.
 */
async function handlesReleased(): Promise<void> {
  for (let hop = 0; hop < 2; hop++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function portFor(requested: number): Promise<number> {
  if (!Number.isInteger(requested) || requested < 0 || requested > 0xffff) {
    throw new RangeError(`port must be an integer in [0, 65535], got ${requested}`);
  }
  return requested === 0 ? reserveFreePort('0.0.0.0') : requested;
}

function cameraConfigs(options: EmulatorOptions, random: () => number): CameraConfigInput[] {
  const given = options.cameras ?? 1;
  if (typeof given === 'number' && (!Number.isInteger(given) || given < 1 || given > MAX_CAMERAS)) {
    throw new RangeError(`cameras must be an integer between 1 and ${MAX_CAMERAS}, got ${given}`);
  }
  const partials: readonly Partial<CameraConfig>[] =
    typeof given === 'number' ? Array.from({ length: given }, () => ({})) : given;
  if (partials.length < 1 || partials.length > MAX_CAMERAS) {
    throw new RangeError(`cameras must list between 1 and ${MAX_CAMERAS} configs`);
  }
  const addresses = addressRange(options.firstAddress ?? '127.0.0.2', partials.length);
  if (!addresses) throw new RangeError(`no room for ${partials.length} addresses from ${options.firstAddress}`);
  return partials.map((partial, index) => {
    const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
    return {
      ...defaultIdentity(index),
      ip: addresses[index] ?? '127.0.0.2',
      httpPort: randomHttpPort(random),
      broadcastAddress: options.broadcastAddress ?? '127.255.255.255',
      passphrase: options.passphrase,
      ...defined,
    };
  });
}
