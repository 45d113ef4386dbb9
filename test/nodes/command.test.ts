// Issue 10: vstar-command against vstar-sim, through a vstar-camera config node: every command,
// and each failure a user must be able to act on, seen by a Catch node.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type NodeMessage } from 'node-red';
import { CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import cameraModule from '../../nodes/vstar-camera';
import commandModule from '../../nodes/vstar-command';
import sessionModule from '../../nodes/vstar-session';
import { Inbox, LOOPBACK_BROADCAST, getNode, helper, networkNode, onTab } from './fixtures';

const modules = [networkModule, cameraModule, commandModule, sessionModule];
const SECRET = 'pa55-w0rd-xyz';

interface Flow {
  readonly camera: EmulatedCamera;
  readonly out: Inbox;
  readonly errors: Inbox;
  run(payload?: unknown): Promise<NodeMessage>;
  fail(payload?: unknown): Promise<string>;
}

describe('vstar-command', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await CameraEmulator.start({
      cameras: [
        { name: 'Plain', password: SECRET },
        { name: 'Eye4', password: SECRET, login: 'eye4' },
        { name: 'Silent', password: SECRET, silentOnBadLogin: true },
      ],
      firstAddress: '127.0.34.2',
      dhPort: 0,
      searchPort: 0,
      broadcastAddress: LOOPBACK_BROADCAST,
    });
  });
  after(() => emu.close());
  afterEach(() => helper.unload());

  async function deploy(index: number, props: Record<string, unknown> = {}, password = SECRET): Promise<Flow> {
    const camera = emu.cameras[index];
    assert.ok(camera);
    await helper.load(
      modules,
      onTab([
        networkNode(emu),
        { id: 'cam', type: 'vstar-camera', name: 'Porch', network: 'net', camera: camera.uid },
        // prettier-ignore
        { id: 'cmd', type: 'vstar-command', name: '', device: 'cam', command: 'status', action: '', preset: 0, step: false, cgi: '', params: '', timeout: 3, wires: [['out']], ...props },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
        { id: 'errors', type: 'helper' },
      ]),
      { cam: { username: 'admin', password } },
    );
    const out = new Inbox(getNode('out'));
    const errors = new Inbox(getNode('errors'));
    return {
      camera,
      out,
      errors,
      run: (payload?: unknown) => {
        const from = out.messages.length;
        getNode('cmd').receive({ payload });
        return out.event('response', from);
      },
      fail: async (payload?: unknown) => {
        const from = errors.messages.length;
        getNode('cmd').receive({ payload });
        const caught = await errors.next(() => true, from, 'caught error');
        return String((caught.error as { message?: unknown } | undefined)?.message);
      },
    };
  }

  test('status: the parsed answer, numbers as numbers, with topic, camera and duration', async () => {
    const flow = await deploy(0);
    const msg = await flow.run();
    assert.equal(msg.topic, flow.camera.uid);
    assert.equal((msg as { command?: unknown }).command, 'status');
    const payload = msg.payload as Record<string, unknown>;
    assert.equal(payload.deviceid, flow.camera.uid);
    assert.equal(typeof payload.alarm_status, 'number');
    assert.equal(payload.httpport, flow.camera.httpPort);
    assert.equal(typeof (msg as { durationMs?: unknown }).durationMs, 'number');
    assert.equal((msg.camera as { ip?: unknown }).ip, flow.camera.ip);
    assert.ok(!JSON.stringify(msg).includes(SECRET), 'the password is in no message');
  });

  test('every named command reaches the emulated camera', async () => {
    const flow = await deploy(0);
    const state = flow.camera.machine.state;
    assert.equal(typeof (await flow.run('params')).payload, 'object');
    assert.ok('ptz_x' in ((await flow.run('camera-params')).payload as object));

    await flow.run({ command: 'ptz', action: 'left', step: true });
    assert.ok(state.position(Date.now()).x < 0, 'one step left');
    await flow.run({ command: 'ptz', action: 'preset-set', preset: 3 });
    assert.ok(state.preset(3), 'preset 3 stored');
    await flow.run({ command: 'ptz', action: 'centre' });
    const went = await flow.run({ command: 'ptz', action: 'preset-go', preset: 3 });
    assert.deepEqual(state.position(Date.now()), state.preset(3));
    assert.equal((went.payload as { preset?: unknown }).preset, 3);
    await flow.run({ command: 'ptz', action: 'right' });
    assert.ok(state.isMoving(Date.now()));
    await flow.run({ command: 'ptz', action: 'stop' });
    assert.equal(state.isMoving(Date.now()), false, 'stop stops');

    for (const device of ['light', 'siren', 'infrared'] as const) {
      const on = await flow.run({ command: device, action: 'on' });
      assert.equal((on.payload as { state?: unknown }).state, 'on', `${device} on`);
      assert.equal(state[device], true);
      const read = await flow.run({ command: device, action: 'status' });
      assert.equal((read.payload as { state?: unknown }).state, 'on', `${device} read back`);
      await flow.run({ command: device, action: 'off' });
      assert.equal(state[device], false);
    }

    await flow.run('time-sync');
    assert.ok(Math.abs(state.nowSeconds(Date.now()) - Date.now() / 1000) < 5, 'camera clock set');
    assert.equal(state.clockSettings.tz, new Date().getTimezoneOffset() * 60);

    const raw = await flow.run({ command: 'raw', cgi: 'get_status.cgi', params: {} });
    assert.equal((raw.payload as { deviceid?: unknown }).deviceid, flow.camera.uid);
  });

  test('reboot: answered, then the camera reboots and the link reconnects', async () => {
    const flow = await deploy(0);
    const before = flow.camera.httpPort;
    await flow.run('reboot');
    await waitUntil(() => flow.camera.httpPort !== before, 'new HTTP port after reboot');
    // A command sent on the old session in the moment before it is seen to close may time out;
    // one sent after that waits for the new session and is answered.
    for (let attempt = 1; ; attempt++) {
      const from = { out: flow.out.messages.length, errors: flow.errors.messages.length };
      getNode('cmd').receive({ payload: 'status' });
      const settled = await Promise.race([
        flow.out.event('response', from.out),
        flow.errors.next(() => true, from.errors, 'caught error'),
      ]);
      if (settled.event === 'response') {
        assert.equal((settled.payload as { httpport?: unknown }).httpport, flow.camera.httpPort);
        break;
      }
      assert.ok(attempt < 3, `still no answer after ${attempt} tries`);
    }
  });

  test('newer firmware: the eye4 login is tried when plain is refused, and works', async () => {
    const flow = await deploy(1);
    const msg = await flow.run('status');
    assert.equal((msg.payload as { deviceid?: unknown }).deviceid, flow.camera.uid);
    await flow.run({ command: 'light', action: 'on' });
    assert.equal(flow.camera.machine.state.light, true);
  });

  test('wrong password: a Catch node hears "refused the username or password"', async () => {
    const flow = await deploy(0, {}, 'wrong');
    assert.match(await flow.fail(), /refused the username or password/);
  });

  test('wrong password on a camera that stays silent: timed out, saying a wrong password is possible', async () => {
    const flow = await deploy(2, { timeout: 1 }, 'wrong');
    assert.match(await flow.fail(), /no answer .* within 1 s.*wrong username or password/);
  });

  test('a command the camera does not have: "does not support"', async () => {
    const flow = await deploy(0);
    assert.match(
      await flow.fail({ command: 'raw', cgi: 'get_record_file.cgi' }),
      /does not support get_record_file\.cgi/,
    );
  });

  test('camera not connected: the request waits up to the timeout, then says so', async () => {
    const flow = await deploy(0, { timeout: 1 });
    await flow.run();
    await flow.camera.powerOff();
    try {
      const from = flow.errors.messages.length;
      // The session notices the power cut after the network's timeout; until then the command times out.
      let reason = '';
      while (!/not connected/.test(reason)) {
        reason = await flow.fail();
        assert.ok(flow.errors.messages.length > from);
      }
      assert.match(reason, /not connected/);
    } finally {
      await flow.camera.powerOn();
    }
    // A command sent while the camera is still away is answered once it is back.
    const answered = flow.run();
    const msg = await answered;
    assert.equal(msg.topic, flow.camera.uid);
  });

  test('too many commands waiting: the 17th is refused at once', async () => {
    const flow = await deploy(2, { timeout: 3 }, 'wrong');
    for (let i = 0; i < 16; i++) getNode('cmd').receive({ payload: 'status' });
    const reason = await flow.fail('status');
    assert.match(reason, /too many commands waiting/);
  });

  test('bad overrides name the field', async () => {
    const flow = await deploy(0);
    assert.match(await flow.fail({ command: 'ptz', action: 'sideways' }), /action must be one of/);
    assert.match(
      await flow.fail({ command: 'ptz', action: 'preset-go', preset: 99 }),
      /preset must be an integer from 0 to 15/,
    );
    assert.match(await flow.fail({ command: 'fly' }), /command must be one of/);
    assert.match(await flow.fail({ command: 'raw', cgi: 'x.cgi', params: { pwd: 'x' } }), /params\.pwd: credentials/);
  });
});

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > 15_000) throw new Error(`${what}: not reached`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
