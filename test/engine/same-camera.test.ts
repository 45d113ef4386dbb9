// Two specs that resolve to one camera share one session: the link created second follows the
// first, relays its events and calls, and the session lives while any of their users does.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { type CameraLink } from '../../nodes/engine/camera-link';
import { Endpoint } from '../../nodes/engine/endpoint';
import { type HeartbeatEvent } from '../../nodes/session/heartbeat-monitor';
import { nextEvent } from '../support/events';

function connected(link: CameraLink): Promise<unknown> {
  return link.connected ? Promise.resolve(link.connected) : nextEvent(link, 'connected');
}

describe('links to one camera under two names', () => {
  let emu: CameraEmulator;
  let endpoint: Endpoint;
  const warnings: string[] = [];

  before(async () => {
    emu = await CameraEmulator.start({ cameras: 2, firstAddress: '127.0.32.1', dhPort: 0, searchPort: 0 });
    endpoint = new Endpoint({
      targets: ['127.255.255.255'],
      dhPort: emu.dhPort,
      searchPort: emu.searchPort,
      timeoutMs: 2000,
      handshakeTimeoutMs: 3000,
    });
    endpoint.on('warning', (w) => warnings.push(w));
    await endpoint.ready();
  });

  after(async () => {
    await endpoint.close();
    await emu.close();
  });

  test('a UID link made after an IP link is up joins it: one session, commands and heartbeats through it', async () => {
    const camera = emu.cameras[0];
    assert.ok(camera);
    const byIp = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: true });
    assert.ok(byIp);
    byIp.connect();
    await connected(byIp);
    const byUid = endpoint.link({ kind: 'uid', uid: camera.uid }, { reconnect: true });
    assert.ok(byUid);
    assert.equal(byUid.following, byIp);
    assert.equal(byUid.connected?.peer.address, camera.ip);
    assert.match(warnings.at(-1) ?? '', new RegExp(`${camera.uid}.*${camera.ip.replace(/\./g, '\\.')}.*one camera`));
    const vars = await byUid.cgi('get_status', {}, { user: 'admin', password: '888888' }, 3000);
    assert.equal(vars.deviceid?.replace(/-/g, ''), camera.uid);
    const beat = byUid.startHeartbeat({ intervalMs: 200, misses: 3 });
    const [event] = await nextEvent<[HeartbeatEvent]>(beat, 'heartbeat');
    assert.equal(event?.report.connected, true);
    beat.stop();
    assert.equal(camera.stats.sessionsEstablished, 1, 'the camera saw one session');

    // The session outlives whichever name goes first, and goes with the last.
    const closed = nextEvent(emu, 'session-closed');
    endpoint.release(byIp);
    assert.ok(byUid.connected, 'still up for the UID link');
    endpoint.release(byUid);
    await closed;
    assert.equal(endpoint.sessionCount, 0);
  });

  test('two links searching at once: the one that connects takes the other along', async () => {
    const camera = emu.cameras[1];
    assert.ok(camera);
    const byUid = endpoint.link({ kind: 'uid', uid: camera.uid }, { reconnect: true });
    const byIp = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: true });
    assert.ok(byUid && byIp);
    const both = Promise.all([connected(byUid), connected(byIp)]);
    byUid.connect();
    byIp.connect();
    await both;
    assert.ok(byIp.following === byUid || byUid.following === byIp, 'one follows the other');
    assert.equal(byIp.connected?.peer.port, camera.sessionPort);
    endpoint.release(byUid);
    endpoint.release(byIp);
    assert.equal(endpoint.sessionCount, 0);
  });
});
