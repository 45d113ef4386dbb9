// Issue 13: the Home Assistant example flow in a real Node-RED, against a real Mosquitto broker
// and emulated cameras. The test is Home Assistant: it reads the discovery configs and states
// from the broker and presses buttons by publishing, as Home Assistant does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import {
  Admin,
  type Child,
  freeTcpPort,
  ourNodeSets,
  problemLines,
  requireDist,
  startNodeRed,
  userDirectory,
  waitUntil,
} from './support';
import {
  type FlowNode,
  Recorder,
  exampleFlow,
  isJpeg,
  mosquittoConfig,
  mosquittoMissing,
  schemaProblems,
  startMosquitto,
} from './mqtt-support';

const ROOT_TOPIC = 'vstar/home';
/** The flow's heartbeat: every 5 s, lost after 2 silent intervals. */
const HEARTBEAT_MS = 5000;
const MISSES = 2;
/** Only a guard against a hang; every wait below is on a broker message. */
const GUARD_MS = 45_000;
const ENTITIES = [
  'binary_sensor/connectivity',
  'sensor/rtt',
  'sensor/ip',
  'sensor/http_port',
  'binary_sensor/motion',
  'camera/image',
  'button/reboot',
  'button/ptz_up',
  'button/ptz_down',
  'button/ptz_left',
  'button/ptz_right',
  'button/ptz_centre',
  'switch/light',
  'switch/siren',
];

const missing = mosquittoMissing();
let emu: CameraEmulator;
let broker: Child | undefined;
let red: Child | undefined;
let mqtt: Recorder | undefined;
let snapshotNode = true;
let cameras: EmulatedCamera[];
let brokerUrl = '';

const configTopic = (uid: string, entity: string): string => {
  const [component, key] = entity.split('/');
  return `homeassistant/${component ?? ''}/vstar_vstar_home_${uid}/${key ?? ''}/config`;
};
const stateTopic = (uid: string, key: string): string => `${ROOT_TOPIC}/${uid}/${key}`;

before(async () => {
  if (missing) return;
  requireDist();
  emu = await CameraEmulator.start({
    cameras: [
      { name: 'Porch', motionEveryMs: 8000 },
      { name: 'Garage', motionEveryMs: 0 },
    ],
    firstAddress: '127.0.44.1',
    dhPort: 0,
    searchPort: 0,
  });
  cameras = [...emu.cameras];
  const brokerPort = await freeTcpPort();
  broker = startMosquitto(mosquittoConfig('127.0.0.1', brokerPort));
  brokerUrl = `mqtt://127.0.0.1:${brokerPort}`;
  mqtt = await Recorder.connect(brokerUrl);

  const uiPort = await freeTcpPort();
  const userDir = userDirectory('vstar-ha-', uiPort, true);
  red = startNodeRed(userDir);
  const admin = new Admin(uiPort);
  await admin.ready();
  let flow = exampleFlow(
    {
      broker: '127.0.0.1',
      brokerPort,
      targets: '127.255.255.255',
      dhPort: emu.dhPort,
      searchPort: emu.searchPort,
      cameras: [cameras[0]?.uid ?? '', cameras[1]?.uid ?? ''],
    },
    (path) => readFileSync(path, 'utf8'),
  );
  if (!(await ourNodeSets(admin)).has('vstar-snapshot')) {
    // Node-RED starts no flow with an unknown type: until vstar-snapshot ships, a stand-in.
    snapshotNode = false;
    flow = flow.map((node): FlowNode =>
      node.type === 'vstar-snapshot' ? { ...node, type: 'function', func: 'return null;', outputs: 1 } : node,
    );
  }
  await admin.deploy(flow, 'full');
});

after(async () => {
  await mqtt?.close();
  await red?.killGroup();
  await broker?.killGroup();
  await emu?.close();
});

test(
  'discovery: every camera is one Home Assistant device with the documented config of each entity',
  { skip: missing },
  async (t) => {
    const recorder = mqtt as Recorder;
    await recorder.waitFor(ROOT_TOPIC, 'online', GUARD_MS);
    for (const camera of cameras) {
      for (const entity of ENTITIES) await recorder.waitFor(configTopic(camera.uid, entity), () => true, GUARD_MS);
      const configs = ENTITIES.map((entity) => {
        const topic = configTopic(camera.uid, entity);
        const text = recorder.text(topic) ?? '';
        assert.deepEqual(schemaProblems(topic, text), [], `${topic}: ${text}`);
        return JSON.parse(text) as {
          unique_id: string;
          device: { identifiers: string[]; name: string; sw_version: string; connections: string[][] };
        };
      });
      // One device per camera, named as the camera names itself, with its firmware and MAC.
      const identifiers = new Set(configs.map((c) => JSON.stringify(c.device.identifiers)));
      assert.equal(identifiers.size, 1, 'every entity of a camera names the same device');
      const device = configs[0]?.device;
      assert.equal(device?.name, camera.machine.config.name);
      assert.equal(device?.sw_version, camera.machine.config.firmware);
      assert.deepEqual(device?.connections, [['mac', camera.mac.toLowerCase()]]);
      // Ids from the UID (and the site): the same after every reboot and redeploy.
      for (const config of configs) assert.match(config.unique_id, new RegExp(`^vstar_vstar_home_${camera.uid}_`));
      await recorder.waitFor(stateTopic(camera.uid, 'connectivity'), 'ON', GUARD_MS);
      await recorder.waitFor(stateTopic(camera.uid, 'ip'), camera.ip, GUARD_MS);
      await recorder.waitFor(stateTopic(camera.uid, 'http_port'), String(camera.httpPort), GUARD_MS);
      const rtt = await recorder.waitFor(stateTopic(camera.uid, 'rtt'), (text) => Number(text) >= 0, GUARD_MS);
      await recorder.waitFor(stateTopic(camera.uid, 'light'), 'OFF', GUARD_MS);
      t.diagnostic(`${camera.uid}: ${ENTITIES.length} entities, rtt ${rtt.payload.toString()} ms`);
    }
    // Retained, so Home Assistant finds every camera whenever it (re)connects: a new client gets them.
    const late = await Recorder.connect(brokerUrl);
    try {
      for (const camera of cameras)
        for (const entity of ENTITIES) {
          const config = await late.waitFor(configTopic(camera.uid, entity), () => true, GUARD_MS);
          assert.equal(config.retain, true, `${config.topic} is retained`);
        }
    } finally {
      await late.close();
    }
  },
);

