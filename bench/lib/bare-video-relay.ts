import type dgram from 'node:dgram';
import type http from 'node:http';
import { handBuiltCgiDatagram } from './bare-drw-client';
import { LatencyRecorder } from './latency-recorder';
import { bindSocket, closeSocket, now } from './util';

/**
 * The video benchmark's baseline: the least a UDP-to-HTTP relay can do with the same camera
 * stream. Per camera one dgram socket speaks PPPP from hand-built bytes (LAN_SEARCH, PUNCH echo,
 * P2P_RDY; ALIVE_ACK; a DRW_ACK per DRW), asks for the stream with one hand-built
 * `livestream.cgi` DRW, and writes every channel-1 DRW's payload to each HTTP response as it
 * comes: no reassembly, no frame headers, no parsing, no queues, no backpressure. Plaintext only,
 * no retransmission: good for the emulator on loopback, not for a real camera.
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
const VIDEO_CHANNEL = 1;
/** PPPP header (4) + DRW prefix (marker, channel, index u16). */
const DRW_HEADER = 8;
const SEARCH_INTERVAL_MS = 300;
const HANDSHAKE_GUARD_MS = 5000;

export interface BareRelayCounters {
  readonly datagramsRelayed: number;
  readonly bytesWritten: number;
}

class BareCamera {
  readonly viewers = new Set<http.ServerResponse>();
  private peer: { ip: string; port: number } | undefined;
  private punchPort: number | undefined;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly ip: string,
    private readonly relay: BareVideoRelay,
  ) {}

  /** Handshakes, then asks for the stream; resolves once the camera is ready (not once it streams). */
  open(searchPort: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let searchTimer: NodeJS.Timeout | undefined;
      const guard = setTimeout(() => {
        clearTimeout(searchTimer);
        reject(new Error(`bare relay: no P2P_RDY from ${this.ip}`));
      }, HANDSHAKE_GUARD_MS);
      this.socket.on('message', (data, from) => {
        const arrival = now();
        if (data.length < 4 || data[0] !== MAGIC || from.address !== this.ip) return;
        const code = data[1];
        if (code === ALIVE) this.socket.send(ALIVE_ACK, from.port, from.address);
        else if (code === PUNCH && !this.peer) {
          this.punchPort = from.port;
          this.socket.send(data, from.port, from.address);
        } else if (code === READY && !this.peer && from.port === this.punchPort) {
          this.peer = { ip: from.address, port: from.port };
          clearTimeout(searchTimer);
          clearTimeout(guard);
          const request = handBuiltCgiDatagram(
            'livestream.cgi',
            'streamid=10&substream=0&loginuse=admin&loginpas=888888&user=admin&pwd=888888&',
          );
          this.socket.send(request, from.port, from.address);
          resolve();
        } else if (code === DRW && data.length >= DRW_HEADER) this.onDrw(data, from, arrival);
      });
      const search = (): void => {
        this.socket.send(LAN_SEARCH, searchPort, this.ip);
        searchTimer = setTimeout(search, SEARCH_INTERVAL_MS);
      };
      search();
    });
  }

  /** Ends the viewers and resolves once the two CLOSEs left, so the camera stops streaming at once. */
  close(): Promise<void> {
    const peer = this.peer;
    this.peer = undefined;
    for (const res of this.viewers) res.end();
    if (!peer) return Promise.resolve();
    const sent = (): Promise<void> =>
      new Promise((resolve) => this.socket.send(CLOSE, peer.port, peer.ip, () => resolve()));
    return Promise.all([sent(), sent()]).then(() => undefined);
  }

  private onDrw(data: Buffer, from: dgram.RemoteInfo, arrival: number): void {
    // DRW_ACK for this one index: f1 d1 00 06 d1 <channel> 00 01 <index>.
    const ack = Buffer.from([
      MAGIC,
      0xd1,
      0x00,
      0x06,
      DRW_MARKER,
      data[5] ?? 0,
      0x00,
      0x01,
      data[6] ?? 0,
      data[7] ?? 0,
    ]);
    this.socket.send(ack, from.port, from.address);
    if (data[5] !== VIDEO_CHANNEL || this.viewers.size === 0) return;
    const payload = data.subarray(DRW_HEADER);
    for (const res of this.viewers) res.write(payload);
    this.relay.relayed(payload.length * this.viewers.size, now() - arrival);
  }
}

export class BareVideoRelay {
  /** From a datagram's arrival to its payload handed to the last viewer's `write`. */
  readonly latency = new LatencyRecorder();
  private datagramsRelayed = 0;
  private bytesWritten = 0;
  private cameras: BareCamera[] = [];
  private sockets: dgram.Socket[] = [];

  static async start(ips: readonly string[], searchPort: number): Promise<BareVideoRelay> {
    const relay = new BareVideoRelay();
    relay.sockets = await Promise.all(ips.map(() => bindSocket('0.0.0.0')));
    relay.cameras = ips.map((ip, i) => {
      const socket = relay.sockets[i];
      if (!socket) throw new Error('no socket');
      return new BareCamera(socket, ip, relay);
    });
    await Promise.all(relay.cameras.map((camera) => camera.open(searchPort)));
    return relay;
  }

  serve(camera: number, res: http.ServerResponse, contentType: string): void {
    const target = this.cameras[camera];
    if (!target) throw new Error(`no camera ${camera}`);
    res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    target.viewers.add(res);
    res.on('close', () => target.viewers.delete(res));
  }

  /** @internal a camera's report of one datagram written to its viewers. */
  relayed(bytes: number, latencyMs: number): void {
    if (!this.latency.recording) return;
    this.datagramsRelayed++;
    this.bytesWritten += bytes;
    this.latency.add(latencyMs);
  }

  begin(): void {
    this.datagramsRelayed = 0;
    this.bytesWritten = 0;
    this.latency.begin();
  }

  counters(): BareRelayCounters {
    return { datagramsRelayed: this.datagramsRelayed, bytesWritten: this.bytesWritten };
  }

  async close(): Promise<void> {
    await Promise.all(this.cameras.map((camera) => camera.close()));
    await Promise.all(this.sockets.map(closeSocket));
  }
}
