import { EventEmitter } from 'node:events';
import { type Address } from '../wire/address';
import { didToUid, formatDid } from '../wire/did';
import {
  CgiReassembler,
  buildCgiRequest,
  cgiResponseCode,
  isUnsolicitedCgi,
  parseCgiVars,
  type CgiCredentials,
} from '../wire/cgi';
import { reconnectDelayMs } from '../session/backoff';
import { type HeartbeatConfig, type HeartbeatEvent, HeartbeatMonitor } from '../session/heartbeat-monitor';
import {
  type DisconnectReason,
  Session,
  type SessionConfig,
  type SessionEvent,
  type SessionOutput,
} from '../session/session';
import { type CameraSpec, describeSpec } from './camera-spec';
import { EventSource } from './event-source';
import { type Scheduled } from './scheduler';

/**
 * One camera's session as the nodes see it: it outlives the state machine of any single
 * attempt, reconnects with backoff, carries the heartbeat monitors of that camera, and is
 * shared (reference-counted) by every node that names the same camera on one network.
 */
export type LinkState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

export interface LinkConnected {
  readonly uid: string;
  readonly did: string;
  readonly peer: Address;
  readonly handshakeMs: number;
  readonly encryption: string;
  readonly attempt: number;
}

export interface LinkEvents {
  state: [LinkState];
  connecting: [{ attempt: number }];
  connected: [LinkConnected];
  disconnected: [{ reason: DisconnectReason; detail?: string; uid?: string }];
  'handshake-failed': [{ reason: string; attempt: number; retryInMs?: number }];
  rtt: [number];
  /** `index` is the DRW index (PROTOCOL.md §5): the video assembler finds gaps by it. */
  data: [{ channel: number; data: Buffer; index: number }];
  'foreign-claim': [{ from: Address; uid: string }];
}

/** What a link needs from its endpoint: a socket to send on, a clock, a timer, routing. */
export interface LinkHost {
  now(): number;
  send(data: Buffer, to: Address): void;
  /** Like send, for datagrams whose failure nobody needs to hear of (see SessionOutput.acknowledge). */
  acknowledge(data: Buffer, to: Address): void;
  schedule(link: CameraLink, atMs: number | undefined): void;
  /** Like schedule, but only ever moves the wakeup earlier: cheap to call on every datagram. */
  wakeBy(link: CameraLink, atMs: number | undefined): void;
  /**
   * The session config for the next attempt. `lastPeerIp` is the address this link last connected
   * to, if any: the endpoint pins a UID's reconnect to it when discovery no longer vouches for one.
   * `lastEncryption` is the form it answered in then ('none' or a passphrase): the first search uses only that.
   */
  sessionConfig(spec: CameraSpec, lastPeerIp?: string, lastEncryption?: string): SessionConfig | undefined;
  /** The session's peer or its searching flag changed: the endpoint re-routes datagrams. */
  routeChanged(link: CameraLink, previousPeer: Address | undefined): void;
  canStart(link: CameraLink): boolean;
  /** The session connected: the endpoint looks for other links that name this same camera. */
  identified(link: CameraLink): void;
}

export interface LinkOptions {
  readonly reconnect: boolean;
}

/** What became of a datagram routed to a link: its session's, not its session's, or a forged handshake for its camera. */
export type LinkReceipt = 'accepted' | 'ignored' | 'foreign-claim';

export class HeartbeatHandle extends EventEmitter<{ [K in HeartbeatEvent['type']]: [HeartbeatEvent] }> {
  constructor(
    readonly monitor: HeartbeatMonitor,
    /** @internal the link whose session the monitor watches: it moves when two links turn out to be one camera. */
    public home: CameraLink,
  ) {
    super();
  }

  stop(): void {
    this.home.removeHeartbeat(this);
  }
}

interface PendingCgi {
  readonly resolve: (body: Buffer) => void;
  readonly reject: (error: Error) => void;
  readonly deadline: number;
  /** The response code this request's answer carries (PROTOCOL.md §7.2); undefined for commands not in the table. */
  readonly expectedCode: number | undefined;
  /**
   * Set when the caller was told the request timed out. Answers come back in request order, so
   * the entry stays in line until its late answer arrives (and is dropped) or until this time:
   * otherwise that answer would be handed to the next request.
   */
  forgetAt?: number;
}

