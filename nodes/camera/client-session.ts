import { type Address } from '../wire/address';
import { CgiReassembler } from '../wire/cgi';
import { DrwReceiver } from '../session/drw-receiver';
import { type SessionLogin } from './cgi/context';
import { DrwSender } from './drw-sender';
import { VideoChannel } from './video-channel';

/** The camera's side of one established client session: timers and the channel-0 DRW state. */
export class ClientSession {
  lastHeardMs: number;
  nextAliveMs: number;
  /** Set once a DRW went either way; a PUNCH echo after that means the client started over. */
  carriedData = false;
  /** How far this session got through the eye4 login; a new session starts over. */
  login: SessionLogin = { statusSeen: false, authenticated: false };
  receiver = new DrwReceiver();
  reassembler = new CgiReassembler();
  sender: DrwSender;
  /** Channel 1: the clip while `livestream.cgi` has started it. */
  video = new VideoChannel();

  constructor(
    readonly peer: Address,
    nowMs: number,
    private readonly timing: {
      readonly aliveIntervalMs: number;
      readonly closeAfterSilenceMs: number;
      readonly drwRetransmitMs: number;
      readonly drwMaxTries: number;
    },
  ) {
    this.lastHeardMs = nowMs;
    this.nextAliveMs = nowMs + timing.aliveIntervalMs;
    this.sender = new DrwSender(timing.drwRetransmitMs, timing.drwMaxTries);
  }

  /** Forgets all data-channel state, as if the session had just been made. */
  restart(nowMs: number): void {
    this.carriedData = false;
    this.login = { statusSeen: false, authenticated: false };
    this.receiver = new DrwReceiver();
    this.reassembler = new CgiReassembler();
    this.sender = new DrwSender(this.timing.drwRetransmitMs, this.timing.drwMaxTries);
    this.video = new VideoChannel();
    this.lastHeardMs = nowMs;
    this.nextAliveMs = nowMs + this.timing.aliveIntervalMs;
  }

  silentSince(nowMs: number): boolean {
    return nowMs - this.lastHeardMs >= this.timing.closeAfterSilenceMs;
  }

  /** Earliest moment this session has something to do: an ALIVE, a retransmit, a video frame, or giving up on a silent client. */
  nextWakeMs(): number {
    const silence = this.lastHeardMs + this.timing.closeAfterSilenceMs;
    return Math.min(this.nextAliveMs, silence, this.sender.nextDueMs() ?? Infinity, this.video.nextDueMs() ?? Infinity);
  }

  scheduleNextAlive(nowMs: number): void {
    this.nextAliveMs = nowMs + this.timing.aliveIntervalMs;
  }
}
