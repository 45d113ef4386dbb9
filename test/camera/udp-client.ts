import dgram from 'node:dgram';
import { type Address } from '../../nodes/wire/address';
import { isLoopbackIpv4 } from '../../nodes/camera/ipv4';

export interface Received {
  readonly data: Buffer;
  readonly from: Address;
}

/** How long any single wait may take before the test fails instead of hanging. */
export const WAIT_MS = 5000;

/**
 * A bare test client on 0.0.0.0:<ephemeral> with broadcast on. Every datagram is queued; tests
 * wait for the ones they expect. It refuses to send outside 127.0.0.0/8.
 */
export class UdpClient {
  private readonly inbox: Received[] = [];
  private waiters: (() => void)[] = [];

  private constructor(private readonly socket: dgram.Socket) {
    socket.on('message', (data, rinfo) => {
      this.inbox.push({ data, from: { address: rinfo.address, port: rinfo.port } });
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }

  static open(): Promise<UdpClient> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '0.0.0.0', () => {
        socket.off('error', reject);
        socket.setBroadcast(true);
        resolve(new UdpClient(socket));
      });
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: Buffer, to: Address): void {
    if (!isLoopbackIpv4(to.address)) throw new Error(`test tried to send outside loopback: ${to.address}`);
    this.socket.send(data, to.port, to.address);
  }

  /** Removes and returns the first `count` datagrams that match, waiting for them if needed. */
  async take(count: number, match: (r: Received) => boolean = () => true, label = 'datagrams'): Promise<Received[]> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const hits = this.inbox.filter(match);
      if (hits.length >= count) {
        const taken = hits.slice(0, count);
        for (const hit of taken) this.inbox.splice(this.inbox.indexOf(hit), 1);
        return taken;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${count} ${label}, have ${hits.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async takeOne(match: (r: Received) => boolean, label?: string): Promise<Received> {
    const [hit] = await this.take(1, match, label);
    if (!hit) throw new Error('unreachable');
    return hit;
  }

  /** What arrived and was not taken. */
  get pending(): readonly Received[] {
    return this.inbox;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** A guard for `events.once`, so a missing event fails the test instead of hanging it. */
export function deadline(): { signal: AbortSignal } {
  return { signal: AbortSignal.timeout(WAIT_MS) };
}

export function udpHandleCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
}
