import { createRequire } from 'node:module';
import { EmulatorProcess } from './lib/emulator-process';
import { type BenchOptions, type BenchResult, type Row, ms, ratio, size, verdict } from './lib/report';
import { bindSocket, closeSocket, now, once, percentile } from './lib/util';

/** The parts of node-red-node-test-helper (untyped) and of a Node-RED node this benchmark uses. */
interface FlowNode {
  receive(msg: object): void;
  on(event: 'input', listener: (msg: { event?: unknown }) => void): void;
}
interface TestHelper {
  init(runtimePath: string, settings?: object): void;
  load(modules: unknown[], flow: object[]): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): FlowNode | null | undefined;
}

/**
 * 1b. Handshake through Node-RED: a vstar-network + vstar-session flow (node-red-node-test-helper)
 * against the emulated camera in another process. From msg.payload "connect" into the session
 * node to its `connected` message reaching the next node of the flow; "disconnect" in between.
 * Baseline: the same two dgram round trips as benchmark 1, interleaved.
 */
export async function nodered(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const connects = size(options, 'connects', 1000, 30);
  const warmup = size(options, 'warmup', 100, 5);
  const load = createRequire(__filename);
  const helper = load('node-red-node-test-helper') as TestHelper;
  helper.init(load.resolve('node-red'));
  // Loaded here, not imported at the top, so a node still being written fails this benchmark alone.
  const network = ((await import('../nodes/vstar-network')) as { default: unknown }).default;
  const session = ((await import('../nodes/vstar-session')) as { default: unknown }).default;
  const emulator = await EmulatorProcess.spawn({ count: 1, first: '127.5.0.1' });
  const camera = emulator.cameras[0];
  if (!camera) throw new Error('no camera');
  const { dhPort, searchPort, echoAddress, echoPort } = emulator.ready;
  const flow = [
    { id: 'tab', type: 'tab', label: 'bench' },
    {
      id: 'net',
      type: 'vstar-network',
      name: 'loopback',
      bind: '0.0.0.0',
      targets: '127.255.255.255',
      dhPort,
      searchPort,
      localDhPort: 0,
      localPort: 0,
      timeout: 10,
      passphrases: '',
    },
    {
      id: 'sess',
      z: 'tab',
      type: 'vstar-session',
      name: '',
      network: 'net',
      camera: camera.ip,
      autoConnect: false,
      reconnect: false,
      wires: [['out']],
    },
    { id: 'out', z: 'tab', type: 'helper' },
  ];
  await helper.load([network, session], flow);
  const sessionNode = helper.getNode('sess');
  const out = helper.getNode('out');
  if (!sessionNode || !out) throw new Error('flow did not deploy');
  let waiting: { event: string; resolve: () => void } | undefined;
  out.on('input', (msg) => {
    if (waiting && msg.event === waiting.event) {
      const { resolve } = waiting;
      waiting = undefined;
      resolve();
    }
  });
  const next = (event: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} message`)), 10_000);
      waiting = {
        event,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });

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

  const flowMs: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < warmup + connects; i++) {
    const rt = await roundTrips();
    const connected = next('connected');
    const t0 = now();
    sessionNode.receive({ payload: 'connect' });
    await connected;
    const elapsed = now() - t0;
    const disconnected = next('disconnected');
    sessionNode.receive({ payload: 'disconnect' });
    await disconnected;
    if (i < warmup) continue;
    flowMs.push(elapsed);
    baseline.push(rt);
  }
  await closeSocket(socket);
  await helper.unload();
  await emulator.close();

  const p50 = percentile(flowMs, 0.5);
  const b50 = percentile(baseline, 0.5);
  const p99 = percentile(flowMs, 0.99);
  const b99 = percentile(baseline, 0.99);
  const bench = 'handshake via Node-RED';
  const rows: Row[] = [
    {
      bench,
      metric: `p50 "connect" into vstar-session -> 'connected' msg at the next node (${flowMs.length} sequential)`,
      value: ms(p50),
      baseline: `${ms(b50)} (2 dgram round trips, p50)`,
      ratio: ratio(p50, b50),
      target: '<= 3x',
      verdict: verdict(p50 <= 3 * b50),
    },
    {
      bench,
      metric: 'p99 of the same',
      value: ms(p99),
      baseline: `${ms(b99)} (p99)`,
      ratio: ratio(p99, b99),
      target: 'report',
      verdict: 'info',
    },
  ];
  return {
    name: 'nodered',
    title: 'Handshake latency through Node-RED',
    rows,
    notes: [
      `node-red-node-test-helper with the package's vstar-network and vstar-session nodes (camera by IP, ` +
        `autoConnect and reconnect off); ${connects} connect/disconnect cycles after ${warmup} warm-up, ` +
        'the message timed when it reaches a helper node wired after the session node.',
    ],
    seconds: (now() - started) / 1000,
  };
}
