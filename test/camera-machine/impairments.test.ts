import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DELAYED_DATAGRAMS } from '../../nodes/camera/outbox';
import { decrypt, deriveKey, encrypt } from '../../nodes/wire/cipher';
import { DH_PROBE, parseDhReply } from '../../nodes/wire/dh';
import { CLIENT, connect, decode, did, events, makeCamera, messages, pppp, scripted, send, sends } from './helpers';

const KEY = deriveKey('vstarcam2019');

test('an encrypted camera ignores plaintext PPPP and answers an encrypted LAN_SEARCH encrypted', () => {
  const camera = makeCamera({ passphrase: 'vstarcam2019' });
  assert.deepEqual(send(camera, 'search', { kind: 'lan-search' }, 0), []);
  assert.equal(camera.stats.datagramsIgnored, 1);
  // The public vector: LAN_SEARCH under vstarcam2019.
  const out = sends(camera.receive('search', Buffer.from('e43b4322', 'hex'), CLIENT, 0));
  assert.equal(out.length, 1);
  assert.notEqual(out[0]?.data[0], 0xf1);
  assert.deepEqual(decode(decrypt(KEY, out[0]?.data ?? Buffer.alloc(0))), { kind: 'punch', did: did() });
});

test('an encrypted camera runs the whole session encrypted, and DH stays plaintext', () => {
  const camera = makeCamera({ passphrase: 'vstarcam2019' });
  const seal = (m: Parameters<typeof pppp>[0]): Buffer => encrypt(KEY, pppp(m));
  const echo = camera.receive('session', seal({ kind: 'punch', did: did() }), CLIENT, 0);
  assert.equal(sends(echo).length, 3);
  assert.deepEqual(decode(decrypt(KEY, sends(echo)[0]?.data ?? Buffer.alloc(0))), { kind: 'ready', did: did() });
  const ack = sends(camera.receive('session', seal({ kind: 'alive' }), CLIENT, 10));
  assert.deepEqual(decode(decrypt(KEY, ack[0]?.data ?? Buffer.alloc(0))), { kind: 'alive-ack' });
  const dh = sends(camera.receive('dh', DH_PROBE, CLIENT, 20));
  assert.ok(parseDhReply(dh[0]?.data ?? Buffer.alloc(0)).ok);
});

test('a datagram under another passphrase is ignored', () => {
  const camera = makeCamera({ passphrase: 'vstarcam2019' });
  // LAN_SEARCH under vstarcam2018.
  assert.deepEqual(camera.receive('search', Buffer.from('49b573d5', 'hex'), CLIENT, 0), []);
  assert.equal(camera.stats.datagramsIgnored, 1);
});

test('setPassphrase switches encryption on and off at run time', () => {
  const camera = makeCamera();
  camera.setPassphrase('vstarcam2019');
  assert.deepEqual(send(camera, 'search', { kind: 'lan-search' }, 0), []);
  camera.setPassphrase(undefined);
  assert.equal(messages(send(camera, 'search', { kind: 'lan-search' }, 0)).length, 1);
});

test('powerOff drops sessions silently and ignores everything until powerOn', () => {
  const camera = makeCamera();
  connect(camera, 0);
  const off = camera.powerOff();
  assert.deepEqual(off, [{ kind: 'session-closed', peer: CLIENT, reason: 'power-off' }]);
  assert.equal(camera.isPowered, false);
  assert.deepEqual(camera.receive('dh', DH_PROBE, CLIENT, 10), []);
  assert.deepEqual(send(camera, 'search', { kind: 'lan-search' }, 10), []);
  assert.deepEqual(camera.tick(5000), []);
  assert.equal(camera.nextWakeMs(), undefined);
  assert.deepEqual(camera.closeSessions(5000), []);
  camera.powerOn();
  assert.equal(sends(camera.receive('dh', DH_PROBE, CLIENT, 6000)).length, 2);
  assert.deepEqual(camera.sessionPeers(), []);
});

test('reboot drops sessions silently and publishes the new HTTP port', () => {
  const camera = makeCamera();
  connect(camera, 0);
  const out = camera.reboot(47250);
  assert.deepEqual(out, [{ kind: 'session-closed', peer: CLIENT, reason: 'reboot' }]);
  assert.equal(camera.httpPort, 47250);
  const reply = parseDhReply(sends(camera.receive('dh', DH_PROBE, CLIENT, 10))[0]?.data ?? Buffer.alloc(0));
  assert.ok(reply.ok);
  assert.equal(reply.value.httpPort, 47250);
  assert.deepEqual(send(camera, 'session', { kind: 'alive' }, 20), []);
});

