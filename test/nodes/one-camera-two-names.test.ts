// Issue 9, point 3: one camera named by IP in one node and by UID in another, on one network,
// must share one link (one session on the camera), whichever node starts first and whether or
// not discovery has seen the camera.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import sessionModule from '../../nodes/vstar-session';
import heartbeatModule from '../../nodes/vstar-heartbeat';
import { Inbox, getNode, helper, networkNode, onTab, startEmulator } from './fixtures';

const modules = [networkModule, discoverModule, sessionModule, heartbeatModule];

interface Report {
  probesAnswered: number;
}

type Name = 'ip' | 'uid' | 'did';

function nameOf(camera: EmulatedCamera, name: Name): string {
  return name === 'ip' ? camera.ip : name === 'uid' ? camera.uid : camera.did.toLowerCase();
}

describe('one camera named two ways on one network', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  afterEach(() => helper.unload());

  const cases: { session: Name; heartbeat: Name; heartbeatFirst: boolean; discovery: boolean }[] = [
    { session: 'ip', heartbeat: 'uid', heartbeatFirst: false, discovery: false },
    { session: 'ip', heartbeat: 'uid', heartbeatFirst: true, discovery: false },
    { session: 'uid', heartbeat: 'ip', heartbeatFirst: false, discovery: false },
    { session: 'did', heartbeat: 'ip', heartbeatFirst: true, discovery: true },
    { session: 'ip', heartbeat: 'did', heartbeatFirst: false, discovery: true },
  ];
  for (const c of cases) {
    const title =
      `session by ${c.session}, heartbeat by ${c.heartbeat}` +
      `${c.heartbeatFirst ? ', heartbeat first' : ''}${c.discovery ? ', with discovery' : ''}: one session`;
    test(title, async () => {
      const camera = emu.cameras[1];
      assert.ok(camera);
      let sessions = 0;
      const onSession = (c: { uid: string }) => {
        if (c.uid === camera.uid) sessions++;
      };
      emu.on('session', onSession);
      // prettier-ignore
      const session = { id: 'sess', type: 'vstar-session', name: '', network: 'net', camera: nameOf(camera, c.session), autoConnect: true, reconnect: true, wires: [['out']] };
      // prettier-ignore
      const heartbeat = { id: 'beat', type: 'vstar-heartbeat', name: '', network: 'net', camera: nameOf(camera, c.heartbeat), interval: 0.3, misses: 3, wires: [['beats']] };
      // prettier-ignore
      const discover = { id: 'disc', type: 'vstar-discover', name: '', network: 'net', interval: 60, window: 200, output: 'list', includeSecrets: false, wires: [[]] };
      await helper.load(
        modules,
        onTab([
          networkNode(emu),
          ...(c.discovery ? [discover] : []),
          ...(c.heartbeatFirst ? [heartbeat, session] : [session, heartbeat]),
          { id: 'out', type: 'helper' },
          { id: 'beats', type: 'helper' },
        ]),
      );
      const out = new Inbox(getNode('out'));
      const beats = new Inbox(getNode('beats'));
      const connected = await out.event('connected', 0);
      assert.equal(connected.topic, camera.uid);
      await beats.next((m) => m.event === 'heartbeat' && (m.payload as Report).probesAnswered > 0, 0, 'answered probe');
      const beat = beats.messages.at(-1);
      assert.equal(beat?.topic, camera.uid);
      emu.off('session', onSession);
      assert.equal(out.of('connected').length, 1, 'one connected message');
      assert.equal(sessions, 1, 'the camera saw one session');
    });
  }
});
