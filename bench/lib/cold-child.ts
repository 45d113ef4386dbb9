/**
 * One cold start for bench/cold.ts, in a fresh process as after a deploy: binds, then from the
 * scan's start discovers the one emulated camera and handshakes with it, and prints one JSON line
 * with the times (ms from the scan's start) of every step and every datagram in and out.
 *
 *   argv: engine|bare --dh-port P --search-port Q
 *
 * `engine` is the package's Endpoint (a link by UID created at the `discovered` event);
 * `bare` is the least a client can do: one DH probe, one plaintext LAN_SEARCH to the address the
 * reply came from, the PUNCH echoed, P2P_RDY awaited. Both get the same instrumentation: the
 * dgram prototype's `send` and `emit('message')` are wrapped before any socket exists, so each
 * datagram is timestamped at the same place whichever client sent or read it.
 */
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { Endpoint } from '../../nodes/engine/endpoint';

/** A datagram seen by the instrumentation: time, direction, remote port, first bytes. */
export interface ColdDatagram {
  readonly t: number;
  readonly dir: 'in' | 'out';
  readonly port: number;
  readonly head: number;
}

export interface ColdRun {
  readonly kind: 'engine' | 'bare';
  readonly discoveredMs: number;
  readonly connectedMs: number;
  readonly datagrams: ColdDatagram[];
  /** For matching a CPU profile: this process and the scan's start on the monotonic clock, in µs. */
  readonly pid: number;
  readonly originMonotonicUs: number;
}

const DH_PROBE = Buffer.from([0x44, 0x48, 0x01, 0x01]);
const LAN_SEARCH = Buffer.from([0xf1, 0x30, 0x00, 0x00]);
const CLOSE = Buffer.from([0xf1, 0xf0, 0x00, 0x00]);
const PUNCH = 0x41;
const READY = 0x42;
const GUARD_MS = 5000;

let origin = 0;
let originMonotonicUs = 0;
const datagrams: ColdDatagram[] = [];

function instrument(): void {
  const proto = dgram.Socket.prototype as unknown as {
    send: (...args: unknown[]) => void;
    emit: (event: string, ...args: unknown[]) => boolean;
  };
  const send = proto.send;
  const emit = proto.emit;
  proto.send = function (this: dgram.Socket, ...args: unknown[]): void {
    const [data, port] = args;
    if (origin > 0 && Buffer.isBuffer(data) && typeof port === 'number')
      datagrams.push({ t: performance.now() - origin, dir: 'out', port, head: headOf(data) });
    send.apply(this, args);
  };
  proto.emit = function (this: dgram.Socket, event: string, ...args: unknown[]): boolean {
    if (event === 'message' && origin > 0) {
      const [data, from] = args as [Buffer, dgram.RemoteInfo];
      datagrams.push({ t: performance.now() - origin, dir: 'in', port: from.port, head: headOf(data) });
    }
    return emit.call(this, event, ...args);
  };
}

/** The first two bytes as one number: 0xf141 is a plaintext PUNCH, 0x4448 a DH datagram. */
function headOf(data: Buffer): number {
  return ((data[0] ?? 0) << 8) | (data[1] ?? 0);
}

function arg(name: string): number {
  const at = process.argv.indexOf(name);
  return Number(at >= 0 ? process.argv[at + 1] : NaN);
}

async function engine(dhPort: number, searchPort: number): Promise<{ discoveredMs: number; connectedMs: number }> {
  const endpoint = new Endpoint({
    bind: '0.0.0.0',
    targets: ['127.255.255.255'],
    dhPort,
    searchPort,
    timeoutMs: 10_000,
    handshakeTimeoutMs: 3000,
  });
  await endpoint.ready();
  let discoveredMs = NaN;
  const connected = new Promise<number>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('engine: no connection')), GUARD_MS);
    endpoint.once('discovered', (sighting) => {
      discoveredMs = performance.now() - origin;
      const link = endpoint.link({ kind: 'uid', uid: sighting.record.uid }, { reconnect: false });
      if (!link) return reject(new Error('endpoint refused a link'));
      link.once('connected', () => {
        resolve(performance.now() - origin);
        clearTimeout(guard);
      });
      link.connect();
    });
  });
  originMonotonicUs = Number(process.hrtime.bigint() / 1000n);
  origin = performance.now();
  void endpoint.scan(1000);
  const connectedMs = await connected;
  await endpoint.close();
  return { discoveredMs, connectedMs };
}

async function bare(dhPort: number, searchPort: number): Promise<{ discoveredMs: number; connectedMs: number }> {
  const bind = (): Promise<dgram.Socket> =>
    new Promise((resolve) => {
      const socket = dgram.createSocket('udp4');
      socket.bind(0, '0.0.0.0', () => resolve(socket));
    });
  const dh = await bind();
  dh.setBroadcast(true);
  const pppp = await bind();
  let discoveredMs = NaN;
  let camera = '';
  const connected = new Promise<number>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('bare: no connection')), GUARD_MS);
    dh.on('message', (data, from) => {
      if (camera !== '' || data.length < 100) return;
      discoveredMs = performance.now() - origin;
      camera = from.address;
      pppp.send(LAN_SEARCH, searchPort, camera);
    });
    pppp.on('message', (data, from) => {
      if (from.address !== camera || data[0] !== 0xf1) return;
      if (data[1] === PUNCH) pppp.send(data, from.port, from.address);
      else if (data[1] === READY) {
        resolve(performance.now() - origin);
        clearTimeout(guard);
        pppp.send(CLOSE, from.port, from.address);
        pppp.send(CLOSE, from.port, from.address);
      }
    });
  });
  originMonotonicUs = Number(process.hrtime.bigint() / 1000n);
  origin = performance.now();
  dh.send(DH_PROBE, dhPort, '127.255.255.255');
  const connectedMs = await connected;
  await new Promise<void>((resolve) => setTimeout(resolve, 20));
  dh.close();
  pppp.close();
  return { discoveredMs, connectedMs };
}

async function main(): Promise<void> {
  instrument();
  const kind = process.argv[2] === 'bare' ? 'bare' : 'engine';
  const dhPort = arg('--dh-port');
  const searchPort = arg('--search-port');
  const times = kind === 'bare' ? await bare(dhPort, searchPort) : await engine(dhPort, searchPort);
  const run: ColdRun = { kind, ...times, datagrams, pid: process.pid, originMonotonicUs };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
