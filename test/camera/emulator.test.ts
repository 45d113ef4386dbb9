import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import dgram from 'node:dgram';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { sameAddress } from '../../nodes/wire/address';
import { buildCgiRequest, CgiReassembler } from '../../nodes/wire/cgi';
import { decrypt, deriveKey, encrypt } from '../../nodes/wire/cipher';
import { DH_PROBE, parseDhReply } from '../../nodes/wire/dh';
import { decodePppp, encodePppp, type PpppMessage } from '../../nodes/wire/pppp';
import { type Received, UdpClient, deadline, udpHandleCount } from './udp-client';
import { REAL_DH_REPLY, SANITIZED_DH_REPLY } from '../support/vectors';
import {
  TRAILER_OFFSET,
  filledSlots,
  masscanRejects,
  nosefuPortScanner,
  nosefuScanner,
  slotShapes,
} from '../wire/dh-readers';

const BROADCAST = '127.255.255.255';

/** Lets libuv release handles whose `close` was already emitted (it frees them in a later loop phase). */
async function settle(): Promise<void> {
  for (let hop = 0; hop < 2; hop++) await new Promise((resolve) => setImmediate(resolve));
}

function pppp(r: Received): PpppMessage | undefined {
  const decoded = decodePppp(r.data);
  return decoded.ok ? decoded.value : undefined;
}

const kind =
  (k: PpppMessage['kind']) =>
  (r: Received): boolean =>
    pppp(r)?.kind === k;

async function withEmulator(
  options: Parameters<typeof CameraEmulator.start>[0],
  body: (emulator: CameraEmulator, client: UdpClient) => Promise<void>,
): Promise<void> {
  const emulator = await CameraEmulator.start({ dhPort: 0, searchPort: 0, ...options });
  const client = await UdpClient.open();
  try {
    await body(emulator, client);
  } finally {
    await client.close();
    await emulator.close();
  }
}

test('a broadcast DH probe gets a unicast reply and a broadcast copy from every camera, each from its own ip:dhPort', async () => {
  await withEmulator({ cameras: 3 }, async (emulator, client) => {
    assert.deepEqual(
      emulator.cameras.map((c) => c.ip),
      ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
    );
    client.send(DH_PROBE, { address: BROADCAST, port: emulator.dhPort });
    const replies = await client.take(6, (r) => parseDhReply(r.data).ok, 'DH replies');
    for (const camera of emulator.cameras) {
      const mine = replies.filter((r) => {
        const parsed = parseDhReply(r.data);
        return parsed.ok && parsed.value.uid === camera.uid;
      });
      assert.equal(mine.length, 2, `two copies from ${camera.uid}`);
      for (const reply of mine) assert.deepEqual(reply.from, { address: camera.ip, port: emulator.dhPort });
      const parsed = parseDhReply(mine[0]?.data ?? Buffer.alloc(0));
      assert.ok(parsed.ok);
      assert.equal(parsed.value.ip, camera.ip);
      assert.equal(parsed.value.mac, camera.mac);
      assert.equal(parsed.value.httpPort, camera.httpPort);
      assert.equal(camera.stats.probesAnswered, 1);
    }
    assert.equal(new Set(emulator.cameras.map((c) => c.uid)).size, 3);
  });
});

test('every DH reply on the wire, both copies, is laid out as a real camera lays it out and read by third-party scanners', async () => {
  const realFilled = new Set([...filledSlots(REAL_DH_REPLY), ...filledSlots(SANITIZED_DH_REPLY)]);
  await withEmulator({ cameras: 5 }, async (emulator, client) => {
    client.send(DH_PROBE, { address: BROADCAST, port: emulator.dhPort });
    const replies = await client.take(10, (r) => parseDhReply(r.data).ok, 'DH replies');
    for (const { data } of replies) {
      const parsed = parseDhReply(data);
      assert.ok(parsed.ok);
      const camera = emulator.cameras.find((c) => c.uid === parsed.value.uid);
      assert.ok(camera);
      assert.equal(data.length, 524);
      assert.deepEqual(new Set(filledSlots(data)), realFilled);
      for (const slot of slotShapes(data)) assert.ok(slot.terminated && slot.cleanPadding, slot.name);
      assert.ok(data.subarray(TRAILER_OFFSET).equals(data.subarray(0, 8)));
      assert.equal(nosefuScanner(data).port, camera.httpPort);
      assert.equal(nosefuPortScanner(data).appVersion, 'C');
      assert.equal(masscanRejects(data), undefined);
    }
  });
});