test(
  'power cut: connectivity goes off within the heartbeat timeout, and on again when the camera is back',
  { skip: missing },
  async (t) => {
    const recorder = mqtt as Recorder;
    const camera = cameras[1] as EmulatedCamera;
    const topic = stateTopic(camera.uid, 'connectivity');
    await recorder.waitFor(topic, 'ON', GUARD_MS);
    const cutAt = Date.now();
    await camera.powerOff();
    const off = await recorder.waitFor(topic, 'OFF', GUARD_MS, cutAt);
    const lostAfter = off.at - cutAt;
    t.diagnostic(`power cut -> connectivity OFF after ${lostAfter} ms (heartbeat ${HEARTBEAT_MS} ms x ${MISSES})`);
    // Timeout plus one probe interval of slack for where in its interval the cut fell.
    assert.ok(lostAfter <= HEARTBEAT_MS * (MISSES + 1) + 2000, `OFF after ${lostAfter} ms`);
    const backAt = Date.now();
    await camera.powerOn();
    const on = await recorder.waitFor(topic, 'ON', GUARD_MS, backAt);
    t.diagnostic(`power back -> connectivity ON after ${on.at - backAt} ms`);
    // The other camera never noticed.
    const other = stateTopic((cameras[0] as EmulatedCamera).uid, 'connectivity');
    assert.ok(!recorder.log.some((m) => m.topic === other && m.payload.toString() === 'OFF'));
  },
);

test('motion: the motion sensor turns on and a JPEG reaches the camera entity', { skip: missing }, async (t) => {
  const recorder = mqtt as Recorder;
  const camera = cameras[0] as EmulatedCamera;
  await recorder.waitFor(stateTopic(camera.uid, 'motion'), 'ON', GUARD_MS);
  await recorder.waitFor(stateTopic(camera.uid, 'motion'), 'OFF', GUARD_MS);
  if (!snapshotNode) {
    t.skip('vstar-snapshot is not in this package yet: the camera image is not checked');
    return;
  }
  const image = await recorder.waitFor(stateTopic(camera.uid, 'image'), () => true, GUARD_MS);
  assert.ok(isJpeg(image.payload), `a JPEG of ${image.payload.length} bytes`);
  t.diagnostic(`motion -> ${image.payload.length}-byte JPEG on ${image.topic}`);
});

test('buttons and switches pressed in Home Assistant reach the camera', { skip: missing }, async (t) => {
  const recorder = mqtt as Recorder;
  const camera = cameras[0] as EmulatedCamera;
  const state = camera.machine.state;

  const before = state.position(Date.now()).x;
  await recorder.publish(`${ROOT_TOPIC}/${camera.uid}/ptz_left/set`, 'PRESS');
  const moved = await waitUntil(
    () => (state.position(Date.now()).x !== before ? state.position(Date.now()).x : undefined),
    () => `the head to move left from x=${before}`,
    GUARD_MS,
  );
  t.diagnostic(`ptz_left pressed: x ${before} -> ${moved}`);

  await recorder.publish(`${ROOT_TOPIC}/${camera.uid}/light/set`, 'ON');
  await recorder.waitFor(stateTopic(camera.uid, 'light'), 'ON', GUARD_MS);
  assert.equal(state.light, true);

  const oldPort = camera.httpPort;
  const pressedAt = Date.now();
  await recorder.publish(`${ROOT_TOPIC}/${camera.uid}/reboot/set`, 'PRESS');
  // A reboot takes a new HTTP port (as real firmware does), which Home Assistant then shows.
  const port = await recorder.waitFor(
    stateTopic(camera.uid, 'http_port'),
    (text) => text !== String(oldPort),
    GUARD_MS,
    pressedAt,
  );
  assert.equal(port.payload.toString(), String(camera.httpPort));
  t.diagnostic(`reboot pressed: HTTP port ${oldPort} -> ${camera.httpPort}`);
  await recorder.waitFor(stateTopic(camera.uid, 'connectivity'), 'ON', GUARD_MS);
  assert.deepEqual(problemLines((red as Child).lines), []);
});
