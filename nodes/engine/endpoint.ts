import type dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { type Address } from '../wire/address';
import { type CipherKey, KNOWN_PASSPHRASES, decrypt, deriveKey, detectCipher } from '../wire/cipher';
import { didToUid } from '../wire/did';
import { MessageCode, PPPP_MAGIC, decodePppp } from '../wire/pppp';
import { DH_PROBE, isDhProbe, parseDhReply } from '../wire/dh';
import { type EncryptionMode, formHint } from '../session/encryption';
import { DEFAULT_SESSION_TIMING, type FocusedSearch, type SessionConfig } from '../session/session';
import { CameraLink, type LinkHost, type LinkOptions } from './camera-link';
import { type CameraRecord, toCameraRecord } from './camera-record';
import { type CameraSpec } from './camera-spec';
import { LinkRegistry } from './link-registry';
import { PeerIndex } from './peer-index';
import {
  type CameraSighting,
  DEFAULT_DISCOVERY_CAPACITY,
  DiscoveryTable,
  type SightingOutcome,
} from './discovery-table';
import { type LentSocket, type LentSockets, rehearseOnce } from './rehearsal';
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
  /**
   * Handshakes in flight at once; more attempts wait their turn (first come, first served). A
   * handshake counts for one search interval at most, so cameras that do not answer cannot hold
   * the others back.
   */
  readonly maxHandshakes: number;
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
  maxHandshakes: 64,
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

/**
 * Longest silence before a session sends its own ALIVE. Cameras send one every second, so
 * probing after exactly one second races every camera ALIVE that arrives a few ms late: at 10k
 * sessions nearly every session probed every second, doubling the traffic (bench/scale.ts). Half
 * a second of grace keeps the probe for cameras that really went quiet.
 */
const KEEPALIVE_IDLE_CAP_MS = 1500;

/** At most one warning of each kind per this many ms, so a flood cannot flood the log too. */
const WARNING_INTERVAL_MS = 10_000;
/** A link hears of forged handshakes for its camera at most this often; all of them are counted. */
const FOREIGN_CLAIM_EVENT_INTERVAL_MS = 1000;
/** A PPPP header and a DID: the shortest PUNCH or P2P_RDY. */
const FOREIGN_CLAIM_MIN_LENGTH = 24;
/**
 * Searches that stay focused (the camera's address only, its form only) before a session falls
 * back to every target in every form: one unanswered search interval (300 ms), enough for a
 * camera that answers at all, short enough that a wrong guess costs little.
 */
const FOCUSED_SEARCH_ROUNDS = 1;
/** close() waits at most this long for the sessions' CLOSE datagrams to leave before closing the sockets. */
const CLOSE_FLUSH_MS = 250;
/**
 * How long a handshake counts against `maxHandshakes`: one search interval. A camera that answers
 * at all has answered by then; one that does not must not keep the next camera waiting for the
 * whole handshake timeout.
 */
const HANDSHAKE_SLOT_MS = DEFAULT_SESSION_TIMING.searchIntervalMs;

