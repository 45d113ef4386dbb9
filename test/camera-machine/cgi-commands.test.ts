import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PAN_LIMIT, STEPS_PER_SECOND } from '../../nodes/camera/camera-state';
import { type CameraConfigInput } from '../../nodes/camera/config';
import { CGI_RESPONSE_CODES, buildCgiRequest } from '../../nodes/wire/cgi';
import { MAX_DRW_DATA } from '../../nodes/wire/pppp';
import { ADMIN, CgiClient, answers, drws } from './cgi-helpers';
import { connect, makeCamera, messages, send } from './helpers';

const WRONG = { user: 'admin', password: 'nope' };

function client(overrides: Partial<CameraConfigInput> = {}): CgiClient {
  const camera = makeCamera(overrides);
  connect(camera, 0);
  return new CgiClient(camera);
}

test('each command answers with its own response code (PROTOCOL.md §7.2)', () => {
  const c = client();
  const codes = [
    c.one('get_status').code,
    c.one('get_params').code,
    c.one('get_camera_params').code,
    c.one('check_user').code,
    c.one('decoder_control', { command: '25', onestep: '0' }).code,
    c.one('trans_cmd_string', { cmd: '2109', command: '2' }).code,
    c.one('set_datetime', { now: '1700000000' }).code,
    c.one('reboot').code,
  ];
  assert.deepEqual(codes, [0x6001, 0x6002, 0x6003, 0x60a0, 0x6019, 0x60d1, 0x6013, 0x6027]);
});

test('wrong credentials: result=-2 with the command code, for every known command', () => {
  const c = client();
  for (const cgi of ['get_status', 'get_params', 'get_camera_params', 'check_user', 'decoder_control', 'reboot']) {
    const refused = c.one(cgi, { command: '0' }, 10, WRONG);
    assert.equal(refused.body, 'result=-2;\r\n');
    assert.equal(refused.code, CGI_RESPONSE_CODES[cgi as keyof typeof CGI_RESPONSE_CODES]);
  }
  // Either spelling of the credentials is enough; the first one present wins.
  const userPwdOnly = Buffer.from('GET /get_status.cgi?user=admin&pwd=888888&');
  assert.equal(c.sendRaw(buildRequestBody(userPwdOnly))[0]?.vars['deviceid'], 'VSTB668515UZCPK');
  assert.equal(c.camera.state.position(10).x, 0, 'a refused PTZ command did not move the head');
});

function buildRequestBody(text: Buffer): Buffer {
  const header = Buffer.from([0x01, 0x0a, 0, 0, 0, 0, 0, 0]);
  header.writeUInt16LE(text.length, 4);
  return Buffer.concat([header, text]);
}

test('--silent-on-bad-login: wrong credentials get no answer at all, but the DRW is still ACKed', () => {
  const camera = makeCamera({ silentOnBadLogin: true });
  connect(camera, 0);
  const out = send(
    camera,
    'session',
    { kind: 'drw', channel: 0, index: 0, data: buildCgiRequest('get_status', {}, WRONG) },
    10,
  );
  assert.deepEqual(
    messages(out).map((m) => m.kind),
    ['drw-ack'],
  );
  assert.equal(camera.stats.cgiAnswered, 0);
  const c = new CgiClient(camera);
  assert.deepEqual(c.ask('get_status', {}, 10, WRONG), [], 'index 0 again: a duplicate, ACKed only');
  assert.deepEqual(c.ask('reboot', {}, 10, WRONG), []);
  assert.match(c.one('check_user').body, /^result= 0;/);
  assert.ok(!camera.tick(600).some((a) => a.kind === 'reboot-requested'), 'a refused reboot.cgi does not reboot');
});

