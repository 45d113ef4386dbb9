import { EventEmitter } from 'node:events';
import type dgram from 'node:dgram';
import { type Address } from '../wire/address';
import { type CameraAction, type SessionCloseReason, type Via } from './actions';
import { type CameraMachine } from './camera-machine';
import { type CameraStats } from './stats';
import { bindUdp, closeUdp } from './udp';

/** What a camera needs from the host that runs it. */
export interface CameraHost {
  now(): number;
  /** The camera's next wake time may have changed. */
  reschedule(camera: EmulatedCamera): void;
  newHttpPort(current: number): number;
}

/** The identity a client needs to reach one emulated camera; printed by `vstar-sim`. */
export interface CameraInfo {
  readonly uid: string;
  readonly did: string;
  readonly ip: string;
  readonly mac: string;
  readonly httpPort: number;
  readonly sessionPort: number;
}

export interface EmulatedCameraStats extends CameraStats {
  /** Datagrams the OS refused to send (e.g. no route): counted, never thrown. */
  sendErrors: number;
  /** Socket errors and handler failures; a non-zero value is a bug worth a look. */
  hostErrors: number;
}

export interface EmulatedCameraEvents {
  session: [peer: Address];
  'session-closed': [peer: Address, reason: SessionCloseReason];
}

/**
 * One emulated camera on real sockets: `ip:dhPort` and `ip:searchPort` (shared ports, SO_REUSEADDR,
 * for unicast to this camera) and `ip:<ephemeral>` for its PPPP session. Broadcasts reach it
 * through the host's wildcard sockets. Every reply leaves from this camera's own address.
 */
export class EmulatedCamera extends EventEmitter<EmulatedCameraEvents> {
  private dhSocket: dgram.Socket | undefined;
  private searchSocket: dgram.Socket | undefined;
  private sessionSocket: dgram.Socket | undefined;
  private sendErrors = 0;
  private hostErrors = 0;
  private closing: Promise<void> | undefined;
  /** Reboots and power changes run one at a time, and `close` waits for the one in flight. */
  private busy: Promise<void> = Promise.resolve();

  constructor(
    readonly index: number,
    readonly machine: CameraMachine,
    private readonly host: CameraHost,
  ) {
    super();
  }

  get uid(): string {
    return this.machine.uid;
  }

  get did(): string {
    return this.machine.did;
  }

  get ip(): string {
    return this.machine.config.ip;
  }

  get mac(): string {
    return this.machine.config.mac;
  }

  get httpPort(): number {
    return this.machine.httpPort;
  }

  get sessionPort(): number {
    return this.sessionSocket?.address().port ?? 0;
  }

  get stats(): Readonly<EmulatedCameraStats> {
    return { ...this.machine.stats, sendErrors: this.sendErrors, hostErrors: this.hostErrors };
  }

  info(): CameraInfo {
    const { uid, did, ip, mac, httpPort, sessionPort } = this;
    return { uid, did, ip, mac, httpPort, sessionPort };
  }

  /** Binds the camera's three sockets; on failure closes whatever was bound and rejects. */
  async open(dhPort: number, searchPort: number): Promise<void> {
    try {
      this.dhSocket = await this.bind(dhPort, true, 'dh');
      // The DH reply's second copy goes to the broadcast address.
      this.dhSocket.setBroadcast(true);
      this.searchSocket = await this.bind(searchPort, true, 'search');
      this.sessionSocket = await this.bind(0, false, 'session');
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** A datagram for this camera, from its own sockets or fanned out by the host's wildcard sockets. */
  handle(via: Via, data: Buffer, from: Address): void {
    if (this.closing) return;
    try {
      this.perform(this.machine.receive(via, data, from, this.host.now()));
    } catch (err) {
      this.fault(err);
    }
    this.host.reschedule(this);
  }

  tick(nowMs: number): void {
    if (this.closing) return;
    try {
      this.perform(this.machine.tick(nowMs));
    } catch (err) {
      this.fault(err);
    }
    this.host.reschedule(this);
  }

  powerOff(): Promise<void> {
    return this.serially(async () => this.perform(this.machine.powerOff()));
  }

  powerOn(): Promise<void> {
    return this.serially(async () => this.machine.powerOn());
  }

  /**
   * Reboots like real firmware: sessions vanish without a word, the web server moves to a new
   * HTTP port and PPPP to a new session port. Resolves once the new session socket listens.
   */
  reboot(): Promise<void> {
    return this.serially(async () => {
      this.perform(this.machine.reboot(this.host.newHttpPort(this.machine.httpPort)));
      // Dark while the socket moves: nothing may answer from the old session port.
      this.machine.powerOff();
      try {
        const old = this.sessionSocket;
        old?.removeAllListeners('message');
        // Bound before the old one closes, so the kernel cannot hand back the same port.
        this.sessionSocket = await this.bind(0, false, 'session');
        if (old) await closeUdp(old);
      } finally {
        this.machine.powerOn();
      }
    });
  }

  closeSessions(): void {
    this.perform(this.machine.closeSessions(this.host.now()));
    this.host.reschedule(this);
  }

  setReplyDelay(ms: number): void {
    this.machine.setReplyDelay(ms);
  }

  setDropRate(fraction: number): void {
    this.machine.setDropRate(fraction);
  }

  setPassphrase(passphrase: string | undefined): void {
    this.machine.setPassphrase(passphrase);
  }

  /** Closes the camera's sockets; resolves when each has emitted `close`. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.busy.catch(() => undefined);
      const sockets = [this.dhSocket, this.searchSocket, this.sessionSocket];
      this.dhSocket = this.searchSocket = this.sessionSocket = undefined;
      await Promise.all(sockets.map((s) => (s ? closeUdp(s) : undefined)));
    })();
    return this.closing;
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.busy.then(async () => {
      if (this.closing) throw new Error(`camera ${this.uid} is closed`);
      await task();
      this.host.reschedule(this);
    });
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async bind(port: number, reuseAddr: boolean, via: Via): Promise<dgram.Socket> {
    const socket = await bindUdp(this.ip, port, reuseAddr, (err) => this.fault(err));
    socket.on('message', (data, rinfo) => this.handle(via, data, { address: rinfo.address, port: rinfo.port }));
    return socket;
  }

  private perform(actions: readonly CameraAction[]): void {
    for (const action of actions) {
      switch (action.kind) {
        case 'send':
          this.send(action.via, action.to, action.data);
          break;
        case 'session-opened':
          this.emit('session', action.peer);
          break;
        case 'session-closed':
          this.emit('session-closed', action.peer, action.reason);
          break;
        case 'reboot-requested':
          // Queued behind any power change in flight; a camera closed meanwhile just stays closed.
          this.reboot().catch(() => undefined);
          break;
      }
    }
  }

  private send(via: Via, to: Address, data: Buffer): void {
    const socket = via === 'dh' ? this.dhSocket : via === 'search' ? this.searchSocket : this.sessionSocket;
    if (!socket) return;
    try {
      socket.send(data, to.port, to.address, (err) => {
        if (err) this.sendErrors++;
      });
    } catch {
      // A socket closing under us, or an address the OS rejects outright.
      this.sendErrors++;
    }
  }

  private fault(err: unknown): void {
    this.hostErrors++;
    process.emitWarning(`vstar camera emulator ${this.uid}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
