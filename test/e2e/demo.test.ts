import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import {
  Admin,
  Child,
  MODULE,
  NODE_TYPES,
  childPids,
  commandLine,
  freeTcpPort,
  isGone,
  ourNodeSets,
  problemLines,
  requireDist,
  root,
  tempDir,
  waitUntil,
} from './support';

/**
 * `npm start` as a user runs it: scripts/demo.mjs (what npm start runs once prestart has built)
 * with its emulated LAN and the demo flow, then Ctrl-C, a restart that keeps the user's flows, a
 * reset, and a second demo beside the first. A demo on a PORT other than 1880 picks camera ports
 * of its own (bind(0)), so this test can run beside every other one.
 *
 * The flow is the demo's own plus one debug node, wired from every VStarCam node, that logs
 * `event topic reason` to the console; the demo's own debug nodes are read as the editor's debug
 * sidebar reads them, over the /comms websocket.
 */

const CAMERA_1 = 'VSTB100000AASGV';
const EVENTS_NODE = 'e2e-events';
const USER_NODE = 'e2e-user-comment';
/** Every event the README names: the demo's loop must bring each round within a minute. */
const NAMED_EVENTS = [
  'discovered',
  'changed',
  'conflict',
  'scan-complete',
  'connected',
  'disconnected',
  'heartbeat',
  'lost',
  'restored',
] as const;
/** The issue's promise is "within the next minute"; 10 s more for a loaded machine. */
const EVERY_EVENT_GUARD_MS = 70_000;

interface FlowNode {
  id: string;
  type: string;
  z?: string;
  wires?: string[][];
  [key: string]: unknown;
}

interface LoggedEvent {
  readonly event: string;
  readonly topic: string;
  readonly reason: string;
  readonly line: number;
}

let dir: string;
let port: number;
let flowFile: string;
let demo: Child | undefined;
const others: Child[] = [];
let comms: WebSocket | undefined;
const sidebar: { name: string; text: string }[] = [];

function demoFlow(): FlowNode[] {
  return JSON.parse(readFileSync(join(root, 'examples', 'demo-with-emulator.json'), 'utf8')) as FlowNode[];
}

/** The demo flow, every vstar node also wired to one console debug node. */
function testFlow(): FlowNode[] {
  const flow = demoFlow().map((node) =>
    node.type.startsWith('vstar-') && node.wires
      ? { ...node, wires: [[...(node.wires[0] ?? []), EVENTS_NODE], ...node.wires.slice(1)] }
      : node,
  );
  flow.push({
    id: EVENTS_NODE,
    type: 'debug',
    z: 'demo-tab',
    name: EVENTS_NODE,
    active: true,
    tosidebar: false,
    console: true,
    tostatus: false,
    complete: 'event & " " & topic & " " & payload.reason',
    targetType: 'jsonata',
    x: 700,
    y: 400,
    wires: [],
  });
  return flow;
}

/** Every `[debug:e2e-events] event topic [reason]` line the demo has printed so far. */
function loggedEvents(child: Child): LoggedEvent[] {
  const events: LoggedEvent[] = [];
  child.lines.forEach((text, line) => {
    const m = /\[debug:e2e-events\] (\S+) (\S*) ?(\S*)/.exec(text);
    if (m) events.push({ event: m[1] ?? '', topic: m[2] ?? '', reason: m[3] ?? '', line });
  });
  return events;
}

function spawnDemo(name: string, uiPort: number, userDir: string, args: readonly string[] = []): Child {
  const child = Child.spawn(name, [join(root, 'scripts', 'demo.mjs'), ...args], {
    cwd: root,
    env: { ...process.env, PORT: String(uiPort), VSTAR_DEMO_DIR: userDir, VSTAR_DEMO_FLOW: flowFile },
  });
  if (name !== 'npm start (scripts/demo.mjs)') others.push(child);
  return child;
}

