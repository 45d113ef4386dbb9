import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import {
  Admin,
  type Child,
  NODE_TYPES,
  ourNodeSets,
  problemLines,
  requireDist,
  startNodeRed,
  freeTcpPort,
  udpSocketCount,
  userDirectory,
  waitUntil,
} from './support';

/**
 * The package in a real Node-RED process, started as `npm start` starts it (a user directory with
 * this checkout linked into node_modules, the demo's settings), driven only through the admin
 * HTTP API. Two emulated cameras run in this test process on 127.0.42.1-2 with ports from
 * bind(0); the flow sends every VStarCam message, and anything a catch node catches, through a
 * function node to a file node that appends one JSON line per event, which the test reads.
 */

const LOOPBACK_BROADCAST = '127.255.255.255';
const REDEPLOYS = 20;
/** Only a guard: each awaited event comes within a few seconds (timeout 2 s, heartbeat every 1 s). */
const EVENT_GUARD_MS = 20_000;

interface Event {
  readonly event: string;
  readonly topic: string;
  readonly reason?: string;
  readonly attempt?: number;
  readonly error?: string;
}

type FlowNode = { id: string; type: string; [key: string]: unknown };

let emu: CameraEmulator;
let red: Child | undefined;
let admin: Admin;
let userDir: string;
let eventsFile: string;
let camera0: EmulatedCamera;
let camera1: EmulatedCamera;
/** UDP sockets the Node-RED process held before the first deploy, and once the first flow ran. */
let socketsBefore: number;
let socketsDeployed: number;

/** The flow under test; `variant` changes a few properties so that a redeploy really changes nodes. */
function flow(variant = 0): FlowNode[] {
  const sink = [['sink']];
  return [
    { id: 'e2e-tab', type: 'tab', label: 'VStarCam e2e', disabled: false, info: '' },
    {
      id: 'net',
      type: 'vstar-network',
      name: 'loopback',
      bind: '0.0.0.0',
      targets: LOOPBACK_BROADCAST,
      dhPort: String(emu.dhPort),
      searchPort: String(emu.searchPort),
      localDhPort: '0',
      localPort: '0',
      timeout: variant % 2 === 0 ? '2' : '3',
      passphrases: '',
    },
    {
      id: 'disc',
      type: 'vstar-discover',
      z: 'e2e-tab',
      name: `find cameras ${variant % 3}`,
      network: 'net',
      interval: '1',
      window: '500',
      output: 'each',
      includeSecrets: false,
      x: 200,
      y: 80,
      wires: sink,
    },
    {
      id: 'sess',
      type: 'vstar-session',
      z: 'e2e-tab',
      name: 'camera 0',
      network: 'net',
      camera: camera0.did,
      autoConnect: true,
      reconnect: true,
      x: 200,
      y: 140,
      wires: sink,
    },
    {
      id: 'beat',
      type: 'vstar-heartbeat',
      z: 'e2e-tab',
      name: 'camera 0 heartbeat',
      network: 'net',
      camera: camera0.uid,
      interval: '1',
      misses: '2',
      x: 200,
      y: 200,
      wires: sink,
    },
    { id: 'catch', type: 'catch', z: 'e2e-tab', name: '', scope: null, uncaught: false, x: 200, y: 260, wires: sink },
    {
      id: 'sink',
      type: 'function',
      z: 'e2e-tab',
      name: 'one JSON line per event',
      func:
        'msg.payload = JSON.stringify(msg.error\n' +
        "  ? { event: 'caught-error', topic: String(msg.topic || ''), error: String(msg.error.message) }\n" +
        '  : { event: msg.event, topic: msg.topic,\n' +
        '      reason: msg.payload && msg.payload.reason, attempt: msg.payload && msg.payload.attempt });\n' +
        'return msg;',
      outputs: 1,
      x: 450,
      y: 140,
      wires: [['file']],
    },
    {
      id: 'file',
      type: 'file',
      z: 'e2e-tab',
      name: 'events.jsonl',
      filename: eventsFile,
      filenameType: 'str',
      appendNewline: true,
      createDir: false,
      overwriteFile: 'false',
      encoding: 'utf8',
      x: 680,
      y: 140,
      wires: [],
    },
  ];
}

function events(): Event[] {
  if (!existsSync(eventsFile)) return [];
  return readFileSync(eventsFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Event);
}

function describeEvents(from: number): string {
  return events()
    .slice(from)
    .map((e) => `${e.event}:${e.topic}${e.reason ? `:${e.reason}` : ''}${e.error ? `:${e.error}` : ''}`)
    .join(', ');
}

/** The first event from index `from` on that matches, waiting for it if need be. */
function nextEvent(what: string, match: (e: Event) => boolean, from: number): Promise<{ event: Event; at: number }> {
  return waitUntil(
    () => {
      const all = events();
      const at = all.findIndex((e, i) => i >= from && match(e));
      const event = all[at];
      return event === undefined ? undefined : { event, at };
    },
    () => `${what} (events since ${from}: ${describeEvents(from)})\n${red?.tail(20) ?? ''}`,
    EVENT_GUARD_MS,
  );
}

const on = (camera: EmulatedCamera, event: string) => (e: Event) => e.topic === camera.uid && e.event === event;

function running(): Child {
  assert.ok(red, 'Node-RED was not started');
  return red;
}