test('unknown commands answer not support whatever the credentials', () => {
  const c = client();
  for (const credentials of [ADMIN, WRONG, undefined]) {
    for (const cgi of ['set_alarm', 'eye4_authentication']) {
      const reply = c.one(cgi, {}, 10, credentials);
      assert.equal(reply.body, 'var cgi="not support";\r\n');
      assert.equal(reply.vars['cgi'], 'not support');
      assert.equal(reply.code, 0);
    }
  }
});

test('get_status carries the camera clock, tz and alarm_status; set_datetime changes the clock', () => {
  const c = client();
  const before = c.one('get_status', {}, 1_000_000);
  assert.deepEqual([before.vars['now'], before.vars['tz'], before.vars['alarm_status']], ['1000', '0', '0']);
  const set = c.one(
    'set_datetime',
    { now: '1700000000', tz: '-3600', ntp_enable: '0', ntp_svr: 'pool.ntp.org' },
    1_000_000,
  );
  assert.equal(set.body, 'result="ok";\r\n');
  const after = c.one('get_status', {}, 1_005_500);
  assert.deepEqual([after.vars['now'], after.vars['tz']], ['1700000005', '-3600']);
  const params = c.one('get_params', {}, 1_005_500).vars;
  assert.deepEqual([params['ntp_enable'], params['ntp_svr'], params['now']], ['0', 'pool.ntp.org', '1700000005']);
  const bads: Record<string, string>[] = [{ now: 'soon' }, { tz: '999999' }, { ntp_enable: '2' }];
  for (const bad of bads) {
    assert.equal(c.one('set_datetime', bad).body, 'result=-1;\r\n');
  }
  assert.equal(c.one('get_status', {}, 1_005_500).vars['tz'], '-3600', 'a refused set_datetime changed nothing');
});

test('decoder_control moves the head while a move is active and stops on the stop code', () => {
  const c = client();
  assert.equal(c.one('decoder_control', { command: '6', onestep: '0' }, 0).body, 'result=0;\r\n');
  const moving = c.one('get_camera_params', {}, 1000).vars;
  assert.deepEqual([moving['ptz_x'], moving['ptz_y'], moving['ptz_moving']], [String(STEPS_PER_SECOND), '0', '1']);
  c.one('decoder_control', { command: '7', onestep: '0' }, 2000);
  const stopped = c.one('get_camera_params', {}, 5000).vars;
  assert.deepEqual([stopped['ptz_x'], stopped['ptz_moving']], [String(2 * STEPS_PER_SECOND), '0']);
  // A move runs into the limit and stops there.
  c.one('decoder_control', { command: '4', onestep: '0' }, 5000);
  assert.equal(c.one('get_camera_params', {}, 60_000).vars['ptz_x'], String(-PAN_LIMIT));
  assert.equal(c.one('decoder_control', { command: '99' }).body, 'result=-1;\r\n');
  assert.equal(c.one('decoder_control', {}).body, 'result=-1;\r\n');
});

test('presets: 30+2n stores, 31+2n returns; a preset never set is result=-1', () => {
  const c = client();
  c.one('decoder_control', { command: '0', onestep: '1' }, 0);
  c.one('decoder_control', { command: String(30 + 2 * 15) }, 0);
  c.one('decoder_control', { command: '25' }, 0);
  assert.equal(c.one('get_camera_params', {}, 0).vars['ptz_y'], '0');
  assert.equal(c.one('decoder_control', { command: String(31 + 2 * 15) }, 0).body, 'result=0;\r\n');
  assert.equal(c.one('get_camera_params', {}, 0).vars['ptz_y'], '5');
  assert.equal(c.one('decoder_control', { command: '31' }, 0).body, 'result=-1;\r\n');
});

