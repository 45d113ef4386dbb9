import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, test } from 'node:test';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { type CameraLink } from '../../nodes/engine/camera-link';
import { Endpoint, type EndpointOptions } from '../../nodes/engine/endpoint';
import { nextEvent } from '../support/events';

// Every datagram in this file goes to 127.0.0.0/8: cameras live on 127.0.21.N, the addresses
// nobody answers on are 127.0.22.N, broadcasts go to 127.255.255.255, every port comes from bind(0).
function endpointFor(emu: CameraEmulator, extra: Partial<EndpointOptions>): Endpoint {
  return new Endpoint({
    bind: '0.0.0.0',
    targets: ['127.255.255.255'],
    dhPort: emu.dhPort,
    searchPort: emu.searchPort,
    timeoutMs: 2000,
    handshakeTimeoutMs: 3000,
    passphrases: [],
    ...extra,
  });
}

function connected(link: CameraLink): Promise<unknown> {
  return link.connected ? Promise.resolve(link.connected) : nextEvent(link, 'connected');
}

describe('handshakes in flight at once (maxHandshakes)', () => {
  test('twelve sessions started together connect, never more than four handshaking at a time', async () => {
    const emu = await CameraEmulator.start({ cameras: 12, firstAddress: '127.0.21.1', dhPort: 0, searchPort: 0 });
    const endpoint = endpointFor(emu, { maxHandshakes: 4 });
    try {
      let handshaking = 0;
      let most = 0;
      const links = emu.cameras.map((camera) => {
        const link = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: false });
        assert.ok(link);
        // 'connecting' is told when an attempt really starts, i.e. once it got its turn.
        link.on('connecting', () => {
          handshaking++;
          most = Math.max(most, handshaking);
        });
        link.on('connected', () => handshaking--);
        return link;
      });
      // Asked before the sockets are bound: they all start the moment the endpoint is ready.
      for (const link of links) link.connect();
      await Promise.all(links.map(connected));
      assert.equal(most, 4, 'four at a time, not twelve and not fewer');
      assert.equal(handshaking, 0);
    } finally {
      await endpoint.close();
      await emu.close();
    }
  });

  test('cameras that do not answer hold a waiting session back for one search interval, not the handshake timeout', async () => {
    const emu = await CameraEmulator.start({ cameras: 1, firstAddress: '127.0.21.101', dhPort: 0, searchPort: 0 });
    const endpoint = endpointFor(emu, { maxHandshakes: 2 });
    try {
      await endpoint.ready();
      const dark = ['127.0.22.1', '127.0.22.2'].map((ip) => {
        const link = endpoint.link({ kind: 'ip', ip }, { reconnect: false });
        assert.ok(link);
        link.connect();
        return link;
      });
      const camera = emu.cameras[0];
      assert.ok(camera);
      const live = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: false });
      assert.ok(live);
      const t0 = performance.now();
      live.connect();
      assert.equal(live.state, 'waiting', 'both places are taken by the dark cameras');
      await connected(live);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed < 1500, `connected after ${Math.round(elapsed)} ms, well before the 3 s handshake timeout`);
      assert.ok(
        dark.every((link) => link.state === 'connecting'),
        'the dark cameras are still being searched for',
      );
    } finally {
      await endpoint.close();
      await emu.close();
    }
  });

  test('a session waiting for its turn that is disconnected meanwhile does not start when its turn comes', async () => {
    const emu = await CameraEmulator.start({ cameras: 3, firstAddress: '127.0.21.201', dhPort: 0, searchPort: 0 });
    const endpoint = endpointFor(emu, { maxHandshakes: 1 });
    try {
      await endpoint.ready();
      const [first, second, third] = emu.cameras.map((camera) => {
        const link = endpoint.link({ kind: 'ip', ip: camera.ip }, { reconnect: false });
        assert.ok(link);
        return link;
      });
      assert.ok(first && second && third);
      first.connect();
      second.connect();
      third.connect();
      assert.equal(second.state, 'waiting');
      second.disconnect();
      await Promise.all([connected(first), connected(third)]);
      assert.equal(second.state, 'stopped', 'the user said disconnect: it stays so');
      assert.equal(second.connected, undefined);
    } finally {
      await endpoint.close();
      await emu.close();
    }
  });
  test('closing the endpoint, or letting go of every session in one go, starts none of those still waiting', async (t) => {
    const emu = await CameraEmulator.start({ cameras: 1, firstAddress: '127.0.21.151', dhPort: 0, searchPort: 0 });
    t.after(() => emu.close());
    for (const how of ['close', 'release'] as const) {
      const endpoint = endpointFor(emu, { maxHandshakes: 1 });
      try {
        await endpoint.ready();
        // Nobody answers at 127.0.22.x: the first holds the only place, the others wait behind it.
        const links = ['127.0.22.11', '127.0.22.12', '127.0.22.13'].map((ip) => {
          const link = endpoint.link({ kind: 'ip', ip }, { reconnect: false });
          assert.ok(link);
          link.connect();
          return link;
        });
        assert.deepEqual(
          links.map((link) => link.state),
          ['connecting', 'waiting', 'waiting'],
        );
        let started = 0;
        for (const link of links) link.on('connecting', () => started++);
        if (how === 'close') await endpoint.close();
        else for (const link of links) endpoint.release(link);
        // The turn after: a place freed by the first link is given out then, if anyone still waits.
        await new Promise<void>((resolve) => setImmediate(resolve));
        assert.equal(started, 0, `${how}: no waiting session started on the way down`);
      } finally {
        await endpoint.close();
      }
    }
  });
});