interface ActiveScan {
  readonly startedAt: number;
  readonly seen: Map<string, CameraSighting>;
  readonly errors: string[];
  readonly promise: Promise<ScanResult>;
  readonly finish: () => void;
  readonly timer: NodeJS.Timeout;
  /** The last DH reply of this scan, to drop its broadcast copy unparsed. */
  lastReply?: { readonly address: string; readonly data: Buffer };
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
  private dhSocket: UdpSocket | undefined;
  private ppppSocket: UdpSocket | undefined;
  private stateValue: EndpointState = 'binding';
  private stateDetail: string | undefined;
  private readonly scheduler: Scheduler<CameraLink>;
  private readonly links = new LinkRegistry<CameraLink>();
  /** Links with a peer, by the peer's address: one lookup per datagram, no string made (issue 12). */
  private readonly byPeer = new PeerIndex<CameraLink>();
  private readonly searching = new Set<CameraLink>();
  /** The searching links named by IP, by that IP: a camera's PUNCH finds its session in one lookup. */
  // One link per IP at most: links are keyed by their spec, and this holds only specs by IP. (It
  // held a Set per IP, made and dropped with every handshake: 10k of them, ~270 B a session of
  // garbage that gc() did not get back at once in bench/scale.ts.)
  private readonly searchingByIp = new Map<string, CameraLink>();
  /** Links whose session has a peer, by the UID that peer proved: where a forged handshake for that UID is reported. */
  private readonly byUid = new Map<string, CameraLink | Set<CameraLink>>();
  /** When each link was last told of a foreign claim: a flood of forgeries is counted, not relayed one by one. */
  private readonly claimToldAt = new Map<CameraLink, number>();
  /**
   * Links whose handshake counts against `maxHandshakes`, with when it began: oldest first. When
   * 1000 sessions started at once (a deploy, bench/startup.ts), replies queued behind each other
   * for longer than the 100 ms after which a session repeats its PUNCH, the camera answered each
   * repeat with three more P2P_RDY, and the extra work delayed the rest further: 1.5-3.7 PUNCHes
   * and 5-11 P2P_RDY per session instead of 1 and 3.
   */
  private readonly handshakes = new Map<CameraLink, number>();
  /** Links whose attempt waits for a handshake to end, in the order they asked. */
  private readonly waitingForHandshake = new Set<CameraLink>();
  private handshakeTimer: NodeJS.Timeout | undefined;
  /** Set while a freed place waits for the next turn to admit a waiting link (`handshakeEnded`). */
  private admitSoon: NodeJS.Immediate | undefined;
  private readonly lastWarning = new Map<string, number>();
  private readonly linkHost: LinkHost;
  /** The sockets' message handlers, one function each whether the socket is bound or lent (rehearsal.ts). */
  private readonly hearDh = (data: Buffer, from: dgram.RemoteInfo): void => this.onDh(data, from);
  private readonly hearPppp = (data: Buffer, from: dgram.RemoteInfo): void => this.onPppp(data, from);
  private scan_: ActiveScan | undefined;
  private bindTimer: NodeJS.Timeout | undefined;
  private readyWaiters: (() => void)[] = [];
  private opening: Promise<void> | undefined;
  /** Datagrams handed to the PPPP socket whose send has not completed yet. */
  private sendsInFlight = 0;
  private sendsDrained: (() => void) | undefined;
  /**
   * Derived once and shared by every session: a key is two typed arrays (~1 KB with the 256-byte
   * mask), too much to repeat per session when an endpoint carries thousands.
   */
  private readonly encryption: EncryptionMode;
  /** Every form a LAN_SEARCH can take here (plaintext first), shared by every session's config. */
  private readonly searchForms: readonly (CipherKey | null)[];
  /**
   * Shared by every session (each inherits it, `specialise`). Made with the endpoint, not at the
   * first link: that link is a camera's first handshake, and it should not wait for this.
   */
  private readonly baseConfig: SessionConfig;

