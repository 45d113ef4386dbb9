import { createRequire } from 'node:module';
import { CameraLink } from '../nodes/engine/camera-link';
import { Endpoint } from '../nodes/engine/endpoint';
import { runCalls } from '../nodes/engine/command-runner';
import { DEFAULT_CREDENTIALS } from '../nodes/adapter/camera-source';
import { EmulatorProcess } from './lib/emulator-process';
import { type BenchOptions, type BenchResult, type Row, fmt, ms, percent, ratio, size, verdict } from './lib/report';
import { cpuMicros, now, percentile, sleep } from './lib/util';
import { loopbackNetwork } from './lib/flow-nodes';

/** The parts of node-red-node-test-helper (untyped) this benchmark uses. */
interface TestHelper {
  init(runtimePath: string, settings?: object): void;
  load(modules: unknown[], flow: object[]): Promise<void>;
  unload(): Promise<void>;
}

/** vstar-motion's default interval, the one the issue names. */
const POLL_INTERVAL_S = 1;
/** The longest interval vstar-motion accepts: the idle baseline's nodes poll once, on connecting. */
const IDLE_INTERVAL_S = 3600;
/** vstar-motion's POLL_TIMEOUT_MS (a poll gets this long, never less than its interval). */
const POLL_TIMEOUT_MS = 5000;
/** Polls and share of a core above which the 100-camera load counts as too heavy (proposed). */
const TARGET_CPU_SHARE = 0.1;

interface Window {
  readonly seconds: number;
  readonly cpuShare: number;
  readonly emulatorCpuShare: number;
  readonly polls: number;
  readonly pollsPerSecond: number;
}

/**
 * Counts and times every CGI request any link sends, from outside the nodes: the benchmark
 * wraps CameraLink.prototype.request (one closure call and a clock read per request).
 */
class RequestMeter {
  private readonly counters = { count: 0, roundTrips: [] as number[] };
  private readonly original = CameraLink.prototype.request;

  get count(): number {
    return this.counters.count;
  }

  /** Round trips of the answered requests since the last call. */
  takeRoundTrips(): number[] {
    return this.counters.roundTrips.splice(0);
  }

  install(): void {
    const { original, counters } = this;
    CameraLink.prototype.request = function (this: CameraLink, ...args: Parameters<CameraLink['request']>) {
      counters.count++;
      const t0 = now();
      const answer = original.apply(this, args);
      answer.then(
        () => counters.roundTrips.push(now() - t0),
        () => undefined,
      );
      return answer;
    };
  }

  uninstall(): void {
    CameraLink.prototype.request = this.original;
  }
}

/**
 * 10b. Motion polling: 100 emulated cameras (one other process), each watched by a real
 * vstar-motion node (Node-RED under node-red-node-test-helper, one vstar-camera config node per
 * camera) polling get_status every second, one poll in flight per camera. The client process's
 * CPU share over a window, beside the same flow with the nodes' interval at 3600 s (the same
 * 100 sessions held, not polled). Then the same pair over the engine alone (the node's poll loop
 * reproduced: one runCalls get_status per camera per second), without Node-RED's overhead.
 */