test('light and siren: cmd=2109 sets with command=0 and reads with command=2', () => {
  const c = client();
  const read = (): Record<string, string> => c.one('trans_cmd_string', { cmd: '2109', command: '2' }).vars;
  assert.deepEqual(read(), { cmd: '2109', command: '2', result: '0', lightStatus: '0', sirenStatus: '0' });
  const set = c.one('trans_cmd_string', { cmd: '2109', command: '0', light: '1' });
  assert.equal(set.body, 'cmd=2109;\r\ncommand=0;\r\nresult=0;\r\nlightStatus=1;\r\nsirenStatus=0;\r\n');
  c.one('trans_cmd_string', { cmd: '2109', command: '0', siren: '1' });
  assert.deepEqual([read()['lightStatus'], read()['sirenStatus']], ['1', '1']);
  c.one('trans_cmd_string', { cmd: '2109', command: '0', light: '0' });
  assert.deepEqual([read()['lightStatus'], read()['sirenStatus']], ['0', '1']);
  assert.equal(c.one('trans_cmd_string', { cmd: '2109', command: '0', light: 'on' }).body, 'result=-1;\r\n');
  assert.equal(c.one('trans_cmd_string', { cmd: '2109', command: '0' }).body, 'result=-1;\r\n');
  assert.equal(c.one('trans_cmd_string', { cmd: '2109', command: '7' }).body, 'result=-1;\r\n');
});

test('infrared: cmd=2120 sets with command=0 and reads with command=1; ircut follows', () => {
  const c = client();
  const read = (): Record<string, string> => c.one('trans_cmd_string', { cmd: '2120', command: '1' }).vars;
  assert.equal(read()['InfraredLaser'], '0');
  const set = c.one('trans_cmd_string', { cmd: '2120', command: '0', InfraredLaser: '1' });
  assert.deepEqual(set.vars, { cmd: '2120', command: '0', result: '0', InfraredLaser: '1' });
  assert.equal(read()['InfraredLaser'], '1');
  assert.equal(c.one('get_camera_params').vars['ircut'], '1');
  assert.equal(c.one('trans_cmd_string', { cmd: '2120', command: '0' }).body, 'result=-1;\r\n');
  assert.equal(c.one('trans_cmd_string', { cmd: '4242', command: '0' }).body, 'var cgi="not support";\r\n');
});

test('reboot answers result=0, then asks the host to reboot rebootDelayMs later; state survives', () => {
  const camera = makeCamera({ rebootDelayMs: 500, aliveIntervalMs: 60_000, closeAfterSilenceMs: 60_000 });
  connect(camera, 0);
  const c = new CgiClient(camera);
  c.one('trans_cmd_string', { cmd: '2109', command: '0', light: '1' }, 0);
  assert.equal(c.one('reboot', {}, 100).body, 'result=0;\r\n');
  assert.equal(camera.nextWakeMs(), 600);
  assert.deepEqual(camera.tick(599), []);
  assert.deepEqual(camera.tick(600), [{ kind: 'reboot-requested' }]);
  const dropped = camera.reboot(12345);
  assert.equal(dropped.length, 1);
  assert.equal(camera.httpPort, 12345);
  assert.equal(camera.nextWakeMs(), undefined);
  connect(camera, 700);
  assert.equal(
    new CgiClient(camera).one('trans_cmd_string', { cmd: '2109', command: '2' }, 700).vars['lightStatus'],
    '1',
  );
});

test('eye4 login: commands are refused until get_status?name=U then eye4_authentication in the same session', () => {
  const camera = makeCamera({ login: 'eye4' });
  connect(camera, 0);
  const c = new CgiClient(camera);
  assert.equal(c.one('check_user').body, 'result=-2;\r\n');
  assert.equal(c.one('eye4_authentication', { loginAccount: '0', loginToken: '' }).body, 'result=-2;\r\n');
  const status = c.one('get_status', { name: 'admin' });
  assert.equal(status.vars['deviceid'], 'VSTB668515UZCPK');
  assert.equal(c.one('get_params').body, 'result=-2;\r\n');
  assert.equal(c.one('eye4_authentication', { loginAccount: '0', loginToken: '' }, 10, WRONG).body, 'result=-2;\r\n');
  const auth = c.one('eye4_authentication', { loginAccount: '0', loginToken: '' });
  assert.deepEqual([auth.code, auth.body], [0x601f, 'result=0;\r\n']);
  assert.match(c.one('check_user').body, /^result= 0;/);
  assert.equal(c.one('get_status', {}, 10, WRONG).body, 'result=-2;\r\n', 'credentials are still checked');
  // A restarted session starts over.
  send(camera, 'session', { kind: 'punch', did: camera.config.didValue }, 20);
  assert.equal(new CgiClient(camera).one('check_user', {}, 30).body, 'result=-2;\r\n');
});

