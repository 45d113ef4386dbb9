import { type Address, sameAddress } from '../wire/address';
import { type CipherKey } from '../wire/cipher';
import { type Did, didToUid, normalizeUid, sameDid } from '../wire/did';
import { type PpppMessage, decodePppp, encodePppp } from '../wire/pppp';
import { DrwReceiver, LossyDrwReceiver } from './drw-receiver';
import { DEFAULT_DRW_SENDER_LIMITS, DrwSender, type DrwSenderLimits } from './drw-sender';
import {
  type EncryptionMode,
  type LearnedCipher,
  cipherName,
  initialCipher,
  open,
  seal,
  sealedAliveAck,
  sealedLanSearch,
  searchCiphers,
} from './encryption';

/**
 * The client side of one PPPP session as a sans-I/O state machine (PROTOCOL.md §4, §5).
 * It is fed datagrams, ticks and commands with the current time, and answers with actions:
 * datagrams to send and events to report. `nextWakeMs()` says when it next needs a tick.
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

export interface Step {
  /** Whether the datagram belonged to this session; the endpoint offers unclaimed ones to others. */
  readonly accepted: boolean;
  readonly actions: SessionAction[];
}

const CLOSE_COPIES = 2;

export class Session {
  private stateValue: SessionState = 'idle';
  private peerValue: Address | undefined;
  private didValue: Did | undefined;
  private cipher: LearnedCipher;
  private startedAt = 0;
  private nextSearchAt = 0;
  private nextPunchAt = 0;
  private searches = 0;
  private punch: Buffer | undefined;
  private lastHeardAt = 0;
  private probeSentAt: number | undefined;
  private lastRttMs: number | undefined;
  private readonly wantedUid: string | undefined;
  // Created on first use: most sessions never carry a DRW, and an empty Map per channel
  // direction costs more than the rest of an idle session (bench/scale.ts).
  private senders: Map<number, DrwSender> | undefined;
  private receivers: Map<number, DrwReceiver> | undefined;
  private videoReceiver: LossyDrwReceiver | undefined;
  readonly stats: SessionStats = {
    received: 0,
    foreign: 0,
    undecodable: 0,
    alivesAnswered: 0,
    alivesSent: 0,
    drwIn: 0,
    drwOut: 0,
    duplicates: 0,
    retransmits: 0,
  };

  constructor(readonly config: SessionConfig) {
    this.cipher = initialCipher(config.encryption);
    this.wantedUid = config.uid === undefined ? undefined : (normalizeUid(config.uid) ?? config.uid);
  }

  get state(): SessionState {
    return this.stateValue;
  }

  get peer(): Address | undefined {
    return this.peerValue;
  }

  get did(): Did | undefined {
    return this.didValue;
  }

  get encryption(): CipherKey | null | undefined {
    return this.cipher;
  }

  /** Time of the last datagram heard from the peer. */
  get lastHeardMs(): number {
    return this.lastHeardAt;
  }

  start(nowMs: number): SessionAction[] {
    if (this.stateValue !== 'idle') return [];
    this.stateValue = 'searching';
    this.startedAt = nowMs;
    return this.tick(nowMs);
  }

  receive(datagram: Buffer, from: Address, nowMs: number): Step {
    if (this.stateValue === 'idle' || this.stateValue === 'closed') return { accepted: false, actions: [] };
    const fromPeer = this.peerValue !== undefined && sameAddress(from, this.peerValue);
    if (this.peerValue !== undefined && !fromPeer) return this.foreign(datagram, from);
    const opened = open(this.config.encryption, this.cipher, datagram);
    const decoded = opened ? decodePppp(opened.plain) : undefined;
    if (!opened || !decoded?.ok) {
      if (fromPeer) this.stats.undecodable++;
      return { accepted: fromPeer, actions: [] };
    }
    const message = decoded.value;
    if (this.peerValue === undefined) return this.whileSearching(message, opened, from, nowMs);
    this.stats.received++;
    this.lastHeardAt = nowMs;
    return { accepted: true, actions: this.fromPeer(message, nowMs) };
  }

  tick(nowMs: number): SessionAction[] {
    switch (this.stateValue) {
      case 'searching':
        if (nowMs - this.startedAt >= this.config.handshakeTimeoutMs) return this.failHandshake('searching');
        if (nowMs < this.nextSearchAt) return [];
        this.nextSearchAt = nowMs + this.config.searchIntervalMs;
        return this.searchDatagrams();
      case 'punching':
        if (nowMs - this.startedAt >= this.config.handshakeTimeoutMs) return this.failHandshake('punching');
        if (nowMs < this.nextPunchAt || !this.punch || !this.peerValue) return [];
        this.nextPunchAt = nowMs + this.config.punchIntervalMs;
        return [this.send(this.punch)];
      case 'connected':
        return this.tickConnected(nowMs);
      default:
        return [];
    }
  }

