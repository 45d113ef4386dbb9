import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DH_PROBE, parseDhReply } from '../../nodes/wire/dh';
import { CameraMachine } from '../../nodes/camera/camera-machine';
import { dhRecordOf } from '../../nodes/camera/config';
import { MAX_CAMERAS, defaultIdentity, randomHttpPort } from '../../nodes/camera/defaults';
import { REAL_DH_REPLY, SANITIZED_DH_REPLY } from '../support/vectors';
import {
  DHCP_OFFSET,
  TEXT_SLOTS,
  TRAILER_OFFSET,
  ZERO_RANGES,
  filledSlots,
  masscanRejects,
  nosefuPortScanner,
  nosefuScanner,
  slotShapes,
  universalScanner,
  vstarcamMonitorPort,
} from '../wire/dh-readers';
import { toHex } from '../wire/helpers';
import { CLIENT, UID, connect, decode, did, events, makeCamera, messages, send, sends } from './helpers';

test('a DH probe is answered unicast and with a copy to the broadcast address on the prober port', () => {
  const camera = makeCamera();
  const out = sends(camera.receive('dh', DH_PROBE, CLIENT, 0));
  assert.equal(out.length, 2);
  assert.deepEqual(
    out.map((a) => [a.via, a.to]),
    [
      ['dh', CLIENT],
      ['dh', { address: '127.255.255.255', port: CLIENT.port }],
    ],
  );
  const reply = parseDhReply(out[0]?.data ?? Buffer.alloc(0));
  assert.ok(reply.ok);
  assert.equal(reply.value.uid, UID);
  assert.equal(reply.value.ip, '127.0.0.2');
  assert.equal(reply.value.httpPort, 11481);
  assert.equal(reply.value.mac, '48:02:2A:0B:DB:B4');
  assert.equal(reply.value.name, 'Porch');
  assert.equal(out[0]?.data.length, 524);
  assert.equal(camera.stats.probesAnswered, 1);
});

test('the broadcast copy follows the configured broadcast address', () => {
  const camera = makeCamera({ broadcastAddress: '127.0.0.255' });
  const out = sends(camera.receive('dh', DH_PROBE, CLIENT, 0));
  assert.equal(out[1]?.to.address, '127.0.0.255');
});

test('a dashed UID in the config is accepted and normalised', () => {
  const camera = makeCamera({ uid: 'vstb-668515-uzcpk' });
  assert.equal(camera.uid, UID);
  assert.equal(camera.did, 'VSTB-668515-UZCPK');
});

test('anything but a probe on the DH socket is ignored and counted', () => {
  const camera = makeCamera();
  assert.deepEqual(camera.receive('dh', Buffer.from([0x44, 0x48, 0x01, 0x08]), CLIENT, 0), []);
  assert.deepEqual(camera.receive('dh', Buffer.from('f1300000', 'hex'), CLIENT, 0), []);
  assert.equal(camera.stats.datagramsIgnored, 2);
  assert.equal(camera.stats.probesAnswered, 0);
});

test('LAN_SEARCH and LAN_SEARCH_EXT from any address are answered with PUNCH_PKT from the session socket', () => {
  const camera = makeCamera();
  for (const [kind, from] of [
    ['lan-search', CLIENT],
    ['lan-search-ext', { address: '127.9.9.9', port: 1234 }],
  ] as const) {
    const out = sends(send(camera, 'search', { kind }, 0, from));
    assert.equal(out.length, 1);
    assert.equal(out[0]?.via, 'session');
    assert.deepEqual(out[0]?.to, from);
    assert.deepEqual(decode(out[0]?.data ?? Buffer.alloc(0)), { kind: 'punch', did: did() });
  }
  assert.equal(camera.stats.searchesAnswered, 2);
});

test('the PUNCH_PKT bytes match the public vector layout', () => {
  const camera = makeCamera({ uid: 'BATD-156362-WONJM' });
  const out = sends(send(camera, 'search', { kind: 'lan-search' }, 0));
  const vector = 'f1 41 00 14 42 41 54 44 00 00 00 00 00 02 62 ca 57 4f 4e 4a 4d 00 00 00';
  assert.equal(out[0]?.data.toString('hex'), vector.replaceAll(' ', ''));
});

