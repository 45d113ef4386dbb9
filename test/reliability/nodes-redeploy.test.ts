// Issue 5, node level: 200 redeploys of a whole flow (network on fixed local ports, discover on
// an interval, two sessions, a heartbeat) while three emulated cameras keep their sessions busy
// with ALIVEs. Deploys alternate between "full" and "nodes"; every one changes something (the
// network's timeout, a session's camera, the scan window) so config nodes are really replaced.
// After the last deploy and an unload, every socket and timer is given back, the heap returns to
// where it was, and no node sent (and no helper node received) anything after its close.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type NodeStatus } from 'node-red';
import { type CameraEmulator } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import sessionModule from '../../nodes/vstar-session';
import heartbeatModule from '../../nodes/vstar-heartbeat';
import { freePort, getNode, guard, helper, networkNode, onTab, waitStatus } from '../nodes/fixtures';
import {
  CloseTracker,
  LOG_ERROR,
  LOG_WARN,
  type LogLine,
  collector,
  forgetLogHistory,
  independentScan,
  logLines,
  mb,
  prototypeSpy,
  resources,
  sessionsGone,
  settledHeap,
  startCameras,
} from './nodes-support';

const modules = [networkModule, discoverModule, sessionModule, heartbeatModule];
const DEPLOYS = Number(process.env.RELIABILITY_DEPLOYS ?? 200);
const IDS = ['net', 'disc', 's1', 's2', 'beat', 'out'] as const;
/** What a flow may not grow beyond over 200 deploys once everything is closed and collected. */
const HEAP_SLACK_BYTES = 3 * 1024 * 1024;

interface Variant {
  timeout: number;
  window: number;
  s1: number;
  s2: number;
  beatByDid: boolean;
}

describe('nodes: redeploys under traffic', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await startCameras('127.0.50.1', [
      // ALIVEs every 100 ms from each camera; a session nobody talks to is dropped after 1.5 s.
      { name: 'one', aliveIntervalMs: 100, closeAfterSilenceMs: 1500 },
      { name: 'two', aliveIntervalMs: 100, closeAfterSilenceMs: 1500 },
      { name: 'three', aliveIntervalMs: 100, closeAfterSilenceMs: 1500 },
    ]);
  });
  after(() => emu.close());

  test(`${DEPLOYS} redeploys (full / nodes alternating) on fixed ports: no EADDRINUSE, no error, every handle and the heap given back, nothing after close`, async (t) => {
    const cameras = emu.cameras;
    const uid = (index: number): string => {
      const camera = cameras[index];
      assert.ok(camera);
      return camera.uid;
    };
    const localDhPort = await freePort();
    let localPort = await freePort();
    while (localPort === localDhPort) localPort = await freePort();

    const flow = (v: Variant): object[] =>
      onTab([
        networkNode(emu, { localDhPort, localPort, timeout: v.timeout }),
        {
          id: 'disc',
          type: 'vstar-discover',
          name: '',
          network: 'net',
          interval: 0.2,
          window: v.window,
          output: 'list',
          includeSecrets: false,
          wires: [['out']],
        },
        session('s1', uid(v.s1)),
        session('s2', uid(v.s2)),
        {
          id: 'beat',
          type: 'vstar-heartbeat',
          name: '',
          network: 'net',
          camera: v.beatByDid ? cameras[2]?.did : uid(2),
          interval: 0.1,
          misses: 3,
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]);

    // Warm-up: Node-RED's registry, the modules and the helper's express app stay loaded for good.
    await helper.load(modules, flow({ timeout: 2, window: 100, s1: 0, s2: 1, beatByDid: false }));
    try {
      await waitWorking();
    } finally {
      await helper.unload();
    }
    await sessionsGone(emu);

    const gc = collector();
    forgetLogHistory();
    const before = await resources();
    const heapBefore = await settledHeap(gc);

    const run = await redeploys(emu, flow);
    const afterUnload = await resources();
    // The run's tracker and spies are out of scope now; so is the helper's record of log calls.
    forgetLogHistory();
    const heapAfter = await settledHeap(gc);

    t.diagnostic(
      `deploys: ${DEPLOYS} (${run.kinds.full} full, ${run.kinds.nodes} nodes; network replaced ${run.changed.network}×, ` +
        `cameras changed ${run.changed.camera}×, window/camera changed ${run.changed.window}×) in ${(run.durationMs / 1000).toFixed(1)} s`,
    );
    t.diagnostic(
      `node objects watched: ${run.nodesWatched}, closed: ${run.nodesClosed}; messages received: ${run.received}; ` +
        `sent after close: ${run.lateSends.length}; delivered after close: ${run.lateDeliveries.length}; ` +
        `after unload: ${run.afterUnload}`,
    );
    t.diagnostic(
      `warnings logged by vstar nodes: ${[...run.warnings.values()].reduce((a, b) => a + b, 0)}` +
        [...run.warnings].map(([text, n]) => `; ${n}× ${text}`).join(''),
    );
    t.diagnostic(
      `handles before/after: UDPWrap ${before.udp}/${afterUnload.udp}, Timeout ${before.timeout}/${afterUnload.timeout}`,
    );
    t.diagnostic(
      `heap before/after: ${mb(heapBefore)} / ${mb(heapAfter)} (${gc ? 'after gc' : 'gc not available: not asserted'})`,
    );

    assert.equal(afterUnload.udp, before.udp, `UDP sockets: ${afterUnload.all.join(', ')}`);
    assert.equal(afterUnload.timeout, before.timeout, `timers: ${afterUnload.all.join(', ')}`);
    assert.deepEqual(run.lateSends, [], 'no node sent after its close');
    assert.deepEqual(run.lateDeliveries, [], 'no helper node received after its close');
    assert.equal(run.afterUnload, 0, 'nothing arrived after the unload');
    assert.equal(run.nodesClosed, run.nodesWatched, 'every node object closed');
    if (gc) assert.ok(heapAfter - heapBefore < HEAP_SLACK_BYTES, `heap grew ${mb(heapAfter - heapBefore)}`);
  });
});