/** Why a CGI request got no answer. */
export type CgiFailure = 'not-connected' | 'busy' | 'timeout' | 'closed';

export class CgiRequestError extends Error {
  constructor(
    readonly reason: CgiFailure,
    message: string,
  ) {
    super(message);
    this.name = 'CgiRequestError';
  }
}

/**
 * What the command layer learnt about a camera's CGI login, kept with its link so that every
 * node naming the camera shares it: which login the firmware wants, and the session in which
 * the newer firmware's login sequence was last completed (it lasts one session).
 */
export interface LoginMemory {
  mode: 'plain' | 'eye4' | undefined;
  eye4Session: LinkConnected | undefined;
}

/** CGI requests waiting for an answer per camera; more are refused. */
export const MAX_PENDING_CGI = 16;
/** How long a timed-out CGI request keeps its place for a late answer (the DRW retries of both sides take a few seconds). */
const CGI_LATE_ANSWER_MS = 10_000;

/**
 * The link is its session's output (`SessionOutput`): the session hands each datagram and event
 * straight to it, with no array or action object in between (issue 12).
 */
export class CameraLink extends EventSource<LinkEvents> implements SessionOutput, Scheduled {
  private session: Session | undefined;
  private stateValue: LinkState = 'idle';
  private attempt = 0;
  private failures = 0;
  private retryAt: number | undefined;
  private users = 0;
  private reconnect: boolean;
  private lastConnected: LinkConnected | undefined;
  private routedPeer: Address | undefined;
  private routedSearching = false;
  /** @internal the UID the endpoint indexed this link under */
  indexedUid: string | undefined;
  /** What few links need (heartbeats, commands, a second name): made on first use. */
  private extras: LinkExtras | undefined;
  /** Set while a datagram is being received, when the session reports a foreign claim for it. */
  private claimReported = false;
  /** @internal the endpoint's scheduler keeps this link's wakeup here (`Scheduled`). */
  scheduledAt = 0;
  /** @internal */
  heapIndex = -1;

  constructor(
    readonly spec: CameraSpec,
    private readonly host: LinkHost,
    options: LinkOptions,
  ) {
    super();
    this.reconnect = options.reconnect;
  }

  // The extras, read and written as if they were fields: undefined (or the shared empty queue)
  // while the link has no extras, and writing undefined never makes them.
  private get heartbeats(): Set<HeartbeatHandle> | undefined {
    return this.extras?.heartbeats;
  }
  private set heartbeats(value: Set<HeartbeatHandle> | undefined) {
    if (value !== undefined || this.extras) this.more().heartbeats = value;
  }
  private get cgiQueue(): PendingCgi[] {
    return this.extras?.cgiQueue ?? NO_CGI;
  }
  private set cgiQueue(value: PendingCgi[]) {
    if (value !== NO_CGI || this.extras) this.more().cgiQueue = value;
  }
  private get reassembler(): CgiReassembler | undefined {
    return this.extras?.reassembler;
  }
  private set reassembler(value: CgiReassembler | undefined) {
    if (value !== undefined || this.extras) this.more().reassembler = value;
  }
  private get leader(): CameraLink | undefined {
    return this.extras?.leader;
  }
  private set leader(value: CameraLink | undefined) {
    if (value !== undefined || this.extras) this.more().leader = value;
  }
  private get ownLogin(): LoginMemory | undefined {
    return this.extras?.login;
  }
  private set ownLogin(value: LoginMemory | undefined) {
    if (value !== undefined || this.extras) this.more().login = value;
  }
  private get followers(): Set<CameraLink> | undefined {
    return this.extras?.followers;
  }
  private set followers(value: Set<CameraLink> | undefined) {
    if (value !== undefined || this.extras) this.more().followers = value;
  }

  /** Lets the extras go once nothing is in them (most often: the frame a camera pushes on connecting was read). */
  private dropEmptyExtras(): void {
    const extras = this.extras;
    if (
      extras &&
      extras.heartbeats === undefined &&
      extras.cgiQueue.length === 0 &&
      extras.reassembler === undefined &&
      extras.leader === undefined &&
      extras.login === undefined &&
      extras.followers === undefined
    )
      this.extras = undefined;
  }

  private more(): LinkExtras {
    return (this.extras ??= {
      heartbeats: undefined,
      cgiQueue: NO_CGI,
      reassembler: undefined,
      leader: undefined,
      login: undefined,
      followers: undefined,
    });
  }