/** The camera UDP ports a demo printed (`[lan] UDP ports: DH x, search y`). */
async function lanPorts(child: Child): Promise<string> {
  const line = await child.waitForLine(/\[lan\] UDP ports: DH \d+, search \d+/);
  return line.replace(/^.*DH /, 'DH ');
}

function portFree(host: string, p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port: p, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

before(async () => {
  requireDist();
  dir = tempDir('vstar-demo-e2e-');
  port = await freeTcpPort();
  flowFile = join(dir, 'flow.json');
  writeFileSync(flowFile, JSON.stringify(testFlow(), null, 2));
  demo = spawnDemo('npm start (scripts/demo.mjs)', port, join(dir, 'user'));
});

after(async () => {
  comms?.terminate();
  await demo?.killGroup();
  for (const child of others) await child.killGroup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function running(): Child {
  assert.ok(demo, 'the demo was not started');
  return demo;
}

test('npm start: Node-RED comes up on PORT with the demo flow and every VStarCam node loaded', async () => {
  const child = running();
  await child.waitForLine(/\[node-red\].*Started flows/);
  await child.waitForLine(
    new RegExp(`Node-RED is running with an emulated LAN of cameras: http://127\\.0\\.0\\.1:${port}/`),
  );
  assert.ok(
    child.lines.some((l) => /\[demo\] first start: wrote the demo flow/.test(l)),
    child.tail(),
  );
  assert.equal(child.lines.filter((l) => /\[lan\] camera \d VSTB-\d+-\w+ on 127\.0\.0\.[234],/.test(l)).length, 3);

  const admin = new Admin(port);
  const flows = (await admin.getJson('/flows')) as FlowNode[];
  assert.deepEqual(
    flows.map((n) => n.id).sort(),
    testFlow()
      .map((n) => n.id)
      .sort(),
  );
  const network = flows.find((n) => n.type === 'vstar-network');
  assert.equal(network?.targets, '127.255.255.255', 'the demo only ever sends to loopback');
  assert.equal(await lanPorts(child), `DH ${String(network?.dhPort)}, search ${String(network?.searchPort)}`);
  assert.notEqual(network?.dhPort, '8600', 'a demo on another PORT keeps off the well-known ports');

  const sets = await ourNodeSets(admin);
  for (const type of NODE_TYPES) {
    const set = sets.get(type);
    assert.ok(set, `GET /nodes lists no ${type}`);
    assert.equal(set.module, MODULE);
    assert.equal(set.enabled, true);
    assert.equal(set.err, undefined, `${type}: ${String(set.err)}`);
  }
});

test("the demo's debug nodes show event, camera and what matters as one line in the editor's debug sidebar", async () => {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/comms`);
  comms = socket;
  socket.on('message', (data: WebSocket.RawData) => {
    const packets = JSON.parse(data.toString()) as unknown;
    for (const packet of Array.isArray(packets) ? packets : [packets]) {
      const p = packet as { topic?: string; data?: { name?: string; msg?: unknown } };
      if (p.topic === 'debug' && typeof p.data?.msg === 'string')
        sidebar.push({ name: p.data.name ?? '', text: p.data.msg });
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ subscribe: 'debug' }));
  const seen = (): string => JSON.stringify(sidebar.map((m) => [m.name, m.text]));
  const heartbeat = await waitUntil(
    () => sidebar.find((m) => m.name === 'heartbeat' && m.text.startsWith('heartbeat ')),
    () => `a heartbeat in the debug sidebar; got ${seen()}`,
    20_000,
  );
  assert.match(
    heartbeat.text,
    new RegExp(`^heartbeat ${CAMERA_1}: (rtt \\d+(\\.\\d+)? ms|no rtt yet), misses \\d+, alive true$`),
  );
  const scan = await waitUntil(
    () => sidebar.find((m) => m.name === 'discovery' && m.text.startsWith('scan-complete: ')),
    () => `a scan in the debug sidebar; got ${seen()}`,
    20_000,
  );
  assert.match(scan.text, new RegExp(`^scan-complete: \\d cameras \\(.*${CAMERA_1}.*\\)$`));
  socket.close();
});

test('once the start is over, every event the README names arrives within the next minute', async () => {
  const child = running();
  // The start's own discovered / connected are behind us once the first scan is complete.
  await waitUntil(
    () => loggedEvents(child).find((e) => e.event === 'scan-complete'),
    () => `a first scan-complete\n${child.tail(30)}`,
    30_000,
  );
  const from = child.lines.length;
  const since = (): LoggedEvent[] => loggedEvents(child).filter((e) => e.line >= from);
  const missing = (): string[] => NAMED_EVENTS.filter((name) => !since().some((e) => e.event === name));
  await waitUntil(
    () => (missing().length === 0 ? true : undefined),
    () =>
      `${missing().join(', ')}; logged since: ${since()
        .map((e) => `${e.event}:${e.topic}${e.reason ? `:${e.reason}` : ''}`)
        .join(', ')}\n${child.tail(30)}`,
    EVERY_EVENT_GUARD_MS,
    250,
  );
  const events = since();
  // Camera 1's power cut: lost and disconnected (a silent camera is a timeout, never an error),
  // then its new HTTP port, connected and restored.
  for (const name of ['lost', 'disconnected', 'changed', 'restored'])
    assert.ok(
      events.some((e) => e.event === name && e.topic === CAMERA_1),
      `${name} for camera 1`,
    );
  for (const e of loggedEvents(child).filter((x) => x.event === 'disconnected')) assert.equal(e.reason, 'timeout');
  // The clone of camera 3 makes the conflict; the visitor is a camera the start did not know.
  const startUids = new Set(
    loggedEvents(child)
      .filter((e) => e.line < from && e.event === 'discovered')
      .map((e) => e.topic),
  );
  assert.ok(events.some((e) => e.event === 'discovered' && !startUids.has(e.topic)));
  assert.ok(events.some((e) => e.event === 'conflict' && e.topic !== CAMERA_1));
  assert.ok(
    loggedEvents(child).some((e) => e.event === 'connected' && e.topic !== CAMERA_1),
    'the session to 127.0.0.3 connected',
  );
  // The terminal told what the LAN did.
  assert.ok(
    child.lines.some((l) => /\[lan\] \d+ s, cycle \d+: camera 1 loses power/.test(l)),
    child.tail(),
  );
  assert.deepEqual(problemLines(child.lines), []);
});

test('a second demo on another PORT runs beside the first: own directory, own camera ports, no cross-talk', async () => {
  const child = running();
  const secondPort = await freeTcpPort();
  const second = spawnDemo('second demo', secondPort, join(dir, 'user-second'));
  await second.waitForLine(/\[node-red\].*Started flows/);
  assert.notEqual(await lanPorts(second), await lanPorts(child));
  const from = { first: child.lines.length, second: second.lines.length };
  // Two scans of the second demo: had either LAN answered the other's probes, cameras 2 and 3
  // (same UIDs and addresses, different HTTP ports) would flip between two HTTP ports: `changed`.
  await waitUntil(
    () => (loggedEvents(second).filter((e) => e.event === 'scan-complete').length >= 2 ? true : undefined),
    () => `two scans in the second demo\n${second.tail(30)}`,
    40_000,
  );
  assert.ok(
    loggedEvents(second).some((e) => e.event === 'connected' && e.topic === CAMERA_1),
    second.tail(),
  );
  for (const [name, c, line] of [
    ['first', child, from.first],
    ['second', second, from.second],
  ] as const) {
    const changed = loggedEvents(c).filter((e) => e.line >= line && e.event === 'changed' && e.topic !== CAMERA_1);
    assert.deepEqual(changed, [], `${name} demo: only camera 1 ever changes`);
  }
  assert.deepEqual(await second.signalAndWait('SIGINT'), { code: 0, signal: null }, second.tail());
  assert.deepEqual(problemLines(second.lines), []);
});

test("the user's deployed flows survive Ctrl-C and a restart", async () => {
  const child = running();
  const admin = new Admin(port);
  const flows = (await admin.getJson('/flows')) as FlowNode[];
  await admin.deploy(
    [...flows, { id: USER_NODE, type: 'comment', z: 'demo-tab', name: 'mine', x: 700, y: 40, wires: [] }],
    'full',
  );
  const children = childPids(child.pid);
  assert.equal(children.length, 1, `children of the demo: ${children.map(commandLine).join(' | ')}`);
  assert.ok(/node-red/.test(commandLine(children[0] ?? 0)), 'Node-RED is the one child; the LAN runs in the demo');

  const exit = await child.signalAndWait('SIGINT');
  assert.deepEqual(exit, { code: 0, signal: null }, child.tail());
  for (const pid of children) assert.ok(isGone(pid), `pid ${pid} (${commandLine(pid)}) outlived the demo`);
  assert.ok(
    child.lines.some((l) => /\[node-red\].*Stopped flows/.test(l)),
    'Node-RED stopped its flows',
  );
  assert.equal(child.lines.filter((l) => /\[demo\].*exited/.test(l)).length, 0, 'no child died on its own');
  assert.deepEqual(problemLines(child.lines), []);
  assert.equal(await portFree('127.0.0.1', port), true, `port ${port} released`);

  const again = spawnDemo('restarted demo', port, join(dir, 'user'));
  await again.waitForLine(/\[node-red\].*Started flows/);
  assert.ok(
    again.lines.some((l) => /\[demo\] keeping your flows in .*flows\.json/.test(l)),
    again.tail(),
  );
  const kept = (await new Admin(port).getJson('/flows')) as FlowNode[];
  assert.ok(
    kept.some((n) => n.id === USER_NODE),
    'the node the user deployed is still there',
  );
  assert.deepEqual(await again.signalAndWait('SIGINT'), { code: 0, signal: null }, again.tail());
});

test('npm start -- --reset puts the demo flow back and keeps the old flows beside it', async () => {
  const userDir = join(dir, 'user');
  const reset = spawnDemo('reset demo', port, userDir, ['--reset']);
  await reset.waitForLine(/\[node-red\].*Started flows/);
  assert.ok(
    reset.lines.some((l) => /\[demo\] reset: .*flows\.json is the demo flow again/.test(l)),
    reset.tail(),
  );
  const flows = (await new Admin(port).getJson('/flows')) as FlowNode[];
  assert.ok(!flows.some((n) => n.id === USER_NODE), 'the demo flow, without the user node');
  assert.equal(flows.length, testFlow().length);
  const before = JSON.parse(readFileSync(join(userDir, 'flows.json.before-reset'), 'utf8')) as FlowNode[];
  assert.ok(before.some((n) => n.id === USER_NODE));
  assert.deepEqual(await reset.signalAndWait('SIGINT'), { code: 0, signal: null }, reset.tail());

  // Not changed since the reset wrote it: a plain restart uses it as it is.
  const plain = spawnDemo('plain restart', port, userDir);
  await plain.waitForLine(/\[node-red\].*Started flows/);
  assert.ok(
    plain.lines.some((l) => /\[demo\] using the demo flow in .*flows\.json/.test(l)),
    plain.tail(),
  );
  assert.deepEqual(await plain.signalAndWait('SIGINT'), { code: 0, signal: null }, plain.tail());
});

test('a demo on a port in use says so clearly, names the way to a second demo, and starts nothing', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    const second = spawnDemo('blocked demo', port, join(dir, 'user2'));
    const exit = await second.waitExit();
    assert.equal(exit.code, 1);
    assert.match(
      second.tail(),
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*\\n.*PORT=\\d+ npm start`),
    );
    assert.ok(!second.lines.some((l) => l.includes('[lan]') || l.includes('[node-red]')), second.tail());
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});
