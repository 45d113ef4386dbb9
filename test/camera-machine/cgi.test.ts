import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CameraMachine } from '../../nodes/camera/camera-machine';
import { type CameraAction } from '../../nodes/camera/actions';
import { CgiReassembler, buildCgiRequest, encodeCgiBlock, parseCgiVars } from '../../nodes/wire/cgi';
import { MAX_DRW_DATA, type PpppMessage } from '../../nodes/wire/pppp';
import { CLIENT, connect, makeCamera, messages, send } from './helpers';

const ADMIN = { user: 'admin', password: '888888' };

type Drw = Extract<PpppMessage, { kind: 'drw' }>;

function drws(out: readonly CameraAction[]): Drw[] {
  return messages(out).filter((m): m is Drw => m.kind === 'drw');
}

function acks(out: readonly CameraAction[]): number[][] {
  return messages(out).flatMap((m) => (m.kind === 'drw-ack' ? [[m.channel, ...m.indices]] : []));
}

/** Reassembles the camera's response DRWs into response bodies. */
function responses(out: readonly CameraAction[]): string[] {
  const reassembler = new CgiReassembler();
  const bodies: string[] = [];
  for (const drw of drws(out)) {
    const blocks = reassembler.push(drw.data);
    assert.ok(blocks.ok);
    for (const block of blocks.value) {
      assert.equal(block.response, true);
      bodies.push(block.body.toString('utf8'));
    }
  }
  assert.equal(reassembler.bufferedBytes, 0);
  return bodies;
}

function request(camera: CameraMachine, index: number, data: Buffer, nowMs = 10): CameraAction[] {
  return send(camera, 'session', { kind: 'drw', channel: 0, index, data }, nowMs);
}

function connected(): CameraMachine {
  const camera = makeCamera({ firmware: '48.53.72.104' });
  connect(camera, 0);
  return camera;
}

test('every DRW is ACKed with its index', () => {
  const camera = connected();
  const out = request(camera, 0, buildCgiRequest('check_user', {}, ADMIN));
  assert.deepEqual(acks(out), [[0, 0]]);
  assert.equal(camera.stats.drwsReceived, 1);
});

test('get_status answers the camera identity and the time', () => {
  const camera = connected();
  const out = request(camera, 0, buildCgiRequest('get_status', {}, ADMIN), 1_700_000_000_123);
  const [body = ''] = responses(out);
  const vars = parseCgiVars(body);
  assert.equal(vars['alias'], 'Porch');
  assert.equal(vars['deviceid'], 'VSTB668515UZCPK');
  assert.equal(vars['sys_ver'], '48.53.72.104');
  assert.equal(vars['now'], '1700000000');
  assert.equal(vars['alarm_status'], '0');
  assert.match(body, /^var alias="Porch";\r\nvar deviceid="VSTB668515UZCPK";\r\nvar sys_ver="48\.53\.72\.104";\r\n/);
  assert.equal(camera.stats.cgiAnswered, 1);
});

test('check_user answers the exact captured body', () => {
  const camera = connected();
  const out = request(camera, 0, buildCgiRequest('check_user', { name: '123' }, ADMIN));
  assert.deepEqual(responses(out), ['result= 0;\r\nvar current_users=1;\r\nvar max_support_users=4;\r\n']);
  const [drw] = drws(out);
  assert.equal(drw?.channel, 0);
  assert.equal(drw?.index, 0);
  // The response flag is the bytes 00 01, as in the capture (PROTOCOL.md §5).
  assert.equal(drw?.data.subarray(6, 8).toString('hex'), '0001');
});

test('junk requests get result=-1, unknown CGIs not support, wrong or missing credentials result=-2', () => {
  const camera = connected();
  const wrong = { user: 'admin', password: 'nope' };
  const bodies = [
    ...responses(request(camera, 0, encodeCgiBlock({ code: 0, response: false, body: Buffer.from('POST /x') }))),
    ...responses(request(camera, 1, buildCgiRequest('reboot_everything', {}, ADMIN))),
    ...responses(request(camera, 2, buildCgiRequest('get_status', {}, wrong))),
    ...responses(request(camera, 3, buildCgiRequest('get_status', {}))),
  ];
  assert.deepEqual(bodies, ['result=-1;\r\n', 'var cgi="not support";\r\n', 'result=-2;\r\n', 'result=-2;\r\n']);
});

test('credentials come from the config', () => {
  const camera = makeCamera({ user: 'ops', password: 's3cret' });
  connect(camera, 0);
  const out = request(camera, 0, buildCgiRequest('check_user', {}, { user: 'ops', password: 's3cret' }));
  assert.match(responses(out)[0] ?? '', /^result= 0;/);
});