export async function motion(options: BenchOptions): Promise<BenchResult> {
  const started = now();
  const cameras = size(options, 'cameras', 100, 100);
  const seconds = size(options, 'seconds', 20, 1);
  const settleMs = size(options, 'settleMs', 2000, 300);
  const emulator = await EmulatorProcess.spawn({ count: cameras, first: '127.7.0.1' });
  const { dhPort, searchPort } = emulator.ready;
  const meter = new RequestMeter();
  meter.install();

  const measure = async (): Promise<Window> => {
    const e0 = (await emulator.request('cpu')).cpuUs;
    const polls0 = meter.count;
    const c0 = cpuMicros();
    const t0 = now();
    await sleep(seconds * 1000);
    const wallMs = now() - t0;
    const cpu = cpuMicros() - c0;
    const polls = meter.count - polls0;
    const e1 = (await emulator.request('cpu')).cpuUs;
    return {
      seconds: wallMs / 1000,
      cpuShare: cpu / 1000 / wallMs,
      emulatorCpuShare: (e1 - e0) / 1000 / wallMs,
      polls,
      pollsPerSecond: polls / (wallMs / 1000),
    };
  };
  /** Every camera's first poll (on connecting) was sent: all sessions are up. */
  const allPolled = async (from: number): Promise<void> => {
    const deadline = now() + 30_000;
    while (meter.count - from < cameras) {
      if (now() > deadline) throw new Error(`only ${meter.count - from} of ${cameras} cameras connected`);
      await sleep(50);
    }
  };

  // Node-RED: the real vstar-motion node.
  const load = createRequire(__filename);
  const helper = load('node-red-node-test-helper') as TestHelper;
  helper.init(load.resolve('node-red'));
  // Loaded here, not imported at the top, so a node being rewritten fails this benchmark alone.
  const modules = await Promise.all(
    [import('../nodes/vstar-network'), import('../nodes/vstar-camera'), import('../nodes/vstar-motion')].map(
      async (m) => ((await m) as { default: unknown }).default,
    ),
  );
  const flow = (intervalS: number): object[] => [
    { id: 'tab', type: 'tab', label: 'bench' },
    loopbackNetwork(dhPort, searchPort),
    ...emulator.cameras.flatMap((camera) => [
      { id: `cam${camera.index}`, type: 'vstar-camera', name: '', network: 'net', camera: camera.ip },
      {
        id: `motion${camera.index}`,
        z: 'tab',
        type: 'vstar-motion',
        name: '',
        device: `cam${camera.index}`,
        interval: intervalS,
        wires: [],
      },
    ]),
  ];
  const flowWindow = async (intervalS: number): Promise<Window> => {
    const from = meter.count;
    await helper.load(modules, flow(intervalS));
    await allPolled(from);
    await sleep(settleMs);
    const window = await measure();
    await helper.unload();
    return window;
  };
  const nodeIdle = await flowWindow(IDLE_INTERVAL_S);
  meter.takeRoundTrips();
  const nodePolling = await flowWindow(POLL_INTERVAL_S);
  const nodeRoundTrips = meter.takeRoundTrips();
  await sleep(500);

  // The engine alone, with vstar-motion's loop.
  const endpoint = new Endpoint({ bind: '0.0.0.0', targets: ['127.255.255.255'], dhPort, searchPort });
  await endpoint.ready();
  const links: CameraLink[] = [];
  for (const camera of emulator.cameras) {
    const link = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: true });
    if (!link) throw new Error('endpoint refused a link');
    links.push(link);
  }
  const loops = links.map((link, i) => new PollLoop(link, emulator.cameras[i]?.ip ?? ''));
  const engineWindow = async (intervalS: number): Promise<Window> => {
    const from = meter.count;
    for (const loop of loops) loop.start(intervalS * 1000);
    await allPolled(from);
    await sleep(settleMs);
    const window = await measure();
    for (const loop of loops) loop.stop();
    await sleep(200);
    return window;
  };
  const engineIdle = await engineWindow(IDLE_INTERVAL_S);
  meter.takeRoundTrips();
  const enginePolling = await engineWindow(POLL_INTERVAL_S);
  const engineRoundTrips = meter.takeRoundTrips();
  const failures = loops.reduce((total, loop) => total + loop.failures, 0);
  for (const link of links) endpoint.release(link);
  await endpoint.close();
  meter.uninstall();
  await emulator.close();

  const cpuPerPoll = (busy: Window, quiet: Window): number =>
    busy.polls > 0 ? ((busy.cpuShare - quiet.cpuShare) * busy.seconds * 1e6) / busy.polls : NaN;
  const expected = cameras / POLL_INTERVAL_S;
  const bench = `motion (${cameras} cameras, ${POLL_INTERVAL_S} s poll)`;
  const rows: Row[] = [
    {
      bench,
      metric: `client CPU, share of one core: ${cameras} vstar-motion nodes polling (${nodePolling.seconds.toFixed(0)} s window, ${fmt(nodePolling.pollsPerSecond)} polls/s)`,
      value: percent(nodePolling.cpuShare),
      baseline: `${percent(nodeIdle.cpuShare)} (the same nodes and sessions, interval ${IDLE_INTERVAL_S} s: not polling)`,
      ratio: ratio(nodePolling.cpuShare, nodeIdle.cpuShare),
      target: `< ${percent(TARGET_CPU_SHARE)} (proposed)`,
      verdict: verdict(nodePolling.cpuShare < TARGET_CPU_SHARE),
    },
    {
      bench,
      metric: 'CPU per poll through Node-RED ((polling - idle) CPU / polls)',
      value: `${fmt(cpuPerPoll(nodePolling, nodeIdle))} µs`,
      baseline: `${fmt(cpuPerPoll(enginePolling, engineIdle))} µs (engine alone, the same loop)`,
      ratio: ratio(cpuPerPoll(nodePolling, nodeIdle), cpuPerPoll(enginePolling, engineIdle)),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: `client CPU, engine alone: ${cameras} links, vstar-motion's loop over runCalls`,
      value: percent(enginePolling.cpuShare),
      baseline: `${percent(engineIdle.cpuShare)} (the same ${cameras} sessions, not polling)`,
      ratio: ratio(enginePolling.cpuShare, engineIdle.cpuShare),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'polls per second, Node-RED / engine alone',
      value: `${fmt(nodePolling.pollsPerSecond)} / ${fmt(enginePolling.pollsPerSecond)}`,
      baseline: `${fmt(expected)} (${cameras} cameras / ${POLL_INTERVAL_S} s, less each poll's round trip)`,
      ratio: ratio(nodePolling.pollsPerSecond, expected),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'p50 / p99 poll round trip (link.request), Node-RED / engine alone',
      value: `${ms(percentile(nodeRoundTrips, 0.5))} / ${ms(percentile(nodeRoundTrips, 0.99))}`,
      baseline: `${ms(percentile(engineRoundTrips, 0.5))} / ${ms(percentile(engineRoundTrips, 0.99))} (engine alone)`,
      ratio: ratio(percentile(nodeRoundTrips, 0.5), percentile(engineRoundTrips, 0.5)),
      target: 'report',
      verdict: 'info',
    },
    {
      bench,
      metric: 'failed polls (engine loop)',
      value: String(failures),
      baseline: '0',
      ratio: 'n/a',
      target: '0',
      verdict: verdict(failures === 0),
    },
  ];
  return {
    name: 'motion',
    title: 'Motion polling',
    rows,
    notes: [
      `${cameras} cameras in one emulator process (127.7.0.1 upward). Node-RED: node-red-node-test-helper (which wraps ` +
        `Node methods in sinon spies) with one vstar-network, ${cameras} vstar-camera config nodes and ${cameras} ` +
        `vstar-motion nodes, deployed twice: interval ${IDLE_INTERVAL_S} s (each polls once, on connecting), then ` +
        `${POLL_INTERVAL_S} s. Engine alone: one Endpoint, ${cameras} links, per link a setTimeout chain running ` +
        `runCalls([get_status]) after each answer, as vstar-motion does. Windows of ${seconds} s after every camera's first ` +
        `poll and ${settleMs} ms to settle; polls counted and timed by wrapping CameraLink.prototype.request. ` +
        'Every session comes up within a few ms of the deploy and each node polls on connecting, so the 100 polls ' +
        'go out in step, about once a second: the round-trip p99 is that burst queueing, on both sides.',
      `Emulator process CPU: ${percent(nodeIdle.emulatorCpuShare)} / ${percent(nodePolling.emulatorCpuShare)} (Node-RED idle / ` +
        `polling), ${percent(engineIdle.emulatorCpuShare)} / ${percent(enginePolling.emulatorCpuShare)} (engine idle / polling).`,
      'Benchmark 2 (scale) runs in another process of the runner, so its figure is not passed here; to compare, ' +
        'its client CPU share / 10,000 is the idle cost of one session-second, and polling here adds ' +
        `${fmt(((nodePolling.cpuShare - nodeIdle.cpuShare) * 1e6) / cameras)} µs of CPU per camera-second through Node-RED, ` +
        `${fmt(((enginePolling.cpuShare - engineIdle.cpuShare) * 1e6) / cameras)} µs over the engine alone.`,
    ],
    seconds: (now() - started) / 1000,
  };
}

/** vstar-motion's loop over the engine: one get_status at a time, the next `intervalMs` after an answer. */
class PollLoop {
  failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private generation = 0;

  constructor(
    private readonly link: CameraLink,
    private readonly camera: string,
  ) {}

  start(intervalMs: number): void {
    this.running = true;
    const generation = ++this.generation;
    const options = {
      credentials: DEFAULT_CREDENTIALS,
      timeoutMs: Math.max(intervalMs, POLL_TIMEOUT_MS),
      camera: this.camera,
    };
    const poll = (): void => {
      this.timer = undefined;
      if (!this.running || generation !== this.generation) return;
      runCalls(this.link, [{ cgi: 'get_status', params: {} }], options).then(
        () => schedule(),
        () => {
          this.failures++;
          schedule();
        },
      );
    };
    const schedule = (): void => {
      if (this.running && generation === this.generation) this.timer = setTimeout(poll, intervalMs);
    };
    this.link.connect();
    this.timer = setTimeout(poll, 0);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