interface RunSummary {
  readonly kinds: { full: number; nodes: number };
  readonly changed: { network: number; camera: number; window: number };
  readonly durationMs: number;
  readonly received: number;
  readonly afterUnload: number;
  readonly nodesWatched: number;
  readonly nodesClosed: number;
  readonly lateSends: { id: string; type: string }[];
  readonly lateDeliveries: { id: string; event: unknown }[];
  /** Warnings logged during the run, by text (ids and numbers blanked). */
  readonly warnings: Map<string, number>;
}

/**
 * Loads the flow, redeploys it DEPLOYS times, unloads, and waits until the cameras are idle and
 * a scan longer than every node's interval has run. Returns figures only: nothing it watched
 * (node objects, spies) stays reachable, so the caller can measure the heap.
 */
async function redeploys(emu: CameraEmulator, flow: (v: Variant) => object[]): Promise<RunSummary> {
  const variant: Variant = { timeout: 2, window: 100, s1: 0, s2: 1, beatByDid: false };
  const tracker = new CloseTracker();
  const started = performance.now();
  const kinds = { full: 0, nodes: 0 };
  const changed = { network: 0, camera: 0, window: 0 };
  await helper.load(modules, flow(variant));
  const send = prototypeSpy(getNode('disc'), 'send');
  let warnings: LogLine[] = [];
  try {
    watchAll(tracker);
    await waitWorking();
    for (let deploy = 1; deploy <= DEPLOYS; deploy++) {
      switch (deploy % 3) {
        case 0:
          variant.timeout = variant.timeout === 2 ? 3 : 2;
          changed.network++;
          break;
        case 1:
          variant.s1 = (variant.s1 + 1) % 3;
          variant.beatByDid = !variant.beatByDid;
          changed.camera++;
          break;
        default:
          variant.window = variant.window === 100 ? 150 : 100;
          variant.s2 = (variant.s2 + 1) % 3;
          changed.window++;
      }
      const type = deploy % 2 === 0 ? 'full' : 'nodes';
      kinds[type]++;
      await helper.setFlows(flow(variant), type);
      watchAll(tracker);
      await waitWorking(`deploy ${deploy} (${type})`);
      const errors = logLines().filter((l) => l.level <= LOG_ERROR || /EADDRINUSE|in use/.test(l.text));
      assert.deepEqual(errors, [], `deploy ${deploy} (${type}): nothing logged as an error`);
    }
  } finally {
    warnings = logLines().filter((l) => l.level === LOG_WARN && l.type.startsWith('vstar-'));
    await helper.unload();
  }
  const durationMs = performance.now() - started;
  const received = tracker.received.length;

  // A session the nodes left open would keep its camera talking: every camera session ends
  // (CLOSE from the endpoint, or 1.5 s of silence), and then a scan longer than every node's
  // interval runs from an endpoint of the test's own, while a leaked timer would have fired.
  await sessionsGone(emu);
  assert.equal(await independentScan(emu, 500), 3, 'the cameras still answer');
  return {
    kinds,
    changed,
    durationMs,
    received,
    afterUnload: tracker.received.length - received,
    nodesWatched: tracker.nodesWatched,
    nodesClosed: tracker.nodesClosed,
    lateSends: tracker.lateSends(send),
    lateDeliveries: [...tracker.lateDeliveries],
    warnings: warnings.reduce((byText, line) => {
      const text = `${line.type}: ${line.text.replace(/\d+/g, 'N')}`;
      return byText.set(text, (byText.get(text) ?? 0) + 1);
    }, new Map<string, number>()),
  };
}

function session(id: string, camera: string): object {
  return {
    id,
    type: 'vstar-session',
    name: '',
    network: 'net',
    camera,
    autoConnect: true,
    reconnect: true,
    wires: [['out']],
  };
}

function watchAll(tracker: CloseTracker): void {
  for (const id of IDS) tracker.watch(getNode(id), id === 'out');
}

const green = (s: NodeStatus): boolean => s.fill === 'green';

/**
 * The flow works: both sessions and the heartbeat are green, and discover finished a scan that
 * found all three cameras (nodes a partial deploy left running are already there).
 */
async function waitWorking(what = 'first deploy'): Promise<void> {
  await guard(
    Promise.all([
      waitStatus(getNode('s1'), green, `${what}: s1 connected`),
      waitStatus(getNode('s2'), green, `${what}: s2 connected`),
      waitStatus(getNode('beat'), green, `${what}: heartbeat alive`),
      waitStatus(getNode('disc'), (s) => s.text === '3 cameras', `${what}: scan found 3 cameras`),
    ]),
    `${what}: the flow did not come up`,
  );
}
