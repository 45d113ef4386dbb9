import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { type Address } from '../../nodes/wire/address';
import { encodePppp } from '../../nodes/wire/pppp';
import { Session } from '../../nodes/session/session';
import {
  ATTACKER_ADDRESS,
  CAMERA_ADDRESS,
  FakeCamera,
  KEY_2018,
  KEY_2019,
  OTHER_DID,
  SEARCH_TARGET,
  VSTB_DID,
  VSTB_UID,
  actionsOf,
  events,
  eventsOfType,
  hex,
  makeConfig,
  runUntil,
  sends,
} from './fake-camera';

const LAN_SEARCH = hex('f1 30 00 00');
const SECOND_TARGET: Address = { address: '127.0.0.9', port: 32108 };

describe('search', () => {
  test('start() sends one plaintext LAN_SEARCH to every search target', () => {
    const session = new Session(makeConfig({ searchTargets: [SEARCH_TARGET, SECOND_TARGET] }));
    const actions = session.start(0);
    assert.equal(session.state, 'searching');
    assert.deepEqual(sends(actions), [
      { to: SEARCH_TARGET, data: LAN_SEARCH },
      { to: SECOND_TARGET, data: LAN_SEARCH },
    ]);
    assert.deepEqual(events(actions), []);
  });

  test('start() twice does nothing the second time', () => {
    const session = new Session(makeConfig());
    session.start(0);
    assert.deepEqual(session.start(5), []);
  });

  test("mode 'auto' searches in clear and once per candidate passphrase (PROTOCOL.md §6 vectors)", () => {
    const session = new Session(
      makeConfig({
        searchTargets: [SEARCH_TARGET, SECOND_TARGET],
        encryption: { mode: 'auto', candidates: [KEY_2019, KEY_2018] },
      }),
    );
    const sent = sends(session.start(0));
    assert.equal(sent.length, 6);
    for (const target of [SEARCH_TARGET, SECOND_TARGET]) {
      const payloads = sent.filter((s) => s.to === target).map((s) => s.data.toString('hex'));
      assert.deepEqual(payloads.sort(), ['49b573d5', 'e43b4322', 'f1300000']);
    }
  });

  test("mode 'key' searches only encrypted", () => {
    const session = new Session(makeConfig({ encryption: { mode: 'key', key: KEY_2019 } }));
    assert.deepEqual(sends(session.start(0)), [{ to: SEARCH_TARGET, data: hex('e4 3b 43 22') }]);
  });

  test('a focused search sends one datagram, and the full set once its rounds go unanswered (issue 14)', () => {
    const session = new Session(
      makeConfig({
        searchTargets: [SEARCH_TARGET, SECOND_TARGET],
        encryption: { mode: 'auto', candidates: [KEY_2019, KEY_2018] },
        searchIntervalMs: 300,
        focusedSearch: { targets: [SEARCH_TARGET], ciphers: [null], rounds: 1 },
      }),
    );
    assert.deepEqual(sends(session.start(0)), [{ to: SEARCH_TARGET, data: LAN_SEARCH }]);
    const fallback = sends(session.tick(300));
    assert.equal(fallback.length, 6, 'every target in every form after one unanswered interval');
    assert.equal(sends(session.tick(600)).length, 6);
  });

  test('a session found through its focused search connects like any other', () => {
    const camera = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2019);
    const session = new Session(
      makeConfig({
        encryption: { mode: 'auto', candidates: [KEY_2019] },
        focusedSearch: { targets: [SEARCH_TARGET], ciphers: [KEY_2019], rounds: 1 },
      }),
    );
    assert.deepEqual(sends(session.start(0)), [{ to: SEARCH_TARGET, data: hex('e4 3b 43 22') }]);
    const punched = session.receive(camera.punch(), camera.address, 1);
    assert.ok(punched.accepted);
    session.receive(camera.ready(), camera.address, 2);
    assert.equal(session.state, 'connected');
    assert.equal(session.encryption, KEY_2019);
  });

  test('LAN_SEARCH repeats every searchIntervalMs, driven by nextWakeMs()', () => {
    const session = new Session(makeConfig({ searchIntervalMs: 300, handshakeTimeoutMs: 8000 }));
    session.start(1000);
    assert.equal(session.nextWakeMs(), 1300);
    assert.deepEqual(session.tick(1299), [], 'nothing before the interval');
    const timed = runUntil(session, 1000, 2000);
    const times = timed.filter((t) => t.action.kind === 'send').map((t) => t.atMs);
    assert.deepEqual(times, [1300, 1600, 1900]);
  });

  test('handshake-failed (timeout, searching) after handshakeTimeoutMs, then closed and silent', () => {
    const session = new Session(makeConfig({ searchIntervalMs: 300, handshakeTimeoutMs: 2000 }));
    session.start(0);
    const timed = runUntil(session, 0, 1999);
    assert.equal(eventsOfType(actionsOf(timed), 'handshake-failed').length, 0);
    assert.equal(session.nextWakeMs(), 2000, 'wakes exactly at the deadline');
    const actions = session.tick(2000);
    assert.deepEqual(events(actions), [{ type: 'handshake-failed', reason: 'timeout', phase: 'searching' }]);
    assert.deepEqual(sends(actions), []);
    assert.equal(session.state, 'closed');
    assert.equal(session.nextWakeMs(), undefined);
    assert.deepEqual(session.tick(2300), []);
    assert.deepEqual(session.tick(100_000), []);
    const camera = new FakeCamera();
    assert.deepEqual(session.receive(camera.punch(), camera.address, 2400), { accepted: false, actions: [] });
  });

  test('handshake-failed (timeout, punching) when P2P_RDY never comes', () => {
    const camera = new FakeCamera();
    const session = new Session(makeConfig({ handshakeTimeoutMs: 3000 }));
    session.start(0);
    session.receive(camera.punch(), camera.address, 100);
    const timed = runUntil(session, 100, 3000);
    assert.deepEqual(events(actionsOf(timed)), [{ type: 'handshake-failed', reason: 'timeout', phase: 'punching' }]);
    assert.equal(session.state, 'closed');
    assert.deepEqual(runUntil(session, 3000, 10_000), []);
  });

  test('a session that was never started ignores everything', () => {
    const session = new Session(makeConfig());
    const camera = new FakeCamera();
    assert.deepEqual(session.receive(camera.punch(), camera.address, 0), { accepted: false, actions: [] });
    assert.deepEqual(session.tick(10_000), []);
    assert.equal(session.nextWakeMs(), undefined);
    assert.equal(session.state, 'idle');
  });

  test('while searching, non-PUNCH datagrams are not accepted and produce nothing', () => {
    const session = new Session(makeConfig());
    session.start(0);
    const camera = new FakeCamera();
    for (const datagram of [camera.ready(), camera.alive(), camera.drw(0, 0, Buffer.from('x')), camera.close()]) {
      assert.deepEqual(session.receive(datagram, camera.address, 10), { accepted: false, actions: [] });
    }
    assert.equal(session.state, 'searching');
  });
});

