import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type Address, addressKey } from '../wire/address';
import { KNOWN_PASSPHRASES, deriveKey } from '../wire/cipher';
import { DH_PROBE, isDhProbe, parseDhReply } from '../wire/dh';
import { DEFAULT_SESSION_TIMING, type SessionConfig } from '../session/session';
import { CameraLink, type LinkHost, type LinkOptions } from './camera-link';
import { type CameraRecord, toCameraRecord } from './camera-record';
import { type CameraSpec, specKey } from './camera-spec';
import {
  type CameraSighting,
  DEFAULT_DISCOVERY_CAPACITY,
  DiscoveryTable,
  type SightingOutcome,
} from './discovery-table';
import { Scheduler } from './scheduler';
import { bindUdp, closeUdp, errorCode } from './udp';

/**
 * The engine's socket owner: one DH socket and one PPPP socket, every session on this network
 * multiplexed on the PPPP socket by the camera's address, discovery scans on the DH socket,
 * and one scheduler for every timer. Nothing else in the package touches dgram.
 */

export interface EndpointOptions {
  readonly bind: string;
  /** Broadcast or unicast addresses that probes and LAN searches go to. */
  readonly targets: readonly string[];
  readonly dhPort: number;
  readonly searchPort: number;
  readonly localDhPort: number;
  readonly localPort: number;
  /** Silence after which a session is lost. */
  readonly timeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly passphrases: readonly string[];
  readonly maxCameras: number;
  /** Cameras with a session at once; `link` refuses more. */
  readonly maxSessions: number;
  /** SO_RCVBUF for both sockets: a burst of discovery replies beyond it is dropped by the kernel. */
  readonly receiveBufferBytes: number;
  /** Delay between attempts to bind a socket that could not be bound. */
  readonly bindRetryMs: number;
  readonly clock: () => number;
}

export const DEFAULT_ENDPOINT_OPTIONS: EndpointOptions = {
  bind: '0.0.0.0',
  targets: ['255.255.255.255'],
  dhPort: 8600,
  searchPort: 32108,
  localDhPort: 0,
  localPort: 0,
  timeoutMs: 10_000,
  handshakeTimeoutMs: DEFAULT_SESSION_TIMING.handshakeTimeoutMs,
  passphrases: KNOWN_PASSPHRASES,
  maxCameras: DEFAULT_DISCOVERY_CAPACITY,
  maxSessions: 16_384,
  receiveBufferBytes: 4 * 1024 * 1024,
  bindRetryMs: 5000,
  clock: () => performance.now(),
};

export type EndpointState = 'binding' | 'ready' | 'error' | 'closed';

export interface EndpointStats {
  dhIn: number;
  dhBad: number;
  ppppIn: number;
  /** PPPP datagrams no session claimed: junk, strangers, late copies. */
  ppppUnclaimed: number;
  /** Handshake packets for a session's camera from an address the session is not pinned to. */
  foreignClaims: number;
  sent: number;
  sendErrors: number;
  scans: number;
}

export interface ScanResult {
  readonly cameras: CameraSighting[];
  readonly targets: readonly string[];
  readonly port: number;
  readonly durationMs: number;
  readonly errors: readonly string[];
}

export interface EndpointEvents {
  state: [EndpointState, string | undefined];
  discovered: [CameraSighting];
  changed: [{ sighting: CameraSighting; previous: CameraSighting; changes: readonly string[] }];
  conflict: [{ sighting: CameraSighting; claimants: readonly string[] }];
  'scan-complete': [ScanResult];
  /** Throttled, human-readable trouble: bad datagrams, send failures. */
  warning: [string];
}

/** At most one warning of each kind per this many ms, so a flood cannot flood the log too. */
const WARNING_INTERVAL_MS = 10_000;

interface ActiveScan {
  readonly startedAt: number;
  readonly seen: Map<string, CameraSighting>;
  readonly errors: string[];
  readonly promise: Promise<ScanResult>;
  readonly finish: () => void;
  readonly timer: NodeJS.Timeout;
}