  get state(): LinkState {
    return this.leader ? this.leader.state : this.stateValue;
  }

  get connected(): LinkConnected | undefined {
    if (this.leader) return this.leader.connected;
    return this.stateValue === 'connected' ? this.lastConnected : undefined;
  }

  /** How this camera's CGI login goes (shared with the link this one follows). */
  get login(): LoginMemory {
    return this.leader ? this.leader.login : (this.ownLogin ??= { mode: undefined, eye4Session: undefined });
  }

  /** The link this one follows, when both name one camera. */
  get following(): CameraLink | undefined {
    return this.leader;
  }

  get peer(): Address | undefined {
    return this.session?.peer;
  }

  get handshaking(): boolean {
    return this.session?.state === 'searching';
  }

  /** UID of the camera the current session punched or connected to; undefined while searching. */
  get peerUid(): string | undefined {
    return this.session?.uid;
  }

  get description(): string {
    return describeSpec(this.spec);
  }

  get sessionStats(): Session['stats'] | undefined {
    return this.leader ? this.leader.sessionStats : this.session?.stats;
  }

  /** @internal reference counting by the endpoint */
  retain(options: LinkOptions): void {
    this.users++;
    if (options.reconnect) this.reconnect = true;
    if (options.reconnect && this.leader) this.leader.reconnect = true;
  }

  /** @internal returns true when the last user let go */
  releaseOne(): boolean {
    this.users = Math.max(0, this.users - 1);
    return this.users === 0;
  }

  /** Starts a session now (again), resetting the backoff. */
  connect(): void {
    if (this.leader) return this.leader.connect();
    if (this.stateValue === 'connecting' || this.stateValue === 'connected') return;
    this.failures = 0;
    this.startAttempt();
  }

  /** Closes the session and stops reconnecting until `connect()`. */
  disconnect(): void {
    if (this.leader) return this.leader.disconnect();
    this.retryAt = undefined;
    this.endSession();
    this.setState('stopped');
    this.host.schedule(this, this.nextWakeMs());
  }

  /** @internal the endpoint came up (again): resume what was wanted. */
  resume(): void {
    if (this.stateValue === 'waiting' || this.stateValue === 'connecting') {
      this.retryAt = undefined;
      this.startAttempt();
    }
  }

  /** @internal the endpoint is closing or lost its socket. */
  halt(): void {
    this.endSession();
    this.retryAt = undefined;
    for (const pending of this.cgiQueue.splice(0)) pending.reject(new CgiRequestError('closed', 'network closed'));
    this.setState('stopped');
  }

  startHeartbeat(config: HeartbeatConfig): HeartbeatHandle {
    if (this.leader) return this.leader.startHeartbeat(config);
    const handle = new HeartbeatHandle(new HeartbeatMonitor(config, this.host.now()), this);
    this.adoptHeartbeat(handle);
    return handle;
  }

  /** @internal */
  removeHeartbeat(handle: HeartbeatHandle): void {
    this.heartbeats?.delete(handle);
    if (this.heartbeats?.size === 0) this.heartbeats = undefined;
    this.dropEmptyExtras();
    this.host.schedule(this, this.nextWakeMs());
  }

  private adoptHeartbeat(handle: HeartbeatHandle): void {
    handle.home = this;
    (this.heartbeats ??= new Set()).add(handle);
    this.host.schedule(this, this.nextWakeMs());
  }

  /**
   * @internal The endpoint found that `leader` is this link's camera: this link gives up its own
   * session (and its requests in flight), hands its heartbeats over, and from now on relays the
   * leader. Its listeners hear where the leader stands at once.
   */
  follow(leader: CameraLink): void {
    const head = leader.leader ?? leader;
    if (head === this || this.leader) return;
    this.retryAt = undefined;
    // Dropped without CLOSE: a half-made handshake with this camera must not close the leader's
    // session, which the camera knows by the same client port.
    this.session = undefined;
    this.syncRoute();
    for (const pending of this.cgiQueue.splice(0))
      pending.reject(
        new CgiRequestError(
          'not-connected',
          'request dropped: its session went over to another link to the same camera',
        ),
      );
    this.leader = head;
    (head.followers ??= new Set()).add(this);
    if (this.reconnect) head.reconnect = true;
    for (const handle of this.heartbeats ?? []) head.adoptHeartbeat(handle);
    this.heartbeats = undefined;
    this.host.schedule(this, undefined);
    for (const follower of this.followers ?? []) {
      follower.unfollow();
      follower.follow(head);
    }
    this.followers = undefined;
    this.emit('state', head.state);
    const up = head.connected;
    if (up) this.emit('connected', up);
  }

