// Shared pieces of the reliability tests: endpoints aimed at an emulator on loopback, a recorder
// that checks a link's event sequence, and loopback-only UDP sockets for fakes and attackers.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { type CameraEmulator } from '../../../nodes/camera/emulator';
import { type CameraLink, type LinkConnected } from '../../../nodes/engine/camera-link';
import { Endpoint, type EndpointOptions } from '../../../nodes/engine/endpoint';
import { type Address } from '../../../nodes/wire/address';
import { nextEvent } from '../../support/events';

export { nextEvent };

/** An endpoint for the emulator's ports; every target is loopback. */
export function endpointFor(emu: CameraEmulator, extra: Partial<EndpointOptions> = {}): Endpoint {
  return new Endpoint({
    bind: '0.0.0.0',
    targets: ['127.255.255.255'],
    dhPort: emu.dhPort,
    searchPort: emu.searchPort,
    timeoutMs: 3000,
    handshakeTimeoutMs: 3000,
    ...extra,
  });
}

export function connected(link: CameraLink, guardMs?: number): Promise<LinkConnected> {
  if (link.connected) return Promise.resolve(link.connected);
  return nextEvent<[LinkConnected]>(link, 'connected', () => true, guardMs).then(([c]) => c);
}

export interface LinkRecord {
  readonly type: 'connected' | 'disconnected' | 'handshake-failed' | 'foreign-claim';
  readonly atMs: number;
  readonly detail: string;
}

/**
 * Records a link's session events and checks, as they happen, that `connected` and
 * `disconnected` alternate: never two `connected` without a `disconnected` between.
 */
export class LinkRecorder {
  readonly events: LinkRecord[] = [];
  readonly violations: string[] = [];
  private up = false;

  constructor(readonly link: CameraLink) {
    link.on('connected', (c) => {
      if (this.up) this.violations.push(`second connected (attempt ${c.attempt}) without a disconnected`);
      this.up = true;
      this.push('connected', `${c.peer.address}:${c.peer.port} attempt ${c.attempt}`);
    });
    link.on('disconnected', (d) => {
      if (!this.up) this.violations.push(`disconnected (${d.reason}) while not connected`);
      this.up = false;
      this.push('disconnected', d.reason);
    });
    link.on('handshake-failed', (h) => this.push('handshake-failed', h.reason));
    link.on('foreign-claim', (f) => this.push('foreign-claim', `${f.from.address}:${f.from.port}`));
  }

  count(type: LinkRecord['type']): number {
    return this.events.filter((e) => e.type === type).length;
  }

  /** The connected/disconnected sequence, e.g. `C D C`. */
  get sequence(): string {
    return this.events
      .filter((e) => e.type === 'connected' || e.type === 'disconnected')
      .map((e) => (e.type === 'connected' ? 'C' : `D(${e.detail})`))
      .join(' ');
  }

  assertAlternates(): void {
    assert.deepEqual(this.violations, [], `event sequence ${this.sequence}`);
  }

  private push(type: LinkRecord['type'], detail: string): void {
    this.events.push({ type, atMs: performance.now(), detail });
  }
}

/** True for 127.0.0.0/8: the only place a test outside its own namespaces may send to. */
export function isLoopback(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** A UDP socket bound to a loopback address that refuses to send anywhere else. */
export class LoopbackSocket {
  private constructor(readonly socket: dgram.Socket) {}

  static async open(address: string, port = 0, reuseAddr = false): Promise<LoopbackSocket> {
    if (address !== '0.0.0.0' && !isLoopback(address)) throw new Error(`refusing to bind ${address}`);
    const socket = dgram.createSocket({ type: 'udp4', reuseAddr });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.setBroadcast(true);
    // A flood outruns the receiver; the kernel's drops are part of what is measured.
    socket.on('error', () => undefined);
    return new LoopbackSocket(socket);
  }

  get address(): Address {
    const { address, port } = this.socket.address();
    return { address, port };
  }

  onMessage(listener: (data: Buffer, from: Address) => void): void {
    this.socket.on('message', (data, rinfo) => listener(data, { address: rinfo.address, port: rinfo.port }));
  }

  send(data: Buffer, to: Address): void {
    if (!isLoopback(to.address)) throw new Error(`refusing to send to ${to.address}`);
    this.socket.send(data, to.port, to.address);
  }

  /** Sends and resolves once the datagram left (or failed): lets a burst be paced by the kernel. */
  sendAwait(data: Buffer, to: Address): Promise<void> {
    if (!isLoopback(to.address)) return Promise.reject(new Error(`refusing to send to ${to.address}`));
    return new Promise((resolve) => this.socket.send(data, to.port, to.address, () => resolve()));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Formats a rate for reports. */
export function perSecond(count: number, ms: number): string {
  return `${Math.round((count / Math.max(ms, 1)) * 1000).toLocaleString('en-US')}/s`;
}

/**
 * Connects one reconnecting session per camera (by UID) and puts a heartbeat on each, counting
 * heartbeats and `lost` in `tally`. The handles go into `heartbeats` so the caller's `finally`
 * can stop them whatever happens.
 */
export async function connectWithHeartbeats(
  endpoint: Endpoint,
  cameras: readonly { readonly uid: string }[],
  intervalMs: number,
  heartbeats: { stop: () => void }[],
): Promise<{ links: CameraLink[]; recorders: LinkRecorder[]; tally: { beats: number; lost: number } }> {
  const links = cameras.map((cam) => {
    const link = endpoint.link({ kind: 'uid', uid: cam.uid }, { reconnect: true });
    assert.ok(link);
    return link;
  });
  const recorders = links.map((l) => new LinkRecorder(l));
  for (const link of links) link.connect();
  await Promise.all(links.map((l) => connected(l)));
  const tally = { beats: 0, lost: 0 };
  for (const link of links) {
    const hb = link.startHeartbeat({ intervalMs, misses: 3 });
    hb.on('heartbeat', () => tally.beats++);
    hb.on('lost', () => tally.lost++);
    heartbeats.push(hb);
  }
  return { links, recorders, tally };
}
