import type dgram from 'node:dgram';
import { bindSocket, closeSocket } from './util';

/**
 * The command benchmark's baseline: one bare dgram socket that speaks just enough PPPP/DRW, from
 * hand-built bytes, to send a CGI request on channel 0 and wait for its answer: the handshake
 * (LAN_SEARCH, echo the PUNCH, wait for P2P_RDY), then per request one DRW out, a DRW_ACK for
 * every DRW in, and the answer complete when its CGI header's body length has arrived. No
 * codecs, sessions, queues or timers beyond a guard: what the engine adds is the engine's cost.
 * Plaintext only, no retransmission; good for the emulator on loopback, not for a real camera.
 */
const MAGIC = 0xf1;
const LAN_SEARCH = Buffer.from([MAGIC, 0x30, 0x00, 0x00]);
const ALIVE_ACK = Buffer.from([MAGIC, 0xe1, 0x00, 0x00]);
const CLOSE = Buffer.from([MAGIC, 0xf0, 0x00, 0x00]);
const PUNCH = 0x41;
const READY = 0x42;
const ALIVE = 0xe0;
const DRW = 0xd0;
const DRW_MARKER = 0xd1;
/** PPPP header (4) + DRW prefix (marker, channel, index u16). */
const DRW_HEADER = 8;
const CGI_HEADER = 8;
const SEARCH_INTERVAL_MS = 300;

interface Waiting {
  readonly resolve: (answer: Buffer) => void;
  readonly timer: NodeJS.Timeout;
  readonly chunks: Buffer[];
  received: number;
  bodyLength: number | undefined;
}

/**
 * The DRW datagram of a CGI request, byte by byte: PPPP header `f1 d0 len`, DRW prefix
 * `d1 00 index`, the CGI header `01 0a 00 00 len 00 00` (u16 LE fields), then the GET line.
 */
export function handBuiltCgiDatagram(path: string, query: string): Buffer {
  const body = Buffer.from(`GET /${path}?${query}`, 'latin1');
  const datagram = Buffer.alloc(DRW_HEADER + CGI_HEADER + body.length);
  datagram[0] = MAGIC;
  datagram[1] = DRW;
  datagram.writeUInt16BE(datagram.length - 4, 2);
  datagram[4] = DRW_MARKER;
  datagram[5] = 0;
  datagram.writeUInt16BE(0, 6);
  datagram[8] = 0x01;
  datagram[9] = 0x0a;
  datagram.writeUInt16LE(body.length, 12);
  body.copy(datagram, DRW_HEADER + CGI_HEADER);
  return datagram;
}

export class BareDrwClient {
  private peer: { ip: string; port: number } | undefined;
  private nextIndex = 0;
  private waiting: Waiting | undefined;
  private handshake: { ip: string; punchPort: number | undefined; done: () => void } | undefined;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly searchPort: number,
  ) {
    socket.on('message', (data, from) => this.onMessage(data, from));
  }

  static async open(searchPort: number): Promise<BareDrwClient> {
    return new BareDrwClient(await bindSocket('0.0.0.0'), searchPort);
  }

  /** Handshakes with the camera at `ip` (LAN_SEARCH every 300 ms until P2P_RDY). */
  connect(ip: string, guardMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      let searchTimer: NodeJS.Timeout | undefined;
      const guard = setTimeout(() => {
        clearTimeout(searchTimer);
        this.handshake = undefined;
        reject(new Error(`bare DRW client: no P2P_RDY from ${ip}`));
      }, guardMs);
      this.handshake = {
        ip,
        punchPort: undefined,
        done: () => {
          clearTimeout(searchTimer);
          clearTimeout(guard);
          resolve();
        },
      };
      const search = (): void => {
        this.socket.send(LAN_SEARCH, this.searchPort, ip);
        searchTimer = setTimeout(search, SEARCH_INTERVAL_MS);
      };
      search();
    });
  }

  /** Sends `datagram` (from handBuiltCgiDatagram) with the next DRW index; resolves with the answer's body. */
  request(datagram: Buffer, guardMs = 5000): Promise<Buffer> {
    const peer = this.peer;
    if (!peer) return Promise.reject(new Error('bare DRW client: not connected'));
    if (this.waiting) return Promise.reject(new Error('bare DRW client: one request at a time'));
    datagram.writeUInt16BE(this.nextIndex, 6);
    this.nextIndex = (this.nextIndex + 1) & 0xffff;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error('bare DRW client: no answer'));
      }, guardMs);
      this.waiting = { resolve, timer, chunks: [], received: 0, bodyLength: undefined };
      this.socket.send(datagram, peer.port, peer.ip);
    });
  }

  async close(): Promise<void> {
    const peer = this.peer;
    if (peer) {
      this.socket.send(CLOSE, peer.port, peer.ip);
      this.socket.send(CLOSE, peer.port, peer.ip);
    }
    this.peer = undefined;
    await closeSocket(this.socket);
  }

  private onMessage(data: Buffer, from: dgram.RemoteInfo): void {
    if (data.length < 4 || data[0] !== MAGIC) return;
    const code = data[1];
    if (code === ALIVE) {
      this.socket.send(ALIVE_ACK, from.port, from.address);
      return;
    }
    const handshake = this.handshake;
    if (handshake && from.address === handshake.ip) {
      if (code === PUNCH) {
        handshake.punchPort = from.port;
        this.socket.send(data, from.port, from.address);
      } else if (code === READY && handshake.punchPort === from.port) {
        this.handshake = undefined;
        this.peer = { ip: from.address, port: from.port };
        handshake.done();
      }
      return;
    }
    if (code === DRW && data.length >= DRW_HEADER && data[5] === 0) this.onDrw(data, from);
  }

  private onDrw(data: Buffer, from: dgram.RemoteInfo): void {
    // DRW_ACK for this one index: f1 d1 00 06 d1 00 00 01 <index>.
    const ack = Buffer.from([MAGIC, 0xd1, 0x00, 0x06, DRW_MARKER, 0x00, 0x00, 0x01, data[6] ?? 0, data[7] ?? 0]);
    this.socket.send(ack, from.port, from.address);
    const waiting = this.waiting;
    if (!waiting) return;
    const chunk = data.subarray(DRW_HEADER);
    waiting.chunks.push(chunk);
    waiting.received += chunk.length;
    if (waiting.bodyLength === undefined && waiting.received >= CGI_HEADER) {
      const head = Buffer.concat(waiting.chunks);
      waiting.bodyLength = head.readUInt16LE(4);
    }
    if (waiting.bodyLength !== undefined && waiting.received >= CGI_HEADER + waiting.bodyLength) {
      clearTimeout(waiting.timer);
      this.waiting = undefined;
      const all = Buffer.concat(waiting.chunks);
      waiting.resolve(all.subarray(CGI_HEADER, CGI_HEADER + waiting.bodyLength));
    }
  }
}