  /** @internal this follower's last user let go. */
  unfollow(): void {
    this.leader?.followers?.delete(this);
    this.leader = undefined;
  }

  /** @internal whether anything still needs this link: a node, or a follower whose nodes do. */
  get inUse(): boolean {
    return this.users > 0 || (this.followers?.size ?? 0) > 0;
  }

  /** Every event goes to this link's listeners, then to its followers' (which relay their leader). */
  protected override emit<K extends keyof LinkEvents>(event: K, ...args: LinkEvents[K]): boolean {
    const heard = super.emit(event, ...args);
    if (!this.followers) return heard;
    let relayed = false;
    // A copy: a listener may make its link stop following (its last user let go).
    for (const follower of [...this.followers]) relayed = follower.emit(event, ...args) || relayed;
    return heard || relayed;
  }

  /** Sends a CGI command on channel 0 and resolves with its `var a=b;` answer. */
  async cgi(
    name: string,
    params: Readonly<Record<string, string>>,
    credentials: CgiCredentials | undefined,
    timeoutMs: number,
  ): Promise<Record<string, string>> {
    const body = await this.request(name, params, credentials, timeoutMs);
    return parseCgiVars(body.toString('utf8'));
  }

  /**
   * Sends a CGI command on channel 0 and resolves with the body of its answer, as the camera
   * sent it. Rejects with a `CgiRequestError` saying why there is none.
   */
  request(
    name: string,
    params: Readonly<Record<string, string>>,
    credentials: CgiCredentials | undefined,
    timeoutMs: number,
  ): Promise<Buffer> {
    if (this.leader) return this.leader.request(name, params, credentials, timeoutMs);
    return new Promise((resolve, reject) => {
      const session = this.session;
      if (!session || this.stateValue !== 'connected')
        return reject(new CgiRequestError('not-connected', 'not connected'));
      if (this.waitingCgi() >= MAX_PENDING_CGI)
        return reject(new CgiRequestError('busy', 'too many CGI requests waiting'));
      const now = this.host.now();
      // Queued first: a DRW the session sends at once may (on a fast camera) be answered before this returns.
      const pending: PendingCgi = { resolve, reject, deadline: now + timeoutMs, expectedCode: cgiResponseCode(name) };
      if (this.cgiQueue === NO_CGI) this.cgiQueue = [];
      this.cgiQueue.push(pending);
      if (!session.sendDataInto(this, 0, buildCgiRequest(name, params, credentials), now)) {
        this.cgiQueue.splice(this.cgiQueue.indexOf(pending), 1);
        return reject(new CgiRequestError('busy', 'command channel is full'));
      }
      this.host.wakeBy(this, this.nextWakeMs());
    });
  }

  /** @internal a datagram the endpoint routed here; `from` is only read during the call. */
  receive(data: Buffer, from: Address): LinkReceipt {
    const session = this.session;
    if (!session) return 'ignored';
    this.claimReported = false;
    const accepted = session.receiveInto(this, data, from, this.host.now());
    this.syncRoute();
    // Only ever earlier: an ALIVE moves the session's next wakeup later, and the scheduler sees
    // that without a clock read or a heap entry (bench/scale.ts).
    this.host.wakeBy(this, this.nextWakeMs());
    return accepted ? 'accepted' : this.claimReported ? 'foreign-claim' : 'ignored';
  }

  /** @internal SessionOutput: a datagram from this link's session. */
  send(data: Buffer, to: Address): void {
    this.host.send(data, to);
  }

  /** @internal SessionOutput: an acknowledgement from this link's session. */
  acknowledge(data: Buffer, to: Address): void {
    this.host.acknowledge(data, to);
  }

  /** @internal SessionOutput: an event from this link's session. */
  report(event: SessionEvent): void {
    if (event.type === 'foreign-claim') this.claimReported = true;
    this.onSessionEvent(event);
  }