test('a unicast DH probe is answered by that camera only', async () => {
  await withEmulator({ cameras: 3 }, async (emulator, client) => {
    client.send(DH_PROBE, { address: '127.0.0.3', port: emulator.dhPort });
    const replies = await client.take(2, () => true, 'DH replies');
    for (const reply of replies) assert.deepEqual(reply.from, { address: '127.0.0.3', port: emulator.dhPort });
    assert.deepEqual(
      emulator.cameras.map((c) => c.stats.probesAnswered),
      [0, 1, 0],
    );
    // A broadcast afterwards reaches all three: the unicast one did not reach the wildcard socket.
    client.send(DH_PROBE, { address: BROADCAST, port: emulator.dhPort });
    await client.take(6, () => true, 'DH replies');
    assert.deepEqual(
      emulator.cameras.map((c) => c.stats.probesAnswered),
      [1, 2, 1],
    );
    assert.deepEqual(client.pending, []);
  });
});

test('a full handshake by hand: LAN_SEARCH, PUNCH from the session port, echo, RDY, ALIVE both ways, CGI, CLOSE', async () => {
  await withEmulator({ cameras: [{ aliveIntervalMs: 100 }, {}] }, async (emulator, client) => {
    const camera = emulator.cameras[0];
    assert.ok(camera);
    const cameraAt = { address: camera.ip, port: camera.sessionPort };
    assert.notEqual(camera.sessionPort, 0);

    client.send(encodePppp({ kind: 'lan-search' }), { address: camera.ip, port: emulator.searchPort });
    const punch = await client.takeOne(kind('punch'), 'PUNCH_PKT');
    assert.deepEqual(punch.from, cameraAt);

    const opened = once(camera, 'session', deadline());
    client.send(punch.data, punch.from);
    const readies = await client.take(3, kind('ready'), 'P2P_RDY');
    assert.ok(readies.every((r) => sameAddress(r.from, cameraAt)));
    const [peer] = await opened;
    assert.equal(peer.port, client.port);
    // Like a real camera, it pushes a 0x6040 block as soon as the session is up (DRW index 0).
    const push = pppp(await client.takeOne(kind('drw'), 'pushed 0x6040'));
    assert.ok(push?.kind === 'drw' && push.index === 0);
    assert.equal(push.data.readUInt16LE(2), 0x6040);
    client.send(encodePppp({ kind: 'drw-ack', channel: 0, indices: [0] }), cameraAt);

    // The camera pings on its own; the client answers.
    await client.takeOne((r) => pppp(r)?.kind === 'alive' && sameAddress(r.from, cameraAt), 'camera ALIVE');
    client.send(encodePppp({ kind: 'alive-ack' }), cameraAt);
    client.send(encodePppp({ kind: 'alive' }), cameraAt);
    await client.takeOne(kind('alive-ack'), 'ALIVE_ACK');

    client.send(
      encodePppp({
        kind: 'drw',
        channel: 0,
        index: 0,
        data: buildCgiRequest('check_user', {}, { user: 'admin', password: '888888' }),
      }),
      cameraAt,
    );
    const ack = await client.takeOne(kind('drw-ack'), 'DRW_ACK');
    assert.deepEqual(pppp(ack), { kind: 'drw-ack', channel: 0, indices: [0] });
    const response = pppp(await client.takeOne(kind('drw'), 'CGI response'));
    assert.ok(response?.kind === 'drw' && response.index === 1);
    const blocks = new CgiReassembler().push(response.data);
    assert.ok(blocks.ok);
    assert.equal(blocks.value[0]?.code, 0x60a0);
    assert.match(blocks.value[0]?.body.toString() ?? '', /^result= 0;/);
    client.send(encodePppp({ kind: 'drw-ack', channel: 0, indices: [1] }), cameraAt);

    const closed = once(camera, 'session-closed', deadline());
    client.send(encodePppp({ kind: 'close' }), cameraAt);
    const [, reason] = await closed;
    assert.equal(reason, 'closed-by-client');
    assert.equal(camera.stats.sessionsEstablished, 1);
    assert.equal(emulator.cameras[1]?.stats.searchesAnswered, 0);
  });
});