  /**
   * `lent`: for rehearsal.ts only (@internal), sockets to use instead of binding any; such an
   * endpoint is ready at once and what it sends goes nowhere.
   */
  constructor(options: Partial<EndpointOptions> = {}, lent?: LentSockets) {
    super();
    const merged = { ...DEFAULT_ENDPOINT_OPTIONS, ...options };
    // At least one handshake at a time: with none, every link would wait for a place forever.
    const maxHandshakes = Number.isFinite(merged.maxHandshakes)
      ? Math.max(1, Math.floor(merged.maxHandshakes))
      : DEFAULT_ENDPOINT_OPTIONS.maxHandshakes;
    this.options = { ...merged, maxHandshakes };
    const candidates = this.options.passphrases.map(deriveKey);
    this.encryption = { mode: 'auto', candidates };
    this.searchForms = [null, ...candidates];
    this.table = new DiscoveryTable(this.options.maxCameras);
    this.baseConfig = this.makeBaseConfig();
    this.scheduler = new Scheduler(this.options.clock, (links, now) => {
      for (const link of links) link.wake(now);
    });
    this.linkHost = {
      now: () => this.options.clock(),
      send: (data, to) => this.sendPppp(data, to),
      acknowledge: (data, to) => this.acknowledgePppp(data, to),
      schedule: (link, at) => this.scheduler.set(link, at),
      wakeBy: (link, at) => this.scheduler.wakeBy(link, at),
      sessionConfig: (spec, lastPeerIp, lastEncryption) => this.sessionConfig(spec, lastPeerIp, lastEncryption),
      routeChanged: (link, previous) => this.routeChanged(link, previous),
      canStart: (link) => this.mayHandshake(link),
      identified: (link) => {
        this.handshakeEnded(link);
        this.absorbSameCamera(link);
      },
    };
    if (lent) this.adopt(lent);
    else this.opening = this.open();
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
    const socket = this.dhSocket;
    const startedAt = this.options.clock();
    const errors: string[] = [];
    // The probes first: what follows is bookkeeping no camera waits for (bench/cold.ts). Replies,
    // and a failed send's callback, come in later turns, when the scan below is in place.
    for (const target of targets) {
      socket.send(DH_PROBE, this.options.dhPort, target, (error) => {
        if (!error) return;
        errors.push(`${target}:${this.options.dhPort}: ${error.message}`);
        this.warn('dh-send', `discovery probe to ${target}:${this.options.dhPort} failed: ${error.message}`);
      });
    }
    this.stats.scans++;
    this.table.beginScan();
    const seen = new Map<string, CameraSighting>();
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
    return promise;
  }

  /**
   * The shared session for a camera on this network, created on first use. Each call must be
   * matched by `release`; the session closes when its last user lets go.
   */
  link(spec: CameraSpec, options: LinkOptions): CameraLink | undefined {
    let link = this.links.get(spec);
    if (!link) {
      if (this.links.size >= this.options.maxSessions || this.stateValue === 'closed') return undefined;
      link = new CameraLink(spec, this.linkHost, options);
      this.links.set(spec, link);
      const same = this.linkToSameCamera(spec);
      if (same) this.join(link, same, 'discovery and the sessions already up');
    }
    link.retain(options);
    return link;
  }

  release(link: CameraLink): void {
    if (!link.releaseOne()) return;
    this.dropIfUnused(link);
  }

  private dropIfUnused(link: CameraLink): void {
    if (link.inUse || this.links.get(link.spec) !== link) return;
    this.links.delete(link.spec);
    const leader = link.following;
    if (leader) {
      link.unfollow();
      link.removeAllListeners();
      this.dropIfUnused(leader);
      return;
    }
    this.waitingForHandshake.delete(link);
    link.halt();
    link.removeAllListeners();
    this.scheduler.delete(link);
    this.setSearching(link, false);
    this.indexUid(link, undefined);
    this.claimToldAt.delete(link);
  }

  /**
   * The link already serving the camera `spec` names under another name (a UID where it was
   * named by IP, or the reverse), as far as discovery and the sessions up now can tell.
   */
  private linkToSameCamera(spec: CameraSpec): CameraLink | undefined {
    let found: CameraLink | undefined;
    if (spec.kind === 'uid') {
      const byUid = this.byUid.get(spec.uid);
      found = byUid instanceof Set ? byUid.values().next().value : byUid;
      const address = this.table.get(spec.uid)?.address;
      if (!found && address !== undefined) found = this.links.get({ kind: 'ip', ip: address });
    } else if (spec.kind === 'ip') {
      found = this.byPeer.anyAt(spec.ip);
      const uid = found ? undefined : this.table.findByAddress(spec.ip)?.record.uid;
      if (uid !== undefined) found = this.links.get({ kind: 'uid', uid });
    }
    return found?.following ?? found;
  }

