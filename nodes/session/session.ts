import { type Address, sameAddress } from '../wire/address';
import { type CipherKey } from '../wire/cipher';
import { type Did, didToUid, formatDid, normalizeUid, parseDid, sameDid } from '../wire/did';
import { type PpppMessage, decodePppp, encodePppp } from '../wire/pppp';
import { DrwReceiver, LossyDrwReceiver } from './drw-receiver';
import { DEFAULT_DRW_SENDER_LIMITS, DrwSender, type DrwSenderLimits } from './drw-sender';
import {
  type EncryptionMode,
  type LearnedCipher,
  cipherName,
  initialCipher,
  formOf,
  openIn,
  seal,
  sealedAliveAck,
  sealedLanSearch,
  searchCiphers,
} from './encryption';

/**
 * The client side of one PPPP session as a sans-I/O state machine (PROTOCOL.md §4, §5).
 * It is fed datagrams, ticks and commands with the current time, and answers with actions:
 * datagrams to send and events to report. `nextWakeMs()` says when it next needs a tick.
 *
 * Two spellings of one interface: the `...Into` methods hand each action to a `SessionOutput` as
 * it is made, which is what the engine uses (at 10k sessions an ALIVE arrives every 100 µs, and
 * an array and an action object per datagram were a measurable share of the engine's cost,
 * issue 12); the plain ones collect the actions into an array, which is what tests read.
 */

export type SessionState = 'idle' | 'searching' | 'punching' | 'connected' | 'closed';

export type DisconnectReason = 'timeout' | 'closed-by-camera' | 'closed' | 'error';

export interface SessionConfig {
  /** Where LAN_SEARCH goes: broadcast addresses and/or the camera's IP, at the search port. */
  readonly searchTargets: readonly Address[];
  /**
   * Where and how the first searches go when the endpoint knows the camera's address or its
   * form: one datagram instead of one per target and form. Later searches, if these go
   * unanswered, use every target in every form.
   */
  readonly focusedSearch?: FocusedSearch;
  /**
   * Accept only this camera; undefined takes the first camera that answers. Dash-less UID, though
   * the dashed and lower-case spellings match too.
   */
  readonly uid?: string;
  /** Accept handshake packets only from this IP, when the user named the camera by IP or discovery vouched for it. */
  readonly pinnedIp?: string;
  readonly encryption: EncryptionMode;
  readonly searchIntervalMs: number;
  readonly punchIntervalMs: number;
  /** From start to P2P_RDY. */
  readonly handshakeTimeoutMs: number;
  /** Send our own ALIVE after this much silence from the camera. */
  readonly keepaliveIdleMs: number;
  /**
   * Once the camera has been silent for 1.5 × `keepaliveIdleMs` (it missed an ALIVE it would have
   * sent), an unanswered ALIVE is sent again after this long (never sooner than twice the last
   * round trip) rather than after another `keepaliveIdleMs`: on a lossy link, several quick probes
   * tell a camera that is gone from a few lost datagrams before `lostAfterMs` runs out.
   * Undefined (or anything not below `keepaliveIdleMs`) keeps one probe per `keepaliveIdleMs`.
   */
  readonly probeRetryMs?: number;
  /** Silence after which the camera is lost. */
  readonly lostAfterMs: number;
  readonly drw: DrwSenderLimits;
  /** Out-of-order DRWs held per channel. */
  readonly reorderWindow: number;
  /**
   * The endpoint-wide config this one narrows for a single attempt (its targets, pins, UID). A
   * connected session keeps only this one: the narrowing matters only while searching, and at
   * 10k sessions the per-attempt objects were a tenth of the heap (issue 12).
   */
  readonly shared?: SessionConfig;
}

export interface FocusedSearch {
  readonly targets: readonly Address[];
  /** null = plaintext. */
  readonly ciphers: readonly (CipherKey | null)[];
  /** How many searches (one per `searchIntervalMs`) stay focused before the full set. */
  readonly rounds: number;
}