test('other PPPP messages on the search socket are ignored', () => {
  const camera = makeCamera();
  assert.deepEqual(send(camera, 'search', { kind: 'alive' }, 0), []);
  assert.equal(camera.stats.datagramsIgnored, 1);
});

test('the echoed PUNCH_PKT gets readyCopies P2P_RDY and opens the session', () => {
  const camera = makeCamera();
  const out = connect(camera, 0);
  assert.deepEqual(messages(out), [
    { kind: 'ready', did: did() },
    { kind: 'ready', did: did() },
    { kind: 'ready', did: did() },
  ]);
  assert.ok(sends(out).every((a) => a.via === 'session' && a.to === CLIENT));
  assert.deepEqual(events(out), [{ kind: 'session-opened', peer: CLIENT }]);
  assert.deepEqual(camera.sessionPeers(), [CLIENT]);
  assert.equal(camera.stats.sessionsEstablished, 1);
});

test('readyCopies is configurable', () => {
  const camera = makeCamera({ readyCopies: 5 });
  assert.equal(sends(connect(camera, 0)).length, 5);
});

test('a PUNCH_PKT with another DID is ignored', () => {
  const camera = makeCamera();
  assert.deepEqual(send(camera, 'session', { kind: 'punch', did: did('XHA-000994-KMMEB') }, 0), []);
  assert.deepEqual(camera.sessionPeers(), []);
  assert.equal(camera.stats.datagramsIgnored, 1);
});

test('a repeated echo during the handshake sends RDYs again without opening a second session', () => {
  const camera = makeCamera();
  connect(camera, 0);
  const again = send(camera, 'session', { kind: 'punch', did: did() }, 100);
  assert.equal(sends(again).length, 3);
  assert.deepEqual(events(again), []);
  assert.equal(camera.stats.sessionsEstablished, 1);
});

test('clients beyond maxSessions are refused silently', () => {
  const camera = makeCamera();
  for (let i = 0; i < 4; i++) connect(camera, 0, { address: '127.0.0.1', port: 40000 + i });
  const refused = connect(camera, 0, { address: '127.0.0.1', port: 50000 });
  assert.deepEqual(refused, []);
  assert.equal(camera.sessionPeers().length, 4);
  assert.equal(camera.stats.sessionsRefused, 1);
});

test('sessions are keyed by ip and port', () => {
  const camera = makeCamera({ maxSessions: 2 });
  connect(camera, 0, { address: '127.0.0.1', port: 40000 });
  connect(camera, 0, { address: '127.0.0.5', port: 40000 });
  assert.equal(camera.sessionPeers().length, 2);
});

test('session messages from an address without a session are ignored', () => {
  const camera = makeCamera();
  assert.deepEqual(send(camera, 'session', { kind: 'alive' }, 0), []);
  assert.deepEqual(send(camera, 'session', { kind: 'drw', channel: 0, index: 0, data: Buffer.alloc(4) }, 0), []);
  assert.equal(camera.stats.datagramsIgnored, 2);
});

// ---- the reply slot by slot, against the real captures (test/support/vectors.ts) ----------------

/** Every text slot some real capture fills; the emulator fills exactly these. */
const REAL_FILLED = TEXT_SLOTS.map(([name]) => name).filter(
  (name) => filledSlots(REAL_DH_REPLY).includes(name) || filledSlots(SANITIZED_DH_REPLY).includes(name),
);

function dhReplyOf(camera: CameraMachine): Buffer {
  const data = sends(camera.receive('dh', DH_PROBE, CLIENT, 0))[0]?.data;
  assert.ok(data, 'a DH reply');
  return data;
}

