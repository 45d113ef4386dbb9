import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type NodeAPI } from 'node-red';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { loadSnapshot } from '../../nodes/camera/media/clip';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import sessionModule from '../../nodes/vstar-session';
import heartbeatModule from '../../nodes/vstar-heartbeat';
import cameraModule from '../../nodes/vstar-camera';
import commandModule from '../../nodes/vstar-command';
import motionModule from '../../nodes/vstar-motion';
import snapshotModule from '../../nodes/vstar-snapshot';
import { Inbox, LOOPBACK_BROADCAST, NODE_RED_PATH, freePort, getNode, helper, startEmulator } from './fixtures';

/**
 * The example flows, run as a user runs them after reading their comment: the network's Targets
 * set to the loopback broadcast address where `vstar-sim` answers. The only other change: each
 * debug node becomes a helper node, so the test reads what the debug sidebar would show. (The
 * emulator here listens on ports from bind(0); `vstar-sim` uses 8600 and 32108, the defaults
 * the examples keep.)
 */
type FlowNode = Record<string, unknown> & { id: string; type: string };
type NodeModule = (RED: NodeAPI) => void;

const root = join(__dirname, '..', '..');
/** Node-RED's own core nodes, from the runtime the fixtures load. */
const coreNodes = join(dirname(require.resolve('@node-red/nodes/package.json', { paths: [NODE_RED_PATH] })), 'core');
const CORE_FILES: Record<string, string> = {
  inject: 'common/20-inject.js',
  comment: 'common/90-comment.js',
  switch: 'function/10-switch.js',
  change: 'function/15-change.js',
  catch: 'common/25-catch.js',
};

async function core(type: string): Promise<NodeModule> {
  const file = CORE_FILES[type];
  assert.ok(file, `no core module for ${type}`);
  const loaded = (await import(join(coreNodes, file))) as { default: NodeModule };
  return loaded.default;
}

const ours: NodeModule[] = [
  networkModule,
  discoverModule,
  sessionModule,
  heartbeatModule,
  cameraModule,
  commandModule,
  motionModule,
  snapshotModule,
];

function example(name: string): FlowNode[] {
  return JSON.parse(readFileSync(join(root, 'examples', `${name}.json`), 'utf8')) as FlowNode[];
}

/** The example as the user runs it: on a tab, its network pointed at `ports`, debug nodes read by the test. */
function runnable(flow: FlowNode[], ports: { dhPort: number; searchPort: number }): object[] {
  return [
    { id: 'tab', type: 'tab', label: 'example' },
    ...flow.map((node) => {
      if (node.type === 'vstar-network') return { ...node, targets: LOOPBACK_BROADCAST, ...ports };
      // The file node would write into the test's directory: the test reads what it was given.
      if (node.type === 'debug' || node.type === 'file') return { id: node.id, type: 'helper', z: 'tab' };
      return { ...node, z: 'tab' };
    }),
  ];
}

/** The heartbeat every 0.2 s, lost after one miss: the example's 5 s and 3 misses would only make the test wait. */
function faster(flow: FlowNode[]): FlowNode[] {
  return flow.map((n) => (n.type === 'vstar-heartbeat' ? { ...n, interval: 0.2, misses: 1 } : n));
}

