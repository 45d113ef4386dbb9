import { type Address, addressKey } from '../wire/address';
import { CGI_CODE_PUSH, CGI_RESPONSE_CODES, type CgiBlock, encodeCgiBlock } from '../wire/cgi';
import { type CipherKey, decrypt, deriveKey, encrypt } from '../wire/cipher';
import { buildDhReply, isDhProbe } from '../wire/dh';
import { type Did, sameDid } from '../wire/did';
import { MAX_DRW_DATA, type PpppMessage, PPPP_MAGIC, decodePppp, encodePppp } from '../wire/pppp';
import { type CameraAction, type SessionCloseReason, type Via } from './actions';
import { type CgiContext, answerCgi } from './cgi-responder';
import { type VideoCommand } from './cgi/context';
import { statusBody } from './cgi/status';
import { type AlarmStatus, CameraState } from './camera-state';
import { ClientSession } from './client-session';
import { type CameraConfigInput, type ResolvedCameraConfig, dhRecordOf, resolveCameraConfig } from './config';
import { Outbox } from './outbox';
import { type CameraStats, emptyStats } from './stats';
import { type VideoImpairments } from './video-channel';

/** The only DRW channel the camera interprets: commands and responses (PROTOCOL.md §5). */
const COMMAND_CHANNEL = 0;
/** Where the camera sends video (PROTOCOL.md §7.3). */
const VIDEO_CHANNEL = 1;

/**
 * One VStarCam camera as a sans-I/O state machine: datagrams and clock ticks in, datagrams and
 * session events out (PROTOCOL.md §2–§6). It never reads a clock, never draws its own random
 * numbers and never touches a socket, so every rule is testable with a fake clock; the host
 * (`emulator.ts`) owns the sockets and arms one timer at `nextWakeMs()`.
 */
export class CameraMachine {
  readonly config: ResolvedCameraConfig;
  private httpPortValue: number;
  private dhReply: Buffer;
  private powered = true;
  private cipher: CipherKey | undefined;
  /** Keyed by the client's `ip:port`; at most `config.maxSessions` entries. */
  private readonly sessions = new Map<string, ClientSession>();
  private readonly counters: CameraStats = emptyStats();
  private readonly outbox: Outbox;
  /** PTZ, switches, clock and alarm: kept across sessions and reboots, as the hardware keeps them. */
  readonly state: CameraState;
  /** The alarm state clients were last told about with an unsolicited 0x6001. */
  private reportedAlarm: AlarmStatus = 0;
  /** When the alarm changes next, while someone is connected to be told; undefined otherwise. */
  private alarmWakeMs: number | undefined;
  /** Set by an answered `reboot.cgi`. */
  private rebootAtMs: number | undefined;
  private readonly videoImpairments: VideoImpairments;

  constructor(
    config: CameraConfigInput,
    private readonly random: () => number,
  ) {
    this.config = resolveCameraConfig(config);
    this.videoImpairments = {
      dropFraction: this.config.videoDropPercent / 100,
      reorderFraction: this.config.videoReorderPercent / 100,
    };
    this.state = new CameraState({ motionEveryMs: this.config.motionEveryMs });
    this.httpPortValue = this.config.httpPort;
    this.dhReply = buildDhReply(dhRecordOf(this.config, this.httpPortValue));
    this.outbox = new Outbox(random, this.counters);
    this.setPassphrase(this.config.passphrase);
  }

  get uid(): string {
    return this.config.uid;
  }

  get did(): string {
    return this.config.did;
  }

  get httpPort(): number {
    return this.httpPortValue;
  }

  get isPowered(): boolean {
    return this.powered;
  }

  get stats(): Readonly<CameraStats> {
    return { ...this.counters };
  }

  get delayedCount(): number {
    return this.outbox.delayedCount;
  }

  sessionPeers(): Address[] {
    return Array.from(this.sessions.values(), (s) => s.peer);
  }

  /** One datagram that arrived on the `via` socket from `from`. Never throws on any bytes. */
  receive(via: Via, data: Buffer, from: Address, nowMs: number): CameraAction[] {
    const out: CameraAction[] = [];
    if (!this.powered || this.outbox.shouldDrop()) return out;
    if (via === 'dh') this.onDh(data, from, nowMs, out);
    else this.onPppp(via, data, from, nowMs, out);
    return out;
  }

