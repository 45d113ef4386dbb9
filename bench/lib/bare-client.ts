import type dgram from 'node:dgram';
import { bindSocket, closeSocket, now } from './util';

/**
 * The baseline client: a bare dgram socket that does the least a PPPP client can (LAN_SEARCH,
 * echo the PUNCH, wait for P2P_RDY) and then only answers each ALIVE with an ALIVE_ACK, without
 * decoding, routing or timers. What the engine costs beyond this is the engine's own cost.
 * Plaintext only, byte-level checks only; good for the emulator, not for a real camera.
 */
const LAN_SEARCH = Buffer.from([0xf1, 0x30, 0x00, 0x00]);
const ALIVE_ACK = Buffer.from([0xf1, 0xe1, 0x00, 0x00]);
const CLOSE = Buffer.from([0xf1, 0xf0, 0x00, 0x00]);
const PUNCH = 0x41;
const READY = 0x42;
const ALIVE = 0xe0;
const SEARCH_INTERVAL_MS = 300;

interface Pending {
  readonly ip: string;
  readonly startedAt: number;
  readonly resolve: (handshakeMs: number) => void;
  timer: NodeJS.Timeout | undefined;
  peerPort: number | undefined;
}

export class BareClient {
  alivesAnswered = 0;
  datagrams = 0;
  /** Called with the sender's IP for every datagram, when set (the detection baseline's clock). */
  onHeard: ((ip: string) => void) | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly peers = new Map<string, number>();

  private constructor(
    readonly socket: dgram.Socket,
    private readonly searchPort: number,
  ) {
    socket.on('message', (data, from) => this.onMessage(data, from));
  }

  /** `receiveBufferBytes`: SO_RCVBUF, the same as the engine's so both lose (or keep) the same bursts. */
  static async open(searchPort: number, receiveBufferBytes: number): Promise<BareClient> {
    const socket = await bindSocket('0.0.0.0');
    socket.setRecvBufferSize(receiveBufferBytes);
    return new BareClient(socket, searchPort);
  }

  get sessions(): number {
    return this.peers.size;
  }

  /** Handshakes with the camera at `ip`; resolves with the time it took. */
  connect(ip: string): Promise<number> {
    this.peers.delete(ip);
    return new Promise((resolve) => {
      const pending: Pending = { ip, startedAt: now(), resolve, timer: undefined, peerPort: undefined };
      this.pending.set(ip, pending);
      const search = (): void => {
        this.socket.send(LAN_SEARCH, this.searchPort, ip);
        pending.timer = setTimeout(search, SEARCH_INTERVAL_MS);
      };
      search();
    });
  }

  /** Forgets a camera (after it went dark) without telling it. */
  forget(ip: string): void {
    this.peers.delete(ip);
  }

  /** Sends CLOSE to every camera with a session, so the emulator stops pinging this socket. */
  closeSessions(): void {
    for (const [ip, port] of this.peers) {
      this.socket.send(CLOSE, port, ip);
      this.socket.send(CLOSE, port, ip);
    }
    this.peers.clear();
  }

  async close(): Promise<void> {
    for (const pending of this.pending.values()) clearTimeout(pending.timer);
    this.pending.clear();
    this.closeSessions();
    await closeSocket(this.socket);
  }

  private onMessage(data: Buffer, from: dgram.RemoteInfo): void {
    this.datagrams++;
    this.onHeard?.(from.address);
    if (data[1] === ALIVE) {
      this.socket.send(ALIVE_ACK, from.port, from.address);
      this.alivesAnswered++;
      return;
    }
    const pending = this.pending.get(from.address);
    if (!pending || data[0] !== 0xf1) return;
    if (data[1] === PUNCH) {
      // The search keeps repeating until P2P_RDY, so a lost echo is retried too.
      pending.peerPort = from.port;
      this.socket.send(data, from.port, from.address);
    } else if (data[1] === READY && pending.peerPort === from.port) {
      clearTimeout(pending.timer);
      this.pending.delete(from.address);
      this.peers.set(from.address, from.port);
      pending.resolve(now() - pending.startedAt);
    }
  }
}