  /** @internal the scheduler's call */
  wake(nowMs: number): void {
    if (this.retryAt !== undefined && nowMs >= this.retryAt) {
      this.retryAt = undefined;
      this.startAttempt();
    }
    if (this.session) this.session.tickInto(this, nowMs);
    this.expireCgi(nowMs);
    // A copy: a listener may stop its heartbeat (or start one) while the events go out.
    if (this.heartbeats) {
      for (const handle of [...this.heartbeats]) {
        const { probe, events } = handle.monitor.tick(
          nowMs,
          this.session?.lastHeardMs ?? 0,
          this.stateValue === 'connected',
        );
        if (probe && this.session) this.session.probeInto(this, nowMs);
        for (const event of events) handle.emit(event.type, event);
      }
    }
    this.syncRoute();
    this.host.schedule(this, this.nextWakeMs());
  }

  nextWakeMs(): number | undefined {
    // Called for every datagram that asked for a reply: no closure per call (bench/scale.ts).
    let wake = earlier(this.session?.nextWakeMs(), this.retryAt);
    if (this.heartbeats) for (const handle of this.heartbeats) wake = earlier(wake, handle.monitor.nextWakeMs());
    for (const pending of this.cgiQueue) wake = earlier(wake, pending.forgetAt ?? pending.deadline);
    return wake;
  }

  private startAttempt(): void {
    if (this.leader) return;
    if (!this.host.canStart(this)) {
      this.setState('waiting');
      return;
    }
    this.endSession();
    const config = this.host.sessionConfig(this.spec, this.lastConnected?.peer.address, this.lastConnected?.encryption);
    if (!config) {
      this.setState('waiting');
      return;
    }
    this.attempt++;
    this.session = new Session(config);
    this.reassembler = undefined;
    // The first search goes out before anyone hears of the attempt: listeners (node statuses)
    // are not on the way of a camera that answers within a millisecond (issue 14).
    this.session.startInto(this, this.host.now());
    this.syncRoute();
    this.host.schedule(this, this.nextWakeMs());
    // A session that failed at once (a handshake timeout of 0) has said so already.
    if (this.session?.state !== 'searching') return;
    this.setState('connecting');
    this.emit('connecting', { attempt: this.attempt });
  }

  private endSession(): void {
    const session = this.session;
    if (!session) return;
    session.closeInto(this);
    this.session = undefined;
    this.syncRoute();
  }

  private syncRoute(): void {
    const peer = this.session?.peer;
    const searching = this.session?.state === 'searching';
    if (peer === this.routedPeer && searching === this.routedSearching) return;
    const previous = this.routedPeer;
    this.routedPeer = peer;
    this.routedSearching = searching;
    this.host.routeChanged(this, previous);
  }

  private onSessionEvent(event: SessionEvent): void {
    switch (event.type) {
      case 'connected':
        this.failures = 0;
        this.lastConnected = {
          uid: event.uid,
          // The session's own string: one copy per connected camera.
          did: this.session?.formattedDid ?? formatDid(event.did),
          peer: event.peer,
          handshakeMs: event.handshakeMs,
          encryption: event.encryption,
          attempt: this.attempt,
        };
        this.setState('connected');
        this.emit('connected', this.lastConnected);
        this.host.identified(this);
        return;
      case 'disconnected': {
        // Attempts are counted per outage: the first reconnect after this one is attempt 1.
        this.attempt = 0;
        for (const pending of this.cgiQueue.splice(0))
          pending.reject(new CgiRequestError('not-connected', `disconnected (${event.reason})`));
        const uid = this.lastConnected?.uid;
        const detail = event.detail;
        this.emit('disconnected', {
          reason: event.reason,
          ...(detail === undefined ? {} : { detail }),
          ...(uid ? { uid } : {}),
        });
        this.afterSessionEnded(event.reason !== 'closed');
        return;
      }
      case 'handshake-failed':
        this.failures++;
        this.afterSessionEnded(true, event.reason);
        return;
      case 'rtt':
        this.emit('rtt', event.rttMs);
        if (this.heartbeats) for (const handle of this.heartbeats) handle.monitor.recordRtt(event.rttMs);
        return;
      case 'data':
        this.emit('data', { channel: event.channel, data: event.data, index: event.index });
        if (event.channel === 0) this.onCommandData(event.data);
        return;
      case 'foreign-claim':
        this.emit('foreign-claim', { from: event.from, uid: didToUid(event.did) });
        return;
      default:
        return;
    }
  }

