import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../nodes/session/session';
import {
  CAMERA_ADDRESS,
  FakeCamera,
  actionsOf,
  connectedSession,
  events,
  eventsOfType,
  hex,
  kinds,
  makeConfig,
  runUntil,
  sends,
} from './fake-camera';

const camera = new FakeCamera();

describe('keepalive', () => {
  test('ALIVE from the camera -> exactly one ALIVE_ACK to the peer', () => {
    const session = connectedSession(camera);
    const step = session.receive(camera.alive(), camera.address, 100);
    assert.equal(step.accepted, true);
    assert.deepEqual(sends(step.actions), [{ to: CAMERA_ADDRESS, data: hex('f1 e1 00 00') }]);
    assert.deepEqual(events(step.actions), []);
    assert.equal(session.stats.alivesAnswered, 1);
  });

  test('ALIVE is answered while punching too', () => {
    const session = new Session(makeConfig());
    session.start(0);
    session.receive(camera.punch(), camera.address, 10);
    assert.deepEqual(camera.inbox(session.receive(camera.alive(), camera.address, 20).actions), [
      { kind: 'alive-ack' },
    ]);
  });

  test('ALIVE_ACK is never answered: 100 of them produce zero sends', () => {
    const session = connectedSession(camera);
    for (let i = 0; i < 100; i++) {
      const step = session.receive(camera.aliveAck(), camera.address, 100 + i);
      assert.equal(step.accepted, true);
      assert.deepEqual(sends(step.actions), []);
    }
  });

  test('an unsolicited ALIVE_ACK produces no rtt event', () => {
    const session = connectedSession(camera);
    assert.deepEqual(session.receive(camera.aliveAck(), camera.address, 100).actions, []);
  });

  test('own ALIVE after keepaliveIdleMs of silence, repeated while silent', () => {
    const session = connectedSession(camera, makeConfig({ keepaliveIdleMs: 1000, lostAfterMs: 10_000 }), 0, 20);
    assert.equal(session.nextWakeMs(), 1020);
    assert.deepEqual(session.tick(1019), []);
    const timed = runUntil(session, 20, 3500);
    const alives = timed.filter((t) => t.action.kind === 'send');
    assert.deepEqual(
      alives.map((t) => t.atMs),
      [1020, 2020, 3020],
    );
    assert.deepEqual(kinds(camera.inbox(actionsOf(alives))), ['alive', 'alive', 'alive']);
    assert.equal(session.stats.alivesSent, 3);
  });

  test('traffic from the camera postpones our own ALIVE', () => {
    const session = connectedSession(camera, makeConfig({ keepaliveIdleMs: 1000 }), 0, 20);
    session.receive(camera.alive(), camera.address, 900);
    assert.equal(session.nextWakeMs(), 1900);
    assert.deepEqual(sends(session.tick(1020)), []);
    assert.deepEqual(kinds(camera.inbox(session.tick(1900))), ['alive']);
  });

  test('probe() sends ALIVE; its ALIVE_ACK yields an rtt event with the round trip', () => {
    const session = connectedSession(camera);
    const sent = session.probe(500);
    assert.deepEqual(sends(sent), [{ to: CAMERA_ADDRESS, data: hex('f1 e0 00 00') }]);
    const step = session.receive(camera.aliveAck(), camera.address, 537);
    assert.deepEqual(step.actions, [{ kind: 'event', event: { type: 'rtt', rttMs: 37 } }]);
    // A second ACK for the same probe measures nothing.
    assert.deepEqual(session.receive(camera.aliveAck(), camera.address, 600).actions, []);
  });

  test('only one probe outstanding at a time', () => {
    const session = connectedSession(camera);
    assert.equal(sends(session.probe(100)).length, 1);
    assert.deepEqual(session.probe(110), []);
    assert.deepEqual(session.probe(120), []);
    assert.deepEqual(eventsOfType(session.receive(camera.aliveAck(), camera.address, 150).actions, 'rtt'), [
      { type: 'rtt', rttMs: 50 },
    ]);
    assert.equal(sends(session.probe(200)).length, 1, 'answered: a new probe may go');
  });

  test('an unanswered probe is given up after keepaliveIdleMs so probing can resume', () => {
    const session = connectedSession(camera, makeConfig({ keepaliveIdleMs: 1000 }), 0, 20);
    session.probe(100);
    session.receive(camera.alive(), camera.address, 900);
    session.tick(1100);
    assert.equal(sends(session.probe(1150)).length, 1);
  });

  test('probe() does nothing unless connected', () => {
    const session = new Session(makeConfig());
    assert.deepEqual(session.probe(0), []);
    session.start(0);
    assert.deepEqual(session.probe(1), []);
    session.receive(camera.punch(), camera.address, 2);
    assert.deepEqual(session.probe(3), []);
  });
});

