import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DH_PROBE, parseDhReply } from '../../nodes/wire/dh';
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
