import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type NodeMessage } from 'node-red';
import { type CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import sessionModule from '../../nodes/vstar-session';
import { Inbox, getNode, helper, networkNode, onTab, startEmulator, statuses, waitStatus } from './fixtures';

const modules = [networkModule, discoverModule, sessionModule];

function sessionFlow(emu: CameraEmulator, props: Record<string, unknown> = {}, extra: object[] = []): object[] {
  return onTab([
    networkNode(emu),
    {
      id: 'sess',
      type: 'vstar-session',
      name: '',
      network: 'net',
      camera: '',
      autoConnect: true,
      reconnect: true,
      wires: [['out']],
      ...props,
    },
    { id: 'out', type: 'helper' },
    { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
    { id: 'errors', type: 'helper' },
    ...extra,
  ]);
}

function cameraAt(emu: CameraEmulator, index: number): EmulatedCamera {
  const camera = emu.cameras[index];
  assert.ok(camera, `no camera ${index}`);
  return camera;
}

/** The connected message says which camera answered, how, and after which attempt. */
function assertConnected(msg: NodeMessage, camera: EmulatedCamera, attempt: number): void {
  assert.equal(msg.event, 'connected');
  assert.equal(msg.topic, camera.uid);
  const payload = msg.payload as { handshakeMs: number; encryption: string; attempt: number; peer: object };
  assert.deepEqual(Object.keys(payload).sort(), ['attempt', 'encryption', 'handshakeMs', 'peer']);
  assert.equal(typeof payload.handshakeMs, 'number');
  assert.ok(payload.handshakeMs >= 0 && payload.handshakeMs < 10_000, `handshakeMs ${payload.handshakeMs}`);
  assert.equal(payload.encryption, 'none');
  assert.equal(payload.attempt, attempt);
  assert.deepEqual(payload.peer, { address: camera.ip, port: camera.sessionPort });
}

describe('vstar-session', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  afterEach(() => helper.unload());

  test('by UID: connects on deploy and emits connected; msg.camera is what the session learned', async () => {
    const camera = cameraAt(emu, 0);
    await helper.load(modules, sessionFlow(emu, { camera: camera.uid }));
    const inbox = new Inbox(getNode('out'));
    const connected = await inbox.event('connected');
    assertConnected(connected, camera, 1);
    assert.deepEqual(connected.camera, { uid: camera.uid, did: camera.did, ip: camera.ip });
    const status = await waitStatus(getNode('sess'), (s) => s.fill === 'green', 'green');
    assert.equal(status.shape, 'dot');
    assert.match(String(status.text), /^connected \d+ ms$/);
  });

  test('by dashed UID, with discovery first: msg.camera is the full record, without the DDNS password', async () => {
    const camera = cameraAt(emu, 0);
    const flow = sessionFlow(emu, { camera: camera.did.toLowerCase(), autoConnect: false }, [
      {
        id: 'disc',
        type: 'vstar-discover',
        name: '',
        network: 'net',
        interval: 0,
        window: 300,
        output: 'list',
        includeSecrets: false,
        wires: [['found']],
      },
      { id: 'found', type: 'helper' },
    ]);
    await helper.load(modules, flow);
    await waitStatus(getNode('sess'), (s) => s.text === 'idle' && s.fill === 'grey', 'idle');
    const found = new Inbox(getNode('found'));
    getNode('disc').receive({ payload: 'scan' });
    await found.event('scan-complete');

    const inbox = new Inbox(getNode('out'));
    getNode('sess').receive({ payload: 'connect' });
    const connected = await inbox.event('connected');
    assertConnected(connected, camera, 1);
    const record = connected.camera as Record<string, unknown>;
    assert.equal(record.uid, camera.uid);
    assert.equal(record.did, camera.did);
    assert.equal(record.ip, camera.ip);
    assert.equal(record.mac, camera.mac);
    assert.equal(record.httpPort, camera.httpPort);
    assert.equal(record.name, 'Porch');
    assert.equal('password' in (record.ddns as object), false);
  });

  test('by IP', async () => {
    const camera = cameraAt(emu, 2);
    await helper.load(modules, sessionFlow(emu, { camera: camera.ip }));
    const inbox = new Inbox(getNode('out'));
    const connected = await inbox.event('connected');
    assertConnected(connected, camera, 1);
    assert.deepEqual(connected.camera, { uid: camera.uid, did: camera.did, ip: camera.ip });
  });

  test('empty camera: the first camera that answers', async () => {
    await helper.load(modules, sessionFlow(emu, { camera: '' }));
    const inbox = new Inbox(getNode('out'));
    const connected = await inbox.event('connected');
    const camera = emu.camera(String(connected.topic));
    assert.ok(camera, `topic ${String(connected.topic)} is one of the emulated cameras`);
    assertConnected(connected, camera, 1);
  });

  test('"disconnect" closes with reason closed and a grey status; "connect" connects again', async () => {
    const camera = cameraAt(emu, 1);
    await helper.load(modules, sessionFlow(emu, { camera: camera.uid }));
    const inbox = new Inbox(getNode('out'));
    await inbox.event('connected');
    getNode('sess').receive({ payload: 'disconnect' });
    const disconnected = await inbox.event('disconnected');
    assert.equal(disconnected.topic, camera.uid);
    assert.deepEqual(disconnected.payload, { reason: 'closed' });
    assert.deepEqual(disconnected.camera, { uid: camera.uid, did: camera.did, ip: camera.ip });
    const grey = await waitStatus(getNode('sess'), (s) => s.fill === 'grey', 'grey');
    assert.deepEqual(grey, { fill: 'grey', shape: 'ring', text: 'disconnected' });

    const from = inbox.messages.length;
    getNode('sess').receive({ payload: 'connect' });
    const again = await inbox.event('connected', from);
    assertConnected(again, camera, 1); // attempts count from 1 again after every disconnect
    assert.deepEqual(
      inbox.messages.map((m) => m.event),
      ['connected', 'disconnected', 'connected'],
    );
  });

  test('power cut: disconnected "timeout" and red "lost"; power back: connected again', async () => {
    const camera = cameraAt(emu, 1);
    await helper.load(modules, sessionFlow(emu, { camera: camera.uid }));
    const inbox = new Inbox(getNode('out'));
    await inbox.event('connected');
    await camera.powerOff();
    try {
      const disconnected = await inbox.event('disconnected');
      assert.equal(disconnected.topic, camera.uid);
      const payload = disconnected.payload as { reason: string; detail?: string };
      assert.equal(payload.reason, 'timeout');
      assert.match(String(payload.detail), /^no reply for \d+ ms$/, 'whole milliseconds');
      await waitStatus(getNode('sess'), (s) => s.fill === 'red' && s.text === 'lost', 'red "lost"');
      // Reconnect attempts begin (and fail while the camera is dark), counted from 1 for this outage.
      await waitStatus(
        getNode('sess'),
        (s) => s.fill === 'yellow' && /reconnecting/.test(String(s.text)),
        'reconnecting',
      );
      const firstReconnect = statuses(getNode('sess')).find((s) => /reconnecting/.test(String(s.text)));
      assert.equal(firstReconnect?.text, 'reconnecting', 'the first attempt of an outage is not numbered');
    } finally {
      await camera.powerOn();
    }
    const from = inbox.messages.findIndex((m) => m.event === 'disconnected') + 1;
    const again = await inbox.event('connected', from);
    assert.equal(again.topic, camera.uid);
    assert.ok((again.payload as { attempt: number }).attempt >= 1);
    await waitStatus(getNode('sess'), (s) => s.fill === 'green', 'green again');
  });

  test('autoConnect false stays idle; an unknown command fails through done(err)', async () => {
    const camera = cameraAt(emu, 2);
    await helper.load(modules, sessionFlow(emu, { camera: camera.uid, autoConnect: false }));
    await waitStatus(getNode('sess'), (s) => s.fill === 'grey' && s.text === 'idle', 'idle');
    const errors = new Inbox(getNode('errors'));
    getNode('sess').receive({ payload: 'reboot' });
    const caught = await errors.next(() => true);
    const error = caught.error as { message: string; source: { id: string } };
    assert.match(error.message, /unknown command "reboot": msg.payload must be "connect" or "disconnect"/);
    assert.equal(error.source.id, 'sess');
    assert.equal(caught.payload, 'reboot');
  });

  test('a camera that is neither UID nor IP: red status, error on input', async () => {
    await helper.load(modules, sessionFlow(emu, { camera: 'not a camera!' }));
    const status = await waitStatus(getNode('sess'), (s) => s.fill === 'red', 'red');
    assert.match(String(status.text), /bad config/);
    const errors = new Inbox(getNode('errors'));
    getNode('sess').receive({ payload: 'connect' });
    const caught = await errors.next(() => true);
    assert.match((caught.error as { message: string }).message, /neither a camera UID/);
  });
});