test('a broadcast LAN_SEARCH gets a PUNCH_PKT from every camera session port', async () => {
  await withEmulator({ cameras: 3 }, async (emulator, client) => {
    client.send(encodePppp({ kind: 'lan-search' }), { address: BROADCAST, port: emulator.searchPort });
    const punches = await client.take(3, kind('punch'), 'PUNCH_PKT');
    assert.deepEqual(
      punches.map((p) => `${p.from.address}:${p.from.port}`).sort(),
      emulator.cameras.map((c) => `${c.ip}:${c.sessionPort}`).sort(),
    );
  });
});

test('the camera sends CLOSE to a silent client and reports it', async () => {
  await withEmulator({ cameras: [{ aliveIntervalMs: 50, closeAfterSilenceMs: 200 }] }, async (emulator, client) => {
    const camera = emulator.cameras[0];
    assert.ok(camera);
    client.send(encodePppp({ kind: 'lan-search' }), { address: camera.ip, port: emulator.searchPort });
    const punch = await client.takeOne(kind('punch'));
    const closed = once(camera, 'session-closed', deadline());
    client.send(punch.data, punch.from);
    const [, reason] = await closed;
    assert.equal(reason, 'silence');
    await client.takeOne(kind('close'), 'CLOSE');
  });
});

test('reboot changes the session port and the HTTP port, and drops the session silently', async () => {
  await withEmulator({ cameras: 2 }, async (emulator, client) => {
    const camera = emulator.camera('127.0.0.2') ?? emulator.cameras[0];
    assert.ok(camera);
    client.send(encodePppp({ kind: 'lan-search' }), { address: camera.ip, port: emulator.searchPort });
    const punch = await client.takeOne(kind('punch'));
    const opened = once(camera, 'session', deadline());
    client.send(punch.data, punch.from);
    await opened;
    await client.take(3, kind('ready'));

    const before = camera.info();
    const closed = once(camera, 'session-closed', deadline());
    await camera.reboot();
    const [, reason] = await closed;
    assert.equal(reason, 'reboot');
    const after = camera.info();
    assert.notEqual(after.sessionPort, before.sessionPort);
    assert.notEqual(after.httpPort, before.httpPort);
    assert.equal(after.uid, before.uid);

    client.send(DH_PROBE, { address: camera.ip, port: emulator.dhPort });
    const [reply] = await client.take(2, (r) => parseDhReply(r.data).ok);
    const parsed = parseDhReply(reply?.data ?? Buffer.alloc(0));
    assert.ok(parsed.ok);
    assert.equal(parsed.value.httpPort, after.httpPort);

    client.send(encodePppp({ kind: 'lan-search' }), { address: camera.ip, port: emulator.searchPort });
    const again = await client.takeOne(kind('punch'));
    assert.deepEqual(again.from, { address: camera.ip, port: after.sessionPort });
  });
});

test('an emulator with a passphrase answers only encrypted searches, encrypted', async () => {
  const key = deriveKey('vstarcam2019');
  await withEmulator({ cameras: 1, passphrase: 'vstarcam2019' }, async (emulator, client) => {
    const camera = emulator.cameras[0];
    assert.ok(camera);
    client.send(encodePppp({ kind: 'lan-search' }), { address: camera.ip, port: emulator.searchPort });
    client.send(encrypt(key, encodePppp({ kind: 'lan-search' })), { address: camera.ip, port: emulator.searchPort });
    const [punch] = await client.take(1);
    const decoded = decodePppp(decrypt(key, punch?.data ?? Buffer.alloc(0)));
    assert.ok(decoded.ok);
    assert.equal(decoded.value.kind, 'punch');
    assert.equal(camera.stats.datagramsIgnored, 1);
  });
});

