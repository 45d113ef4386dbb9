import { createRequire } from 'node:module';
import { BareClient } from './lib/bare-client';
import { EmulatorProcess } from './lib/emulator-process';
import { type BenchOptions, type BenchResult, type Row, ms, ratio, size, verdict } from './lib/report';
import { now } from './lib/util';

/** The parts of node-red-node-test-helper (untyped) and of a Node-RED node this benchmark uses. */
interface FlowNode {
  on(event: 'input', listener: (msg: { event?: unknown }) => void): void;
}
interface TestHelper {
  init(runtimePath: string, settings?: object): void;
  load(modules: unknown[], flow: object[]): Promise<void>;
  unload(): Promise<void>;
  getNode(id: string): FlowNode | null | undefined;
}

/** The flow's cameras must all be up within this; beyond it the run counts as failed. */
const GUARD_MS = 120_000;

/**
 * 1d. Startup (issue 12): a vstar-network node and N vstar-session nodes (one per emulated camera,
 * by IP, autoConnect on) deploy at once (node-red-node-test-helper); from the start of the deploy
 * to the last session's `connected` message at the helper node they are all wired to. Baseline:
 * N handshakes one after another from a bare dgram socket (bench/lib/bare-client.ts) to the same
 * cameras, the same run.
 */
export async function startup(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const cameras = size(options, 'cameras', 1000, 50);
  const load = createRequire(__filename);
  const helper = load('node-red-node-test-helper') as TestHelper;
  helper.init(load.resolve('node-red'));
  const network = ((await import('../nodes/vstar-network')) as { default: unknown }).default;
  const session = ((await import('../nodes/vstar-session')) as { default: unknown }).default;
  const emulator = await EmulatorProcess.spawn({ count: cameras, first: '127.6.0.1' });
  const { dhPort, searchPort } = emulator.ready;
  try {
    // Baseline: one handshake after another; CLOSE afterwards so the cameras forget this client.
    const bare = await BareClient.open(searchPort, 4 * 1024 * 1024);
    const bare0 = now();
    for (const camera of emulator.cameras) await bare.connect(camera.ip);
    const bareMs = now() - bare0;
    await bare.close();

    const flow: object[] = [
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
      ...emulator.cameras.map((camera, i) => ({
        id: `sess${i}`,
        z: 'tab',
        type: 'vstar-session',
        name: '',
        network: 'net',
        camera: camera.ip,
        autoConnect: true,
        reconnect: true,
        wires: [['out']],
      })),
      { id: 'out', z: 'tab', type: 'helper' },
    ];
    let connected = 0;
    let lastAt = 0;
    let allUp: (() => void) | undefined;
    const up = new Promise<void>((resolve) => {
      allUp = resolve;
    });
    // The helper node exists only once the flow is deployed, and the first sessions may connect
    // while load() is still settling: count from the Node-RED runtime's side instead.
    const t0 = now();
    await helper.load([network, session], flow);
    const loadedMs = now() - t0;
    const out = helper.getNode('out');
    if (!out) throw new Error('flow did not deploy');
    out.on('input', (msg) => {
      if (msg.event !== 'connected') return;
      connected++;
      lastAt = now();
      if (connected === cameras) allUp?.();
    });
    const guard = new Promise<void>((resolve) => setTimeout(resolve, GUARD_MS).unref());
    await Promise.race([up, guard]);
    const flowMs = connected === cameras ? lastAt - t0 : NaN;
    await helper.unload();

    const bench = `startup (${cameras} cameras)`;
    const rows: Row[] = [
      {
        bench,
        metric: `deploy of a network node with ${cameras} session nodes -> every one 'connected' (msg at the next node)`,
        value: ms(flowMs),
        baseline: `${ms(bareMs)} (${cameras} sequential bare handshakes)`,
        ratio: ratio(flowMs, bareMs),
        target: '<= 2x',
        verdict: verdict(flowMs <= 2 * bareMs),
      },
      {
        bench,
        metric: 'sessions connected',
        value: `${connected} / ${cameras}`,
        baseline: `${cameras} (bare)`,
        ratio: ratio(connected, cameras),
        target: `${cameras}`,
        verdict: verdict(connected === cameras),
      },
    ];
    return {
      name: 'startup',
      title: 'Startup with many cameras',
      rows,
      notes: [
        `node-red-node-test-helper: one vstar-network (plaintext search) and ${cameras} vstar-session nodes by IP ` +
          `(autoConnect, reconnect on) wired to one helper node; helper.load() returned after ${ms(loadedMs)}. ` +
          `Emulated cameras in one process at 127.6.0.1 upward. The baseline client closes its sessions before the deploy.`,
      ],
      seconds: (now() - started) / 1000,
    };
  } finally {
    await emulator.close();
  }
}