  /** Advances the clock: releases delayed datagrams, retransmits, sends ALIVEs, drops silent clients. */
  tick(nowMs: number): CameraAction[] {
    const out: CameraAction[] = [];
    if (!this.powered) return out;
    this.outbox.release(out, nowMs);
    if (this.rebootAtMs !== undefined && nowMs >= this.rebootAtMs) {
      this.rebootAtMs = undefined;
      out.push({ kind: 'reboot-requested' });
    }
    this.reportAlarm(nowMs, out);
    for (const [key, session] of this.sessions) {
      if (session.silentSince(nowMs)) {
        this.sendPppp(session.peer, { kind: 'close' }, nowMs, out);
        this.drop(key, 'silence', out);
        continue;
      }
      const due = session.sender.due(nowMs);
      this.counters.drwsAbandoned += due.abandoned;
      for (const drw of due.resend) {
        this.counters.drwsRetransmitted++;
        this.sendPppp(session.peer, { kind: 'drw', channel: COMMAND_CHANNEL, ...drw }, nowMs, out);
      }
      if (nowMs >= session.nextAliveMs) {
        this.counters.alivesSent++;
        this.sendPppp(session.peer, { kind: 'alive' }, nowMs, out);
        session.scheduleNextAlive(nowMs);
      }
      this.playVideo(session, nowMs, out);
    }
    return out;
  }

  /** When the host should call `tick` next; undefined while there is nothing to do. */
  nextWakeMs(): number | undefined {
    if (!this.powered) return undefined;
    let earliest = this.outbox.nextDueMs();
    for (const wake of [this.rebootAtMs, this.alarmWakeMs]) {
      if (wake !== undefined && (earliest === undefined || wake < earliest)) earliest = wake;
    }
    for (const session of this.sessions.values()) {
      const wake = session.nextWakeMs();
      if (earliest === undefined || wake < earliest) earliest = wake;
    }
    return earliest;
  }

  /** Power cut: everything is forgotten and nothing is said on the wire. */
  powerOff(): CameraAction[] {
    this.rebootAtMs = undefined;
    const out = this.dropAll('power-off');
    this.powered = false;
    return out;
  }

  powerOn(): void {
    this.powered = true;
  }

  /**
   * Sessions vanish silently and the web server comes back on a new port, as on real firmware
   * (PROTOCOL.md §1). The host gives the camera a new session socket.
   */
  reboot(newHttpPort: number): CameraAction[] {
    this.rebootAtMs = undefined;
    const out = this.dropAll('reboot');
    this.httpPortValue = newHttpPort & 0xffff;
    this.dhReply = buildDhReply(dhRecordOf(this.config, this.httpPortValue));
    this.powered = true;
    return out;
  }

  /** Sends CLOSE to every client and forgets them. */
  closeSessions(nowMs: number): CameraAction[] {
    const out: CameraAction[] = [];
    if (!this.powered) return out;
    for (const [key, session] of this.sessions) {
      this.sendPppp(session.peer, { kind: 'close' }, nowMs, out);
      this.drop(key, 'closed', out);
    }
    return out;
  }

  /** Holds every outgoing datagram for `ms` (0 = send at once). */
  setReplyDelay(ms: number): void {
    this.outbox.setDelay(ms);
  }

  /** Loses this fraction of datagrams in each direction, drawn from the injected `random`. */
  setDropRate(fraction: number): void {
    this.outbox.setDropRate(fraction);
  }

  /** Switches whole-datagram encryption on (or off with undefined or ''); DH is never encrypted. */
  setPassphrase(passphrase: string | undefined): void {
    this.cipher = passphrase === undefined || passphrase === '' ? undefined : deriveKey(passphrase);
  }

  private onDh(data: Buffer, from: Address, nowMs: number, out: CameraAction[]): void {
    if (!isDhProbe(data)) {
      this.counters.datagramsIgnored++;
      return;
    }
    this.counters.probesAnswered++;
    // Unicast to the prober, then the copy real firmware broadcasts to the prober's port (PROTOCOL.md §2).
    this.outbox.send(out, 'dh', from, this.dhReply, nowMs);
    this.outbox.send(out, 'dh', { address: this.config.broadcastAddress, port: from.port }, this.dhReply, nowMs);
  }

  private onPppp(via: 'search' | 'session', data: Buffer, from: Address, nowMs: number, out: CameraAction[]): void {
    const plain = this.open(data);
    const decoded = plain === undefined ? undefined : decodePppp(plain);
    if (!decoded?.ok) {
      this.counters.datagramsIgnored++;
      return;
    }
    const message = decoded.value;
    if (via === 'search') {
      if (message.kind === 'lan-search' || message.kind === 'lan-search-ext') {
        this.counters.searchesAnswered++;
        // Sent from the session socket: its source port is how the client learns the session port.
        this.sendPppp(from, { kind: 'punch', did: this.config.didValue }, nowMs, out);
      } else {
        this.counters.datagramsIgnored++;
      }
      return;
    }
    this.onSessionMessage(message, from, nowMs, out);
  }

