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
 * with its three emulated cameras and the demo flow, then Ctrl-C. The only test that uses the
 * cameras' well-known ports 8600/32108 (the demo binds them, as real cameras do); every other test
 * takes ports from bind(0), so this one can run beside them. Camera 1 reboots every 3 s here
 * (30 s in the real demo) so that a reboot is seen within a few seconds.
 *
 * The flow is the demo's own plus one debug node, wired from every VStarCam node, that logs
 * `event topic reason` to the console; the demo's own debug nodes are read as the editor's debug
 * sidebar reads them, over the /comms websocket.
 */

const CAMERA_1 = 'VSTB100000AASGV';
const EVENTS_NODE = 'e2e-events';
/** Only a guard: with a reboot every 3 s, timeout 5 s and a scan every 10 s, the cycle takes ~20 s. */
const CYCLE_GUARD_MS = 50_000;

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
let demo: Child | undefined;
let comms: WebSocket | undefined;
const sidebar: { name: string; msg: Record<string, unknown> }[] = [];

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

/**
 * Waits until the events contain `steps` in this order (other events may come between), each
 * step a predicate; resolves with the matched events.
 */
function waitForSequence(
  child: Child,
  steps: readonly { what: string; match: (e: LoggedEvent) => boolean }[],
): Promise<LoggedEvent[]> {
  return waitUntil(
    () => {
      const events = loggedEvents(child);
      const matched: LoggedEvent[] = [];
      let at = 0;
      for (const step of steps) {
        const found = events.slice(at).find(step.match);
        if (!found) return undefined;
        matched.push(found);
        at = events.indexOf(found) + 1;
      }
      return matched;
    },
    () => {
      const seen = loggedEvents(child).map((e) => `${e.event}:${e.topic}${e.reason ? `:${e.reason}` : ''}`);
      return `${steps.map((s) => s.what).join(' -> ')}; logged: ${seen.join(', ')}\n${child.tail(30)}`;
    },
    CYCLE_GUARD_MS,
    200,
  );
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
  const flowFile = join(dir, 'flow.json');
  writeFileSync(flowFile, JSON.stringify(testFlow(), null, 2));
  demo = Child.spawn('npm start (scripts/demo.mjs)', [join(root, 'scripts', 'demo.mjs')], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      VSTAR_DEMO_DIR: join(dir, 'user'),
      VSTAR_DEMO_REBOOT_EVERY: '3',
      VSTAR_DEMO_FLOW: flowFile,
    },
  });
});

after(async () => {
  comms?.terminate();
  await demo?.killGroup();
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
    new RegExp(`Node-RED is running with three emulated cameras: http://127\\.0\\.0\\.1:${port}/`),
  );
  assert.equal(child.lines.filter((l) => /\[vstar-sim\] camera VSTB-\d+-\w+ on 127\.0\.0\.[234],/.test(l)).length, 3);

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

  const sets = await ourNodeSets(admin);
  for (const type of NODE_TYPES) {
    const set = sets.get(type);
    assert.ok(set, `GET /nodes lists no ${type}`);
    assert.equal(set.module, MODULE);
    assert.equal(set.enabled, true);
    assert.equal(set.err, undefined, `${type}: ${String(set.err)}`);
  }
});

