import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { firstCipherByte } from '../../nodes/wire/cipher';
import { encodePppp } from '../../nodes/wire/pppp';
import { cipherName, formHint, initialCipher, open, searchCiphers, seal } from '../../nodes/session/encryption';
import { Session } from '../../nodes/session/session';
import {
  CAMERA_ADDRESS,
  FakeCamera,
  KEY_2018,
  KEY_2019,
  KEY_2021,
  VSTB_DID,
  connectedSession,
  events,
  eventsOfType,
  hex,
  kinds,
  makeConfig,
  sends,
} from './fake-camera';

const AUTO = { mode: 'auto', candidates: [KEY_2018, KEY_2019, KEY_2021] } as const;

describe('encryption through the session', () => {
  test('auto: a camera answering in vstarcam2019 is learned; echo, ACKs and connected use that key', () => {
    const camera = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2019);
    const session = new Session(makeConfig({ encryption: AUTO }));
    session.start(0);
    const punch = camera.punch();
    assert.notEqual(punch[0], 0xf1, 'the fake camera really encrypts');
    const punched = session.receive(punch, camera.address, 30);
    assert.equal(punched.accepted, true);
    assert.deepEqual(sends(punched.actions), [{ to: CAMERA_ADDRESS, data: punch }], 'echo is the same ciphertext');
    assert.equal(session.encryption, KEY_2019);

    const ready = session.receive(camera.ready(), camera.address, 75);
    assert.deepEqual(eventsOfType(ready.actions, 'connected'), [
      {
        type: 'connected',
        peer: CAMERA_ADDRESS,
        did: VSTB_DID,
        uid: 'VSTB668515UZCPK',
        handshakeMs: 75,
        encryption: 'vstarcam2019',
      },
    ]);

    const alive = session.receive(camera.alive(), camera.address, 100);
    const aliveReply = sends(alive.actions);
    assert.equal(aliveReply.length, 1);
    assert.notEqual(aliveReply[0]?.data[0], 0xf1);
    assert.deepEqual(kinds(camera.inbox(alive.actions)), ['alive-ack']);

    const drw = session.receive(camera.drw(0, 0, Buffer.from('var a=1;\r\n')), camera.address, 110);
    assert.deepEqual(camera.inbox(drw.actions), [{ kind: 'drw-ack', channel: 0, indices: [0] }]);
    assert.deepEqual(eventsOfType(drw.actions, 'data'), [
      { type: 'data', channel: 0, data: Buffer.from('var a=1;\r\n'), index: 0 },
    ]);

    const out = session.sendData(0, Buffer.from('GET /x.cgi'), 120);
    assert.ok(out);
    const sent = sends(out);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.data[0], firstCipherByte(KEY_2019));
    assert.deepEqual(camera.inbox(out), [{ kind: 'drw', channel: 0, index: 0, data: Buffer.from('GET /x.cgi') }]);

    assert.ok(camera.inbox(session.close()).every((m) => m.kind === 'close'));
  });

  test('auto: a plaintext camera -> encryption none, replies in clear', () => {
    const camera = new FakeCamera();
    const session = new Session(makeConfig({ encryption: AUTO }));
    session.start(0);
    const punched = session.receive(camera.punch(), camera.address, 10);
    assert.deepEqual(sends(punched.actions), [{ to: CAMERA_ADDRESS, data: camera.punch() }]);
    const ready = session.receive(camera.ready(), camera.address, 20);
    assert.equal(eventsOfType(ready.actions, 'connected')[0]?.encryption, 'none');
    assert.deepEqual(sends(session.receive(camera.alive(), camera.address, 30).actions), [
      { to: CAMERA_ADDRESS, data: hex('f1 e1 00 00') },
    ]);
  });

  test('auto: once plaintext is learned, encrypted datagrams from the peer are ignored (and vice versa)', () => {
    const plainCamera = new FakeCamera();
    const plainSession = connectedSession(plainCamera, makeConfig({ encryption: AUTO }));
    const encryptedAlive = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2019).alive();
    assert.deepEqual(plainSession.receive(encryptedAlive, CAMERA_ADDRESS, 100), { accepted: true, actions: [] });
    assert.equal(plainSession.stats.undecodable, 1);

    const encCamera = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2019);
    const encSession = connectedSession(encCamera, makeConfig({ encryption: AUTO }));
    assert.deepEqual(encSession.receive(plainCamera.alive(), CAMERA_ADDRESS, 100).actions, []);
    const other = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2021).alive();
    assert.deepEqual(encSession.receive(other, CAMERA_ADDRESS, 110).actions, []);
  });

  test("mode 'plain' ignores encrypted datagrams entirely", () => {
    const camera = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2019);
    const session = new Session(makeConfig({ encryption: { mode: 'plain' } }));
    session.start(0);
    assert.deepEqual(session.receive(camera.punch(), camera.address, 10), { accepted: false, actions: [] });
    assert.equal(session.state, 'searching');
  });

  test("mode 'key' accepts only that passphrase", () => {
    const session = new Session(makeConfig({ encryption: { mode: 'key', key: KEY_2019 } }));
    session.start(0);
    const wrong = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2021);
    assert.equal(session.receive(wrong.punch(), wrong.address, 5).accepted, false);
    const plain = new FakeCamera();
    assert.equal(session.receive(plain.punch(), plain.address, 6).accepted, false);
    const right = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2019);
    const step = session.receive(right.punch(), right.address, 7);
    assert.equal(step.accepted, true);
    assert.deepEqual(sends(step.actions), [{ to: CAMERA_ADDRESS, data: right.punch() }]);
    const connected = session.receive(right.ready(), right.address, 8);
    assert.equal(eventsOfType(connected.actions, 'connected')[0]?.encryption, 'vstarcam2019');
  });

  test('auto: a passphrase that is not a candidate is never heard', () => {
    const session = new Session(makeConfig({ encryption: { mode: 'auto', candidates: [KEY_2018] } }));
    session.start(0);
    const camera = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2019);
    assert.deepEqual(session.receive(camera.punch(), camera.address, 5), { accepted: false, actions: [] });
  });

  test('a spoofed PUNCH in the learned cipher from another address is a foreign claim', () => {
    const camera = new FakeCamera(VSTB_DID, CAMERA_ADDRESS, KEY_2019);
    const session = connectedSession(camera, makeConfig({ encryption: AUTO }));
    const spoofAddress = { address: '127.0.0.77', port: 40_001 };
    const step = session.receive(camera.at(spoofAddress).punch(), spoofAddress, 50);
    assert.deepEqual(events(step.actions), [{ type: 'foreign-claim', from: spoofAddress, did: VSTB_DID }]);
  });
});

