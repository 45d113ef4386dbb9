import { Endpoint } from '../nodes/engine/endpoint';
import { EmulatorProcess } from './lib/emulator-process';
import { NodeRedRuntime } from './lib/node-red-runtime';
import { type BenchOptions, type BenchResult, type Row, ms, ratio, size, verdict } from './lib/report';
import { bindSocket, closeSocket, now, once, percentile } from './lib/util';
import { loopbackNetwork } from './lib/flow-nodes';

/**
 * 1b. Handshake through Node-RED: a vstar-network + vstar-session flow deployed into a Node-RED
 * runtime in this process (bench/lib/node-red-runtime.ts) against the emulated camera in another
 * process. From msg.payload "connect" into the session node to its `connected` message reaching
 * the next node of the flow; "disconnect" in between. Baseline: the same two dgram round trips as
 * benchmark 1, interleaved.
 *
 * Issue 12 adds two figures from the same run, interleaved too: the engine's own handshake (an
 * Endpoint in this process, link.connect() -> 'connected', to a second emulated camera) and what
 * one hop between two core nodes costs (a message into a function node `return msg;` -> the
 * node wired after it). Target: the flow's figure within the engine's plus two hops.
 *
 * Until issue 12 the flow ran in node-red-node-test-helper, whose sinon spies on every node's
 * send, status and log (and on Node-RED's log, which every receive, send and done writes a metric
 * to) keep each call with a captured stack: six such calls in a hop, seven in a connect, at tens
 * of µs each. That made a hop 193-275 µs; no Node-RED installation pays it.
 */
export async function nodered(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const connects = size(options, 'connects', 1000, 30);
  const warmup = size(options, 'warmup', 100, 5);
  const red = await NodeRedRuntime.start();
  const emulator = await EmulatorProcess.spawn({ count: 2, first: '127.5.0.1' });
  const camera = emulator.cameras[0];
  const engineCamera = emulator.cameras[1];
  if (!camera || !engineCamera) throw new Error('no camera');
  const { dhPort, searchPort, echoAddress, echoPort } = emulator.ready;
  const flow = [
    { id: 'tab', type: 'tab', label: 'bench' },
    loopbackNetwork(dhPort, searchPort),
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
    { id: 'out', z: 'tab', type: 'bench-sink', wires: [] },
    { id: 'fn', z: 'tab', type: 'function', name: '', func: 'return msg;', outputs: 1, wires: [['hopOut']] },
    { id: 'hopOut', z: 'tab', type: 'bench-sink', wires: [] },
  ];
  await red.deploy(flow);
  const sessionNode = red.node('sess');
  const out = red.sink('out');
  const fnNode = red.node('fn');
  const hopOut = red.sink('hopOut');
  let hopArrived: (() => void) | undefined;
  hopOut.onArrival = () => {
    const arrived = hopArrived;
    hopArrived = undefined;
    arrived?.();
  };
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
  out.onArrival = ({ msg }) => {
    if (waiting && msg.event === waiting.event) {
      const { resolve } = waiting;
      waiting = undefined;
      resolve();
    }
  };
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
  await red.stop();
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
      metric: 'p50 one hop between two core nodes (msg into a function node `return msg;` -> the node after it)',
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
      `A Node-RED runtime in the benchmark's process (bench/lib/node-red-runtime.ts: admin API and comms set up, ` +
        `no HTTP listener) with the package's vstar-network and vstar-session nodes (camera by IP, ` +
        `autoConnect and reconnect off); ${connects} connect/disconnect cycles after ${warmup} warm-up, ` +
        'the message timed when it reaches the node wired after the session node. Interleaved with each cycle: ' +
        'two dgram round trips, one engine handshake (its own Endpoint, second camera, plaintext search) and one hop ' +
        'through a core function node.',
    ],
    seconds: (now() - started) / 1000,
  };
}