test('the demo flow runs: discovered, connected, heartbeat, lost on the reboot, changed, connected again', async () => {
  const child = running();
  const camera1 = (e: LoggedEvent): boolean => e.topic === CAMERA_1;
  const [discovered, connected, heartbeat, dropped, changed, reconnected] = await waitForSequence(child, [
    { what: 'discovered', match: (e) => camera1(e) && e.event === 'discovered' },
    { what: 'connected', match: (e) => camera1(e) && e.event === 'connected' },
    { what: 'heartbeat', match: (e) => camera1(e) && e.event === 'heartbeat' },
    { what: 'lost or disconnected', match: (e) => camera1(e) && (e.event === 'lost' || e.event === 'disconnected') },
    { what: 'changed', match: (e) => camera1(e) && e.event === 'changed' },
    { what: 'connected again', match: (e) => camera1(e) && e.event === 'connected' },
  ]);
  assert.ok(discovered && connected && heartbeat && dropped && changed && reconnected);
  // The other two cameras are discovered too, and the session by IP reaches camera 2.
  const events = loggedEvents(child);
  const discoveredUids = new Set(events.filter((e) => e.event === 'discovered').map((e) => e.topic));
  assert.equal(discoveredUids.size, 3, `discovered: ${[...discoveredUids].join(', ')}`);
  assert.ok(
    events.some((e) => e.event === 'connected' && e.topic !== CAMERA_1),
    'the session to 127.0.0.3 connected',
  );
  // A silently rebooted camera is a timeout, never an error.
  for (const e of events.filter((x) => x.event === 'disconnected')) assert.equal(e.reason, 'timeout');
  assert.deepEqual(problemLines(child.lines), []);
});

test("the demo's own debug nodes reach the editor's debug sidebar (/comms websocket)", async () => {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/comms`);
  comms = socket;
  socket.on('message', (data: WebSocket.RawData) => {
    const packets = JSON.parse(data.toString()) as unknown;
    for (const packet of Array.isArray(packets) ? packets : [packets]) {
      const p = packet as { topic?: string; data?: { name?: string; msg?: unknown; format?: string } };
      if (p.topic !== 'debug' || typeof p.data?.msg !== 'string') continue;
      try {
        sidebar.push({ name: p.data.name ?? '', msg: JSON.parse(p.data.msg) as Record<string, unknown> });
      } catch {
        // A string payload rather than a whole message: not one of the demo's debug nodes.
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ subscribe: 'debug' }));
  // Heartbeats come every 5 s; the session node reports each reconnect of the rebooting camera.
  const heartbeat = await waitUntil(
    () => sidebar.find((m) => m.name === 'heartbeat' && m.msg.event === 'heartbeat'),
    () => `a heartbeat in the debug sidebar; got ${JSON.stringify(sidebar.map((m) => [m.name, m.msg.event]))}`,
    20_000,
  );
  assert.equal(heartbeat.msg.topic, CAMERA_1);
  const camera = heartbeat.msg.camera as { uid?: string } | undefined;
  assert.equal(camera?.uid, CAMERA_1);
  await waitUntil(
    () => sidebar.find((m) => m.name === 'session' || m.name === 'discovery'),
    () => `a session or discovery message in the debug sidebar; got ${JSON.stringify(sidebar.map((m) => m.name))}`,
    CYCLE_GUARD_MS,
  );
  socket.close();
});

test('Ctrl-C (SIGINT) stops Node-RED and vstar-sim: no orphan process, every port free again', async () => {
  const child = running();
  const children = childPids(child.pid);
  const commands = children.map(commandLine);
  assert.equal(children.length, 2, `children of the demo: ${commands.join(' | ')}`);
  assert.ok(
    commands.some((c) => c.includes('camera/cli.js')),
    `vstar-sim among ${commands.join(' | ')}`,
  );
  assert.ok(
    commands.some((c) => /node-red/.test(c)), // red.js sets its process title to node-red,
    `Node-RED among ${commands.join(' | ')}`,
  );

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
});

test('a second demo on a port in use says so clearly and starts nothing', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    const second = Child.spawn('second demo', [join(root, 'scripts', 'demo.mjs')], {
      cwd: root,
      env: { ...process.env, PORT: String(port), VSTAR_DEMO_DIR: join(dir, 'user2') },
    });
    const exit = await second.waitExit();
    assert.equal(exit.code, 1);
    assert.match(second.tail(), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*\\n.*PORT=`));
    assert.ok(!second.lines.some((l) => l.includes('[vstar-sim]') || l.includes('[node-red]')), second.tail());
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});
