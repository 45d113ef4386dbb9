import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEMO_CYCLE_MS,
  DEMO_SCHEDULE,
  DemoLan,
  type DemoLanAction,
  type DemoLanStep,
} from '../../nodes/camera/demo-lan';
import { DH_PROBE, parseDhReply } from '../../nodes/wire/dh';
import { nextEvent } from '../support/events';
import { UdpClient, udpHandleCount } from './udp-client';

const BROADCAST = '127.255.255.255';
/** Far beyond any test: the steps under test run at once, the cycle never comes round. */
const NEVER_MS = 3_600_000;

/** The demo flow's timings (examples/demo-with-emulator.json) that the schedule is built around. */
const SCAN_INTERVAL_MS = 10_000;
const HEARTBEAT_WINDOW_MS = 3 * 3000; // up to (misses + 1) intervals of 3 s before `lost`
const SESSION_TIMEOUT_MS = 5000;

function step(action: DemoLanAction, atMs = 0): DemoLanStep {
  return { atMs, action, shows: action };
}

function at(action: DemoLanAction): number {
  const found = DEMO_SCHEDULE.find((s) => s.action === action);
  assert.ok(found, `the schedule has ${action}`);
  return found.atMs;
}

async function withLan(
  schedule: readonly DemoLanStep[],
  body: (lan: DemoLan, client: UdpClient) => Promise<void>,
  cycleMs = NEVER_MS,
): Promise<void> {
  const lan = await DemoLan.start({ dhPort: 0, searchPort: 0, schedule, cycleMs });
  const client = await UdpClient.open();
  try {
    await body(lan, client);
  } finally {
    await client.close();
    await lan.close();
  }
}

/** UID and source address of every DH reply to one broadcast probe, once `count` replies are in. */
async function probe(lan: DemoLan, client: UdpClient, count: number): Promise<{ uid: string; from: string }[]> {
  client.send(DH_PROBE, { address: BROADCAST, port: lan.dhPort });
  // Each camera answers twice (unicast and a broadcast copy).
  const replies = await client.take(count * 2, (r) => parseDhReply(r.data).ok, 'DH replies');
  const seen = new Map<string, { uid: string; from: string }>();
  for (const reply of replies) {
    const parsed = parseDhReply(reply.data);
    if (parsed.ok)
      seen.set(`${parsed.value.uid}@${reply.from.address}`, { uid: parsed.value.uid, from: reply.from.address });
  }
  return [...seen.values()];
}

test('the demo cycle brings every event round within a minute of any moment', () => {
  assert.ok(DEMO_CYCLE_MS + SCAN_INTERVAL_MS < 60_000, 'a scan-detected event recurs within 60 s');
  const actions = new Set(DEMO_SCHEDULE.map((s) => s.action));
  for (const action of ['visitor-joins', 'visitor-leaves', 'clone-joins', 'clone-leaves', 'power-off', 'power-on'])
    assert.ok(actions.has(action as DemoLanAction), action);
  const dark = at('power-on') - at('power-off');
  assert.ok(
    dark > HEARTBEAT_WINDOW_MS && dark > SESSION_TIMEOUT_MS,
    `camera 1 is dark ${dark} ms: long enough to be lost`,
  );
  assert.ok(at('clone-leaves') - at('clone-joins') > SCAN_INTERVAL_MS, 'the clone is there for a whole scan');
  assert.ok(at('visitor-leaves') - at('visitor-joins') > SCAN_INTERVAL_MS, 'the visitor is there for a whole scan');
  for (const s of DEMO_SCHEDULE) assert.ok(s.atMs >= 0 && s.atMs < DEMO_CYCLE_MS);
});

test('a visitor joins the LAN with a UID no earlier cycle used', async () => {
  const handlesBefore = udpHandleCount();
  await withLan(
    [step('visitor-joins')],
    async (lan) => {
      const [, firstCycle, firstDetail] = await nextEvent<[DemoLanStep, number, string]>(lan, 'step');
      const [, secondCycle, secondDetail] = await nextEvent<[DemoLanStep, number, string]>(lan, 'step');
      assert.equal(secondCycle, firstCycle + 1);
      const firstUid = firstDetail.split(' ')[0];
      const secondUid = secondDetail.split(' ')[0];
      assert.notEqual(firstUid, secondUid);
      assert.ok(!lan.steady.cameras.some((c) => c.uid === firstUid || c.uid === secondUid));
    },
    200,
  );
  assert.equal(udpHandleCount(), handlesBefore, 'every socket of every visitor closed');
});

test('the visitor answers a scan from its own address, and is gone once it leaves', async () => {
  await withLan([step('visitor-joins'), step('visitor-leaves', 1000)], async (lan, client) => {
    await nextEvent(lan, 'step', (s: DemoLanStep) => s.action === 'visitor-joins');
    const visitor = lan.cameras()[3];
    assert.ok(visitor);
    const replies = await probe(lan, client, 4);
    assert.ok(
      replies.some((r) => r.uid === visitor.uid && r.from === '127.0.0.5'),
      JSON.stringify(replies),
    );
    await nextEvent(lan, 'step', (s: DemoLanStep) => s.action === 'visitor-leaves');
    assert.equal(lan.cameras().length, 3);
  });
});

test('a clone answers with camera 3 UID from another address; it is gone once it leaves', async () => {
  await withLan([step('clone-joins'), step('clone-leaves', 1000)], async (lan, client) => {
    await nextEvent(lan, 'step', (s: DemoLanStep) => s.action === 'clone-joins');
    const cloned = lan.steady.cameras[2];
    assert.ok(cloned);
    const replies = await probe(lan, client, 4);
    assert.deepEqual(
      replies
        .filter((r) => r.uid === cloned.uid)
        .map((r) => r.from)
        .sort(),
      ['127.0.0.4', '127.0.0.6'],
    );
    await nextEvent(lan, 'step', (s: DemoLanStep) => s.action === 'clone-leaves');
    assert.equal(lan.cameras().length, 3);
  });
});

test('camera 1 goes dark on power-off and boots on a new HTTP port on power-on', async () => {
  await withLan([step('power-off'), step('power-on', 500)], async (lan, client) => {
    const camera = lan.steady.cameras[0];
    assert.ok(camera);
    const portBefore = camera.httpPort;
    await nextEvent(lan, 'step', (s: DemoLanStep) => s.action === 'power-off');
    assert.equal(camera.machine.isPowered, false);
    await nextEvent(lan, 'step', (s: DemoLanStep) => s.action === 'power-on');
    assert.equal(camera.machine.isPowered, true);
    assert.notEqual(camera.httpPort, portBefore);
    const replies = await probe(lan, client, 3);
    assert.ok(replies.some((r) => r.uid === camera.uid));
  });
});
