// Issue 5, node level: the DDNS password an emulated camera broadcasts in its DH reply. With
// includeSecrets false it appears in no message any node sends (discovered, changed, conflict,
// scan-complete, connected, disconnected, heartbeat, lost, restored, caught errors), in no log
// line at any level (node.error / warn / log / debug through RED.log), in no status, and not in
// the editor's scan answer, while discovery, a reboot, a forger copying the reply, foreign
// handshakes and malformed datagrams carrying the password all happen. With includeSecrets true
// it appears, and only as `ddns.password` of a camera record (msg.camera, and msg.payload where
// the payload is the record or the scan's list of records).
import assert from 'node:assert/strict';
import { type EventEmitter } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { type Node } from 'node-red';
import { type CameraEmulator } from '../../nodes/camera/emulator';
import { handleOf } from '../../nodes/adapter/network-handle';
import { buildDhReply } from '../../nodes/wire/dh';
import { parseDid } from '../../nodes/wire/did';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import sessionModule from '../../nodes/vstar-session';
import heartbeatModule from '../../nodes/vstar-heartbeat';
import { Inbox, freePort, getNode, guard, helper, networkNode, onTab } from '../nodes/fixtures';
import { FakeCamera } from './support/attacker';
import { LoopbackSocket } from './support/harness';
import { logLines, prototypeSpy, startCameras } from './nodes-support';

const modules = [networkModule, discoverModule, sessionModule, heartbeatModule];
const DDNS = { server: 'user2.ipcam.so', name: 'porch', user: 'ddnsuser', password: 'ddns-N0de-9c41e7' };
/** Where a shown password may sit: a camera record's `ddns.password`. */
const RECORD_PASSWORD = /^(camera|payload|payload\.cameras\.\d+)\.ddns\.password$/;

/** Every path inside `value` at which a string contains `secret` (Buffers included, as text). */
function pathsOf(value: unknown, secret: string, path = ''): string[] {
  if (typeof value === 'string') return value.includes(secret) ? [path] : [];
  if (Buffer.isBuffer(value)) return value.includes(secret) ? [path] : [];
  if (typeof value !== 'object' || value === null) return [];
  const found: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    found.push(...pathsOf(inner, secret, path === '' ? key : `${path}.${key}`));
  }
  return found;
}

