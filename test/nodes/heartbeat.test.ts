import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type CameraEmulator } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import sessionModule from '../../nodes/vstar-session';
import heartbeatModule from '../../nodes/vstar-heartbeat';
import { Inbox, getNode, helper, networkNode, onTab, startEmulator, waitStatus } from './fixtures';

const modules = [networkModule, sessionModule, heartbeatModule];

interface Report {
  alive: boolean;
  connected: boolean;
  rttMs: number | null;
  rttMinMs: number | null;
  rttMaxMs: number | null;
  rttAvgMs: number | null;
  misses: number;
  probesSent: number;
  probesAnswered: number;
  lost: boolean;
}

describe('vstar-heartbeat', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  afterEach(() => helper.unload());

  test('heartbeats with round trips; a power cut gives lost, power back gives restored', async () => {
    const camera = emu.cameras[0];
    assert.ok(camera);
    await helper.load(
      modules,
      onTab([
        networkNode(emu),
        {
          id: 'beat',
          type: 'vstar-heartbeat',
          name: '',
          network: 'net',
          camera: camera.did,
          interval: 0.3,
          misses: 2,
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]),
    );
    const inbox = new Inbox(getNode('out'));
    const withRtt = await inbox.next(
      (m) => m.event === 'heartbeat' && (m.payload as Report).rttMs !== null,
      0,
      'heartbeat with a round trip',
    );
    assert.equal(withRtt.topic, camera.uid);
    assert.deepEqual(withRtt.camera, { uid: camera.uid, did: camera.did, ip: camera.ip });
    const report = withRtt.payload as Report;
    assert.deepEqual(Object.keys(report).sort(), [
      'alive',
      'connected',
      'lost',
      'misses',
      'probesAnswered',
      'probesSent',
      'rttAvgMs',
      'rttMaxMs',
      'rttMinMs',
      'rttMs',
    ]);
    assert.equal(report.alive, true);
    assert.equal(report.connected, true);
    assert.equal(report.lost, false);
    assert.equal(report.misses, 0);
    assert.ok(typeof report.rttMs === 'number' && report.rttMs >= 0 && report.rttMs < 1000, `rtt ${report.rttMs}`);
    assert.ok(report.probesSent >= 1 && report.probesAnswered >= 1);
    const green = await waitStatus(
      getNode('beat'),
      (s) => s.fill === 'green' && /^rtt \d+ ms$/.test(String(s.text)),
      'rtt',
    );
    assert.equal(green.shape, 'dot');

    await camera.powerOff();
    try {
      const lost = await inbox.event('lost');
      assert.equal(lost.topic, camera.uid);
      const lostReport = lost.payload as Report;
      assert.equal(lostReport.lost, true);
      assert.equal(lostReport.alive, false);
      assert.ok(lostReport.misses >= 2);
      assert.deepEqual(lost.camera, { uid: camera.uid, did: camera.did, ip: camera.ip });
      const beforeLost = inbox.messages.indexOf(lost) - 1;
      assert.equal(inbox.messages[beforeLost]?.event, 'heartbeat', "the interval's heartbeat comes first");
      await waitStatus(getNode('beat'), (s) => s.fill === 'red' && s.text === 'lost', 'red "lost"');
      // Once the session is down too, no round trip from before the outage is passed off as current.
      const offline = await inbox.next(
        (m) => m.event === 'heartbeat' && !(m.payload as Report).connected,
        inbox.messages.indexOf(lost),
        'heartbeat while disconnected',
      );
      assert.equal((offline.payload as Report).rttMs, null);
      assert.notEqual((offline.payload as Report).rttMinMs, null, 'the statistics of the earlier round trips stay');
    } finally {
      await camera.powerOn();
    }
    const restored = await inbox.event('restored');
    assert.equal(restored.topic, camera.uid);
    const restoredReport = restored.payload as Report;
    assert.equal(restoredReport.lost, false);
    assert.equal(restoredReport.alive, true);
    assert.equal(restoredReport.connected, true);
    await waitStatus(getNode('beat'), (s) => s.fill === 'green', 'green again');
    assert.deepEqual([...new Set(inbox.messages.map((m) => m.event))].sort(), ['heartbeat', 'lost', 'restored']);
  });

  test('a heartbeat and a session on one camera share one link', async () => {
    const camera = emu.cameras[1];
    assert.ok(camera);
    let sessions = 0;
    const onSession = (c: { uid: string }) => {
      if (c.uid === camera.uid) sessions++;
    };
    emu.on('session', onSession);
    await helper.load(
      modules,
      onTab([
        networkNode(emu),
        {
          id: 'sess',
          type: 'vstar-session',
          name: '',
          network: 'net',
          camera: camera.uid,
          autoConnect: true,
          reconnect: true,
          wires: [['out']],
        },
        {
          id: 'beat',
          type: 'vstar-heartbeat',
          name: '',
          network: 'net',
          camera: camera.uid.toLowerCase(),
          interval: 0.3,
          misses: 3,
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]),
    );
    const inbox = new Inbox(getNode('out'));
    await inbox.event('connected');
    await inbox.next((m) => m.event === 'heartbeat' && (m.payload as Report).probesAnswered > 0, 0, 'answered probe');
    emu.off('session', onSession);
    assert.equal(inbox.of('connected').length, 1, 'one handshake for both nodes');
    assert.equal(sessions, 1, 'the camera saw one session');
  });

  test('bad interval: red status', async () => {
    await helper.load(
      modules,
      onTab([
        networkNode(emu),
        {
          id: 'beat',
          type: 'vstar-heartbeat',
          name: '',
          network: 'net',
          camera: '',
          interval: 0,
          misses: 0,
          wires: [[]],
        },
      ]),
    );
    const status = await waitStatus(getNode('beat'), (s) => s.fill === 'red', 'red');
    assert.match(String(status.text), /bad config: interval .*misses/);
  });
});