  /** Undoes the cipher; undefined for a datagram this camera would not understand. */
  private open(data: Buffer): Buffer | undefined {
    if (data.length === 0) return undefined;
    if (!this.cipher) return data;
    // An encrypted camera does not answer plaintext, which is why plaintext-only clients never find it.
    return data[0] === PPPP_MAGIC ? undefined : decrypt(this.cipher, data);
  }

  private onSessionMessage(message: PpppMessage, from: Address, nowMs: number, out: CameraAction[]): void {
    const key = addressKey(from);
    const session = this.sessions.get(key);
    if (message.kind === 'punch') {
      this.onPunchEcho(message.did, key, from, session, nowMs, out);
      return;
    }
    if (!session) {
      this.counters.datagramsIgnored++;
      return;
    }
    session.lastHeardMs = nowMs;
    switch (message.kind) {
      case 'alive':
        this.counters.aliveAcksSent++;
        this.sendPppp(from, { kind: 'alive-ack' }, nowMs, out);
        return;
      case 'alive-ack':
        // Never answered: answering ALIVE_ACK is how two peers ping-pong at network speed (PROTOCOL.md §4).
        this.counters.aliveAcksReceived++;
        return;
      case 'close':
        this.drop(key, 'closed-by-client', out);
        return;
      case 'drw':
        this.onDrw(session, message.channel, message.index, message.data, nowMs, out);
        return;
      case 'drw-ack':
        if (message.channel === COMMAND_CHANNEL) session.sender.ack(message.indices);
        return;
      default:
        // Heard (so the session stays alive), but nothing a camera answers inside a session.
        this.counters.datagramsIgnored++;
    }
  }

  private onPunchEcho(
    did: Did,
    key: string,
    from: Address,
    session: ClientSession | undefined,
    nowMs: number,
    out: CameraAction[],
  ): void {
    if (!sameDid(did, this.config.didValue)) {
      this.counters.datagramsIgnored++;
      return;
    }
    if (session) {
      session.lastHeardMs = nowMs;
      // Repeated echoes during a handshake are harmless duplicates. After data has flowed, an echo
      // means the client restarted on the same address with its DRW indices back at 0: keeping the
      // old state would make the camera treat the new requests as duplicates and never answer.
      if (session.carriedData) {
        session.restart(nowMs);
        this.counters.sessionsClosed++;
        this.counters.sessionsEstablished++;
        out.push({ kind: 'session-closed', peer: from, reason: 'replaced' });
        out.push({ kind: 'session-opened', peer: from });
        this.sendReady(from, nowMs, out);
        this.greet(session, nowMs, out);
        return;
      }
    } else {
      if (this.sessions.size >= this.config.maxSessions) {
        this.counters.sessionsRefused++;
        return;
      }
      const opened = new ClientSession(from, nowMs, this.config);
      if (this.sessions.size === 0) this.reportedAlarm = this.state.alarmStatus(nowMs);
      this.sessions.set(key, opened);
      this.counters.sessionsEstablished++;
      out.push({ kind: 'session-opened', peer: from });
      this.sendReady(from, nowMs, out);
      this.greet(opened, nowMs, out);
      this.alarmWakeMs = this.config.unsolicitedFrames ? this.state.nextAlarmChangeMs(nowMs) : undefined;
      return;
    }
    this.sendReady(from, nowMs, out);
  }

  private sendReady(to: Address, nowMs: number, out: CameraAction[]): void {
    for (let copy = 0; copy < this.config.readyCopies; copy++) {
      this.sendPppp(to, { kind: 'ready', did: this.config.didValue }, nowMs, out);
    }
  }

  /**
   * The 0x6040 frame a real camera pushes once a session is up. What its body means is not
   * public, so the emulator sends it empty: a client must not take it for an answer.
   */
  private greet(session: ClientSession, nowMs: number, out: CameraAction[]): void {
    if (!this.config.unsolicitedFrames) return;
    this.sendBlock(session, CGI_CODE_PUSH, Buffer.alloc(0), nowMs, out);
  }

  /** On an alarm change, every client gets an unsolicited 0x6001 with the `get_status.cgi` body. */
  private reportAlarm(nowMs: number, out: CameraAction[]): void {
    if (!this.config.unsolicitedFrames || this.sessions.size === 0) {
      this.alarmWakeMs = undefined;
      return;
    }
    this.alarmWakeMs = this.state.nextAlarmChangeMs(nowMs);
    const alarm = this.state.alarmStatus(nowMs);
    if (alarm === this.reportedAlarm) return;
    this.reportedAlarm = alarm;
    for (const session of this.sessions.values()) {
      const body = Buffer.from(statusBody(this.cgiContext(session, nowMs)), 'utf8');
      this.sendBlock(session, CGI_RESPONSE_CODES.get_status, body, nowMs, out);
    }
  }