  /**
   * A session connected: links that name its camera by its UID or by its IP and are not connected
   * themselves become its followers (their handshakes could never finish: the camera answers
   * one client port once, and this session holds it).
   */
  private absorbSameCamera(link: CameraLink): void {
    const up = link.connected;
    if (!up || link.following) return;
    for (const spec of [{ kind: 'uid', uid: up.uid } as const, { kind: 'ip', ip: up.peer.address } as const]) {
      const other = this.links.get(spec);
      if (!other || other === link || other.following === link || other.connected) continue;
      this.join(other, link, `a session to ${up.peer.address}`);
    }
  }

  private join(follower: CameraLink, leader: CameraLink, how: string): void {
    this.waitingForHandshake.delete(follower);
    follower.follow(leader);
    this.scheduler.delete(follower);
    this.setSearching(follower, false);
    this.indexUid(follower, undefined);
    this.emit(
      'warning',
      `camera ${follower.description} and camera ${leader.description} are one camera (found through ${how}): ` +
        'they share one session; name it the same way everywhere to make this plain',
    );
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    await this.opening?.catch(() => undefined);
    this.scan_?.finish();
    // Nobody waits for a handshake any more: halting a link frees its place, which must not start
    // the next waiting link on the way down.
    this.waitingForHandshake.clear();
    for (const link of this.links.values()) link.halt();
    this.links.clear();
    this.byPeer.clear();
    this.searching.clear();
    this.searchingByIp.clear();
    this.byUid.clear();
    for (const link of this.uidIndexed()) link.indexedUid = undefined;
    this.claimToldAt.clear();
    this.handshakes.clear();
    this.waitingForHandshake.clear();
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    if (this.admitSoon) clearImmediate(this.admitSoon);
    this.admitSoon = undefined;
    this.scheduler.close();
    if (this.bindTimer) clearTimeout(this.bindTimer);
    this.bindTimer = undefined;
    this.setState('closed', undefined);
    const sockets = [this.dhSocket, this.ppppSocket].filter((s): s is UdpSocket => s !== undefined);
    this.dhSocket = undefined;
    this.ppppSocket = undefined;
    // Halting the links queued a CLOSE to every connected camera, which frees its session slot at
    // once (cameras take only a few clients). Closing the socket in this same tick would drop them
    // all and leave a stale session on each camera until its own timeout: after every deploy.
    await this.sendsFlushed();
    await Promise.all(sockets.map(closeUdp));
    this.removeAllListeners();
  }