  /** Decides between reconnecting later and stopping, once a session (or attempt) is over. */
  private afterSessionEnded(mayRetry: boolean, handshakeReason?: string): void {
    if (this.session?.state === 'closed') {
      this.session = undefined;
      this.syncRoute();
    }
    if (mayRetry && this.reconnect) {
      const delay = reconnectDelayMs(this.failures);
      this.retryAt = this.host.now() + delay;
      this.setState('waiting');
      if (handshakeReason)
        this.emit('handshake-failed', { reason: handshakeReason, attempt: this.attempt, retryInMs: delay });
    } else {
      this.setState(this.stateValue === 'stopped' ? 'stopped' : 'idle');
      if (handshakeReason) this.emit('handshake-failed', { reason: handshakeReason, attempt: this.attempt });
    }
  }

  private onCommandData(data: Buffer): void {
    const blocks = (this.reassembler ??= new CgiReassembler()).push(data);
    if (!blocks.ok) return;
    for (const block of blocks.value) {
      if (!block.response) continue;
      // Pushed frames (0x6040, or 0x6001 when get_status is not the request waiting) answer nothing.
      if (isUnsolicitedCgi(block.code, this.cgiQueue[0]?.expectedCode)) continue;
      const pending = this.cgiQueue.shift();
      // The late answer of a request that already timed out: its caller has moved on.
      if (pending?.forgetAt === undefined) pending?.resolve(block.body);
    }
    // Most links hear one pushed frame and then nothing on channel 0 for hours: no reassembler kept for that.
    if (this.reassembler?.bufferedBytes === 0) this.reassembler = undefined;
    this.dropEmptyExtras();
  }

  private expireCgi(nowMs: number): void {
    let timedOut = 0;
    for (const pending of this.cgiQueue) {
      if (pending.forgetAt === undefined && pending.deadline <= nowMs) {
        pending.forgetAt = nowMs + CGI_LATE_ANSWER_MS;
        pending.reject(new CgiRequestError('timeout', 'CGI request timed out'));
      }
      if (pending.forgetAt !== undefined) timedOut++;
    }
    if (timedOut === 0) return;
    // Forget places held too long, and the oldest beyond MAX_PENDING_CGI of them: the queue stays bounded.
    let excess = Math.max(0, timedOut - MAX_PENDING_CGI);
    for (let i = 0; i < this.cgiQueue.length;) {
      const forgetAt = this.cgiQueue[i]?.forgetAt;
      if (forgetAt !== undefined && (forgetAt <= nowMs || excess > 0)) {
        excess = Math.max(0, excess - 1);
        this.cgiQueue.splice(i, 1);
      } else i++;
    }
  }

  /** CGI requests whose caller is still waiting. */
  private waitingCgi(): number {
    let waiting = 0;
    for (const pending of this.cgiQueue) if (pending.forgetAt === undefined) waiting++;
    return waiting;
  }

  private setState(state: LinkState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit('state', state);
  }
}

/** Never pushed to: `request` replaces it with the link's own array first. */
const NO_CGI: PendingCgi[] = [];

/**
 * The parts of a link most links never use, in one object made on first use: an idle link that
 * nobody sends commands to, watches with a heartbeat node or names twice has none (issue 12:
 * six fields on every link were ~50 B of an idle session's heap at 10k).
 */
interface LinkExtras {
  // The CGI reassembler and the heartbeat Set are themselves made on first use: a reassembler's
  // buffer or an empty Set per link would add up again.
  heartbeats: Set<HeartbeatHandle> | undefined;
  /** The shared empty queue until the first request. */
  cgiQueue: PendingCgi[];
  reassembler: CgiReassembler | undefined;
  /**
   * Set when this link turned out to name the same camera as another (by IP here, by UID there):
   * it then has no session of its own and every call and event goes through the leader, so one
   * camera has one session on one socket whatever its nodes call it.
   */
  leader: CameraLink | undefined;
  /** How this camera's CGI login goes: made on the first command. */
  login: LoginMemory | undefined;
  /** Links that follow this one: they hear every event it emits. */
  followers: Set<CameraLink> | undefined;
}

function earlier(a: number | undefined, b: number | undefined): number | undefined {
  return b !== undefined && (a === undefined || b < a) ? b : a;
}