test('setReplyDelay holds every reply until a later tick, in order', () => {
  const camera = makeCamera();
  camera.setReplyDelay(250);
  assert.deepEqual(camera.receive('dh', DH_PROBE, CLIENT, 1000), []);
  assert.deepEqual(send(camera, 'search', { kind: 'lan-search' }, 1100), []);
  assert.equal(camera.nextWakeMs(), 1250);
  assert.deepEqual(camera.tick(1249), []);
  assert.deepEqual(
    sends(camera.tick(1250)).map((a) => a.via),
    ['dh', 'dh'],
  );
  assert.equal(camera.nextWakeMs(), 1350);
  assert.deepEqual(messages(camera.tick(1400)), [{ kind: 'punch', did: did() }]);
  assert.equal(camera.nextWakeMs(), undefined);
});

test('delayed datagrams stay ordered when the delay shrinks', () => {
  const camera = makeCamera();
  camera.setReplyDelay(500);
  send(camera, 'search', { kind: 'lan-search' }, 0);
  camera.setReplyDelay(100);
  camera.receive('dh', DH_PROBE, CLIENT, 0);
  assert.deepEqual(
    sends(camera.tick(100)).map((a) => a.via),
    ['dh', 'dh'],
  );
  assert.deepEqual(
    sends(camera.tick(500)).map((a) => a.via),
    ['session'],
  );
});

test('the delay queue is bounded; overflow is dropped and counted', () => {
  const camera = makeCamera();
  camera.setReplyDelay(1000);
  for (let i = 0; i < MAX_DELAYED_DATAGRAMS; i++) camera.receive('dh', DH_PROBE, CLIENT, 0);
  assert.equal(camera.delayedCount, MAX_DELAYED_DATAGRAMS);
  assert.equal(camera.stats.datagramsDropped, MAX_DELAYED_DATAGRAMS);
  assert.equal(sends(camera.tick(1000)).length, MAX_DELAYED_DATAGRAMS);
});

test('powerOff forgets delayed datagrams', () => {
  const camera = makeCamera();
  camera.setReplyDelay(100);
  camera.receive('dh', DH_PROBE, CLIENT, 0);
  camera.powerOff();
  camera.powerOn();
  assert.deepEqual(camera.tick(200), []);
});

test('setDropRate loses incoming and outgoing datagrams by the injected random', () => {
  // Each datagram draws once on the way in and once per datagram on the way out.
  const camera = makeCamera({}, scripted([0.9, 0.1, 0.9, 0.1]));
  camera.setDropRate(0.5);
  // In: 0.9 kept; out: unicast 0.1 dropped, broadcast copy 0.9 kept.
  const out = sends(camera.receive('dh', DH_PROBE, CLIENT, 0));
  assert.deepEqual(
    out.map((a) => a.to.address),
    ['127.255.255.255'],
  );
  // In: 0.1, so this probe is lost on the way in.
  assert.deepEqual(camera.receive('dh', DH_PROBE, CLIENT, 0), []);
  assert.equal(camera.stats.datagramsDropped, 2);
  assert.equal(camera.stats.probesAnswered, 1);
});

test('drop rate 1 loses everything and 0 never consults random', () => {
  let draws = 0;
  const camera = makeCamera({}, () => {
    draws++;
    return 0.999;
  });
  assert.equal(sends(camera.receive('dh', DH_PROBE, CLIENT, 0)).length, 2);
  assert.equal(draws, 0);
  camera.setDropRate(1);
  assert.deepEqual(camera.receive('dh', DH_PROBE, CLIENT, 0), []);
  assert.ok(draws > 0);
});

test('session events are not delayed or dropped; only datagrams are', () => {
  const camera = makeCamera();
  camera.setReplyDelay(100);
  const out = connect(camera, 0);
  assert.deepEqual(events(out), [{ kind: 'session-opened', peer: CLIENT }]);
  assert.deepEqual(sends(out), []);
  assert.equal(sends(camera.tick(100)).length, 4);
});