describe('lost and close', () => {
  test('after lostAfterMs of silence: CLOSE sent and disconnected timeout', () => {
    const session = connectedSession(camera, makeConfig({ lostAfterMs: 5000, keepaliveIdleMs: 1000 }), 0, 20);
    const before = runUntil(session, 20, 5019);
    assert.deepEqual(eventsOfType(actionsOf(before), 'disconnected'), []);
    assert.equal(session.state, 'connected');
    assert.equal(session.nextWakeMs(), 5020);
    const actions = session.tick(5020);
    assert.deepEqual(kinds(camera.inbox(actions)), ['close']);
    assert.deepEqual(events(actions), [{ type: 'disconnected', reason: 'timeout', detail: 'no reply for 5000 ms' }]);
    assert.equal(session.state, 'closed');
    assert.equal(session.nextWakeMs(), undefined);
    assert.deepEqual(runUntil(session, 5020, 60_000), []);
  });

  test('traffic before the deadline pushes it back', () => {
    const session = connectedSession(camera, makeConfig({ lostAfterMs: 5000, keepaliveIdleMs: 1000 }), 0, 20);
    runUntil(session, 20, 4000);
    session.receive(camera.aliveAck(), camera.address, 4000);
    const timed = runUntil(session, 4000, 8999);
    assert.deepEqual(eventsOfType(actionsOf(timed), 'disconnected'), []);
    assert.equal(session.state, 'connected');
    assert.deepEqual(events(runUntil(session, 8999, 9000).map((t) => t.action)), [
      { type: 'disconnected', reason: 'timeout', detail: 'no reply for 5000 ms' },
    ]);
  });

  test('a camera that keeps pinging is never lost', () => {
    const session = connectedSession(camera, makeConfig({ lostAfterMs: 5000, keepaliveIdleMs: 1000 }), 0, 20);
    let disconnected = 0;
    let ownAlives = 0;
    for (let t = 500; t <= 60_000; t += 500) {
      const step = session.receive(camera.alive(), camera.address, t);
      const ticked = runUntil(session, t, t + 499);
      disconnected += eventsOfType([...step.actions, ...actionsOf(ticked)], 'disconnected').length;
      ownAlives += camera.inbox(actionsOf(ticked)).filter((m) => m.kind === 'alive').length;
    }
    assert.equal(disconnected, 0);
    assert.equal(ownAlives, 0, 'no own ALIVE while the camera pings');
  });

  test('CLOSE from the camera -> disconnected closed-by-camera, nothing sent', () => {
    const session = connectedSession(camera);
    const step = session.receive(camera.close(), camera.address, 100);
    assert.equal(step.accepted, true);
    assert.deepEqual(sends(step.actions), []);
    assert.deepEqual(events(step.actions), [{ type: 'disconnected', reason: 'closed-by-camera' }]);
    assert.equal(session.state, 'closed');
  });

  test('close() -> CLOSE copies to the peer and disconnected closed; a second close() does nothing', () => {
    const session = connectedSession(camera);
    const actions = session.close();
    const inbox = camera.inbox(actions);
    assert.ok(inbox.length >= 1);
    assert.deepEqual(
      sends(actions).map((s) => s.to),
      inbox.map(() => CAMERA_ADDRESS),
    );
    assert.ok(inbox.every((m) => m.kind === 'close'));
    assert.deepEqual(events(actions), [{ type: 'disconnected', reason: 'closed' }]);
    assert.equal(session.state, 'closed');
    assert.deepEqual(session.close(), []);
  });

  test('close() while searching sends nothing (no peer) and ends the session', () => {
    const session = new Session(makeConfig());
    session.start(0);
    assert.deepEqual(sends(session.close()), []);
    assert.equal(session.state, 'closed');
    assert.deepEqual(runUntil(session, 0, 20_000), []);
  });

  test('close() while punching sends CLOSE to the peer', () => {
    const session = new Session(makeConfig());
    session.start(0);
    session.receive(camera.punch(), camera.address, 10);
    assert.ok(kinds(camera.inbox(session.close())).includes('close'));
    assert.equal(session.state, 'closed');
  });

  test('after close nothing is accepted, sent or emitted', () => {
    const session = connectedSession(camera);
    session.close();
    for (const datagram of [
      camera.alive(),
      camera.aliveAck(),
      camera.ready(),
      camera.punch(),
      camera.drw(0, 0, Buffer.from('late')),
      camera.close(),
    ]) {
      assert.deepEqual(session.receive(datagram, camera.address, 200), { accepted: false, actions: [] });
    }
    assert.deepEqual(session.tick(100_000), []);
    assert.deepEqual(session.probe(100_000), []);
    assert.equal(session.sendData(0, Buffer.from('x'), 100_000), undefined);
  });
});