before(async () => {
  requireDist();
  emu = await CameraEmulator.start({
    cameras: 2,
    firstAddress: '127.0.42.1',
    dhPort: 0,
    searchPort: 0,
    broadcastAddress: LOOPBACK_BROADCAST,
  });
  const [first, second] = emu.cameras;
  assert.ok(first && second);
  camera0 = first;
  camera1 = second;
  const port = await freeTcpPort();
  userDir = userDirectory('vstar-node-red-', port, true);
  eventsFile = join(userDir, 'events.jsonl');
  admin = new Admin(port);
  red = startNodeRed(userDir);
  await red.waitForLine(/Started flows/);
  await admin.ready();
});

after(async () => {
  await red?.killGroup();
  await emu?.close();
  if (userDir) rmSync(userDir, { recursive: true, force: true });
});

test('Node-RED starts with the package loaded from the linked checkout', async () => {
  const sets = await ourNodeSets(admin);
  for (const type of NODE_TYPES) {
    assert.equal(sets.get(type)?.enabled, true, `${type} loaded`);
    assert.equal(sets.get(type)?.err, undefined);
  }
  socketsBefore = udpSocketCount(running().pid);
});

test('a full deploy through the admin API: discovered, connected, heartbeat; power cut: lost; power back: connected, restored', async () => {
  await admin.deploy(flow(), 'full');
  const deployed = (await admin.getJson('/flows')) as FlowNode[];
  assert.deepEqual(
    deployed.map((n) => n.id).sort(),
    flow()
      .map((n) => n.id)
      .sort(),
  );

  const discovered = await nextEvent('discovered camera 0', on(camera0, 'discovered'), 0);
  await nextEvent('discovered camera 1', on(camera1, 'discovered'), 0);
  const connected = await nextEvent('connected camera 0', on(camera0, 'connected'), 0);
  assert.equal(connected.event.attempt, 1);
  const heartbeat = await nextEvent('heartbeat after connected', on(camera0, 'heartbeat'), connected.at + 1);
  assert.ok(discovered.at < heartbeat.at);
  socketsDeployed = udpSocketCount(running().pid);
  assert.equal(
    socketsDeployed - socketsBefore,
    2,
    `one network node holds two UDP sockets (DH and PPPP): ${socketsBefore} before, ${socketsDeployed} after`,
  );

  const cut = events().length;
  await camera0.powerOff();
  try {
    await nextEvent('lost after the power cut', on(camera0, 'lost'), cut);
    const disconnected = await nextEvent('disconnected after the power cut', on(camera0, 'disconnected'), cut);
    assert.equal(disconnected.event.reason, 'timeout');
  } finally {
    await camera0.powerOn();
  }
  const back = events().length;
  const again = await nextEvent('connected after power back', on(camera0, 'connected'), back);
  assert.ok((again.event.attempt ?? 0) >= 1, `reconnected on attempt ${again.event.attempt} of this outage`);
  await nextEvent('restored after power back', on(camera0, 'restored'), back);
  assert.deepEqual(
    events().filter((e) => e.event === 'caught-error'),
    [],
  );
});

test(`${REDEPLOYS} redeploys (full and modified-nodes, some with changes): no error, no leaked socket, events still flow`, async () => {
  const child = running();
  let variant = 0;
  for (let i = 1; i <= REDEPLOYS; i++) {
    // Odd: "nodes" (modified nodes only); even: "full". The last one is full, so every node restarts.
    const type = i % 2 === 1 ? 'nodes' : 'full';
    // Every third deploy changes the network node's timeout (its sockets are closed and bound
    // again, and its dependants restart), plus the discover node's name now and then.
    if (i % 3 === 0) variant++;
    const started = child.lines.length;
    await admin.deploy(flow(variant), type);
    await child.waitForLine(/Started (flows|modified nodes|modified flows)/, EVENT_GUARD_MS, started);
  }

  const mark = events().length;
  await nextEvent('discovered camera 0 after the last deploy', on(camera0, 'discovered'), mark);
  await nextEvent('discovered camera 1 after the last deploy', on(camera1, 'discovered'), mark);
  const connected = await nextEvent('connected after the last deploy', on(camera0, 'connected'), mark);
  // First time: every stopped session said CLOSE to the camera, so none of its few session slots
  // (4 on the emulator, as on many real cameras) is still held by a session of an earlier deploy.
  assert.equal(connected.event.attempt, 1, `connected after the last deploy on attempt ${connected.event.attempt}`);
  await nextEvent('heartbeat after the last deploy', on(camera0, 'heartbeat'), connected.at + 1);

  const pid = child.pid;
  await waitUntil(
    () => (udpSocketCount(pid) === socketsDeployed ? true : undefined),
    () => `${socketsDeployed} UDP sockets in Node-RED as after the first deploy; it holds ${udpSocketCount(pid)}`,
    EVENT_GUARD_MS,
  );

  assert.deepEqual(problemLines(child.lines), []);
  assert.deepEqual(
    events().filter((e) => e.event === 'caught-error'),
    [],
  );
});

test('stopping Node-RED (SIGTERM) closes every socket and exits cleanly', async () => {
  const child = running();
  const exit = await child.signalAndWait('SIGTERM');
  assert.equal(exit.code, 0, child.tail());
  assert.ok(child.lines.some((l) => /Stopped flows/.test(l)));
  assert.deepEqual(problemLines(child.lines), []);
});