test('with the default identity, the reply fills the slots a real camera fills, laid out as the real reply', () => {
  const camera = new CameraMachine({ uid: UID, ip: '127.0.0.2' }, () => 0.5);
  const reply = dhReplyOf(camera);
  assert.equal(reply.length, REAL_DH_REPLY.length);
  assert.equal(reply.length, 524);
  assert.deepEqual(filledSlots(reply), REAL_FILLED);
  assert.deepEqual(
    filledSlots(REAL_DH_REPLY),
    [...REAL_FILLED].filter((s) => s !== 'appVersion'),
  );
  for (const slot of slotShapes(reply)) assert.ok(slot.terminated && slot.cleanPadding, slot.name);
  // The app-version slot, byte for byte as the capture that fills it.
  assert.equal(toHex(reply.subarray(0x0dc, 0x0ec)), toHex(SANITIZED_DH_REPLY.subarray(0x0dc, 0x0ec)));
  for (const [from, to] of ZERO_RANGES) {
    assert.ok(
      reply.subarray(from, to).every((b) => b === 0),
      `0x${from.toString(16)}..0x${to.toString(16)}`,
    );
    assert.ok(REAL_DH_REPLY.subarray(from, to).every((b) => b === 0));
  }
  assert.equal(reply[DHCP_OFFSET], 1);
  // The trailer: the first 8 bytes again, as in the real capture.
  assert.ok(REAL_DH_REPLY.subarray(TRAILER_OFFSET).equals(REAL_DH_REPLY.subarray(0, 8)));
  assert.ok(reply.subarray(TRAILER_OFFSET).equals(reply.subarray(0, 8)));
  // Parsing the reply gives the record it was built from.
  const record = dhRecordOf(camera.config, camera.httpPort);
  assert.deepEqual(parseDhReply(reply), { ok: true, value: record });
  // Addresses stay on loopback; the DDNS password is a placeholder, not a secret.
  for (const address of [record.ip, record.gateway, ...record.dns]) assert.match(address, /^127\./);
  assert.match(record.ddns.server, /\.localhost$/);
  assert.equal(record.ddns.password, '000000');
});

/** Identities as the emulator hands them out, over the whole index range. */
const INDICES = [...Array.from({ length: 200 }, (_, i) => i), 999, 1000, 4095, 4096, 9998, MAX_CAMERAS - 1];

function emulatedCamera(index: number): CameraMachine {
  return new CameraMachine(
    { ...defaultIdentity(index), ip: '127.0.0.2', httpPort: randomHttpPort(() => (index % 97) / 97) },
    () => 0.5,
  );
}

test('third-party scanners read the reply without throwing, for the default identity and defaultIdentity(i)', () => {
  const cameras = [
    new CameraMachine({ uid: UID, ip: '127.0.0.2' }, () => 0.5),
    makeCamera(),
    ...INDICES.map(emulatedCamera),
  ];
  for (const camera of cameras) {
    const reply = dhReplyOf(camera);
    const what = `camera ${camera.uid}`;
    const nosefu = nosefuScanner(reply);
    assert.equal(nosefu.port, camera.httpPort, what);
    assert.equal(nosefu.cloudId, camera.uid, what);
    assert.equal(nosefu.mode, 'C', what);
    const port = nosefuPortScanner(reply);
    assert.equal(port.ip, camera.config.ip, what);
    assert.equal(port.mac, camera.config.mac.toLowerCase(), what);
    assert.equal(port.port, camera.httpPort, what);
    assert.equal(port.appVersion, 'C', what);
    assert.equal(masscanRejects(reply), undefined, what);
    assert.equal(universalScanner(reply)?.serial.replace(/\0+$/, ''), camera.uid, what);
    assert.equal(vstarcamMonitorPort(reply), camera.httpPort, what);
    assert.deepEqual(filledSlots(reply), REAL_FILLED, what);
  }
});

test('the real captures pass the same scanners', () => {
  for (const reply of [REAL_DH_REPLY, SANITIZED_DH_REPLY]) {
    assert.doesNotThrow(() => nosefuScanner(reply));
    assert.equal(masscanRejects(reply), undefined);
    assert.ok(universalScanner(reply));
  }
  assert.equal(nosefuPortScanner(SANITIZED_DH_REPLY).appVersion, 'C');
  // The other capture's app-version slot is empty: the port indexing into it would throw.
  assert.throws(() => nosefuPortScanner(REAL_DH_REPLY), TypeError);
});

test('any camera index gives a reply the scanners accept and that parses back to its record', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: MAX_CAMERAS - 1 }), (index) => {
      const camera = emulatedCamera(index);
      const reply = dhReplyOf(camera);
      assert.doesNotThrow(() => nosefuScanner(reply));
      assert.doesNotThrow(() => nosefuPortScanner(reply));
      assert.equal(masscanRejects(reply), undefined);
      assert.deepEqual(parseDhReply(reply), { ok: true, value: dhRecordOf(camera.config, camera.httpPort) });
    }),
    { numRuns: 300 },
  );
});
