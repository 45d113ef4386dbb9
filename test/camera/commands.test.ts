import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type EmulatorOptions, CameraEmulator } from '../../nodes/camera/emulator';
import { CGI_CODE_PUSH, buildCgiRequest } from '../../nodes/wire/cgi';
import { CgiSession } from './cgi-session';
import { UdpClient, deadline } from './udp-client';

const ADMIN = { user: 'admin', password: '888888' };

async function withCamera(
  options: EmulatorOptions,
  body: (emulator: CameraEmulator, session: CgiSession) => Promise<void>,
): Promise<void> {
  const emulator = await CameraEmulator.start({ dhPort: 0, searchPort: 0, firstAddress: '127.0.31.2', ...options });
  const client = await UdpClient.open();
  try {
    const camera = emulator.cameras[0];
    assert.ok(camera);
    await body(emulator, await CgiSession.open(client, camera, emulator.searchPort));
  } finally {
    await client.close();
    await emulator.close();
  }
}

test('over real UDP: the push on connect, then every command answered with its code', async () => {
  await withCamera({}, async (_emulator, session) => {
    const push = await session.waitForPush(() => true);
    assert.deepEqual([push.code, push.body], [CGI_CODE_PUSH, '']);

    const status = await session.ask('get_status', {}, ADMIN);
    assert.equal(status.code, 0x6001);
    assert.equal(status.vars['alarm_status'], '0');
    const params = await session.ask('get_params', {}, ADMIN);
    assert.equal(params.code, 0x6002);
    assert.ok(Buffer.byteLength(params.body) > 1024, 'get_params spans several DRWs');
    assert.equal(params.vars['deviceid'], status.vars['deviceid']);
    assert.equal((await session.ask('get_camera_params', {}, ADMIN)).code, 0x6003);

    const ptz = await session.ask('decoder_control', { command: '0', onestep: '1' }, ADMIN);
    assert.deepEqual([ptz.code, ptz.body], [0x6019, 'result=0;\r\n']);
    assert.equal((await session.ask('get_camera_params', {}, ADMIN)).vars['ptz_y'], '5');

    const light = await session.ask('trans_cmd_string', { cmd: '2109', command: '0', light: '1' }, ADMIN);
    assert.deepEqual([light.code, light.vars['lightStatus']], [0x60d1, '1']);
    const ir = await session.ask('trans_cmd_string', { cmd: '2120', command: '0', InfraredLaser: '1' }, ADMIN);
    assert.equal(ir.vars['InfraredLaser'], '1');

    const clock = await session.ask('set_datetime', { now: '1700000000', tz: '-3600', ntp_enable: '0' }, ADMIN);
    assert.deepEqual([clock.code, clock.vars['result']], [0x6013, 'ok']);
    const later = await session.ask('get_status', {}, ADMIN);
    assert.ok(Number(later.vars['now']) >= 1_700_000_000 && Number(later.vars['now']) < 1_700_000_100);
    assert.equal(later.vars['tz'], '-3600');

    const refused = await session.ask('get_status', {}, { user: 'admin', password: 'wrong' });
    assert.deepEqual([refused.code, refused.body], [0x6001, 'result=-2;\r\n']);
    const snapshot = await session.ask('snapshot', { res: '0' }, ADMIN);
    assert.equal(snapshot.code, 0x6015, 'a JPEG over several DRWs, in one block');
    const unknown = await session.ask('set_alarm', {}, ADMIN);
    assert.equal(unknown.vars['cgi'], 'not support');
  });
});

test('over real UDP: an eye4 camera that ignores bad logins', async () => {
  await withCamera({ cameras: [{ login: 'eye4', silentOnBadLogin: true }] }, async (_emulator, session) => {
    // Refused in silence: the next answer the client sees belongs to the next request.
    session.send(buildCgiRequest('check_user', {}, ADMIN));
    session.send(buildCgiRequest('get_status', { name: 'admin' }, ADMIN));
    const status = await session.answerFor(0x6001);
    assert.ok(status.vars['deviceid'] !== undefined, `status, not ${status.body}`);
    const auth = await session.ask('eye4_authentication', { loginAccount: '0', loginToken: '' }, ADMIN);
    assert.deepEqual([auth.code, auth.body], [0x601f, 'result=0;\r\n']);
    const user = await session.ask('check_user', {}, ADMIN);
    assert.match(user.body, /^result= 0;/);
  });
});

test('over real UDP: motion alarms push 0x6001 with alarm_status=1', async () => {
  await withCamera({ cameras: [{ motionEveryMs: 1000 }] }, async (_emulator, session) => {
    const alarm = await session.waitForPush((b) => b.code === 0x6001 && b.vars['alarm_status'] === '1');
    assert.ok(alarm.vars['deviceid'] !== undefined);
    await session.waitForPush((b) => b.code === 0x6001 && b.vars['alarm_status'] === '0');
  });
});

test('over real UDP: reboot.cgi answers, then the camera reboots onto new ports', async () => {
  await withCamera({}, async (emulator, session) => {
    const camera = emulator.cameras[0];
    assert.ok(camera);
    const before = camera.info();
    const closed = once(camera, 'session-closed', deadline());
    const answer = await session.ask('reboot', {}, ADMIN);
    assert.deepEqual([answer.code, answer.body], [0x6027, 'result=0;\r\n']);
    const [, reason] = await closed;
    assert.equal(reason, 'reboot');
    // Power changes queue behind the reboot in flight: once this resolves, the new socket listens.
    await camera.powerOn();
    assert.notEqual(camera.sessionPort, before.sessionPort);
    assert.notEqual(camera.httpPort, before.httpPort);
  });
});
