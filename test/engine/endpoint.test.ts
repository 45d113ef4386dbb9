import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { type CameraLink } from '../../nodes/engine/camera-link';
import { type CameraSighting } from '../../nodes/engine/discovery-table';
import { Endpoint, type EndpointOptions } from '../../nodes/engine/endpoint';
import { type HeartbeatEvent } from '../../nodes/session/heartbeat-monitor';
import { encodePppp } from '../../nodes/wire/pppp';
import { parseDid } from '../../nodes/wire/did';
import { nextEvent } from '../support/events';

// Every datagram in this file goes to 127.0.0.0/8: cameras live on 127.0.0.N, broadcasts go to
// 127.255.255.255, and every port comes from bind(0).
function endpointFor(emu: CameraEmulator, extra: Partial<EndpointOptions> = {}): Endpoint {
  return new Endpoint({
    bind: '0.0.0.0',
    targets: ['127.255.255.255'],
    dhPort: emu.dhPort,
    searchPort: emu.searchPort,
    timeoutMs: 2000,
    handshakeTimeoutMs: 3000,
    ...extra,
  });
}

function connected(link: CameraLink): Promise<unknown> {
  return link.connected ? Promise.resolve(link.connected) : nextEvent(link, 'connected');
}

describe('endpoint against emulated cameras over loopback', () => {
  let emu: CameraEmulator;
  let endpoint: Endpoint;

  before(async () => {
    emu = await CameraEmulator.start({ cameras: 3, firstAddress: '127.0.10.1', dhPort: 0, searchPort: 0 });
    endpoint = endpointFor(emu);
    await endpoint.ready();
  });

  after(async () => {
    await endpoint.close();
    await emu.close();
  });

  test('discovers three cameras with every field of their DH replies', async () => {
    const discovered: CameraSighting[] = [];
    endpoint.on('discovered', (s) => discovered.push(s));
    const result = await endpoint.scan(500);
    assert.equal(result.cameras.length, 3);
    assert.equal(discovered.length, 3, 'one discovered event per camera, broadcast copies deduplicated');
    for (const camera of emu.cameras) {
      const seen = result.cameras.find((c) => c.record.uid === camera.uid);
      assert.ok(seen, `camera ${camera.uid} found`);
      assert.equal(seen.address, camera.ip);
      assert.equal(seen.record.ip, camera.ip);
      assert.equal(seen.record.mac, camera.mac);
      assert.equal(seen.record.httpPort, camera.httpPort);
      const record = endpoint.record(seen, false);
      assert.equal(record.did, camera.did);
      assert.equal(record.ddns.password, undefined, 'secret left out');
    }
    endpoint.removeAllListeners('discovered');
  });

  test('connects to one camera by UID and to another by IP, and both answer heartbeats', async () => {
    const [first, second] = emu.cameras;
    assert.ok(first && second);
    const byUid = endpoint.link({ kind: 'uid', uid: first.uid }, { reconnect: false });
    const byIp = endpoint.link({ kind: 'ip', ip: second.ip }, { reconnect: false });
    assert.ok(byUid && byIp);
    byUid.connect();
    byIp.connect();
    await Promise.all([connected(byUid), connected(byIp)]);
    assert.equal(byUid.connected?.uid, first.uid);
    assert.equal(byUid.connected?.peer.address, first.ip);
    assert.equal(byUid.connected?.peer.port, first.sessionPort);
    assert.equal(byIp.connected?.uid, second.uid);
    assert.equal(byIp.connected?.encryption, 'none');

    const heartbeat = byUid.startHeartbeat({ intervalMs: 200, misses: 3 });
    const [beat] = await nextEvent<[HeartbeatEvent]>(heartbeat, 'heartbeat', (e) => e.report.rttMs !== null);
    assert.equal(beat.report.connected, true);
    assert.ok((beat.report.rttMs ?? -1) >= 0);
    heartbeat.stop();

    const vars = await byUid.cgi('get_status', {}, { user: 'admin', password: '888888' }, 2000);
    assert.equal(vars.deviceid?.replace(/-/g, ''), first.uid);

    endpoint.release(byUid);
    endpoint.release(byIp);
  });

  test('a camera power cut is lost within the timeout and reconnects when it returns', async () => {
    const camera = emu.cameras[2];
    assert.ok(camera);
    const link = endpoint.link({ kind: 'uid', uid: camera.uid }, { reconnect: true });
    assert.ok(link);
    link.connect();
    await connected(link);
    const heartbeat = link.startHeartbeat({ intervalMs: 200, misses: 3 });
    const lost = nextEvent(heartbeat, 'lost');
    const dropped = nextEvent<[{ reason: string }]>(link, 'disconnected');
    await camera.powerOff();
    await lost;
    const [{ reason }] = await dropped;
    assert.equal(reason, 'timeout');
    const restored = nextEvent(heartbeat, 'restored');
    const back = nextEvent(link, 'connected');
    await camera.powerOn();
    await back;
    await restored;
    heartbeat.stop();
    endpoint.release(link);
  });

  test('a reboot shows up as changed (new HTTP port) and the session reconnects to the new port', async () => {
    const camera = emu.cameras[0];
    assert.ok(camera);
    const link = endpoint.link({ kind: 'uid', uid: camera.uid }, { reconnect: true });
    assert.ok(link);
    link.connect();
    await connected(link);
    const oldPort = camera.sessionPort;
    const oldHttp = camera.httpPort;
    const dropped = nextEvent(link, 'disconnected');
    await camera.reboot();
    assert.notEqual(camera.httpPort, oldHttp);
    const changed = nextEvent<[{ sighting: CameraSighting; changes: readonly string[] }]>(endpoint, 'changed');
    await endpoint.scan(400);
    const [change] = await changed;
    assert.deepEqual(change.changes, ['httpPort']);
    assert.equal(change.sighting.record.httpPort, camera.httpPort);
    await dropped;
    await nextEvent(link, 'connected');
    assert.notEqual(link.connected?.peer.port, oldPort);
    assert.equal(link.connected?.peer.port, camera.sessionPort);
    endpoint.release(link);
  });

  test('a PUNCH for a pinned camera from another address is ignored and counted', async () => {
    const camera = emu.cameras[1];
    assert.ok(camera);
    const did = parseDid(camera.did);
    assert.ok(did);
    const spoofer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => spoofer.bind(0, '127.0.66.6', resolve));
    const localPort = endpoint.localPorts.pppp;
    assert.ok(localPort);
    const link = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: false });
    assert.ok(link);
    const claims = nextEvent(link, 'foreign-claim');
    link.connect();
    // The forged PUNCH races the real camera's; the session must still pick the real one.
    spoofer.send(encodePppp({ kind: 'punch', did }), localPort, '127.0.0.1');
    await claims;
    await connected(link);
    assert.equal(link.connected?.peer.address, camera.ip);
    spoofer.close();
    endpoint.release(link);
  });
});