describe('nodes: secrets', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await startCameras('127.0.53.1', [{ name: 'porch', ddns: DDNS }, { name: 'garage' }]);
  });
  after(() => emu.close());

  test('the DDNS password is in no message, log line or status without includeSecrets; with it only in ddns.password of a record', async (t) => {
    const camera = emu.cameras[0];
    assert.ok(camera);
    const did = parseDid(camera.did);
    assert.ok(did);
    const localDhPort = await freePort();
    let localPort = await freePort();
    while (localPort === localDhPort) localPort = await freePort();
    const discover = (id: string, output: string, includeSecrets: boolean, wire: string): object => ({
      id,
      type: 'vstar-discover',
      name: '',
      network: 'net',
      interval: 0,
      window: 300,
      output,
      includeSecrets,
      wires: [[wire]],
    });
    await helper.load(
      modules,
      onTab([
        networkNode(emu, { localDhPort, localPort, timeout: 2 }),
        discover('hide', 'each', false, 'out'),
        discover('hidelist', 'list', false, 'out'),
        discover('show', 'each', true, 'shown'),
        discover('showlist', 'list', true, 'shown'),
        {
          id: 'sess',
          type: 'vstar-session',
          name: '',
          network: 'net',
          camera: camera.uid,
          autoConnect: true,
          reconnect: true,
          wires: [['out']],
        },
        {
          id: 'beat',
          type: 'vstar-heartbeat',
          name: '',
          network: 'net',
          camera: camera.did,
          interval: 0.2,
          misses: 2,
          wires: [['out']],
        },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['out']] },
        { id: 'out', type: 'helper' },
        { id: 'shown', type: 'helper' },
      ]),
    );
    let fake: FakeCamera | undefined;
    const junk = await LoopbackSocket.open('127.0.53.50');
    try {
      const out = new Inbox(getNode('out'));
      const shown = new Inbox(getNode('shown'));
      const net = getNode('net');
      const endpoint = handleOf(net)?.endpoint;
      assert.ok(endpoint);
      const scanAll = async (): Promise<void> => {
        const [fromOut, fromShown] = [out.messages.length, shown.messages.length];
        for (const id of ['hide', 'hidelist', 'show', 'showlist']) getNode(id).receive({ payload: 'scan' });
        await out.event('scan-complete', fromOut);
        await shown.event('scan-complete', fromShown);
      };

      // discovered, scan-complete, connected, heartbeat.
      await out.event('connected', 0);
      await scanAll();
      await out.event('heartbeat', 0);
      const sighting = endpoint.table.get(camera.uid);
      assert.equal(sighting?.record.ddns.password, DDNS.password, 'the camera does broadcast it');

      // A reboot: changed (new HTTP port), disconnected (timeout), lost, then connected, restored.
      const fromReboot = out.messages.length;
      await camera.reboot();
      await out.event('disconnected', fromReboot);
      await scanAll();
      await out.event('changed', fromReboot);
      await out.event('connected', fromReboot);

      // A forger copying the whole reply, password included: conflict; its PUNCH at the session
      // socket is a foreign claim (a warning from the session node).
      assert.ok(sighting);
      fake = await FakeCamera.start('127.0.53.66', { dh: emu.dhPort, search: emu.searchPort }, did, sighting.record);
      const fromFake = out.messages.length;
      await scanAll();
      await out.event('conflict', fromFake);
      const claimed = nextCall(getNode('sess'), 'warn');
      fake.forgePunch({ address: '127.0.0.1', port: localPort });
      await claimed;

      // Malformed discovery datagrams carrying the password: the network's warning may not echo them.
      const reply = buildDhReply(sighting.record);
      const noUid = Buffer.from(reply);
      noUid.fill(0, 0x5c, 0x5c + 32);
      const warned = nextCall(net, 'warn');
      for (const datagram of [noUid, reply.subarray(0, 0x5c + 10), Buffer.from(DDNS.password)]) {
        await junk.sendAwait(datagram, { address: '127.0.0.1', port: localDhPort });
        await junk.sendAwait(datagram, { address: '127.0.0.1', port: localPort });
      }
      await warned;

      // A bad message for the session and the editor's scan answer.
      getNode('sess').receive({ payload: { reboot: true } });
      await out.next((m) => m.error !== undefined, 0, 'caught error');
      const answer = await helper.request().get('/vstar-p2p/scan').query({ network: 'net', window: '300' });
      assert.equal(answer.status, 200);

      const lines = logLines();
      const statuses = prototypeSpy(net, 'status')
        .getCalls()
        .map((c) => JSON.stringify(c.args[0]));
      const events = new Map<string, number>();
      for (const msg of out.messages)
        events.set(String(msg.event ?? 'caught'), (events.get(String(msg.event ?? 'caught')) ?? 0) + 1);
      t.diagnostic(
        `without includeSecrets: ${out.messages.length} messages (${[...events].map(([e, n]) => `${e} ${n}`).join(', ')}), ` +
          `${lines.length} log lines (${lines.filter((l) => l.level === 30).length} warnings), ${statuses.length} statuses, 1 scan answer`,
      );
      const leaks = [
        ...out.messages.flatMap((m, i) =>
          pathsOf(m, DDNS.password).map((p) => `message ${i} (${String(m.event)}): ${p}`),
        ),
        ...lines.filter((l) => l.text.includes(DDNS.password)).map((l) => `log: ${l.text}`),
        ...statuses.filter((s) => s.includes(DDNS.password)).map((s) => `status: ${s}`),
        ...(answer.text.includes(DDNS.password) ? [`scan answer: ${answer.text}`] : []),
      ];
      assert.deepEqual(leaks, [], 'the DDNS password leaked');

      // With includeSecrets: there, and only as ddns.password of a camera record.
      const places = shown.messages.flatMap((m) => pathsOf(m, DDNS.password).map((p) => `${String(m.event)} ${p}`));
      t.diagnostic(
        `with includeSecrets: ${shown.messages.length} messages; the password at: ${[...new Set(places)].join(', ')}`,
      );
      assert.ok(
        shown.messages.some(
          (m) => (m.camera as { ddns?: { password?: string } } | undefined)?.ddns?.password === DDNS.password,
        ),
        'msg.camera.ddns.password is there',
      );
      for (const place of places) assert.match(place.split(' ')[1] ?? '', RECORD_PASSWORD, place);
    } finally {
      await fake?.close();
      await junk.close();
      await helper.unload();
    }
  });
});

/** The next call of a spied method on one node (the helper emits `call:<method>` after each). */
function nextCall(node: Node, method: 'warn' | 'error'): Promise<unknown[]> {
  const emitter: EventEmitter = node;
  return guard(
    new Promise((resolve) => {
      const listener = (call: { thisValue: unknown; args: unknown[] }): void => {
        if (call.thisValue !== node) return;
        emitter.off(`call:${method}`, listener);
        resolve(call.args);
      };
      emitter.on(`call:${method}`, listener);
    }),
    `no node.${method} from ${node.id}`,
  );
}