export const DEFAULT_SESSION_TIMING = {
  searchIntervalMs: 300,
  punchIntervalMs: 100,
  handshakeTimeoutMs: 8000,
  keepaliveIdleMs: 1000,
  lostAfterMs: 10_000,
  drw: DEFAULT_DRW_SENDER_LIMITS,
  reorderWindow: 64,
} as const;

/** Channels 0 (commands), 1 (video), 2 and 3 (audio); DRWs on any other channel are dropped. */
export const MAX_CHANNEL = 3;
/** The video channel is lossy: a hole the camera does not fill is given up (`LossyDrwReceiver`). */
export const VIDEO_CHANNEL = 1;
/**
 * How long a hole in the video channel may stay open before it is given up: a little longer than
 * the few hundred ms after which a camera that does resend would have resent (PROTOCOL.md §5).
 */
export const VIDEO_GAP_WAIT_MS = 400;

export type SessionEvent =
  | { readonly type: 'punched'; readonly peer: Address; readonly did: Did }
  | {
      readonly type: 'connected';
      readonly peer: Address;
      readonly did: Did;
      readonly uid: string;
      readonly handshakeMs: number;
      readonly encryption: string;
    }
  | {
      readonly type: 'handshake-failed';
      readonly reason: 'timeout' | 'closed-by-camera';
      readonly phase: 'searching' | 'punching';
    }
  | { readonly type: 'disconnected'; readonly reason: DisconnectReason; readonly detail?: string }
  | { readonly type: 'rtt'; readonly rttMs: number }
  /** `index` is the DRW index of `data`; on the video channel a jump in it is a gap. */
  | { readonly type: 'data'; readonly channel: number; readonly data: Buffer; readonly index: number }
  | { readonly type: 'drw-failed'; readonly channel: number; readonly index: number }
  /** Our camera's DID claimed from an address the session is not pinned to: a spoof or a second camera. */
  | { readonly type: 'foreign-claim'; readonly from: Address; readonly did: Did };

export type SessionAction =
  | { readonly kind: 'send'; readonly to: Address; readonly data: Buffer }
  | { readonly kind: 'event'; readonly event: SessionEvent };

export interface SessionStats {
  received: number;
  /** Datagrams from addresses other than the pinned peer (and handshake packets from the wrong IP). */
  foreign: number;
  undecodable: number;
  alivesAnswered: number;
  alivesSent: number;
  drwIn: number;
  drwOut: number;
  duplicates: number;
  retransmits: number;
}

/** Where a session's actions go as it makes them. */
export interface SessionOutput {
  /** A datagram to send to `to`. */
  send(data: Buffer, to: Address): void;
  /**
   * An acknowledgement (ALIVE_ACK, DRW_ACK) to send to `to`: its loss is absorbed by the protocol
   * (the peer sends again and gets another), so the output need not wait to learn how it went. One
   * ALIVE_ACK per session-second is most of what an endpoint with many idle sessions sends, and a
   * send that reports back costs dgram a callback on the next tick (issue 12).
   */
  acknowledge(data: Buffer, to: Address): void;
  /** An event to report. */
  report(event: SessionEvent): void;
}

export interface Step {
  /** Whether the datagram belonged to this session; the endpoint offers unclaimed ones to others. */
  readonly accepted: boolean;
  readonly actions: SessionAction[];
}

/** The array spelling of a SessionOutput. */
class ActionCollector implements SessionOutput {
  readonly actions: SessionAction[] = [];

  send(data: Buffer, to: Address): void {
    this.actions.push({ kind: 'send', to, data });
  }

  acknowledge(data: Buffer, to: Address): void {
    this.actions.push({ kind: 'send', to, data });
  }

  report(event: SessionEvent): void {
    this.actions.push({ kind: 'event', event });
  }
}

const CLOSE_COPIES = 2;

/** The counters of things an idle session never sees (see `Session.stats`). */
interface RareCounts {
  foreign: number;
  undecodable: number;
  alivesSent: number;
  drwOut: number;
  duplicates: number;
  retransmits: number;
}

