import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT, connect, events, makeCamera, messages, send, sends } from './helpers';

test('ALIVE is answered with ALIVE_ACK', () => {
  const camera = makeCamera();
  connect(camera, 0);
  const out = send(camera, 'session', { kind: 'alive' }, 10);
  assert.deepEqual(messages(out), [{ kind: 'alive-ack' }]);
  assert.deepEqual(sends(out)[0]?.to, CLIENT);
  assert.equal(camera.stats.aliveAcksSent, 1);
});

test('ALIVE_ACK is never answered', () => {
  const camera = makeCamera();
  connect(camera, 0);
  assert.deepEqual(send(camera, 'session', { kind: 'alive-ack' }, 10), []);
  assert.equal(camera.stats.aliveAcksReceived, 1);
});

test('the camera sends ALIVE every aliveIntervalMs to each client', () => {
  const camera = makeCamera();
  const other = { address: '127.0.0.1', port: 40001 };
  connect(camera, 0);
  connect(camera, 0, other);
  assert.equal(camera.nextWakeMs(), 1000);
  assert.deepEqual(camera.tick(999), []);
  const first = camera.tick(1000);
  assert.deepEqual(messages(first), [{ kind: 'alive' }, { kind: 'alive' }]);
  assert.deepEqual(
    sends(first).map((a) => a.to),
    [CLIENT, other],
  );
  assert.equal(camera.nextWakeMs(), 2000);
  assert.deepEqual(messages(camera.tick(2000)), [{ kind: 'alive' }, { kind: 'alive' }]);
  assert.equal(camera.stats.alivesSent, 4);
});

test('a late tick sends one ALIVE, not a burst', () => {
  const camera = makeCamera({ closeAfterSilenceMs: 60_000 });
  connect(camera, 0);
  assert.equal(messages(camera.tick(5500)).length, 1);
  assert.equal(camera.nextWakeMs(), 6500);
});

test('a client silent for closeAfterSilenceMs gets CLOSE and is dropped', () => {
  const camera = makeCamera();
  connect(camera, 0);
  for (let t = 1000; t < 8000; t += 1000) assert.deepEqual(messages(camera.tick(t)), [{ kind: 'alive' }]);
  const out = camera.tick(8000);
  assert.deepEqual(messages(out), [{ kind: 'close' }]);
  assert.deepEqual(events(out), [{ kind: 'session-closed', peer: CLIENT, reason: 'silence' }]);
  assert.deepEqual(camera.sessionPeers(), []);
  assert.equal(camera.nextWakeMs(), undefined);
});

test('anything heard from the client postpones the silence deadline', () => {
  const camera = makeCamera({ closeAfterSilenceMs: 3000, aliveIntervalMs: 10_000 });
  connect(camera, 0);
  send(camera, 'session', { kind: 'alive-ack' }, 2000);
  assert.equal(camera.nextWakeMs(), 5000);
  assert.deepEqual(camera.tick(4999), []);
  assert.deepEqual(messages(camera.tick(5000)), [{ kind: 'close' }]);
});

test('CLOSE from the client drops the session without a reply', () => {
  const camera = makeCamera();
  connect(camera, 0);
  const out = send(camera, 'session', { kind: 'close' }, 10);
  assert.deepEqual(out, [{ kind: 'session-closed', peer: CLIENT, reason: 'closed-by-client' }]);
  assert.deepEqual(camera.tick(1000), []);
  assert.deepEqual(send(camera, 'session', { kind: 'alive' }, 1001), []);
  assert.equal(camera.stats.sessionsClosed, 1);
});

test('closeSessions sends CLOSE to every client', () => {
  const camera = makeCamera();
  const other = { address: '127.0.0.1', port: 40001 };
  connect(camera, 0);
  connect(camera, 0, other);
  const out = camera.closeSessions(50);
  assert.deepEqual(messages(out), [{ kind: 'close' }, { kind: 'close' }]);
  assert.deepEqual(
    events(out).map((e) => e.kind === 'session-closed' && e.reason),
    ['closed', 'closed'],
  );
  assert.deepEqual(camera.sessionPeers(), []);
});