describe('encrypted cameras', () => {
  test('a camera speaking vstarcam2019 connects with encryption "auto"', async () => {
    const emu = await CameraEmulator.start({
      cameras: 1,
      firstAddress: '127.0.11.1',
      dhPort: 0,
      searchPort: 0,
      passphrase: 'vstarcam2019',
    });
    const endpoint = endpointFor(emu);
    try {
      await endpoint.ready();
      const camera = emu.cameras[0];
      assert.ok(camera);
      const link = endpoint.link({ kind: 'uid', uid: camera.uid }, { reconnect: false });
      assert.ok(link);
      link.connect();
      await connected(link);
      assert.equal(link.connected?.encryption, 'vstarcam2019');
      const vars = await link.cgi('get_status', {}, { user: 'admin', password: '888888' }, 2000);
      assert.ok('deviceid' in vars);
      endpoint.release(link);
    } finally {
      await endpoint.close();
      await emu.close();
    }
  });
});

describe('endpoint lifecycle', () => {
  test('a port in use is reported and retried until it is free', async () => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '0.0.0.0', resolve));
    const port = blocker.address().port;
    const endpoint = new Endpoint({ targets: ['127.255.255.255'], localPort: port, bindRetryMs: 50 });
    try {
      if (endpoint.state !== 'error') await nextEvent(endpoint, 'state', (state: string) => state === 'error');
      assert.equal(endpoint.stateMessage, `port ${port} in use`);
      const ready = endpoint.ready();
      await new Promise<void>((resolve) => blocker.close(resolve));
      await ready;
      assert.equal(endpoint.localPorts.pppp, port);
    } finally {
      await endpoint.close();
    }
  });

  test("close() lets every session's CLOSE reach the camera before the sockets go", async () => {
    const emu = await CameraEmulator.start({ cameras: 1, firstAddress: '127.0.12.1', dhPort: 0, searchPort: 0 });
    const endpoint = endpointFor(emu);
    try {
      await endpoint.ready();
      const camera = emu.cameras[0];
      assert.ok(camera);
      const link = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: false });
      assert.ok(link);
      link.connect();
      await connected(link);
      const closedByClient = nextEvent(emu, 'session-closed', (_camera: unknown, _peer: unknown, reason: string) => {
        return reason === 'closed-by-client';
      });
      await endpoint.close();
      await closedByClient;
    } finally {
      await endpoint.close();
      await emu.close();
    }
  });

  test('a discovered camera gets one LAN_SEARCH: its address, the form its UID names (issue 14)', async () => {
    const emu = await CameraEmulator.start({ cameras: 1, firstAddress: '127.0.13.1', dhPort: 0, searchPort: 0 });
    const endpoint = endpointFor(emu);
    try {
      await endpoint.ready();
      const camera = emu.cameras[0];
      assert.ok(camera);
      await endpoint.scan(200);
      const link = endpoint.link({ kind: 'uid', uid: camera.uid }, { reconnect: false });
      assert.ok(link);
      link.connect();
      await connected(link);
      assert.equal(camera.stats.searchesAnswered, 1);
      assert.equal(camera.stats.datagramsIgnored, 0, 'no encrypted or broadcast copies');
    } finally {
      await endpoint.close();
      await emu.close();
    }
  });

  test('a camera whose UID prefix misleads still connects: every form goes out once the first search is unanswered', async () => {
    const emu = await CameraEmulator.start({
      cameras: 1,
      firstAddress: '127.0.14.1',
      dhPort: 0,
      searchPort: 0,
      passphrase: 'vstarcam2019',
    });
    const endpoint = endpointFor(emu);
    try {
      await endpoint.ready();
      const camera = emu.cameras[0];
      assert.ok(camera);
      assert.ok(camera.uid.startsWith('VSTB'), 'a plaintext family by its prefix');
      await endpoint.scan(200);
      const link = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: false });
      assert.ok(link);
      link.connect();
      await connected(link);
      assert.equal(link.connected?.encryption, 'vstarcam2019');
      assert.ok(camera.stats.datagramsIgnored >= 1, 'the plaintext first search went unanswered');
    } finally {
      await endpoint.close();
      await emu.close();
    }
  });

  test('close() resolves after both sockets closed and can be called twice', async () => {
    const endpoint = new Endpoint({ targets: ['127.255.255.255'] });
    await endpoint.ready();
    await endpoint.close();
    await endpoint.close();
    assert.equal(endpoint.state, 'closed');
  });
});
