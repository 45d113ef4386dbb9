// Issue 11: vstar-snapshot over the session, through a vstar-camera: the JPEG the emulator
// served, byte for byte, ready for the file / e-mail / Telegram nodes; failures to a Catch node.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { loadSnapshot } from '../../nodes/camera/media/clip';
import networkModule from '../../nodes/vstar-network';
import cameraModule from '../../nodes/vstar-camera';
import snapshotModule from '../../nodes/vstar-snapshot';
import { Inbox, LOOPBACK_BROADCAST, getNode, helper, networkNode, onTab } from './fixtures';

const modules = [networkModule, cameraModule, snapshotModule];

describe('vstar-snapshot', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await CameraEmulator.start({
      cameras: [{ name: 'Door', password: 'sn4p' }],
      firstAddress: '127.0.36.2',
      dhPort: 0,
      searchPort: 0,
      broadcastAddress: LOOPBACK_BROADCAST,
    });
  });
  after(() => emu.close());
  afterEach(() => helper.unload());

  async function deploy(password: string): Promise<{ out: Inbox; errors: Inbox }> {
    const camera = emu.cameras[0];
    assert.ok(camera);
    await helper.load(
      modules,
      onTab([
        networkNode(emu),
        { id: 'cam', type: 'vstar-camera', name: 'Door', network: 'net', camera: camera.ip },
        // prettier-ignore
        { id: 'snap', type: 'vstar-snapshot', name: '', device: 'cam', resolution: 'high', timeout: 3, wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
        { id: 'errors', type: 'helper' },
      ]),
      { cam: { username: 'admin', password } },
    );
    return { out: new Inbox(getNode('out')), errors: new Inbox(getNode('errors')) };
  }

  test('any input: the JPEG as a Buffer with contentType, filename, topic and camera', async () => {
    const { out } = await deploy('sn4p');
    getNode('snap').receive({ payload: 'now', keep: 'me' });
    const msg = await out.event('snapshot');
    const camera = emu.cameras[0];
    assert.ok(camera);
    assert.ok(Buffer.isBuffer(msg.payload));
    assert.deepEqual(msg.payload, loadSnapshot());
    const extra = msg as unknown as Record<string, unknown>;
    assert.equal(extra.contentType, 'image/jpeg');
    assert.match(String(extra.filename), new RegExp(`^${camera.uid}-\\d{8}T\\d{6}Z\\.jpg$`));
    assert.equal(extra.keep, 'me', 'the input message travels on');
    assert.equal(msg.topic, camera.uid);
    assert.equal((msg.camera as { ip?: unknown }).ip, camera.ip);
  });

  test('wrong password: a Catch node hears why, and no picture is sent', async () => {
    const { out, errors } = await deploy('wrong');
    getNode('snap').receive({ payload: 'now' });
    const caught = await errors.next(() => true, 0, 'caught error');
    assert.match(String((caught.error as { message?: unknown }).message), /refused the username or password/);
    assert.equal(out.messages.length, 0);
  });
});