test('a plain camera accepts get_status?name=U like any get_status', () => {
  const c = client();
  assert.equal(c.one('get_status', { name: 'admin' }).vars['deviceid'], 'VSTB668515UZCPK');
});

test('any body length is split into 1024-byte DRWs, only the first with the header, and reassembles', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 6000 }), (nameLength) => {
      const camera = makeCamera({ name: 'n'.repeat(nameLength) });
      connect(camera, 0);
      const out = send(
        camera,
        'session',
        { kind: 'drw', channel: 0, index: 0, data: buildCgiRequest('get_status', {}, ADMIN) },
        10,
      );
      const parts = drws(out);
      const declared = parts[0]?.data.readUInt16LE(4) ?? -1;
      assert.equal(parts.length, Math.ceil((declared + 8) / MAX_DRW_DATA));
      for (const part of parts.slice(0, -1)) assert.equal(part.data.length, MAX_DRW_DATA);
      const [only, ...more] = answers(out);
      assert.deepEqual(more, []);
      assert.equal(Buffer.byteLength(only?.body ?? ''), declared);
      assert.equal(only?.vars['alias'], 'n'.repeat(nameLength));
    }),
    { numRuns: 60 },
  );
});

test('any request sequence, in either login mode, gets at most one well-formed answer each and never throws', () => {
  const names = fc.constantFrom(
    'get_status',
    'get_params',
    'get_camera_params',
    'check_user',
    'decoder_control',
    'trans_cmd_string',
    'set_datetime',
    'eye4_authentication',
    'snapshot',
    'reboot',
  );
  const value = fc.oneof(fc.integer({ min: -3, max: 5000 }).map(String), fc.string({ maxLength: 8 }));
  const params = fc.dictionary(
    fc.constantFrom('command', 'onestep', 'cmd', 'light', 'siren', 'InfraredLaser', 'now', 'tz', 'ntp_enable', 'name'),
    value,
  );
  fc.assert(
    fc.property(
      fc.constantFrom('plain' as const, 'eye4' as const),
      fc.boolean(),
      fc.array(fc.tuple(names, params, fc.boolean()), { maxLength: 25 }),
      (login, silentOnBadLogin, requests) => {
        const camera = makeCamera({ login, silentOnBadLogin, unsolicitedFrames: true, motionEveryMs: 700 });
        const c = new CgiClient(camera);
        c.ack(connect(camera, 0), 0);
        let now = 0;
        for (const [cgi, p, right] of requests) {
          now += 97;
          c.ack(camera.tick(now), now);
          const got = c.ask(cgi, p, now, right ? ADMIN : WRONG);
          assert.ok(got.length <= 1);
          // A snapshot's answer is a JPEG, the only body that is no `var` list.
          const text = got.filter((reply) => !reply.body.startsWith('\ufffd\ufffd'));
          if (cgi !== 'snapshot') assert.equal(text.length, got.length);
          for (const reply of text) assert.ok(reply.body.endsWith(';\r\n'), reply.body);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('get_status reports the app version itself; only the DH slot holds the cut-off source line', () => {
  const c = client({ appVersion: 'C3.5.2.22' });
  const body = c.one('get_status').body;
  assert.match(body, /var app_version="C3\.5\.2\.22";/);
});