  /** Sends an ALIVE to measure the round trip, unless one is already out. */
  probe(nowMs: number): SessionAction[] {
    if (this.stateValue !== 'connected' || this.probeSentAt !== undefined) return [];
    this.probeSentAt = nowMs;
    this.stats.alivesSent++;
    return [this.sendMessage({ kind: 'alive' })];
  }

  /** Queues data on a DRW channel. Returns undefined when the channel's queue is full. */
  sendData(channel: number, data: Buffer, nowMs: number): SessionAction[] | undefined {
    if (this.stateValue !== 'connected' || !Number.isInteger(channel) || channel < 0 || channel > MAX_CHANNEL)
      return undefined;
    const out = this.sender(channel).enqueue(data, nowMs);
    return out?.map((drw) => this.sendDrw(channel, drw.index, drw.data));
  }

  close(): SessionAction[] {
    if (this.stateValue === 'closed') return [];
    const wasLinked = this.stateValue === 'connected' || this.stateValue === 'punching';
    const actions: SessionAction[] = [];
    if (wasLinked) for (let i = 0; i < CLOSE_COPIES; i++) actions.push(this.sendMessage({ kind: 'close' }));
    actions.push(...this.end('closed'));
    return actions;
  }

  nextWakeMs(): number | undefined {
    switch (this.stateValue) {
      case 'searching':
        return Math.min(this.nextSearchAt, this.startedAt + this.config.handshakeTimeoutMs);
      case 'punching':
        return Math.min(this.nextPunchAt, this.startedAt + this.config.handshakeTimeoutMs);
      case 'connected': {
        const idleMs = this.config.keepaliveIdleMs;
        let wake = this.lastHeardAt + this.config.lostAfterMs;
        if (this.probeSentAt === undefined) wake = Math.min(wake, this.lastHeardAt + idleMs);
        else {
          wake = Math.min(wake, this.probeSentAt + idleMs);
          const quick = this.quickRetry();
          if (quick)
            wake = Math.min(wake, Math.max(this.probeSentAt + quick.everyMs, this.lastHeardAt + quick.afterSilenceMs));
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

  private searchDatagrams(): SessionAction[] {
    const focused = this.config.focusedSearch;
    const narrow = focused !== undefined && this.searches < focused.rounds;
    this.searches++;
    const targets = narrow ? focused.targets : this.config.searchTargets;
    const ciphers = narrow ? focused.ciphers : searchCiphers(this.config.encryption);
    const actions: SessionAction[] = [];
    for (const cipher of ciphers) {
      const data = sealedLanSearch(cipher);
      for (const to of targets) actions.push({ kind: 'send', to, data });
    }
    return actions;
  }

  private whileSearching(
    message: PpppMessage,
    opened: { plain: Buffer; cipher: CipherKey | null },
    from: Address,
    nowMs: number,
  ): Step {
    if (message.kind !== 'punch') return { accepted: false, actions: [] };
    if (this.wantedUid !== undefined && didToUid(message.did) !== this.wantedUid)
      return { accepted: false, actions: [] };
    if (this.config.pinnedIp !== undefined && from.address !== this.config.pinnedIp) {
      this.stats.foreign++;
      return {
        accepted: false,
        actions: [{ kind: 'event', event: { type: 'foreign-claim', from, did: message.did } }],
      };
    }
    this.peerValue = from;
    this.didValue = message.did;
    this.cipher = opened.cipher;
    this.stateValue = 'punching';
    this.lastHeardAt = nowMs;
    this.stats.received++;
    // Echo the camera's PUNCH unchanged (PROTOCOL.md §4), padding and all: re-encoding the
    // decoded DID would drop bytes after a field's NUL and anything past the declared length.
    this.punch = Buffer.from(opened.plain);
    this.nextPunchAt = nowMs + this.config.punchIntervalMs;
    return {
      accepted: true,
      actions: [this.send(this.punch), { kind: 'event', event: { type: 'punched', peer: from, did: message.did } }],
    };
  }

  private fromPeer(message: PpppMessage, nowMs: number): SessionAction[] {
    switch (message.kind) {
      case 'ready':
        return this.onReady(message.did, nowMs);
      case 'punch':
        // The camera repeats PUNCH until it hears our echo; echo each one.
        return this.stateValue === 'punching' && this.punch ? [this.send(this.punch)] : [];
      case 'alive':
        this.stats.alivesAnswered++;
        return [this.sendSealed(sealedAliveAck(this.cipher ?? null))];
      case 'alive-ack':
        return this.onAliveAck(nowMs);
      case 'close':
        return this.end('closed-by-camera');
      case 'drw':
        return this.stateValue === 'connected' ? this.onDrw(message.channel, message.index, message.data, nowMs) : [];
      case 'drw-ack':
        return this.stateValue === 'connected' ? this.onDrwAck(message.channel, message.indices, nowMs) : [];
      default:
        return [];
    }
  }

  private onReady(did: Did, nowMs: number): SessionAction[] {
    if (this.stateValue !== 'punching' || !this.didValue || !this.peerValue || !sameDid(did, this.didValue)) return [];
    this.stateValue = 'connected';
    this.punch = undefined;
    const event: SessionEvent = {
      type: 'connected',
      peer: this.peerValue,
      did,
      uid: didToUid(did),
      handshakeMs: nowMs - this.startedAt,
      encryption: cipherName(this.cipher ?? null),
    };
    return [{ kind: 'event', event }];
  }

  private onAliveAck(nowMs: number): SessionAction[] {
    if (this.probeSentAt === undefined) return [];
    const rttMs = nowMs - this.probeSentAt;
    this.probeSentAt = undefined;
    this.lastRttMs = rttMs;
    return [{ kind: 'event', event: { type: 'rtt', rttMs } }];
  }

  private onDrw(channel: number, index: number, data: Buffer, nowMs: number): SessionAction[] {
    if (channel > MAX_CHANNEL) return [];
    this.stats.drwIn++;
    if (channel === VIDEO_CHANNEL) return this.onVideoDrw(index, data, nowMs);
    const receivers = (this.receivers ??= new Map());
    let receiver = receivers.get(channel);
    if (!receiver) {
      receiver = new DrwReceiver(this.config.reorderWindow);
      receivers.set(channel, receiver);
    }
    const firstIndex = receiver.nextExpected;
    const result = receiver.receive(index, data);
    if (result.duplicate) this.stats.duplicates++;
    const actions: SessionAction[] = [];
    if (result.ack.length > 0) actions.push(this.sendMessage({ kind: 'drw-ack', channel, indices: result.ack }));
    this.deliver(channel, firstIndex, result.deliver, actions);
    return actions;
  }

  private onVideoDrw(index: number, data: Buffer, nowMs: number): SessionAction[] {
    const receiver = (this.videoReceiver ??= new LossyDrwReceiver(this.config.reorderWindow, VIDEO_GAP_WAIT_MS));
    const result = receiver.receive(index, data, nowMs);
    if (result.duplicate) this.stats.duplicates++;
    const actions = [this.sendMessage({ kind: 'drw-ack', channel: VIDEO_CHANNEL, indices: result.ack })];
    for (const run of result.runs) this.deliver(VIDEO_CHANNEL, run.firstIndex, run.chunks, actions);
    return actions;
  }

  /** `chunks` carry consecutive DRW indices from `firstIndex`. */
  private deliver(channel: number, firstIndex: number, chunks: readonly Buffer[], actions: SessionAction[]): void {
    for (let offset = 0; offset < chunks.length; offset++) {
      const data = chunks[offset];
      if (data === undefined) continue;
      actions.push({ kind: 'event', event: { type: 'data', channel, data, index: (firstIndex + offset) & 0xffff } });
    }
  }

  private onDrwAck(channel: number, indices: readonly number[], nowMs: number): SessionAction[] {
    const sender = this.senders?.get(channel);
    if (!sender) return [];
    return sender.acknowledge(indices, nowMs).map((drw) => this.sendDrw(channel, drw.index, drw.data));
  }

  private tickConnected(nowMs: number): SessionAction[] {
    if (nowMs - this.lastHeardAt >= this.config.lostAfterMs) {
      return [
        this.sendMessage({ kind: 'close' }),
        ...this.end('timeout', `no reply for ${Math.round(nowMs - this.lastHeardAt)} ms`),
      ];
    }
    const actions: SessionAction[] = [];
    const idleMs = this.config.keepaliveIdleMs;
    const silentMs = nowMs - this.lastHeardAt;
    const quick = this.quickRetry();
    const giveUpAfterMs = quick && silentMs >= quick.afterSilenceMs ? quick.everyMs : idleMs;
    const probeOverdue = this.probeSentAt !== undefined && nowMs - this.probeSentAt >= giveUpAfterMs;
    if (probeOverdue) this.probeSentAt = undefined;
    if (silentMs >= idleMs) actions.push(...this.probe(nowMs));
    if (this.senders) {
      for (const [channel, sender] of this.senders) {
        const { resend, gaveUp, retransmitted } = sender.tick(nowMs);
        this.stats.retransmits += retransmitted;
        for (const drw of resend) actions.push(this.sendDrw(channel, drw.index, drw.data));
        for (const index of gaveUp) actions.push({ kind: 'event', event: { type: 'drw-failed', channel, index } });
      }
    }
    if (this.videoReceiver) {
      for (const run of this.videoReceiver.tick(nowMs).runs)
        this.deliver(VIDEO_CHANNEL, run.firstIndex, run.chunks, actions);
    }
    return actions;
  }

  /**
   * Quick probe retries (`probeRetryMs`): from 1.5 × keepaliveIdleMs of silence, every `everyMs`.
   * Before that an unanswered probe waits keepaliveIdleMs, so a camera whose ALIVE period equals
   * keepaliveIdleMs does not set them off, and a slow camera's round trip is still measured from
   * the probe it answers. Undefined when not configured.
   */
  private quickRetry(): { readonly afterSilenceMs: number; readonly everyMs: number } | undefined {
    const idleMs = this.config.keepaliveIdleMs;
    const retryMs = this.config.probeRetryMs;
    if (retryMs === undefined || !Number.isFinite(retryMs) || retryMs <= 0 || retryMs >= idleMs) return undefined;
    // An answer still on its way is not a loss: never retry sooner than twice the last round trip.
    const everyMs = Math.max(retryMs, 2 * (this.lastRttMs ?? 0));
    return everyMs < idleMs ? { afterSilenceMs: 1.5 * idleMs, everyMs } : undefined;
  }

  private foreign(datagram: Buffer, from: Address): Step {
    this.stats.foreign++;
    // Only a claim on our own DID is worth an event; everything else from a stranger is noise.
    const opened = open(this.config.encryption, this.cipher, datagram);
    const decoded = opened ? decodePppp(opened.plain) : undefined;
    if (decoded?.ok && (decoded.value.kind === 'punch' || decoded.value.kind === 'ready') && this.didValue) {
      if (sameDid(decoded.value.did, this.didValue)) {
        return {
          accepted: false,
          actions: [{ kind: 'event', event: { type: 'foreign-claim', from, did: decoded.value.did } }],
        };
      }
    }
    return { accepted: false, actions: [] };
  }

  private failHandshake(phase: 'searching' | 'punching'): SessionAction[] {
    this.stateValue = 'closed';
    this.senders = undefined;
    this.receivers = undefined;
    this.videoReceiver = undefined;
    return [{ kind: 'event', event: { type: 'handshake-failed', reason: 'timeout', phase } }];
  }

  private end(reason: DisconnectReason, detail?: string): SessionAction[] {
    const wasConnected = this.stateValue === 'connected';
    const wasHandshaking = this.stateValue === 'searching' || this.stateValue === 'punching';
    this.stateValue = 'closed';
    this.senders = undefined;
    this.receivers = undefined;
    this.videoReceiver = undefined;
    this.probeSentAt = undefined;
    if (wasConnected) {
      const event: SessionEvent =
        detail === undefined ? { type: 'disconnected', reason } : { type: 'disconnected', reason, detail };
      return [{ kind: 'event', event }];
    }
    if (wasHandshaking && reason === 'closed-by-camera') {
      return [{ kind: 'event', event: { type: 'handshake-failed', reason, phase: 'punching' } }];
    }
    return [];
  }

  private sender(channel: number): DrwSender {
    const senders = (this.senders ??= new Map());
    let sender = senders.get(channel);
    if (!sender) {
      sender = new DrwSender(this.config.drw);
      senders.set(channel, sender);
    }
    return sender;
  }

  private sendDrw(channel: number, index: number, data: Buffer): SessionAction {
    this.stats.drwOut++;
    return this.sendMessage({ kind: 'drw', channel, index, data });
  }

  private sendMessage(message: PpppMessage): SessionAction {
    return this.send(encodePppp(message));
  }

  /** A datagram already in the session's form (one of the shared, preencoded ones). */
  private sendSealed(data: Buffer): SessionAction {
    const to = this.peerValue;
    if (!to) throw new Error('session has no peer yet');
    return { kind: 'send', to, data };
  }

  private send(plain: Buffer): SessionAction {
    const to = this.peerValue;
    if (!to) throw new Error('session has no peer yet');
    return { kind: 'send', to, data: seal(this.cipher ?? null, plain) };
  }
}