  /** Resolves once every datagram handed to the socket has been sent, or after CLOSE_FLUSH_MS. */
  private async sendsFlushed(): Promise<void> {
    if (this.sendsInFlight === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.sendsDrained = resolve;
      timer = setTimeout(resolve, CLOSE_FLUSH_MS);
    });
    clearTimeout(timer);
    this.sendsDrained = undefined;
  }

  private adopt(lent: LentSockets): void {
    lent.dh.listen(this.hearDh);
    lent.pppp.listen(this.hearPppp);
    this.dhSocket = lent.dh;
    this.ppppSocket = lent.pppp;
    this.setState('ready', undefined);
  }

  private async open(): Promise<void> {
    const { bind, localDhPort, localPort, receiveBufferBytes } = this.options;
    let which = `DH port ${localDhPort}`;
    try {
      if (!this.dhSocket) {
        const binding = bindUdp(
          { address: bind, port: localDhPort, broadcast: true, receiveBufferBytes },
          this.hearDh,
          (error) => this.onSocketError(error),
        );
        // While the kernel binds, before anything can scan or connect: see rehearsal.ts.
        rehearseOnce((lent) => new Endpoint(this.options, lent));
        this.dhSocket = await binding;
      }
      which = `port ${localPort}`;
      this.ppppSocket ??= await bindUdp(
        { address: bind, port: localPort, broadcast: true, receiveBufferBytes },
        this.hearPppp,
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
    // A camera answers a probe twice, unicast and a broadcast copy of the same bytes. The copy
    // says nothing new to this scan, and parsing it (fifteen strings) lands right between our
    // first LAN_SEARCH and the camera's PUNCH when a flow connects at 'discovered' (bench/cold.ts).
    const scan = this.scan_;
    if (scan) {
      if (scan.lastReply?.address === from.address && scan.lastReply.data.equals(data)) return;
      scan.lastReply = { address: from.address, data };
    }
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
    // dgram's RemoteInfo is an Address: sessions read it during the call and copy what they keep.
    const source: Address = from;
    const owner = this.byPeer.get(source);
    if (owner) {
      owner.receive(data, source);
      return;
    }
    // Not from a known peer: maybe a PUNCH_PKT for a session still searching. A session named by
    // this very IP gets it first, in one lookup: offering every PUNCH to every handshake in flight
    // cost 128 session decodes per PUNCH while 10k sessions connected (bench/scale.ts), and made
    // each IP-pinned session report the other cameras' PUNCHes as foreign claims.
    const pinned = this.searchingByIp.get(source.address);
    if (pinned?.receive(data, source) === 'accepted') return;
    // Then sessions that want a specific camera get first pick, so "any camera" sessions cannot
    // steal a named one's camera.
    for (const specific of [true, false]) {
      for (const link of this.searching) {
        if ((link.spec.kind !== 'any') !== specific || link === pinned) continue;
        const receipt = link.receive(data, source);
        if (receipt === 'accepted') return;
        if (receipt === 'foreign-claim') this.stats.foreignClaims++;
      }
    }
    this.stats.ppppUnclaimed++;
    this.checkForeignClaim(data, source);
  }

  /**
   * A PUNCH or P2P_RDY nobody took that names a camera a session is already pinned to: a spoof (or
   * a second camera with one UID). It is never accepted; it is counted, warned about, and the
   * pinned sessions' links hear of it (`foreign-claim`) at most once a second each.
   */
  private checkForeignClaim(data: Buffer, source: Address): void {
    if (this.byUid.size === 0 || data.length < FOREIGN_CLAIM_MIN_LENGTH) return;
    const candidates = this.encryption.mode === 'auto' ? this.encryption.candidates : [];
    const cipher = detectCipher(data, candidates);
    if (cipher === undefined) return;
    const plain = cipher === null ? data : decrypt(cipher, data);
    if (plain[0] !== PPPP_MAGIC || (plain[1] !== MessageCode.PunchPkt && plain[1] !== MessageCode.P2pRdy)) return;
    const decoded = decodePppp(plain);
    if (!decoded.ok || (decoded.value.kind !== 'punch' && decoded.value.kind !== 'ready')) return;
    const uid = didToUid(decoded.value.did);
    const pinned = this.byUid.get(uid);
    if (!pinned) return;
    this.stats.foreignClaims++;
    const now = this.options.clock();
    for (const link of pinned instanceof Set ? pinned : [pinned]) {
      const peer = link.peer;
      this.warn(
        'foreign-claim',
        `camera ${uid} claimed by ${source.address}:${source.port}; its session stays with ${peer ? `${peer.address}:${peer.port}` : 'its camera'} ` +
          `(${this.stats.foreignClaims} such packet(s) so far)`,
      );
      const told = this.claimToldAt.get(link);
      if (told !== undefined && now - told < FOREIGN_CLAIM_EVENT_INTERVAL_MS) continue;
      this.claimToldAt.set(link, now);
      link.receive(data, source);
    }
  }

  private indexUid(link: CameraLink, uid: string | undefined): void {
    // The link carries the UID it is indexed under (a field, not another Map entry per session).
    const previous = link.indexedUid;
    if (previous === uid) return;
    // A UID almost always has one session: the link itself is the value, and a Set only when two
    // share it (a Set per session cost ~150 B of the ~2 KB a session takes, bench/scale.ts).
    if (previous !== undefined) {
      const held = this.byUid.get(previous);
      if (held === link) this.byUid.delete(previous);
      else if (held instanceof Set) {
        held.delete(link);
        const [only, ...more] = held;
        if (only === undefined) this.byUid.delete(previous);
        else if (more.length === 0) this.byUid.set(previous, only);
      }
      link.indexedUid = undefined;
    }
    if (uid === undefined) return;
    link.indexedUid = uid;
    const held = this.byUid.get(uid);
    if (held === undefined) this.byUid.set(uid, link);
    else if (held instanceof Set) held.add(link);
    else if (held !== link) this.byUid.set(uid, new Set([held, link]));
  }

  private *uidIndexed(): Generator<CameraLink> {
    for (const held of this.byUid.values()) {
      if (held instanceof Set) yield* held;
      else yield held;
    }
  }

  private sendPppp(data: Buffer, to: Address): void {
    const socket = this.ppppSocket;
    if (!socket) return;
    this.stats.sent++;
    this.sendsInFlight++;
    socket.send(data, to.port, to.address, this.afterSend);
  }

  /**
   * Without a callback: dgram then queues no tick to report the outcome. Such a send is not waited
   * for on close (only CLOSEs need that) and its failure is not counted in `sendErrors` (dgram
   * reports it as a socket error, if at all): the same fault fails the session's own sends
   * (probes, searches, DRWs), which are counted.
   */
  private acknowledgePppp(data: Buffer, to: Address): void {
    const socket = this.ppppSocket;
    if (!socket) return;
    this.stats.sent++;
    socket.send(data, to.port, to.address);
  }

  /**
   * One callback for every PPPP send rather than a closure per datagram (issue 12); dgram's
   * error message names the destination ("send EPERM 10.0.0.9:32108").
   */
  private readonly afterSend = (error: Error | null): void => {
    if (--this.sendsInFlight === 0) this.sendsDrained?.();
    if (!error) return;
    this.stats.sendErrors++;
    this.warn('pppp-send', `PPPP send failed: ${error.message}`);
  };

  private sessionConfig(spec: CameraSpec, lastPeerIp?: string, lastEncryption?: string): SessionConfig | undefined {
    const base = this.baseConfig;
    const { searchPort } = this.options;
    const broadcast = base.searchTargets;
    switch (spec.kind) {
      case 'any':
        return base;
      case 'ip': {
        const targets = [{ address: spec.ip, port: searchPort }];
        const uid = this.table.findByAddress(spec.ip)?.record.uid;
        return specialise(base, {
          searchTargets: targets,
          pinnedIp: spec.ip,
          focusedSearch: this.focusedSearch(targets, targets, uid, lastEncryption),
        });
      }
      case 'uid': {
        // Discovery vouches for the camera's address: pin to it so a forged PUNCH from elsewhere is ignored.
        // Failing that (never discovered, or pushed out of the table by a flood of forged UIDs), a
        // reconnect stays with the address this link last connected to: a session keeps the
        // camera it chose, and discovery seeing the camera move is what moves it.
        const pinned = this.table.get(spec.uid)?.address ?? lastPeerIp;
        if (pinned === undefined)
          return specialise(base, {
            uid: spec.uid,
            focusedSearch: this.focusedSearch(broadcast, broadcast, spec.uid, lastEncryption),
          });
        const unicast = [{ address: pinned, port: searchPort }];
        const everywhere = [...unicast, ...broadcast];
        return specialise(base, {
          searchTargets: everywhere,
          uid: spec.uid,
          pinnedIp: pinned,
          focusedSearch: this.focusedSearch(unicast, everywhere, spec.uid, lastEncryption),
        });
      }
    }
  }

  /** What every session of this endpoint shares: timings, the broadcast targets, the derived keys. */
  private makeBaseConfig(): SessionConfig {
    const { searchPort, targets, timeoutMs, handshakeTimeoutMs } = this.options;
    const keepaliveIdleMs = Math.min(KEEPALIVE_IDLE_CAP_MS, Math.max(100, timeoutMs / 3));
    // Every field spelled out (no spread of DEFAULT_SESSION_TIMING) and the optional ones present,
    // so V8 keeps all of them in-object.
    return {
      searchTargets: targets.map((address) => ({ address, port: searchPort })),
      focusedSearch: undefined,
      shared: undefined,
      uid: undefined,
      pinnedIp: undefined,
      encryption: this.encryption,
      searchIntervalMs: DEFAULT_SESSION_TIMING.searchIntervalMs,
      punchIntervalMs: DEFAULT_SESSION_TIMING.punchIntervalMs,
      handshakeTimeoutMs,
      keepaliveIdleMs,
      // Quick probes from 1.5 × keepaliveIdleMs of silence to the timeout: about 10 at 3 s, 15 at
      // 10 s. At 30 % loss each way, the camera's ALIVEs and all of those probes vanishing together
      // is rare (test/reliability/keepalive-loss.test.ts: 1 in 10^5 session-seconds at 3 s).
      probeRetryMs: Math.min(keepaliveIdleMs, Math.max(50, timeoutMs / 20)),
      lostAfterMs: timeoutMs,
      drw: DEFAULT_SESSION_TIMING.drw,
      reorderWindow: DEFAULT_SESSION_TIMING.reorderWindow,
    };
  }

  /**
   * The first search of a session, narrowed to what is known (issue 14): the camera's address
   * when there is one, and the one form it answered in last time or that its UID prefix names.
   * Undefined when nothing narrows it (the full set goes out from the start).
   */
  private focusedSearch(
    targets: readonly Address[],
    fullTargets: readonly Address[],
    uid: string | undefined,
    lastEncryption: string | undefined,
  ): FocusedSearch | undefined {
    const form = this.knownForm(lastEncryption) ?? (uid === undefined ? undefined : this.knownForm(formHint(uid)));
    if (form === undefined && targets.length >= fullTargets.length) return undefined;
    const ciphers = form === undefined ? this.searchForms : form === null ? PLAIN_FORM : [form];
    return { targets, ciphers, rounds: FOCUSED_SEARCH_ROUNDS };
  }

  /** The key of a form by name ('none' or a passphrase, as `connected` reports it), if this endpoint has it. */
  private knownForm(name: string | null | undefined): CipherKey | null | undefined {
    if (name === undefined) return undefined;
    if (name === null || name === 'none') return null;
    const candidates = this.encryption.mode === 'auto' ? this.encryption.candidates : [];
    return candidates.find((key) => key.passphrase === name);
  }

  private routeChanged(link: CameraLink, previous: Address | undefined): void {
    if (previous) this.byPeer.remove(previous, link);
    const peer = link.peer;
    if (peer) this.byPeer.add(peer, link);
    this.indexUid(link, peer ? link.peerUid : undefined);
    const searching = link.handshaking;
    // An attempt begins with a search; it is over when the link has neither a search nor a peer.
    if (searching && !this.searching.has(link)) this.handshakes.set(link, this.options.clock());
    else if (!searching && !peer) this.handshakeEnded(link);
    this.setSearching(link, searching);
  }

  /** Whether `link` may start an attempt now; if not, it is resumed when its turn comes. */
  private mayHandshake(link: CameraLink): boolean {
    if (this.stateValue !== 'ready') return false;
    this.expireHandshakes();
    if (this.handshakes.size < this.options.maxHandshakes) {
      // Started by another way (connect(), a place freed by time) while it waited: its turn is now.
      this.waitingForHandshake.delete(link);
      return true;
    }
    this.waitingForHandshake.add(link);
    this.armHandshakeTimer();
    return false;
  }

  /**
   * A place freed: the next waiting link starts on the next turn of the event loop, not in the
   * middle of whatever freed it. When a redeploy closes a thousand nodes in one go, each release
   * frees a place; admitted at once, the waiting links of nodes about to close would each send a
   * search first. A turn later, those links have been dropped (and left the queue).
   */
  private handshakeEnded(link: CameraLink): void {
    if (!this.handshakes.delete(link) || this.waitingForHandshake.size === 0 || this.admitSoon) return;
    this.admitSoon = setImmediate(() => {
      this.admitSoon = undefined;
      if (this.stateValue === 'ready') this.admitWaiting();
    });
  }

  private admitWaiting(): void {
    this.expireHandshakes();
    for (const link of this.waitingForHandshake) {
      if (this.handshakes.size >= this.options.maxHandshakes) break;
      this.waitingForHandshake.delete(link);
      // It starts (and takes its place) only if it still wants to: the user may have said disconnect.
      link.resume();
    }
    this.armHandshakeTimer();
  }

  private expireHandshakes(): void {
    const oldest = this.options.clock() - HANDSHAKE_SLOT_MS;
    for (const [link, startedAt] of this.handshakes) {
      if (startedAt > oldest) return;
      this.handshakes.delete(link);
    }
  }

  /** While links wait and every place is taken, the oldest handshake's place frees by time at the latest. */
  private armHandshakeTimer(): void {
    if (this.handshakeTimer || this.waitingForHandshake.size === 0) return;
    const first = this.handshakes.values().next();
    const delay = first.done ? 0 : Math.max(0, first.value + HANDSHAKE_SLOT_MS - this.options.clock());
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      this.admitWaiting();
    }, delay);
  }

  private setSearching(link: CameraLink, searching: boolean): void {
    if (searching) this.searching.add(link);
    else this.searching.delete(link);
    if (link.spec.kind !== 'ip') return;
    const ip = link.spec.ip;
    if (searching) this.searchingByIp.set(ip, link);
    else if (this.searchingByIp.get(ip) === link) this.searchingByIp.delete(ip);
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

const PLAIN_FORM: readonly null[] = [null];

/** A bound socket, or one a rehearsal lent (rehearsal.ts). */
type UdpSocket = dgram.Socket | LentSocket;

/** The fields a session's config has of its own; it inherits the rest from the endpoint's. */
type SessionSpecifics = Partial<Pick<SessionConfig, 'searchTargets' | 'focusedSearch' | 'uid' | 'pinnedIp' | 'shared'>>;

/**
 * A session's config as the endpoint's shared one plus the few fields of its own (targets, pin,
 * UID, focused search), which inherits the rest: a full copy per session was ~130 B of the
 * ~1 KiB an idle session may take at 10k (issue 12). Fields left undefined stay inherited. Reads
 * through the prototype are as fast for V8; a spread copy would lose the inherited fields, and no
 * code copies a session's config. `shared` names the base: a connected session keeps only that.
 */
function specialise(base: SessionConfig, own: SessionSpecifics): SessionConfig {
  // Plain assignments in one order: each config then shares one hidden class (what
  // Object.defineProperty per field did not give, and it cost a first handshake ~20 µs, bench/cold.ts).
  const config = Object.create(base) as { -readonly [K in keyof SessionSpecifics]: SessionSpecifics[K] };
  config.shared = base;
  if (own.searchTargets !== undefined) config.searchTargets = own.searchTargets;
  if (own.focusedSearch !== undefined) config.focusedSearch = own.focusedSearch;
  if (own.uid !== undefined) config.uid = own.uid;
  if (own.pinnedIp !== undefined) config.pinnedIp = own.pinnedIp;
  return config as SessionConfig;
}

function safePort(socket: UdpSocket | undefined): number | undefined {
  try {
    return socket?.address().port;
  } catch {
    return undefined;
  }
}