  private onDrw(
    session: ClientSession,
    channel: number,
    index: number,
    data: Buffer,
    nowMs: number,
    out: CameraAction[],
  ): void {
    this.counters.drwsReceived++;
    session.carriedData = true;
    if (channel !== COMMAND_CHANNEL) {
      // Audio to the camera (channel 3) and anything else: acknowledged so the client moves on, then discarded.
      this.sendPppp(session.peer, { kind: 'drw-ack', channel, indices: [index] }, nowMs, out);
      return;
    }
    const receipt = session.receiver.receive(index, data);
    if (receipt.ack.length > 0)
      this.sendPppp(session.peer, { kind: 'drw-ack', channel, indices: receipt.ack }, nowMs, out);
    for (const chunk of receipt.deliver) {
      const blocks = session.reassembler.push(chunk);
      if (!blocks.ok) {
        this.counters.datagramsIgnored++;
        continue;
      }
      for (const block of blocks.value) {
        if (!block.response) this.answer(session, block, nowMs, out);
      }
    }
  }

  /** Answers one CGI request on channel 0, or stays silent when the login rules say so. */
  private answer(session: ClientSession, request: CgiBlock, nowMs: number, out: CameraAction[]): void {
    const reply = answerCgi(request.body, this.cgiContext(session, nowMs));
    if (reply.kind === 'silent') return;
    this.counters.cgiAnswered++;
    const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
    this.sendBlock(session, reply.code, body, nowMs, out);
    if (reply.thenReboot === true) this.rebootAtMs = nowMs + this.config.rebootDelayMs;
    if (reply.video) this.controlVideo(session, reply.video, nowMs);
  }

  /** After the answer: the first frames go out on the next tick, which `nextWakeMs` makes immediate. */
  private controlVideo(session: ClientSession, command: VideoCommand, nowMs: number): void {
    if (command.action === 'start') {
      this.counters.livestreamStarts++;
      session.video.start(nowMs, command.substream, this.config.videoBitrateKbps);
    } else {
      this.counters.livestreamStops++;
      session.video.stop();
    }
  }

  /** Every frame of the session's stream now due, on channel 1, through the impairments. */
  private playVideo(session: ClientSession, nowMs: number, out: CameraAction[]): void {
    const due = session.video.nextDueMs();
    if (due === undefined || due > nowMs) return;
    const played = session.video.due(nowMs, this.random, this.videoImpairments);
    this.counters.videoFramesSent += played.frames;
    this.counters.videoDrwsDropped += played.dropped;
    this.counters.videoDrwsReordered += played.reordered;
    for (const drw of played.drws) {
      this.counters.videoDrwsSent++;
      this.sendPppp(session.peer, { kind: 'drw', channel: VIDEO_CHANNEL, ...drw }, nowMs, out);
    }
  }

  private cgiContext(session: ClientSession, nowMs: number): CgiContext {
    return {
      config: this.config,
      state: this.state,
      login: session.login,
      httpPort: this.httpPortValue,
      nowMs,
      currentUsers: this.sessions.size,
    };
  }

  /** One response block on channel 0; a body longer than one DRW continues in the next ones without a header. */
  private sendBlock(session: ClientSession, code: number, body: Buffer, nowMs: number, out: CameraAction[]): void {
    const block = encodeCgiBlock({ code, response: true, body });
    for (let offset = 0; offset < block.length; offset += MAX_DRW_DATA) {
      const sent = session.sender.send(block.subarray(offset, offset + MAX_DRW_DATA), nowMs);
      this.counters.drwsAbandoned += sent.abandoned;
      this.counters.drwsSent++;
      this.sendPppp(session.peer, { kind: 'drw', channel: COMMAND_CHANNEL, ...sent.drw }, nowMs, out);
    }
  }

  /** Every PPPP datagram leaves from the session socket, encrypted when the camera is. */
  private sendPppp(to: Address, message: PpppMessage, nowMs: number, out: CameraAction[]): void {
    const plain = encodePppp(message);
    this.outbox.send(out, 'session', to, this.cipher ? encrypt(this.cipher, plain) : plain, nowMs);
  }

  private drop(key: string, reason: SessionCloseReason, out: CameraAction[]): void {
    const session = this.sessions.get(key);
    if (!session) return;
    this.sessions.delete(key);
    this.counters.sessionsClosed++;
    out.push({ kind: 'session-closed', peer: session.peer, reason });
  }

  private dropAll(reason: SessionCloseReason): CameraAction[] {
    const out: CameraAction[] = [];
    for (const key of [...this.sessions.keys()]) this.drop(key, reason, out);
    this.outbox.clear();
    return out;
  }
}