describe('encryption helpers', () => {
  test('searchCiphers: plain, key, auto', () => {
    assert.deepEqual(searchCiphers({ mode: 'plain' }), [null]);
    assert.deepEqual(searchCiphers({ mode: 'key', key: KEY_2019 }), [KEY_2019]);
    assert.deepEqual(searchCiphers({ mode: 'auto', candidates: [KEY_2019, KEY_2021] }), [null, KEY_2019, KEY_2021]);
  });

  test('initialCipher: plain learned as null, key as the key, auto unknown', () => {
    assert.equal(initialCipher({ mode: 'plain' }), null);
    assert.equal(initialCipher({ mode: 'key', key: KEY_2019 }), KEY_2019);
    assert.equal(initialCipher(AUTO), undefined);
  });

  test('seal/open round trip and the LAN_SEARCH vectors of PROTOCOL.md §6', () => {
    const search = encodePppp({ kind: 'lan-search' });
    assert.deepEqual(seal(KEY_2019, search), hex('e4 3b 43 22'));
    assert.deepEqual(seal(KEY_2018, search), hex('49 b5 73 d5'));
    assert.deepEqual(seal(KEY_2021, search), hex('28 37 c0 99'));
    assert.deepEqual(seal(null, search), search);
    assert.deepEqual(open(AUTO, undefined, hex('e4 3b 43 22')), { plain: search, cipher: KEY_2019 });
    assert.deepEqual(open(AUTO, undefined, search), { plain: search, cipher: null });
    assert.equal(open({ mode: 'plain' }, null, hex('e4 3b 43 22')), undefined);
    assert.equal(open(AUTO, undefined, Buffer.alloc(0)), undefined);
    assert.equal(cipherName(null), 'none');
    assert.equal(cipherName(KEY_2021), 'vstarcam2021');
  });
});

describe('formHint: the form a UID prefix names (PROTOCOL.md §6)', () => {
  test('plaintext families, the three VStarCam passphrases, and nothing for the rest', () => {
    assert.equal(formHint('VSTB668515UZCPK'), null);
    assert.equal(formHint('vstc-123456-ABCDE'), null);
    assert.equal(formHint('VSTH123456ABCDE'), 'vstarcam2018');
    assert.equal(formHint('VSTJ123456ABCDE'), 'vstarcam2019');
    assert.equal(formHint('VSTP123456ABCDE'), 'vstarcam2019');
    assert.equal(formHint('VSGM123456ABCDE'), 'vstarcam2021');
    assert.equal(formHint('BATD156362WONJM'), undefined);
    assert.equal(formHint(''), undefined);
  });
});