export class Endpoint extends EventEmitter<EndpointEvents> {
  readonly options: EndpointOptions;
  readonly stats: EndpointStats = {
    dhIn: 0,
    dhBad: 0,
    ppppIn: 0,
    ppppUnclaimed: 0,
    foreignClaims: 0,
    sent: 0,
    sendErrors: 0,
    scans: 0,
  };
  readonly table: DiscoveryTable;
  private dhSocket: dgram.Socket | undefined;
  private ppppSocket: dgram.Socket | undefined;
  private stateValue: EndpointState = 'binding';
  private stateDetail: string | undefined;
  private readonly scheduler: Scheduler<CameraLink>;
  private readonly links = new Map<string, CameraLink>();
  private readonly byPeer = new Map<string, CameraLink>();
  private readonly searching = new Set<CameraLink>();
  private readonly lastWarning = new Map<string, number>();
  private readonly linkHost: LinkHost;
  private scan_: ActiveScan | undefined;
  private bindTimer: NodeJS.Timeout | undefined;
  private readyWaiters: (() => void)[] = [];
  private opening: Promise<void> | undefined;

  constructor(options: Partial<EndpointOptions> = {}) {
    super();
    this.options = { ...DEFAULT_ENDPOINT_OPTIONS, ...options };
    this.table = new DiscoveryTable(this.options.maxCameras);
    this.scheduler = new Scheduler(this.options.clock, (links, now) => {
      for (const link of links) link.wake(now);
    });
    this.linkHost = {
      now: () => this.options.clock(),
      send: (data, to) => this.sendPppp(data, to),
      schedule: (link, at) => this.scheduler.set(link, at),
      wakeBy: (link, at) => this.scheduler.wakeBy(link, at),
      sessionConfig: (spec) => this.sessionConfig(spec),
      routeChanged: (link, previous) => this.routeChanged(link, previous),
      canStart: () => this.stateValue === 'ready',
    };
    this.opening = this.open();
  }

  get state(): EndpointState {
    return this.stateValue;
  }

  get stateMessage(): string | undefined {
    return this.stateDetail;
  }

  /** Local ports actually bound (useful when 0 asked the kernel to pick). */
  get localPorts(): { dh: number | undefined; pppp: number | undefined } {
    return { dh: safePort(this.dhSocket), pppp: safePort(this.ppppSocket) };
  }

  get sessionCount(): number {
    return this.links.size;
  }

  get timerWakeups(): number {
    return this.scheduler.wakeups;
  }