/** A session's DRW channels in use (PROTOCOL.md §5). */
interface ChannelState {
  /** By channel; a Map made on the first send. */
  senders: Map<number, DrwSender> | undefined;
  /** Channel 0's while DRWs wait out of order (see `commandExpected`). */
  commandReceiver: DrwReceiver | undefined;
  /** Channels 2 and 3 (audio) by index, made on their first DRW: an array, not a Map, as a Map's table is ~200 B. */
  receivers: (DrwReceiver | undefined)[] | undefined;
  videoReceiver: LossyDrwReceiver | undefined;
}

/** What only a handshake needs: dropped on connecting, so an idle session keeps none of it (issue 12). */
interface Handshake {
  startedAt: number;
  nextSearchAt: number;
  nextPunchAt: number;
  searches: number;
  /** The camera's PUNCH as it came: echoed unchanged until P2P_RDY. */
  punch: Buffer | undefined;
  /** The DID punched, which P2P_RDY must repeat. */
  did: Did | undefined;
  /** The configured UID, normalised: PUNCHes naming another camera are not ours. */
  readonly wantedUid: string | undefined;
}

export class Session {
  private stateValue: SessionState = 'idle';
  private peerValue: Address | undefined;
  /**
   * The connected camera's DID, formatted: a claim on it from another address is a foreign claim.
   * A string, which the link's `connected` record shares, rather than a Did and its two strings.
   */
  private didText: string | undefined;
  /** The peer's UID, made once: the endpoint's index and the `connected` event share the string. */
  private uidValue: string | undefined;
  private cipher: LearnedCipher;
  private handshake: Handshake | undefined;
  private configValue: SessionConfig;
  private lastHeardAt = 0;
  private probeSentAt: number | undefined;
  private lastRttMs: number | undefined;
  /**
   * Channel 0 (commands): every camera pushes a frame there on connecting, so most sessions use
   * it, but seldom. While nothing is held out of order its whole state is the next expected
   * index, kept as a number; a receiver exists only while DRWs wait for a hole to fill (issue 12).
   */
  private commandExpected = 0;
  /** The DRW senders and receivers, made on first use: most sessions carry no DRW but the one pushed frame. */
  private channels: ChannelState | undefined;
  // The counters `stats` reports: those every session moves (each ALIVE, the frame a camera pushes
  // on connecting) as fields, the rest in an object made on their first count (issue 12).
  private receivedCount = 0;
  private alivesAnsweredCount = 0;
  private drwInCount = 0;
  private rareCounts: RareCounts | undefined;

  constructor(config: SessionConfig) {
    this.configValue = config;
    this.cipher = initialCipher(config.encryption);
  }

  /** The attempt's config until connected, then the shared one it narrowed. */
  get config(): SessionConfig {
    return this.configValue;
  }

  /** A snapshot of the session's counters. */
  get stats(): SessionStats {
    return {
      received: this.receivedCount,
      alivesAnswered: this.alivesAnsweredCount,
      foreign: this.rareCounts?.foreign ?? 0,
      undecodable: this.rareCounts?.undecodable ?? 0,
      alivesSent: this.rareCounts?.alivesSent ?? 0,
      drwIn: this.drwInCount,
      drwOut: this.rareCounts?.drwOut ?? 0,
      duplicates: this.rareCounts?.duplicates ?? 0,
      retransmits: this.rareCounts?.retransmits ?? 0,
    };
  }

  private counts(): RareCounts {
    return (this.rareCounts ??= {
      foreign: 0,
      undecodable: 0,
      alivesSent: 0,
      drwOut: 0,
      duplicates: 0,
      retransmits: 0,
    });
  }

  // The channel state, read and written as if each part were a field of its own.
  private get senders(): Map<number, DrwSender> | undefined {
    return this.channels?.senders;
  }
  private set senders(value: Map<number, DrwSender> | undefined) {
    if (value !== undefined || this.channels) this.channelState().senders = value;
  }
  private get commandReceiver(): DrwReceiver | undefined {
    return this.channels?.commandReceiver;
  }
  private set commandReceiver(value: DrwReceiver | undefined) {
    if (value !== undefined || this.channels) this.channelState().commandReceiver = value;
  }
  private get receivers(): (DrwReceiver | undefined)[] | undefined {
    return this.channels?.receivers;
  }
  private set receivers(value: (DrwReceiver | undefined)[] | undefined) {
    if (value !== undefined || this.channels) this.channelState().receivers = value;
  }
  private get videoReceiver(): LossyDrwReceiver | undefined {
    return this.channels?.videoReceiver;
  }
  private set videoReceiver(value: LossyDrwReceiver | undefined) {
    if (value !== undefined || this.channels) this.channelState().videoReceiver = value;
  }