test('several request blocks in one DRW are each answered, with consecutive indices', () => {
  const camera = connected();
  const data = Buffer.concat([buildCgiRequest('check_user', {}, ADMIN), buildCgiRequest('get_status', {}, ADMIN)]);
  const out = request(camera, 0, data);
  assert.equal(responses(out).length, 2);
  assert.deepEqual(
    drws(out).map((d) => d.index),
    [0, 1],
  );
});

test('a request split over two DRWs arriving out of order is answered once, when complete', () => {
  const camera = connected();
  const whole = buildCgiRequest('check_user', {}, ADMIN);
  const later = request(camera, 1, whole.subarray(20));
  assert.deepEqual(acks(later), [[0, 1]]);
  assert.deepEqual(drws(later), []);
  const out = request(camera, 0, whole.subarray(0, 20));
  assert.deepEqual(acks(out), [[0, 0]]);
  assert.equal(responses(out).length, 1);
});

test('a duplicate DRW is ACKed again but not answered again', () => {
  const camera = connected();
  const data = buildCgiRequest('check_user', {}, ADMIN);
  request(camera, 0, data);
  const again = request(camera, 0, data);
  assert.deepEqual(acks(again), [[0, 0]]);
  assert.deepEqual(drws(again), []);
  assert.equal(camera.stats.drwsReceived, 2);
  assert.equal(camera.stats.cgiAnswered, 1);
});

test('DRWs on other channels are ACKed and discarded', () => {
  const camera = connected();
  const out = send(camera, 'session', { kind: 'drw', channel: 3, index: 7, data: Buffer.from('audio') }, 10);
  assert.deepEqual(acks(out), [[3, 7]]);
  assert.deepEqual(drws(out), []);
});

test('a body longer than 1024 bytes continues in following DRWs without a header', () => {
  const camera = connected();
  const out = request(camera, 0, buildCgiRequest('get_params', {}, ADMIN));
  const parts = drws(out);
  assert.ok(parts.length >= 2, `expected several DRWs, got ${parts.length}`);
  assert.deepEqual(
    parts.map((d) => d.index),
    parts.map((_, i) => i),
  );
  for (const part of parts.slice(0, -1)) assert.equal(part.data.length, MAX_DRW_DATA);
  const declared = parts[0]?.data.readUInt16LE(4) ?? 0;
  assert.ok(declared > 1024);
  // Continuations start with body bytes, never a new 01 0a header.
  assert.notEqual(parts[1]?.data.readUInt16LE(0), 0x0a01);
  const [body = ''] = responses(out);
  assert.equal(Buffer.byteLength(body), declared);
  assert.equal(parseCgiVars(body)['deviceid'], 'VSTB668515UZCPK');
  assert.equal(camera.stats.drwsSent, parts.length);
});

test('an un-ACKed DRW is sent again with the same index every 300 ms, 5 tries in all, then given up', () => {
  const camera = makeCamera({ aliveIntervalMs: 60_000, closeAfterSilenceMs: 60_000 });
  connect(camera, 0);
  const first = drws(request(camera, 0, buildCgiRequest('check_user', {}, ADMIN), 0));
  assert.equal(first.length, 1);
  assert.equal(camera.nextWakeMs(), 300);
  assert.deepEqual(camera.tick(299), []);
  for (let t = 300; t <= 1200; t += 300) {
    assert.deepEqual(drws(camera.tick(t)), first);
  }
  assert.deepEqual(camera.tick(1500), []);
  assert.equal(camera.stats.drwsRetransmitted, 4);
  assert.equal(camera.stats.drwsAbandoned, 1);
  assert.equal(camera.nextWakeMs(), 60_000);
});

test('an ACKed DRW is not sent again', () => {
  const camera = makeCamera({ aliveIntervalMs: 60_000, closeAfterSilenceMs: 60_000 });
  connect(camera, 0);
  request(camera, 0, buildCgiRequest('check_user', {}, ADMIN), 0);
  send(camera, 'session', { kind: 'drw-ack', channel: 0, indices: [0] }, 100);
  assert.deepEqual(camera.tick(300), []);
  assert.equal(camera.stats.drwsRetransmitted, 0);
});

test('a PUNCH echo after data has flowed restarts the session: indices begin at 0 again', () => {
  const camera = connected();
  request(camera, 0, buildCgiRequest('check_user', {}, ADMIN));
  const echo = send(camera, 'session', { kind: 'punch', did: camera.config.didValue }, 20);
  assert.deepEqual(
    echo.filter((a) => a.kind !== 'send'),
    [
      { kind: 'session-closed', peer: CLIENT, reason: 'replaced' },
      { kind: 'session-opened', peer: CLIENT },
    ],
  );
  const out = request(camera, 0, buildCgiRequest('check_user', {}, ADMIN), 30);
  assert.equal(responses(out).length, 1);
  assert.equal(drws(out)[0]?.index, 0);
});
