import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../../nodes/session/session';
import {
  ATTACKER_ADDRESS,
  CAMERA_ADDRESS,
  FakeCamera,
  OTHER_DID,
  SAME_IP_OTHER_PORT,
  VSTB_DID,
  connectedSession,
  events,
  makeConfig,
  sends,
} from './fake-camera';

function punchingSession(camera: FakeCamera): Session {
  const session = new Session(makeConfig());
  session.start(0);
  assert.equal(session.receive(camera.punch(), camera.address, 10).accepted, true);
  assert.equal(session.state, 'punching');
  return session;
}

describe('pinning to the chosen peer', () => {
  const camera = new FakeCamera();

  for (const phase of ['punching', 'connected'] as const) {
    for (const stranger of [SAME_IP_OTHER_PORT, ATTACKER_ADDRESS]) {
      test(`${phase}: nothing from ${stranger.address}:${stranger.port} is accepted or answered`, () => {
        const session = phase === 'punching' ? punchingSession(camera) : connectedSession(camera);
        const spoof = camera.at(stranger);
        const datagrams = [
          spoof.alive(),
          spoof.aliveAck(),
          spoof.drw(0, 0, Buffer.from('hello')),
          spoof.drwAck(0, [0]),
          spoof.close(),
          new FakeCamera(OTHER_DID, stranger).punch(),
          Buffer.from('junk'),
        ];
        for (const datagram of datagrams) {
          const step = session.receive(datagram, stranger, 30);
          assert.equal(step.accepted, false);
          assert.deepEqual(step.actions, []);
        }
        assert.equal(session.state, phase, 'a spoofed CLOSE does not end the session');
        assert.equal(session.stats.foreign, datagrams.length);
        assert.deepEqual(session.peer, CAMERA_ADDRESS);
      });

      test(`${phase}: PUNCH or RDY with our DID from ${stranger.address}:${stranger.port} is a foreign claim`, () => {
        const session = phase === 'punching' ? punchingSession(camera) : connectedSession(camera);
        const spoof = camera.at(stranger);
        for (const datagram of [spoof.punch(), spoof.ready()]) {
          const step = session.receive(datagram, stranger, 30);
          assert.equal(step.accepted, false);
          assert.deepEqual(sends(step.actions), []);
          assert.deepEqual(events(step.actions), [{ type: 'foreign-claim', from: stranger, did: VSTB_DID }]);
        }
        assert.equal(session.stats.foreign, 2);
        assert.equal(session.state, phase);
        assert.deepEqual(session.peer, CAMERA_ADDRESS);
      });
    }
  }

  test('a spoofed RDY while punching does not connect the session', () => {
    const session = punchingSession(camera);
    session.receive(camera.at(ATTACKER_ADDRESS).ready(), ATTACKER_ADDRESS, 20);
    assert.equal(session.state, 'punching');
    const step = session.receive(camera.ready(), CAMERA_ADDRESS, 30);
    assert.equal(events(step.actions)[0]?.type, 'connected');
  });

  test('a spoofed CLOSE does not end a connected session; the real one does', () => {
    const session = connectedSession(camera);
    const spoofed = session.receive(camera.at(SAME_IP_OTHER_PORT).close(), SAME_IP_OTHER_PORT, 50);
    assert.deepEqual(spoofed, { accepted: false, actions: [] });
    assert.equal(session.state, 'connected');
    const real = session.receive(camera.close(), CAMERA_ADDRESS, 60);
    assert.equal(real.accepted, true);
    assert.deepEqual(events(real.actions), [{ type: 'disconnected', reason: 'closed-by-camera' }]);
  });

  test('foreign traffic does not keep the session alive', () => {
    const session = connectedSession(camera, makeConfig({ lostAfterMs: 5000 }), 0, 20);
    for (let t = 1000; t < 5020; t += 500) session.receive(camera.at(ATTACKER_ADDRESS).alive(), ATTACKER_ADDRESS, t);
    const actions = session.tick(5020);
    assert.deepEqual(events(actions), [{ type: 'disconnected', reason: 'timeout', detail: 'no reply for 5000 ms' }]);
  });
});