  private channelState(): ChannelState {
    return (this.channels ??= {
      senders: undefined,
      commandReceiver: undefined,
      receivers: undefined,
      videoReceiver: undefined,
    });
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get peer(): Address | undefined {
    return this.peerValue;
  }

  /**
   * The DID punched while the handshake runs; once connected, the connected camera's, read back
   * from the formatted string the session keeps (upper case, undefined for a DID whose parts are
   * not letters and digits as real ones are); undefined after a failed handshake.
   */
  get did(): Did | undefined {
    if (this.handshake) return this.handshake.did;
    return this.didText === undefined ? undefined : parseDid(this.didText);
  }

  /** The connected camera's DID as `formatDid` spells it. */
  get formattedDid(): string | undefined {
    return this.didText;
  }

  /** UID of the camera punched or connected to; undefined while searching. */
  get uid(): string | undefined {
    return this.uidValue;
  }

  get encryption(): CipherKey | null | undefined {
    return this.cipher;
  }

  /** Time of the last datagram heard from the peer. */
  get lastHeardMs(): number {
    return this.lastHeardAt;
  }

  start(nowMs: number): SessionAction[] {
    const out = new ActionCollector();
    this.startInto(out, nowMs);
    return out.actions;
  }

  receive(datagram: Buffer, from: Address, nowMs: number): Step {
    const out = new ActionCollector();
    const accepted = this.receiveInto(out, datagram, from, nowMs);
    return { accepted, actions: out.actions };
  }

  tick(nowMs: number): SessionAction[] {
    const out = new ActionCollector();
    this.tickInto(out, nowMs);
    return out.actions;
  }

  /** Sends an ALIVE to measure the round trip, unless one is already out. */
  probe(nowMs: number): SessionAction[] {
    const out = new ActionCollector();
    this.probeInto(out, nowMs);
    return out.actions;
  }

  /** Queues data on a DRW channel. Returns undefined when the channel's queue is full. */
  sendData(channel: number, data: Buffer, nowMs: number): SessionAction[] | undefined {
    const out = new ActionCollector();
    return this.sendDataInto(out, channel, data, nowMs) ? out.actions : undefined;
  }

  close(): SessionAction[] {
    const out = new ActionCollector();
    this.closeInto(out);
    return out.actions;
  }

  startInto(out: SessionOutput, nowMs: number): void {
    if (this.stateValue !== 'idle') return;
    this.stateValue = 'searching';
    this.handshake = {
      startedAt: nowMs,
      nextSearchAt: nowMs,
      nextPunchAt: nowMs,
      searches: 0,
      punch: undefined,
      did: undefined,
      wantedUid:
        this.configValue.uid === undefined ? undefined : (normalizeUid(this.configValue.uid) ?? this.configValue.uid),
    };
    this.tickInto(out, nowMs);
  }

  /**
   * Returns whether the datagram belonged to this session. `from` is only read during the call
   * (a copy is kept when it becomes the peer), so the caller may pass an object it reuses.
   */
  receiveInto(out: SessionOutput, datagram: Buffer, from: Address, nowMs: number): boolean {
    if (this.stateValue === 'idle' || this.stateValue === 'closed') return false;
    const peer = this.peerValue;
    const fromPeer = peer !== undefined && sameAddress(from, peer);
    if (peer !== undefined && !fromPeer) {
      this.foreign(out, datagram, from);
      return false;
    }
    const cipher = formOf(this.configValue.encryption, this.cipher, datagram);
    const plain = cipher === undefined ? undefined : openIn(cipher, datagram);
    const decoded = plain ? decodePppp(plain) : undefined;
    if (cipher === undefined || !plain || !decoded?.ok) {
      if (fromPeer) this.counts().undecodable++;
      return fromPeer;
    }
    const message = decoded.value;
    if (peer === undefined) return this.whileSearching(out, message, plain, cipher, from, nowMs);
    this.receivedCount++;
    this.lastHeardAt = nowMs;
    this.fromPeer(out, peer, message, nowMs);
    return true;
  }

  tickInto(out: SessionOutput, nowMs: number): void {
    const handshake = this.handshake;
    const config = this.configValue;
    switch (this.stateValue) {
      case 'searching':
        if (!handshake) return;
        if (nowMs - handshake.startedAt >= config.handshakeTimeoutMs) return this.failHandshake(out, 'searching');
        if (nowMs < handshake.nextSearchAt) return;
        handshake.nextSearchAt = nowMs + config.searchIntervalMs;
        return this.search(out, handshake);
      case 'punching':
        if (!handshake) return;
        if (nowMs - handshake.startedAt >= config.handshakeTimeoutMs) return this.failHandshake(out, 'punching');
        if (nowMs < handshake.nextPunchAt || !handshake.punch || !this.peerValue) return;
        handshake.nextPunchAt = nowMs + config.punchIntervalMs;
        return this.send(out, handshake.punch);
      case 'connected':
        return this.tickConnected(out, nowMs);
      default:
        return;
    }
  }

  probeInto(out: SessionOutput, nowMs: number): void {
    if (this.stateValue !== 'connected' || this.probeSentAt !== undefined) return;
    this.probeSentAt = nowMs;
    this.counts().alivesSent++;
    this.sendMessage(out, { kind: 'alive' });
  }

  /** Returns false (and sends nothing) when the channel's queue is full or the session not connected. */
  sendDataInto(out: SessionOutput, channel: number, data: Buffer, nowMs: number): boolean {
    if (this.stateValue !== 'connected' || !Number.isInteger(channel) || channel < 0 || channel > MAX_CHANNEL)
      return false;
    const queued = this.sender(channel).enqueue(data, nowMs);
    if (!queued) return false;
    for (const drw of queued) this.sendDrw(out, channel, drw.index, drw.data);
    return true;
  }

  closeInto(out: SessionOutput): void {
    if (this.stateValue === 'closed') return;
    const wasLinked = this.stateValue === 'connected' || this.stateValue === 'punching';
    if (wasLinked) for (let i = 0; i < CLOSE_COPIES; i++) this.sendMessage(out, { kind: 'close' });
    this.end(out, 'closed');
  }

  nextWakeMs(): number | undefined {
    switch (this.stateValue) {
      case 'searching':
        return this.handshake
          ? Math.min(this.handshake.nextSearchAt, this.handshake.startedAt + this.configValue.handshakeTimeoutMs)
          : undefined;
      case 'punching':
        return this.handshake
          ? Math.min(this.handshake.nextPunchAt, this.handshake.startedAt + this.configValue.handshakeTimeoutMs)
          : undefined;
      case 'connected': {
        const idleMs = this.configValue.keepaliveIdleMs;
        let wake = this.lastHeardAt + this.configValue.lostAfterMs;
        if (this.probeSentAt === undefined) wake = Math.min(wake, this.lastHeardAt + idleMs);
        else {
          wake = Math.min(wake, this.probeSentAt + idleMs);
          const everyMs = this.quickRetryMs();
          if (everyMs !== undefined)
            wake = Math.min(wake, Math.max(this.probeSentAt + everyMs, this.lastHeardAt + 1.5 * idleMs));
        }
        if (this.senders) {
          for (const sender of this.senders.values()) {
            const due = sender.nextWakeMs();
            if (due !== undefined) wake = Math.min(wake, due);
          }
        }
        const gapDue = this.videoReceiver?.nextWakeMs();
        if (gapDue !== undefined) wake = Math.min(wake, gapDue);
        return wake;
      }
      default:
        return undefined;
    }
  }

  private search(out: SessionOutput, handshake: Handshake): void {
    const config = this.configValue;
    const focused = config.focusedSearch;
    const narrow = focused !== undefined && handshake.searches < focused.rounds;
    handshake.searches++;
    const targets = narrow ? focused.targets : config.searchTargets;
    const ciphers = narrow ? focused.ciphers : searchCiphers(config.encryption);
    for (const cipher of ciphers) {
      const data = sealedLanSearch(cipher);
      for (const to of targets) out.send(data, to);
    }
  }

  private whileSearching(
    out: SessionOutput,
    message: PpppMessage,
    plain: Buffer,
    cipher: CipherKey | null,
    from: Address,
    nowMs: number,
  ): boolean {
    const handshake = this.handshake;
    if (message.kind !== 'punch' || !handshake) return false;
    const uid = didToUid(message.did);
    if (handshake.wantedUid !== undefined && uid !== handshake.wantedUid) return false;
    if (this.configValue.pinnedIp !== undefined && from.address !== this.configValue.pinnedIp) {
      this.counts().foreign++;
      out.report({ type: 'foreign-claim', from: copyAddress(from), did: message.did });
      return false;
    }
    const peer = copyAddress(from);
    this.peerValue = peer;
    handshake.did = message.did;
    this.uidValue = uid;
    this.cipher = cipher;
    this.stateValue = 'punching';
    this.lastHeardAt = nowMs;
    this.receivedCount++;
    // Echo the camera's PUNCH unchanged (PROTOCOL.md §4), padding and all: re-encoding the
    // decoded DID would drop bytes after a field's NUL and anything past the declared length.
    handshake.punch = Buffer.from(plain);
    handshake.nextPunchAt = nowMs + this.configValue.punchIntervalMs;
    this.send(out, handshake.punch);
    out.report({ type: 'punched', peer, did: message.did });
    return true;
  }

  private fromPeer(out: SessionOutput, peer: Address, message: PpppMessage, nowMs: number): void {
    switch (message.kind) {
      case 'ready':
        return this.onReady(out, message.did, nowMs);
      case 'punch':
        // The camera repeats PUNCH until it hears our echo; echo each one.
        if (this.stateValue === 'punching' && this.handshake?.punch) this.send(out, this.handshake.punch);
        return;
      case 'alive':
        // One preencoded ALIVE_ACK per form, shared by every session: nothing is built per ALIVE.
        this.alivesAnsweredCount++;
        out.acknowledge(sealedAliveAck(this.cipher ?? null), peer);
        return;
      case 'alive-ack':
        return this.onAliveAck(out, nowMs);
      case 'close':
        return this.end(out, 'closed-by-camera');
      case 'drw':
        if (this.stateValue === 'connected') this.onDrw(out, message.channel, message.index, message.data, nowMs);
        return;
      case 'drw-ack':
        if (this.stateValue === 'connected') this.onDrwAck(out, message.channel, message.indices, nowMs);
        return;
      default:
        return;
    }
  }

  private onReady(out: SessionOutput, did: Did, nowMs: number): void {
    const handshake = this.handshake;
    const punched = handshake?.did;
    if (this.stateValue !== 'punching' || !handshake || !punched || !this.peerValue || !sameDid(did, punched)) return;
    this.stateValue = 'connected';
    this.didText = formatDid(punched);
    this.handshake = undefined;
    this.configValue = this.configValue.shared ?? this.configValue;
    out.report({
      type: 'connected',
      peer: this.peerValue,
      // The same DID as `did`, the copy the session keeps: the READY's own copy can go.
      did: punched,
      uid: this.uidValue ?? didToUid(did),
      handshakeMs: nowMs - handshake.startedAt,
      encryption: cipherName(this.cipher ?? null),
    });
  }

  private onAliveAck(out: SessionOutput, nowMs: number): void {
    if (this.probeSentAt === undefined) return;
    const rttMs = nowMs - this.probeSentAt;
    this.probeSentAt = undefined;
    this.lastRttMs = rttMs;
    out.report({ type: 'rtt', rttMs });
  }

  private onDrw(out: SessionOutput, channel: number, index: number, data: Buffer, nowMs: number): void {
    if (channel > MAX_CHANNEL) return;
    this.drwInCount++;
    if (channel === VIDEO_CHANNEL) return this.onVideoDrw(out, index, data, nowMs);
    const receiver = this.receiver(channel);
    const firstIndex = receiver.nextExpected;
    const result = receiver.receive(index, data);
    if (channel === 0) this.parkCommandReceiver(receiver);
    if (result.duplicate) this.counts().duplicates++;
    if (result.ack.length > 0) this.acknowledgeDrws(out, channel, result.ack);
    this.deliver(out, channel, firstIndex, result.deliver);
  }

  private onVideoDrw(out: SessionOutput, index: number, data: Buffer, nowMs: number): void {
    const receiver = (this.videoReceiver ??= new LossyDrwReceiver(this.configValue.reorderWindow, VIDEO_GAP_WAIT_MS));
    const result = receiver.receive(index, data, nowMs);
    if (result.duplicate) this.counts().duplicates++;
    this.acknowledgeDrws(out, VIDEO_CHANNEL, result.ack);
    for (const run of result.runs) this.deliver(out, VIDEO_CHANNEL, run.firstIndex, run.chunks);
  }

  /** `chunks` carry consecutive DRW indices from `firstIndex`. */
  private deliver(out: SessionOutput, channel: number, firstIndex: number, chunks: readonly Buffer[]): void {
    for (let offset = 0; offset < chunks.length; offset++) {
      const data = chunks[offset];
      if (data === undefined) continue;
      out.report({ type: 'data', channel, data, index: (firstIndex + offset) & 0xffff });
    }
  }

  private onDrwAck(out: SessionOutput, channel: number, indices: readonly number[], nowMs: number): void {
    const sender = this.senders?.get(channel);
    if (!sender) return;
    for (const drw of sender.acknowledge(indices, nowMs)) this.sendDrw(out, channel, drw.index, drw.data);
  }

  private tickConnected(out: SessionOutput, nowMs: number): void {
    if (nowMs - this.lastHeardAt >= this.configValue.lostAfterMs) {
      this.sendMessage(out, { kind: 'close' });
      this.end(out, 'timeout', `no reply for ${Math.round(nowMs - this.lastHeardAt)} ms`);
      return;
    }
    const idleMs = this.configValue.keepaliveIdleMs;
    const silentMs = nowMs - this.lastHeardAt;
    const everyMs = this.quickRetryMs();
    const giveUpAfterMs = everyMs !== undefined && silentMs >= 1.5 * idleMs ? everyMs : idleMs;
    const probeOverdue = this.probeSentAt !== undefined && nowMs - this.probeSentAt >= giveUpAfterMs;
    if (probeOverdue) this.probeSentAt = undefined;
    if (silentMs >= idleMs) this.probeInto(out, nowMs);
    if (this.senders) {
      for (const [channel, sender] of this.senders) {
        const { resend, gaveUp, retransmitted } = sender.tick(nowMs);
        if (retransmitted > 0) this.counts().retransmits += retransmitted;
        for (const drw of resend) this.sendDrw(out, channel, drw.index, drw.data);
        for (const index of gaveUp) out.report({ type: 'drw-failed', channel, index });
      }
    }
    if (this.videoReceiver) {
      for (const run of this.videoReceiver.tick(nowMs).runs)
        this.deliver(out, VIDEO_CHANNEL, run.firstIndex, run.chunks);
    }
  }

  /**
   * Quick probe retries (`probeRetryMs`): from 1.5 × keepaliveIdleMs of silence, every this many
   * ms. Before that an unanswered probe waits keepaliveIdleMs, so a camera whose ALIVE period
   * equals keepaliveIdleMs does not set them off, and a slow camera's round trip is still
   * measured from the probe it answers. Undefined when not configured.
   */
  private quickRetryMs(): number | undefined {
    const idleMs = this.configValue.keepaliveIdleMs;
    const retryMs = this.configValue.probeRetryMs;
    if (retryMs === undefined || !Number.isFinite(retryMs) || retryMs <= 0 || retryMs >= idleMs) return undefined;
    // An answer still on its way is not a loss: never retry sooner than twice the last round trip.
    const everyMs = Math.max(retryMs, 2 * (this.lastRttMs ?? 0));
    return everyMs < idleMs ? everyMs : undefined;
  }

  private foreign(out: SessionOutput, datagram: Buffer, from: Address): void {
    this.counts().foreign++;
    // Only a claim on our own DID is worth an event; everything else from a stranger is noise.
    const cipher = formOf(this.configValue.encryption, this.cipher, datagram);
    const plain = cipher === undefined ? undefined : openIn(cipher, datagram);
    const decoded = plain ? decodePppp(plain) : undefined;
    if (decoded?.ok && (decoded.value.kind === 'punch' || decoded.value.kind === 'ready')) {
      if (this.isOurs(decoded.value.did))
        out.report({ type: 'foreign-claim', from: copyAddress(from), did: decoded.value.did });
    }
  }

  private isOurs(did: Did): boolean {
    const punched = this.handshake?.did;
    if (punched) return sameDid(did, punched);
    return this.didText !== undefined && formatDid(did) === this.didText;
  }

  private failHandshake(out: SessionOutput, phase: 'searching' | 'punching'): void {
    this.stateValue = 'closed';
    this.channels = undefined;
    this.handshake = undefined;
    out.report({ type: 'handshake-failed', reason: 'timeout', phase });
  }

  private end(out: SessionOutput, reason: DisconnectReason, detail?: string): void {
    const wasConnected = this.stateValue === 'connected';
    const wasHandshaking = this.stateValue === 'searching' || this.stateValue === 'punching';
    this.stateValue = 'closed';
    this.channels = undefined;
    this.handshake = undefined;
    this.probeSentAt = undefined;
    if (wasConnected)
      out.report(detail === undefined ? { type: 'disconnected', reason } : { type: 'disconnected', reason, detail });
    else if (wasHandshaking && reason === 'closed-by-camera')
      out.report({ type: 'handshake-failed', reason, phase: 'punching' });
  }

  private receiver(channel: number): DrwReceiver {
    if (channel === 0)
      return this.commandReceiver ?? new DrwReceiver(this.configValue.reorderWindow, this.commandExpected);
    // Sized up front: a push onto [] would reserve 17 slots.
    const receivers = (this.receivers ??= new Array<DrwReceiver | undefined>(MAX_CHANNEL + 1));
    let receiver = receivers[channel];
    if (!receiver) {
      receiver = new DrwReceiver(this.configValue.reorderWindow);
      receivers[channel] = receiver;
    }
    return receiver;
  }

  private parkCommandReceiver(receiver: DrwReceiver): void {
    if (receiver.heldCount > 0) this.commandReceiver = receiver;
    else {
      this.commandExpected = receiver.nextExpected;
      this.commandReceiver = undefined;
    }
  }

  private sender(channel: number): DrwSender {
    const senders = (this.senders ??= new Map());
    let sender = senders.get(channel);
    if (!sender) {
      sender = new DrwSender(this.configValue.drw);
      senders.set(channel, sender);
    }
    return sender;
  }

  private sendDrw(out: SessionOutput, channel: number, index: number, data: Buffer): void {
    this.counts().drwOut++;
    this.sendMessage(out, { kind: 'drw', channel, index, data });
  }

  private sendMessage(out: SessionOutput, message: PpppMessage): void {
    this.send(out, encodePppp(message));
  }

  private acknowledgeDrws(out: SessionOutput, channel: number, indices: readonly number[]): void {
    const to = this.peerValue;
    if (!to) return;
    out.acknowledge(seal(this.cipher ?? null, encodePppp({ kind: 'drw-ack', channel, indices })), to);
  }

  private send(out: SessionOutput, plain: Buffer): void {
    const to = this.peerValue;
    if (!to) throw new Error('session has no peer yet');
    out.send(seal(this.cipher ?? null, plain), to);
  }
}

/** Only the two fields: the caller's object may be a reused or larger one (dgram's RemoteInfo). */
function copyAddress(from: Address): Address {
  return { address: from.address, port: from.port };
}