test('a powered-off camera stays silent while the others answer', async () => {
  await withEmulator({ cameras: 3 }, async (emulator, client) => {
    await emulator.cameras[1]?.powerOff();
    client.send(DH_PROBE, { address: BROADCAST, port: emulator.dhPort });
    const replies = await client.take(4, () => true);
    assert.ok(replies.every((r) => r.from.address !== '127.0.0.3'));
    assert.equal(emulator.cameras[1]?.stats.probesAnswered, 0);
    await emulator.cameras[1]?.powerOn();
    client.send(DH_PROBE, { address: '127.0.0.3', port: emulator.dhPort });
    await client.take(2, (r) => r.from.address === '127.0.0.3');
  });
});

test('cameras are found by index and by UID in either spelling', async () => {
  await withEmulator({ cameras: [{ uid: 'VSTB-668515-UZCPK' }, {}] }, async (emulator) => {
    assert.equal(emulator.camera('vstb668515uzcpk'), emulator.cameras[0]);
    assert.equal(emulator.camera('VSTB-668515-UZCPK')?.did, 'VSTB-668515-UZCPK');
    assert.equal(emulator.camera(1), emulator.cameras[1]);
    assert.equal(emulator.camera('XHA-000994-KMMEB'), undefined);
    assert.match(emulator.cameras[1]?.uid ?? '', /^VSTB\d{6}[A-Z]{5}$/);
    assert.match(emulator.cameras[1]?.mac ?? '', /^48:02:2A:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2}$/);
  });
});

test('close() leaves no UDP handles behind', async () => {
  await settle();
  const baseline = udpHandleCount();
  const emulator = await CameraEmulator.start({ cameras: 3, dhPort: 0, searchPort: 0 });
  try {
    await settle();
    assert.equal(udpHandleCount(), baseline + 2 + 3 * 3);
    await emulator.cameras[0]?.reboot();
  } finally {
    await emulator.close();
  }
  // No settling here: close() itself waits until libuv has released the handles.
  assert.equal(udpHandleCount(), baseline);
  await emulator.close();
});

test('a port conflict makes start() reject without leaking sockets', async () => {
  const blocker = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.2', resolve));
  await settle();
  const baseline = udpHandleCount();
  await assert.rejects(
    CameraEmulator.start({ cameras: 2, dhPort: blocker.address().port, searchPort: 0 }),
    (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE',
  );
  await settle();
  assert.equal(udpHandleCount(), baseline);
  await new Promise<void>((resolve) => blocker.close(resolve));
});

test('one timer serves every camera, however many sessions they hold', async () => {
  const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const baseline = timers();
  await withEmulator({ cameras: 3 }, async (emulator, client) => {
    client.send(encodePppp({ kind: 'lan-search' }), { address: BROADCAST, port: emulator.searchPort });
    const punches = await client.take(3, kind('punch'));
    for (const punch of punches) client.send(punch.data, punch.from);
    await client.take(9, kind('ready'));
    assert.ok(emulator.cameras.every((c) => c.stats.sessionsEstablished === 1));
    assert.equal(timers(), baseline + 1);
  });
  assert.equal(timers(), baseline);
});

test('a reply delay is served by the host timer; a drop rate of 1 silences the camera', async () => {
  await withEmulator({ cameras: 2 }, async (emulator, client) => {
    const [slow, lossy] = emulator.cameras;
    assert.ok(slow && lossy);
    slow.setReplyDelay(100);
    lossy.setDropRate(1);
    const sent = Date.now();
    client.send(DH_PROBE, { address: BROADCAST, port: emulator.dhPort });
    const replies = await client.take(2, () => true);
    assert.ok(Date.now() - sent >= 90, 'held back by the delay');
    assert.ok(replies.every((r) => r.from.address === slow.ip));
    assert.equal(lossy.stats.datagramsDropped, 1);
    assert.equal(lossy.stats.probesAnswered, 0);
  });
});
