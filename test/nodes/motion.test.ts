// Issue 10: vstar-motion polls the alarm state on the camera's shared link; sessions and
// heartbeats accept the same vstar-camera as their `device`, and all of them share one session.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CameraEmulator } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import cameraModule from '../../nodes/vstar-camera';
import motionModule from '../../nodes/vstar-motion';
import sessionModule from '../../nodes/vstar-session';
import heartbeatModule from '../../nodes/vstar-heartbeat';
import commandModule from '../../nodes/vstar-command';
import { Inbox, LOOPBACK_BROADCAST, getNode, helper, networkNode, onTab, waitStatus } from './fixtures';

const modules = [networkModule, cameraModule, motionModule, sessionModule, heartbeatModule, commandModule];

describe('vstar-motion and the vstar-camera device', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await CameraEmulator.start({
      cameras: [{ name: 'Yard', motionEveryMs: 2000 }, { name: 'Still' }],
      firstAddress: '127.0.35.2',
      dhPort: 0,
      searchPort: 0,
      broadcastAddress: LOOPBACK_BROADCAST,
    });
  });
  after(() => emu.close());
  afterEach(() => helper.unload());

  test('motion when the alarm starts, motion-end when it clears; again after the camera was away', async () => {
    const camera = emu.cameras[0];
    assert.ok(camera);
    await helper.load(
      modules,
      onTab([
        networkNode(emu),
        { id: 'cam', type: 'vstar-camera', name: 'Yard', network: 'net', camera: camera.ip },
        { id: 'motion', type: 'vstar-motion', name: '', device: 'cam', interval: 0.2, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]),
    );
    const out = new Inbox(getNode('out'));
    const start = await out.event('motion');
    assert.equal(start.topic, camera.uid);
    const payload = start.payload as { alarm: unknown; since: unknown };
    assert.equal(payload.alarm, 'motion');
    assert.match(String(payload.since), /^\d{4}-\d\d-\d\dT/);
    const end = await out.event('motion-end', out.messages.indexOf(start));
    const endPayload = end.payload as { alarm: unknown; since: unknown; durationMs: number };
    assert.equal(endPayload.since, payload.since);
    assert.ok(endPayload.durationMs > 0 && endPayload.durationMs < 5000, `durationMs ${endPayload.durationMs}`);
    const events = out.messages.map((m) => m.event);
    for (let i = 1; i < events.length; i++)
      assert.notEqual(events[i], events[i - 1], 'motion and motion-end alternate');

    await camera.powerOff();
    await waitStatus(getNode('motion'), (s) => s.fill === 'red' && s.text === 'not connected', 'not connected');
    await camera.powerOn();
    const from = out.messages.length;
    await out.event('motion', from);
  });

  test('session, heartbeat, command and motion on one vstar-camera: one session at the camera', async () => {
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
        { id: 'cam', type: 'vstar-camera', name: 'Still', network: 'net', camera: camera.did },
        // A 0.1-style inline network and camera are ignored when a device is set.
        // prettier-ignore
        { id: 'sess', type: 'vstar-session', name: '', device: 'cam', network: '', camera: 'not a camera', autoConnect: true, reconnect: true, wires: [['out']] },
        // prettier-ignore
        { id: 'beat', type: 'vstar-heartbeat', name: '', device: 'cam', interval: 0.3, misses: 3, wires: [['out']] },
        // prettier-ignore
        { id: 'cmd', type: 'vstar-command', name: '', device: 'cam', command: 'status', timeout: 3, wires: [['out']] },
        { id: 'motion', type: 'vstar-motion', name: '', device: 'cam', interval: 0.5, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]),
      { cam: { username: '', password: '' } },
    );
    const out = new Inbox(getNode('out'));
    const connected = await out.event('connected', 0);
    assert.equal(connected.topic, camera.uid);
    await out.next((m) => m.event === 'heartbeat' && (m.payload as { connected: boolean }).connected, 0, 'heartbeat');
    getNode('cmd').receive({ payload: 'go' });
    const answer = await out.event('response', 0);
    assert.equal(
      (answer.payload as { deviceid?: unknown }).deviceid,
      camera.uid,
      'empty credentials: the factory login',
    );
    await waitStatus(getNode('motion'), (s) => s.text === 'no motion', 'motion watching');
    emu.off('session', onSession);
    assert.equal(sessions, 1, 'the camera saw one session');
  });
});
