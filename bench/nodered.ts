import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Endpoint } from '../nodes/engine/endpoint';
import { EmulatorProcess } from './lib/emulator-process';
import { type BenchOptions, type BenchResult, type Row, ms, ratio, size, verdict } from './lib/report';
import { bindSocket, closeSocket, now, once, percentile } from './lib/util';

/** The parts of node-red-node-test-helper (untyped) and of a Node-RED node this benchmark uses. */
interface FlowNode {
  receive(msg: object): void;
  on(event: 'input', listener: (msg: { event?: unknown; hop?: unknown }) => void): void;
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
 *
 * Issue 12 adds two figures from the same run, interleaved too: the engine's own handshake (an
 * Endpoint in this process, link.connect() -> 'connected', to a second emulated camera) and what
 * one hop between two core nodes costs (a message into a function node `return msg;` -> the
 * helper node wired after it). Target: the flow's figure within the engine's plus two hops.
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
  const coreNodes = join(
    dirname(load.resolve('@node-red/nodes/package.json', { paths: [load.resolve('node-red')] })),
    'core',
  );
  const functionNode = load(join(coreNodes, 'function', '10-function.js')) as unknown;
  const emulator = await EmulatorProcess.spawn({ count: 2, first: '127.5.0.1' });
  const camera = emulator.cameras[0];
  const engineCamera = emulator.cameras[1];
  if (!camera || !engineCamera) throw new Error('no camera');
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
    { id: 'fn', z: 'tab', type: 'function', name: '', func: 'return msg;', outputs: 1, wires: [['hopOut']] },
    { id: 'hopOut', z: 'tab', type: 'helper' },
  ];
  await helper.load([network, session, functionNode], flow);
  const sessionNode = helper.getNode('sess');
  const out = helper.getNode('out');
  const fnNode = helper.getNode('fn');
  const hopOut = helper.getNode('hopOut');
  if (!sessionNode || !out || !fnNode || !hopOut) throw new Error('flow did not deploy');
  let hopArrived: (() => void) | undefined;
  hopOut.on('input', () => {
    const arrived = hopArrived;
    hopArrived = undefined;
    arrived?.();
  });
  const hop = async (): Promise<number> => {
    const arrived = new Promise<void>((resolve) => {
      hopArrived = resolve;
    });
    const t0 = now();
    fnNode.receive({ payload: 'hop' });
    await arrived;
    return now() - t0;
  };
  // The engine alone, in this process, on the same loopback to the second camera.
  const endpoint = new Endpoint({
    targets: ['127.255.255.255'],
    dhPort,
    searchPort,
    timeoutMs: 10_000,
    passphrases: [],
  });
  await endpoint.ready();
  const engineHandshake = async (): Promise<number> => {
    const link = endpoint.link({ kind: 'ip', ip: engineCamera.ip }, { reconnect: false });
    if (!link) throw new Error('endpoint refused a link');
    const t0 = now();
    const connected = once(link, 'connected', 10_000);
    link.connect();
    await connected;
    const elapsed = now() - t0;
    const gone = once(link, 'state', 10_000);
    endpoint.release(link);
    await gone;
    return elapsed;
  };
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
  const engineMs: number[] = [];
  const hopMs: number[] = [];
  for (let i = 0; i < warmup + connects; i++) {
    const rt = await roundTrips();
    const engineElapsed = await engineHandshake();
    const hopElapsed = await hop();
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
    engineMs.push(engineElapsed);
    hopMs.push(hopElapsed);
  }
  await closeSocket(socket);
  await endpoint.close();
  await helper.unload();
  await emulator.close();

  const p50 = percentile(flowMs, 0.5);
  const b50 = percentile(baseline, 0.5);
  const p99 = percentile(flowMs, 0.99);
  const b99 = percentile(baseline, 0.99);
  const e50 = percentile(engineMs, 0.5);
  const h50 = percentile(hopMs, 0.5);
  const budget = e50 + 2 * h50;
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
      metric: "p50 of the same against the engine's own handshake plus two node-to-node hops (same run)",
      value: ms(p50),
      baseline: `${ms(budget)} (engine ${ms(e50)} + 2 x hop ${ms(h50)})`,
      ratio: ratio(p50, budget),
      target: '<= 1x',
      verdict: verdict(p50 <= budget),
    },
    {
      bench,
      metric: "p50 engine handshake alone (an Endpoint in the same process: link.connect() -> 'connected')",
      value: ms(e50),
      baseline: `${ms(b50)} (2 dgram round trips, p50)`,
      ratio: ratio(e50, b50),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'p50 one hop between two core nodes (msg into a function node `return msg;` -> the helper node after it)',
      value: ms(h50),
      baseline: `${ms(b50)} (2 dgram round trips, p50)`,
      ratio: ratio(h50, b50),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'p99 "connect" into vstar-session -> connected msg',
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
        'the message timed when it reaches a helper node wired after the session node. Interleaved with each cycle: ' +
        'two dgram round trips, one engine handshake (its own Endpoint, second camera, plaintext search) and one hop ' +
        'through a core function node.',
    ],
    seconds: (now() - started) / 1000,
  };
}
