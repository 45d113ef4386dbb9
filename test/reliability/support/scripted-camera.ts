// A test-only camera on plain dgram sockets for behaviour the emulator does not have: replies
// out of order, duplicated, early (P2P_RDY before PUNCH), DRWs far ahead of the window. Every
// socket is on a 127.x address; nothing here sends elsewhere.
import { type Address, sameAddress } from '../../../nodes/wire/address';
import { type Did } from '../../../nodes/wire/did';
import { type PpppMessage, decodePppp, encodePppp } from '../../../nodes/wire/pppp';
import { LoopbackSocket } from './harness';

export interface ScriptedOptions {
  /** Send a P2P_RDY before the PUNCH (a reordered handshake); the client must ignore it. */
  readonly readyBeforePunch: boolean;
  /** P2P_RDY copies per PUNCH echo. */
  readonly readyCopies: number;
  /** An ALIVE to the peer this often; 0 = never. */
  readonly aliveEveryMs: number;
}

const DEFAULTS: ScriptedOptions = { readyBeforePunch: true, readyCopies: 5, aliveEveryMs: 500 };

export class ScriptedCamera {
  peer: Address | undefined;
  /** Every DRW_ACK index the client sent, per channel. */
  readonly acked = new Map<number, number[]>();
  /** DRW payloads the client sent on channel 0. */
  readonly requests: Buffer[] = [];
  received = 0;
  private aliveTimer: NodeJS.Timeout | undefined;
  private onRequest: ((request: Buffer, camera: ScriptedCamera) => void) | undefined;

  private constructor(
    readonly did: Did,
    readonly search: LoopbackSocket,
    readonly session: LoopbackSocket,
    readonly options: ScriptedOptions,
  ) {
    search.onMessage((data, from) => this.onSearch(data, from));
    session.onMessage((data, from) => this.onSession(data, from));
  }

  static async start(address: string, did: Did, options: Partial<ScriptedOptions> = {}): Promise<ScriptedCamera> {
    const search = await LoopbackSocket.open(address);
    const session = await LoopbackSocket.open(address);
    return new ScriptedCamera(did, search, session, { ...DEFAULTS, ...options });
  }

  get searchPort(): number {
    return this.search.address.port;
  }

  get address(): string {
    return this.session.address.address;
  }

  /** Called with each channel-0 DRW payload the client sends (after it was ACKed). */
  answerRequests(handler: (request: Buffer, camera: ScriptedCamera) => void): void {
    this.onRequest = handler;
  }

  sendToPeer(message: PpppMessage): void {
    if (this.peer) this.session.send(encodePppp(message), this.peer);
  }

  acksOn(channel: number): number[] {
    return this.acked.get(channel) ?? [];
  }

  async close(): Promise<void> {
    if (this.aliveTimer) clearInterval(this.aliveTimer);
    await Promise.all([this.search.close(), this.session.close()]);
  }

  private onSearch(data: Buffer, from: Address): void {
    const decoded = decodePppp(data);
    if (!decoded.ok || decoded.value.kind !== 'lan-search') return;
    if (this.options.readyBeforePunch) this.session.send(encodePppp({ kind: 'ready', did: this.did }), from);
    this.session.send(encodePppp({ kind: 'punch', did: this.did }), from);
  }

  private onSession(data: Buffer, from: Address): void {
    this.received++;
    const decoded = decodePppp(data);
    if (!decoded.ok) return;
    const message = decoded.value;
    switch (message.kind) {
      case 'punch': {
        this.peer = from;
        for (let i = 0; i < this.options.readyCopies; i++) this.sendToPeer({ kind: 'ready', did: this.did });
        // An ALIVE_ACK nobody asked for: never answered, never an rtt.
        this.sendToPeer({ kind: 'alive-ack' });
        if (this.options.aliveEveryMs > 0 && !this.aliveTimer) {
          this.aliveTimer = setInterval(() => this.sendToPeer({ kind: 'alive' }), this.options.aliveEveryMs);
          this.aliveTimer.unref();
        }
        return;
      }
      case 'alive':
        if (this.peer && sameAddress(from, this.peer)) this.sendToPeer({ kind: 'alive-ack' });
        return;
      case 'drw-ack': {
        const list = this.acked.get(message.channel) ?? [];
        list.push(...message.indices);
        this.acked.set(message.channel, list);
        return;
      }
      case 'drw':
        this.sendToPeer({ kind: 'drw-ack', channel: message.channel, indices: [message.index] });
        if (message.channel === 0) {
          this.requests.push(Buffer.from(message.data));
          this.onRequest?.(message.data, this);
        }
        return;
      default:
        return;
    }
  }
}