describe('punch and ready', () => {
  test('PUNCH_PKT is echoed unchanged to its source, state punching, event punched', () => {
    const camera = new FakeCamera(VSTB_DID, CAMERA_ADDRESS);
    const session = new Session(makeConfig());
    session.start(0);
    const punch = camera.punch();
    const step = session.receive(punch, camera.address, 40);
    assert.equal(step.accepted, true);
    assert.deepEqual(sends(step.actions), [{ to: CAMERA_ADDRESS, data: punch }]);
    assert.deepEqual(events(step.actions), [{ type: 'punched', peer: CAMERA_ADDRESS, did: VSTB_DID }]);
    assert.equal(session.state, 'punching');
    assert.deepEqual(session.peer, CAMERA_ADDRESS);
    assert.deepEqual(session.did, VSTB_DID);
  });

  test('the public PUNCH_PKT vector is echoed byte for byte', () => {
    const punch = hex('f1 41 00 14 42 41 54 44 00 00 00 00 00 02 62 ca 57 4f 4e 4a 4d 00 00 00');
    const session = new Session(makeConfig());
    session.start(0);
    const step = session.receive(punch, CAMERA_ADDRESS, 5);
    assert.deepEqual(sends(step.actions), [{ to: CAMERA_ADDRESS, data: punch }]);
  });

  test('a PUNCH_PKT with firmware padding and bytes after the NULs is still echoed unchanged', () => {
    // Prefix field "BATD\0xyz", check field "WONJM\0qq", two trailing pad bytes.
    const punch = hex('f1 41 00 14 42 41 54 44 00 78 79 7a 00 02 62 ca 57 4f 4e 4a 4d 00 71 71 00 00');
    const session = new Session(makeConfig());
    session.start(0);
    const step = session.receive(punch, CAMERA_ADDRESS, 5);
    assert.equal(step.accepted, true);
    assert.deepEqual(sends(step.actions), [{ to: CAMERA_ADDRESS, data: punch }]);
    const repeats = sends(actionsOf(runUntil(session, 5, 105)));
    assert.deepEqual(repeats, [{ to: CAMERA_ADDRESS, data: punch }]);
  });

  test('the echo repeats every punchIntervalMs until P2P_RDY, and stops after', () => {
    const camera = new FakeCamera();
    const session = new Session(makeConfig({ punchIntervalMs: 100, searchIntervalMs: 300 }));
    session.start(0);
    session.receive(camera.punch(), camera.address, 50);
    const timed = runUntil(session, 50, 360);
    assert.deepEqual(
      timed.map((t) => t.atMs),
      [150, 250, 350],
    );
    for (const { action } of timed) {
      assert.equal(action.kind, 'send');
      if (action.kind === 'send') {
        assert.deepEqual(action.to, camera.address);
        assert.deepEqual(action.data, camera.punch());
      }
    }
    // No more LAN_SEARCH once punching.
    session.receive(camera.ready(), camera.address, 360);
    const after = runUntil(session, 360, 900);
    assert.deepEqual(
      sends(actionsOf(after)).filter((s) => s.data.equals(camera.punch())),
      [],
    );
  });

  test('a repeated PUNCH from the camera is echoed again', () => {
    const camera = new FakeCamera();
    const session = new Session(makeConfig());
    session.start(0);
    session.receive(camera.punch(), camera.address, 10);
    const step = session.receive(camera.punch(), camera.address, 20);
    assert.equal(step.accepted, true);
    assert.deepEqual(sends(step.actions), [{ to: camera.address, data: camera.punch() }]);
    assert.deepEqual(events(step.actions), []);
  });

  test('P2P_RDY -> exactly one connected event with handshakeMs, dash-less uid and encryption none', () => {
    const camera = new FakeCamera();
    const session = new Session(makeConfig());
    session.start(1000);
    session.receive(camera.punch(), camera.address, 1040);
    const step = session.receive(camera.ready(), camera.address, 1123);
    assert.equal(step.accepted, true);
    assert.deepEqual(sends(step.actions), []);
    assert.deepEqual(events(step.actions), [
      {
        type: 'connected',
        peer: CAMERA_ADDRESS,
        did: VSTB_DID,
        uid: VSTB_UID,
        handshakeMs: 123,
        encryption: 'none',
      },
    ]);
    assert.equal(session.state, 'connected');
    for (let i = 0; i < 9; i++) {
      const dup = session.receive(camera.ready(), camera.address, 1130 + i);
      assert.equal(dup.accepted, true);
      assert.deepEqual(dup.actions, [], 'duplicate RDY produces nothing');
    }
  });

  test('a P2P_RDY for another DID from the peer does not connect', () => {
    const camera = new FakeCamera();
    const session = new Session(makeConfig());
    session.start(0);
    session.receive(camera.punch(), camera.address, 10);
    const step = session.receive(camera.ready(OTHER_DID), camera.address, 20);
    assert.deepEqual(events(step.actions), []);
    assert.equal(session.state, 'punching');
  });

  test('CLOSE while punching -> handshake-failed closed-by-camera', () => {
    const camera = new FakeCamera();
    const session = new Session(makeConfig());
    session.start(0);
    session.receive(camera.punch(), camera.address, 10);
    const step = session.receive(camera.close(), camera.address, 20);
    assert.deepEqual(events(step.actions), [
      { type: 'handshake-failed', reason: 'closed-by-camera', phase: 'punching' },
    ]);
    assert.deepEqual(sends(step.actions), []);
    assert.equal(session.state, 'closed');
  });
});