describe('example flows, pointed at the emulator as their comments say', () => {
  let emu: CameraEmulator;
  let ports: { dhPort: number; searchPort: number };
  let modules: NodeModule[];
  before(async () => {
    modules = [...ours, ...(await Promise.all(Object.keys(CORE_FILES).map(core)))];
    emu = await startEmulator();
    ports = { dhPort: emu.dhPort, searchPort: emu.searchPort };
  });
  after(() => emu.close());
  afterEach(() => helper.unload());

  test('every comment says how: vstar-sim, and Targets 127.255.255.255', () => {
    for (const name of [
      'discover-cameras',
      'session-alerts',
      'heartbeat-monitor',
      'camera-commands',
      'motion-alerts',
      'snapshot-on-motion',
      'live-video',
    ]) {
      const comment = example(name).find((n) => n.type === 'comment');
      const text = `${String(comment?.name)}\n${String(comment?.info)}`;
      assert.match(text, /`npx vstar-sim --count 3[^`]*`/, name);
      assert.match(text, /Targets to 127\.255\.255\.255/, name);
      const network = example(name).find((n) => n.type === 'vstar-network');
      assert.ok(text.includes(`"${String(network?.name)}"`), `${name}: the comment names the network node to open`);
    }
  });

  test('discover-cameras: the scan after deploy lists every emulated camera', async () => {
    await helper.load(modules, runnable(example('discover-cameras'), ports));
    const inbox = new Inbox(getNode('d1debug'));
    const complete = await inbox.event('scan-complete');
    const found = (complete.payload as { cameras: { uid: string }[] }).cameras.map((c) => c.uid).sort();
    assert.deepEqual(found, emu.cameras.map((c) => c.uid).sort());
    assert.equal(inbox.of('discovered').length, emu.cameras.length);
  });

  test('session-alerts: "camera <UID> online" once the session is up', async () => {
    await helper.load(modules, runnable(example('session-alerts'), ports));
    const inbox = new Inbox(getNode('s1debugon'));
    const online = await inbox.next((m) => /^camera \w+ online \(127\./.test(String(m.payload)), 0, 'online text');
    assert.ok(
      emu.cameras.some((c) => String(online.payload).startsWith(`camera ${c.uid} online`)),
      String(online.payload),
    );
  });

  test('heartbeat-monitor: round trips with the camera UID in the topic', async () => {
    await helper.load(modules, runnable(faster(example('heartbeat-monitor')), ports));
    const inbox = new Inbox(getNode('h1debugrtt'));
    const rtt = await inbox.next((m) => typeof m.payload === 'number', 0, 'a round trip');
    assert.ok(
      emu.cameras.some((c) => rtt.topic === `rtt ${c.uid}`),
      `topic "${String(rtt.topic)}"`,
    );
  });

  test('heartbeat-monitor with no camera answering: no empty topic, the alarm says why', async () => {
    const silent = { dhPort: await freePort(), searchPort: await freePort() };
    await helper.load(modules, runnable(faster(example('heartbeat-monitor')), silent));
    const rtt = await new Inbox(getNode('h1debugrtt')).next(() => true, 0, 'a heartbeat');
    assert.equal(rtt.topic, 'rtt (camera not reached yet)');
    assert.equal(rtt.payload, null);
    const alarm = await new Inbox(getNode('h1debugalarm')).next(() => true, 0, 'an alarm');
    assert.equal(alarm.payload, 'ALERT camera (not reached yet) lost');
  });

  test('camera-commands: status, a step left and the light answer; the SD card listing goes to the Catch node', async () => {
    await helper.load(modules, runnable(example('camera-commands'), ports));
    const answers = new Inbox(getNode('c1debug'));
    const errors = new Inbox(getNode('c1debugerror'));
    for (const inject of ['c1status', 'c1left', 'c1light']) {
      const from = answers.messages.length;
      getNode(inject).receive({});
      const answer = await answers.event('response', from);
      assert.equal(answer.topic, emu.cameras[0]?.uid, inject);
    }
    assert.equal((answers.messages.at(-1)?.payload as { state?: unknown }).state, 'on');
    getNode('c1records').receive({});
    const caught = await errors.next(() => true, 0, 'the caught error');
    assert.match(String((caught.error as { message?: unknown }).message), /does not support get_record_file\.cgi/);
  });

  describe('with a camera that sees motion (vstar-sim --motion-every)', () => {
    let moving: CameraEmulator;
    let movingPorts: { dhPort: number; searchPort: number };
    before(async () => {
      // The examples name vstar-sim's first camera, which this emulator's camera is too.
      const uid = emu.cameras[0]?.uid;
      assert.ok(uid);
      moving = await CameraEmulator.start({
        cameras: [{ uid, motionEveryMs: 2000 }],
        firstAddress: '127.0.37.2',
        dhPort: 0,
        searchPort: 0,
        broadcastAddress: LOOPBACK_BROADCAST,
      });
      movingPorts = { dhPort: moving.dhPort, searchPort: moving.searchPort };
    });
    after(() => moving.close());

    test('motion-alerts: an alert when motion starts, and when it is over', async () => {
      await helper.load(modules, runnable(example('motion-alerts'), movingPorts));
      await new Inbox(getNode('m1debugstart')).next(() => true, 0, 'the motion alert');
      await new Inbox(getNode('m1debugend')).next(() => true, 0, 'the end of motion');
    });

    test('snapshot-on-motion: the file node gets the JPEG and its filename', async () => {
      await helper.load(modules, runnable(example('snapshot-on-motion'), movingPorts));
      const saved = await new Inbox(getNode('p1file')).next(() => true, 0, 'a snapshot for the file node');
      assert.deepEqual(saved.payload, loadSnapshot());
      assert.match(String((saved as { filename?: unknown }).filename), /^VSTB\w+-\d{8}T\d{6}Z\.jpg$/);
    });
  });
});
