import { type CameraLink, type LinkConnected } from '../nodes/engine/camera-link';
import { Endpoint } from '../nodes/engine/endpoint';
import { KNOWN_PASSPHRASES } from '../nodes/wire/cipher';
import { EmulatorProcess } from './lib/emulator-process';
import { type BenchOptions, type BenchResult, type Row, ms, ratio, size, verdict } from './lib/report';
import { bindSocket, closeSocket, now, once, percentile } from './lib/util';

/**
 * 1. Handshake latency: sequential connects (LAN_SEARCH -> `connected`) by one Endpoint to one
 * emulated camera in another process, each a fresh link (reconnect off) released afterwards.
 * Baseline: two plain dgram round trips to an echo socket in the same emulator process, run
 * interleaved with the connects so both see the same machine load.
 */
export async function handshake(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const connects = size(options, 'connects', 1000, 50);
  const warmup = size(options, 'warmup', 100, 10);
  const emulator = await EmulatorProcess.spawn({ count: 1, first: '127.1.0.1' });
  const camera = emulator.cameras[0];
  if (!camera) throw new Error('no camera');
  const { dhPort, searchPort, echoAddress, echoPort } = emulator.ready;
  const endpoint = new Endpoint({
    bind: '0.0.0.0',
    targets: ['127.255.255.255'],
    dhPort,
    searchPort,
    timeoutMs: 10_000,
    handshakeTimeoutMs: 3000,
  });
  // The same, for a network of plaintext cameras only (passphrases ''): one LAN_SEARCH per
  // attempt instead of four (plaintext and one per known passphrase), to show what that costs.
  const plainEndpoint = new Endpoint({
    bind: '0.0.0.0',
    targets: ['127.255.255.255'],
    dhPort,
    searchPort,
    timeoutMs: 10_000,
    handshakeTimeoutMs: 3000,
    passphrases: [],
  });
  await Promise.all([endpoint.ready(), plainEndpoint.ready()]);
  const socket = await bindSocket('0.0.0.0');
  const ping = Buffer.from([0xf1, 0x30, 0x00, 0x00]);

  const roundTrips = async (): Promise<number> => {
    const t0 = now();
    for (let i = 0; i < 2; i++) {
      const reply = once(socket, 'message', 5000);
      socket.send(ping, echoPort, echoAddress);
      await reply;
    }
    return now() - t0;
  };

  let failures = 0;
  const connect = async (on: Endpoint): Promise<{ wallMs: number; sessionMs: number } | undefined> => {
    const t0 = now();
    const link: CameraLink | undefined = on.link({ kind: 'ip', ip: camera.ip }, { reconnect: false });
    if (!link) throw new Error('endpoint refused a link');
    try {
      const outcome = new Promise<LinkConnected | undefined>((resolve) => {
        link.once('connected', resolve);
        link.once('handshake-failed', () => resolve(undefined));
      });
      link.connect();
      const connected = await outcome;
      const wallMs = now() - t0;
      return connected ? { wallMs, sessionMs: connected.handshakeMs } : undefined;
    } finally {
      on.release(link);
    }
  };

  const engine: number[] = [];
  const inSession: number[] = [];
  const baseline: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < warmup + connects; i++) {
    // The order rotates, so each kind follows each other kind equally often: a connect right after
    // a release finds the camera process still reading the two CLOSE datagrams.
    let rt = 0;
    let hs: Awaited<ReturnType<typeof connect>>;
    let plainHs: Awaited<ReturnType<typeof connect>>;
    for (let k = 0; k < 3; k++) {
      const which = (i + k) % 3;
      if (which === 0) rt = await roundTrips();
      else if (which === 1) hs = await connect(endpoint);
      else plainHs = await connect(plainEndpoint);
    }
    if (i < warmup) continue;
    baseline.push(rt);
    if (plainHs) plain.push(plainHs.wallMs);
    if (hs) {
      engine.push(hs.wallMs);
      inSession.push(hs.sessionMs);
    } else failures++;
  }

  await closeSocket(socket);
  await endpoint.close();
  await plainEndpoint.close();
  const cameraStats = await emulator.stats();
  await emulator.close();

  const p50 = percentile(engine, 0.5);
  const p99 = percentile(engine, 0.99);
  const b50 = percentile(baseline, 0.5);
  const b99 = percentile(baseline, 0.99);
  const bench = 'handshake';
  const rows: Row[] = [
    {
      bench,
      metric: `p50 link()+connect() -> 'connected' (${engine.length} sequential)`,
      value: ms(p50),
      baseline: `${ms(b50)} (2 dgram round trips, p50)`,
      ratio: ratio(p50, b50),
      target: '<= 1.5x',
      verdict: verdict(p50 <= 1.5 * b50 && failures === 0),
    },
    {
      bench,
      metric: 'p99 link()+connect() -> connected',
      value: ms(p99),
      baseline: `${ms(b99)} (p99)`,
      ratio: ratio(p99, b99),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: "p50 of the same, endpoint with passphrases '' (plaintext LAN_SEARCH only)",
      value: ms(percentile(plain, 0.5)),
      baseline: ms(b50),
      ratio: ratio(percentile(plain, 0.5), b50),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'p50 handshakeMs the session reports (first LAN_SEARCH -> P2P_RDY)',
      value: ms(percentile(inSession, 0.5)),
      baseline: ms(b50),
      ratio: ratio(percentile(inSession, 0.5), b50),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'failed handshakes',
      value: String(failures),
      baseline: '0',
      ratio: 'n/a',
      target: '0',
      verdict: verdict(failures === 0),
    },
  ];
  return {
    name: 'handshake',
    title: 'Handshake latency',
    rows,
    notes: [
      `${connects} connects after ${warmup} warm-up, each a new link by IP (reconnect false) released after 'connected'; ` +
        `baseline, engine and plaintext-only engine interleaved one-for-one, in rotating order. The default endpoint searches in clear and ` +
        `with each of the ${KNOWN_PASSPHRASES.length} known passphrases (4 LAN_SEARCH datagrams per attempt). Camera answered ${cameraStats.searchesAnswered} LAN_SEARCHes ` +
        `and ignored ${cameraStats.datagramsIgnored} datagrams (the encrypted LAN_SEARCH copies of encryption 'auto').`,
    ],
    seconds: (now() - started) / 1000,
  };
}