describe('uid filter and pinned IP', () => {
  test("a PUNCH with another camera's DID is not accepted and not echoed", () => {
    const session = new Session(makeConfig({ uid: VSTB_UID }));
    session.start(0);
    const other = new FakeCamera(OTHER_DID, ATTACKER_ADDRESS);
    assert.deepEqual(session.receive(other.punch(), other.address, 10), { accepted: false, actions: [] });
    assert.equal(session.state, 'searching');
    const mine = new FakeCamera();
    const step = session.receive(mine.punch(), mine.address, 20);
    assert.equal(step.accepted, true);
    assert.equal(session.state, 'punching');
  });

  test('the uid filter accepts the dashed and lower-case spellings too', () => {
    for (const uid of ['VSTB-668515-UZCPK', 'vstb668515uzcpk']) {
      const session = new Session(makeConfig({ uid }));
      session.start(0);
      const camera = new FakeCamera();
      assert.equal(session.receive(camera.punch(), camera.address, 10).accepted, true, uid);
    }
  });

  test('pinnedIp: the right DID from another IP is a foreign claim; the real camera is then accepted', () => {
    const session = new Session(makeConfig({ uid: VSTB_UID, pinnedIp: CAMERA_ADDRESS.address }));
    session.start(0);
    const spoof = new FakeCamera(VSTB_DID, ATTACKER_ADDRESS);
    const step = session.receive(spoof.punch(), spoof.address, 10);
    assert.equal(step.accepted, false);
    assert.deepEqual(sends(step.actions), []);
    assert.deepEqual(events(step.actions), [{ type: 'foreign-claim', from: ATTACKER_ADDRESS, did: VSTB_DID }]);
    assert.equal(session.state, 'searching');
    assert.equal(session.stats.foreign, 1);
    const real = new FakeCamera();
    const accepted = session.receive(real.punch(), real.address, 20);
    assert.equal(accepted.accepted, true);
    assert.deepEqual(sends(accepted.actions), [{ to: CAMERA_ADDRESS, data: real.punch() }]);
    assert.deepEqual(session.peer, CAMERA_ADDRESS);
  });

  test('without a uid the first camera that punches is taken', () => {
    const session = new Session(makeConfig());
    session.start(0);
    const other = new FakeCamera(OTHER_DID, ATTACKER_ADDRESS);
    assert.equal(session.receive(other.punch(), other.address, 10).accepted, true);
    assert.deepEqual(session.did, OTHER_DID);
  });

  test('an unknown (cloud) message type is ignored while searching', () => {
    const session = new Session(makeConfig());
    session.start(0);
    const hello = encodePppp({ kind: 'unknown', code: 0x00, payload: Buffer.alloc(0) });
    assert.deepEqual(session.receive(hello, CAMERA_ADDRESS, 1), { accepted: false, actions: [] });
  });
});