  /** Resolves once both sockets are bound (or at once if closed). */
  ready(): Promise<void> {
    if (this.stateValue === 'ready' || this.stateValue === 'closed') return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Cameras seen by any scan so far. */
  cameras(): CameraSighting[] {
    return this.table.list();
  }

  record(sighting: CameraSighting, includeSecrets: boolean): CameraRecord {
    return toCameraRecord(sighting.record, sighting.address, includeSecrets);
  }

  /**
   * Probes every target and collects replies for `windowMs`. A scan already running is joined
   * rather than doubled.
   */
  scan(windowMs: number): Promise<ScanResult> {
    if (this.scan_) return this.scan_.promise;
    const targets = this.options.targets;
    if (this.stateValue !== 'ready' || !this.dhSocket) {
      return Promise.resolve({
        cameras: [],
        targets,
        port: this.options.dhPort,
        durationMs: 0,
        errors: [`network not ready (${this.stateDetail ?? this.stateValue})`],
      });
    }
    this.stats.scans++;
    this.table.beginScan();
    const startedAt = this.options.clock();
    const seen = new Map<string, CameraSighting>();
    const errors: string[] = [];
    let finish = (): void => undefined;
    const promise = new Promise<ScanResult>((resolve) => {
      finish = () => {
        const scan = this.scan_;
        if (!scan) return;
        clearTimeout(scan.timer);
        this.scan_ = undefined;
        this.settle(this.table.endScan(this.options.clock()), seen);
        const result: ScanResult = {
          cameras: [...seen.values()],
          targets,
          port: this.options.dhPort,
          durationMs: this.options.clock() - startedAt,
          errors,
        };
        this.emit('scan-complete', result);
        resolve(result);
      };
    });
    const timer = setTimeout(() => finish(), Math.max(0, windowMs));
    this.scan_ = { startedAt, seen, errors, promise, finish, timer };
    const socket = this.dhSocket;
    for (const target of targets) {
      socket.send(DH_PROBE, this.options.dhPort, target, (error) => {
        if (!error) return;
        errors.push(`${target}:${this.options.dhPort}: ${error.message}`);
        this.warn('dh-send', `discovery probe to ${target}:${this.options.dhPort} failed: ${error.message}`);
      });
    }
    return promise;
  }

  /**
   * The shared session for a camera on this network, created on first use. Each call must be
   * matched by `release`; the session closes when its last user lets go.
   */
  link(spec: CameraSpec, options: LinkOptions): CameraLink | undefined {
    const key = specKey(spec);
    let link = this.links.get(key);
    if (!link) {
      if (this.links.size >= this.options.maxSessions || this.stateValue === 'closed') return undefined;
      link = new CameraLink(spec, this.linkHost, options);
      this.links.set(key, link);
    }
    link.retain(options);
    return link;
  }

  release(link: CameraLink): void {
    if (!link.releaseOne()) return;
    link.halt();
    link.removeAllListeners();
    this.scheduler.delete(link);
    this.searching.delete(link);
    this.links.delete(specKey(link.spec));
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    await this.opening?.catch(() => undefined);
    this.scan_?.finish();
    for (const link of this.links.values()) link.halt();
    this.links.clear();
    this.byPeer.clear();
    this.searching.clear();
    this.scheduler.close();
    if (this.bindTimer) clearTimeout(this.bindTimer);
    this.bindTimer = undefined;
    this.setState('closed', undefined);
    const sockets = [this.dhSocket, this.ppppSocket].filter((s): s is dgram.Socket => s !== undefined);
    this.dhSocket = undefined;
    this.ppppSocket = undefined;
    await Promise.all(sockets.map(closeUdp));
    this.removeAllListeners();
  }

  private async open(): Promise<void> {
    const { bind, localDhPort, localPort, receiveBufferBytes } = this.options;
    let which = `DH port ${localDhPort}`;
    try {
      this.dhSocket ??= await bindUdp(
        { address: bind, port: localDhPort, broadcast: true, receiveBufferBytes },
        (data, from) => this.onDh(data, from),
        (error) => this.onSocketError(error),
      );
      which = `port ${localPort}`;
      this.ppppSocket ??= await bindUdp(
        { address: bind, port: localPort, broadcast: true, receiveBufferBytes },
        (data, from) => this.onPppp(data, from),
        (error) => this.onSocketError(error),
      );
    } catch (error) {
      if (this.stateValue === 'closed') return;
      const code = errorCode(error);
      const why =
        code === 'EADDRINUSE'
          ? `${which.replace('DH port', 'port')} in use`
          : code === 'EACCES'
            ? `no permission to bind ${which}`
            : code === 'EADDRNOTAVAIL'
              ? `address ${bind} is not on this machine`
              : `cannot bind ${which}: ${error instanceof Error ? error.message : String(error)}`;
      this.setState('error', why);
      this.bindTimer = setTimeout(() => {
        this.bindTimer = undefined;
        this.opening = this.open();
      }, this.options.bindRetryMs);
      this.bindTimer.unref();
      return;
    }
    if (this.stateValue === 'closed') {
      await Promise.all([this.dhSocket, this.ppppSocket].map((s) => (s ? closeUdp(s) : undefined)));
      return;
    }
    this.setState('ready', undefined);
    for (const waiter of this.readyWaiters.splice(0)) waiter();
    for (const link of this.links.values()) link.resume();
  }

  private onSocketError(error: Error): void {
    this.warn(`socket-${errorCode(error) ?? 'error'}`, `socket error: ${error.message}`);
  }

  private onDh(data: Buffer, from: dgram.RemoteInfo): void {
    this.stats.dhIn++;
    if (isDhProbe(data)) return; // another client's probe (or our own, bound to 8600)
    const parsed = parseDhReply(data);
    if (!parsed.ok) {
      this.stats.dhBad++;
      this.warn(
        'dh-bad',
        `ignored ${this.stats.dhBad} malformed discovery datagram(s), last from ${from.address}: ${parsed.error.message}`,
      );
      return;
    }
    const outcome = this.table.record(parsed.value, from.address, this.options.clock());
    if (outcome) this.settle([outcome], this.scan_?.seen);
  }

  private settle(outcomes: readonly SightingOutcome[], seen: Map<string, CameraSighting> | undefined): void {
    for (const outcome of outcomes) {
      if (outcome.kind !== 'conflict') seen?.set(outcome.sighting.record.uid, outcome.sighting);
      switch (outcome.kind) {
        case 'discovered':
          this.emit('discovered', outcome.sighting);
          break;
        case 'changed':
          this.emit('changed', { sighting: outcome.sighting, previous: outcome.previous, changes: outcome.changes });
          break;
        case 'conflict':
          this.emit('conflict', { sighting: outcome.sighting, claimants: outcome.claimants });
          break;
        default:
          break;
      }
    }
  }

  private onPppp(data: Buffer, from: dgram.RemoteInfo): void {
    this.stats.ppppIn++;
    const source: Address = { address: from.address, port: from.port };
    const owner = this.byPeer.get(addressKey(source));
    if (owner) {
      owner.receive(data, source);
      return;
    }
    // Not from a known peer: maybe a PUNCH_PKT for a session still searching. Sessions that want a
    // specific camera get first pick, so "any camera" sessions cannot steal a named one's camera.
    for (const specific of [true, false]) {
      for (const link of this.searching) {
        if ((link.spec.kind !== 'any') !== specific) continue;
        const step = link.receive(data, source);
        if (step.accepted) return;
      }
    }
    this.stats.ppppUnclaimed++;
  }

  private sendPppp(data: Buffer, to: Address): void {
    const socket = this.ppppSocket;
    if (!socket) return;
    this.stats.sent++;
    socket.send(data, to.port, to.address, (error) => {
      if (!error) return;
      this.stats.sendErrors++;
      this.warn('pppp-send', `send to ${to.address}:${to.port} failed: ${error.message}`);
    });
  }

  private sessionConfig(spec: CameraSpec): SessionConfig | undefined {
    const { searchPort, targets, timeoutMs, handshakeTimeoutMs, passphrases } = this.options;
    const broadcast = targets.map((address) => ({ address, port: searchPort }));
    const base = {
      ...DEFAULT_SESSION_TIMING,
      handshakeTimeoutMs,
      lostAfterMs: timeoutMs,
      keepaliveIdleMs: Math.min(DEFAULT_SESSION_TIMING.keepaliveIdleMs, Math.max(100, timeoutMs / 3)),
      encryption: { mode: 'auto' as const, candidates: passphrases.map(deriveKey) },
    };
    switch (spec.kind) {
      case 'any':
        return { ...base, searchTargets: broadcast };
      case 'ip':
        return { ...base, searchTargets: [{ address: spec.ip, port: searchPort }], pinnedIp: spec.ip };
      case 'uid': {
        // Discovery vouches for the camera's address: pin to it so a forged PUNCH from elsewhere is ignored.
        const known = this.table.get(spec.uid);
        if (!known) return { ...base, searchTargets: broadcast, uid: spec.uid };
        return {
          ...base,
          searchTargets: [{ address: known.address, port: searchPort }, ...broadcast],
          uid: spec.uid,
          pinnedIp: known.address,
        };
      }
    }
  }

  private routeChanged(link: CameraLink, previous: Address | undefined): void {
    if (previous && this.byPeer.get(addressKey(previous)) === link) this.byPeer.delete(addressKey(previous));
    const peer = link.peer;
    if (peer) this.byPeer.set(addressKey(peer), link);
    if (link.handshaking) this.searching.add(link);
    else this.searching.delete(link);
  }

  private setState(state: EndpointState, detail: string | undefined): void {
    if (this.stateValue === state && this.stateDetail === detail) return;
    this.stateValue = state;
    this.stateDetail = detail;
    this.emit('state', state, detail);
  }

  private warn(kind: string, message: string): void {
    const now = this.options.clock();
    const last = this.lastWarning.get(kind);
    if (last !== undefined && now - last < WARNING_INTERVAL_MS) return;
    this.lastWarning.set(kind, now);
    this.emit('warning', message);
  }
}

function safePort(socket: dgram.Socket | undefined): number | undefined {
  try {
    return socket?.address().port;
  } catch {
    return undefined;
  }
}
