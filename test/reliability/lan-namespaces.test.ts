// Issue 5, item 1: a real multi-host LAN. Four network namespaces made by this test (a bridge,
// a client host, two camera hosts), real broadcast to 255.255.255.255 inside them, the Endpoint
// and the emulator each in their own process. Nothing here touches the test's own namespace:
// every veth pair is created inside the namespaces and every address exists only there.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { JsonChild, type ChildMessage } from './support/json-child';
import { NamespaceLan, namespaceUnavailable, sweepStaleNamespaces } from './support/netns';

const ROOT = join(__dirname, '..', '..');
const TIMEOUT_MS = 2000;
const HANDSHAKE_TIMEOUT_MS = 2000;
const CAMERAS = [
  { host: 'cam1', uid: 'VSTB112233ABCDE', mac: '48:02:2A:10:00:01', name: 'Porch' },
  { host: 'cam2', uid: 'VSTC445566FGHIJ', mac: '48:02:2A:10:00:02', name: 'Garage' },
] as const;

const unavailable = namespaceUnavailable();

function nodeIn(lan: NamespaceLan, host: string, script: string, options: object): JsonChild {
  const args = [
    ...lan.execPrefix(lan.host(host)),
    process.execPath,
    '--import',
    'tsx',
    join(__dirname, 'fixtures', script),
    JSON.stringify(options),
  ];
  return new JsonChild(host, 'ip', args, ROOT);
}

const isType =
  (type: string, id?: string) =>
  (m: ChildMessage): boolean =>
    m.type === type && (id === undefined || m.id === id);

describe('a LAN of network namespaces: client and two cameras behind a bridge', { skip: unavailable }, () => {
  const children: JsonChild[] = [];
  let lan: NamespaceLan | undefined;

  after(async () => {
    // Children first (a namespace lives on while a process is in it), then the namespaces.
    await Promise.all(children.map((c) => c.stop()));
    lan?.destroy();
  });

  test(`broadcast discovery finds both cameras; a link down is lost within ${TIMEOUT_MS} ms and reconnects after link up`, async (t) => {
    const swept = sweepStaleNamespaces();
    if (swept.length > 0) t.diagnostic(`removed namespaces left by dead runs: ${swept.join(' ')}`);
    lan = new NamespaceLan(['client', ...CAMERAS.map((c) => c.host)]);
    const [first, second] = CAMERAS;
    const cam1Host = lan.host(first.host);
    const cam2Host = lan.host(second.host);

    // Camera 1 takes ports from bind(0) inside its namespace; camera 2, on another host, uses the same ones.
    const cam1 = nodeIn(lan, first.host, 'lan-camera.ts', {
      ...first,
      address: cam1Host.address,
      dhPort: 0,
      searchPort: 0,
    });
    children.push(cam1);
    const cam1Ready = await cam1.waitFor(isType('ready'));
    const dhPort = Number(cam1Ready.dhPort);
    const searchPort = Number(cam1Ready.searchPort);
    const cam2 = nodeIn(lan, second.host, 'lan-camera.ts', {
      ...second,
      address: cam2Host.address,
      dhPort,
      searchPort,
    });
    children.push(cam2);
    await cam2.waitFor(isType('ready'));

    const client = nodeIn(lan, 'client', 'lan-client.ts', {
      targets: ['255.255.255.255'],
      dhPort,
      searchPort,
      timeoutMs: TIMEOUT_MS,
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
    });
    children.push(client);
    const ready = await client.waitFor(isType('ready'));
    assert.equal(ready.state, 'ready', client.diagnostics);

    // Discovery: one probe to 255.255.255.255 reaches both hosts through the bridge.
    client.send({ cmd: 'scan', windowMs: 1000 });
    const scan = await client.waitFor(isType('scan'));
    const found = scan.cameras as { uid: string; address: string }[];
    assert.deepEqual(
      found.map((c) => `${c.uid}@${c.address}`).sort(),
      [`${first.uid}@${cam1Host.address}`, `${second.uid}@${cam2Host.address}`].sort(),
      client.diagnostics,
    );
    t.diagnostic(`discovery over broadcast found ${found.length} cameras on 2 hosts`);

    // Sessions to both cameras, by UID (pinned to the addresses discovery vouched for).
    client.send({ cmd: 'link', id: 'one', camera: first.uid, reconnect: true });
    client.send({ cmd: 'link', id: 'two', camera: second.uid, reconnect: true });
    const [up1, up2] = await Promise.all([
      client.waitFor(isType('connected', 'one')),
      client.waitFor(isType('connected', 'two')),
    ]);
    assert.equal((up1.peer as { address: string }).address, cam1Host.address);
    assert.equal((up2.peer as { address: string }).address, cam2Host.address);
    t.diagnostic(`connected: ${String(up1.handshakeMs)} ms and ${String(up2.handshakeMs)} ms handshakes`);

    // Pull camera 1's cable.
    const sinceDown = client.mark();
    lan.linkDown(cam1Host);
    const downAt = performance.now();
    const lost = await client.waitFor(isType('disconnected', 'one'), 15_000, sinceDown);
    const lostAfterMs = performance.now() - downAt;
    assert.equal(lost.reason, 'timeout', client.diagnostics);
    t.diagnostic(`link down -> disconnected(timeout) after ${Math.round(lostAfterMs)} ms (timeout ${TIMEOUT_MS} ms)`);
    // The last datagram heard came at most one ALIVE interval (1 s) before the cable went; the
    // rest is room for a loaded machine.
    assert.ok(lostAfterMs <= TIMEOUT_MS + 1000, `lost after ${Math.round(lostAfterMs)} ms`);
    assert.ok(lostAfterMs >= TIMEOUT_MS - 1500, `lost too early: ${Math.round(lostAfterMs)} ms`);

    // Plug it back in.
    const sinceUp = client.mark();
    lan.linkUp(cam1Host);
    const upAt = performance.now();
    const back = await client.waitFor(isType('connected', 'one'), 30_000, sinceUp);
    t.diagnostic(
      `link up -> connected again after ${Math.round(performance.now() - upAt)} ms (attempt ${String(back.attempt)})`,
    );
    assert.equal((back.peer as { address: string }).address, cam1Host.address);

    // Camera 2 never noticed; camera 1's events alternate.
    const events = client.log.map((l) => l.message);
    const two = events.filter((m) => m.id === 'two' && (m.type === 'connected' || m.type === 'disconnected'));
    assert.deepEqual(
      two.map((m) => m.type),
      ['connected'],
      'camera 2 stayed connected throughout',
    );
    const one = events.filter((m) => m.id === 'one' && (m.type === 'connected' || m.type === 'disconnected'));
    assert.deepEqual(
      one.map((m) => m.type),
      ['connected', 'disconnected', 'connected'],
    );
  });
});
