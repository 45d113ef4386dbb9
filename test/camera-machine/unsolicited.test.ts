import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CameraConfigInput } from '../../nodes/camera/config';
import { type Address } from '../../nodes/wire/address';
import { CGI_CODE_PUSH, buildCgiRequest, isUnsolicitedCgi } from '../../nodes/wire/cgi';
import { ADMIN, CgiClient, answers, drws } from './cgi-helpers';
import { CLIENT, connect, makeCamera, send } from './helpers';

const OTHER: Address = { address: '127.0.0.1', port: 40001 };

function pushing(overrides: Partial<CameraConfigInput> = {}): ReturnType<typeof makeCamera> {
  return makeCamera({ unsolicitedFrames: true, ...overrides });
}

test('cameras push unasked frames by default', () => {
  const camera = makeCamera({ unsolicitedFrames: undefined });
  assert.equal(camera.config.unsolicitedFrames, true);
});

test('a new session gets one empty 0x6040 block at DRW index 0, after the P2P_RDYs', () => {
  const camera = pushing();
  const out = connect(camera, 0);
  const kinds = out.flatMap((a) => (a.kind === 'send' ? [] : [a.kind]));
  assert.deepEqual(kinds, ['session-opened']);
  const [push] = drws(out);
  assert.equal(push?.index, 0);
  assert.deepEqual(answers(out), [{ code: CGI_CODE_PUSH, body: '', vars: {} }]);
  // Further echoes of the handshake are duplicates: no second push.
  assert.deepEqual(drws(send(camera, 'session', { kind: 'punch', did: camera.config.didValue }, 5)), []);
  // The push took index 0, so the first answer is index 1.
  const reply = send(
    camera,
    'session',
    { kind: 'drw', channel: 0, index: 0, data: buildCgiRequest('check_user', {}, ADMIN) },
    6,
  );
  assert.deepEqual(
    drws(reply).map((d) => d.index),
    [1],
  );
});

test('the push is retransmitted until ACKed, like any DRW', () => {
  const camera = pushing({ aliveIntervalMs: 60_000, closeAfterSilenceMs: 60_000 });
  const [push] = drws(connect(camera, 0));
  assert.ok(push);
  assert.deepEqual(drws(camera.tick(300)), [push]);
  send(camera, 'session', { kind: 'drw-ack', channel: 0, indices: [0] }, 310);
  assert.deepEqual(drws(camera.tick(600)), []);
});

test('a restarted session (PUNCH echo after data) is pushed again, from index 0', () => {
  const camera = pushing();
  const c = new CgiClient(camera);
  c.ack(connect(camera, 0), 0);
  assert.equal(c.one('check_user', {}, 10).code, 0x60a0);
  const again = send(camera, 'session', { kind: 'punch', did: camera.config.didValue }, 20);
  assert.deepEqual(
    drws(again).map((d) => d.index),
    [0],
  );
  assert.equal(answers(again)[0]?.code, CGI_CODE_PUSH);
});

test('every alarm change pushes 0x6001 with the get_status body to every client', () => {
  const camera = pushing({ motionEveryMs: 10_000, aliveIntervalMs: 60_000, closeAfterSilenceMs: 60_000 });
  for (const from of [CLIENT, OTHER]) {
    const out = connect(camera, 5_000, from);
    send(camera, 'session', { kind: 'drw-ack', channel: 0, indices: drws(out).map((d) => d.index) }, 5_000, from);
  }
  assert.equal(camera.nextWakeMs(), 10_000);
  const start = camera.tick(10_000);
  const started = answers(start.filter((a) => a.kind === 'send' && a.to.port === CLIENT.port));
  assert.equal(started.length, 1);
  assert.equal(started[0]?.code, 0x6001);
  assert.equal(started[0]?.vars['alarm_status'], '1');
  assert.equal(started[0]?.vars['deviceid'], 'VSTB668515UZCPK');
  assert.equal(answers(start.filter((a) => a.kind === 'send' && a.to.port === OTHER.port)).length, 1);
  assert.equal(camera.nextWakeMs(), 10_300, 'the pushes wait for their ACKs');
  for (const from of [CLIENT, OTHER])
    send(camera, 'session', { kind: 'drw-ack', channel: 0, indices: [1] }, 10_100, from);
  assert.equal(camera.nextWakeMs(), 13_000);
  const end = answers(camera.tick(13_000));
  assert.deepEqual(
    end.map((a) => a.vars['alarm_status']),
    ['0', '0'],
  );
});

test('--no-unsolicited: no push on connect nor on alarms, but get_status still shows the alarm', () => {
  const camera = makeCamera({
    unsolicitedFrames: false,
    motionEveryMs: 10_000,
    aliveIntervalMs: 60_000,
    closeAfterSilenceMs: 60_000,
  });
  assert.deepEqual(drws(connect(camera, 5_000)), []);
  assert.equal(camera.nextWakeMs(), 65_000);
  assert.deepEqual(drws(camera.tick(10_000)), []);
  assert.equal(new CgiClient(camera).one('get_status', {}, 10_500).vars['alarm_status'], '1');
});

test('the client rule: a pushed frame is told from an answer by its code', () => {
  // The camera sends a push while get_params is pending: the 0x6001 does not answer it.
  assert.equal(isUnsolicitedCgi(0x6001, 0x6002), true);
  assert.equal(isUnsolicitedCgi(0x6040, 0x6002), true);
  assert.equal(isUnsolicitedCgi(0x6040, undefined), true);
  // get_status pending: a 0x6001 is taken as its answer (the bodies are the same kind).
  assert.equal(isUnsolicitedCgi(0x6001, 0x6001), false);
  // Refusals carry the command's code, not-support carries 0: both answer the pending request.
  assert.equal(isUnsolicitedCgi(0x6002, 0x6002), false);
  assert.equal(isUnsolicitedCgi(0, 0x6019), false);
});
