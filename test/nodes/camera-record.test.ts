// Issue 9, point 1: when two addresses claim one UID, a session's messages must describe the
// camera at the address the session is connected to, never the other claimant, whatever order
// their discovery replies arrived in.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type NodeMessage } from 'node-red';
import { CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import sessionModule from '../../nodes/vstar-session';
import heartbeatModule from '../../nodes/vstar-heartbeat';
import { Inbox, LOOPBACK_BROADCAST, getNode, helper, networkNode, onTab } from './fixtures';

const modules = [networkModule, discoverModule, sessionModule, heartbeatModule];
const SHARED_UID = 'VSTB-424242-CLASH';

interface Case {
  readonly spec: 'ip of the first' | 'ip of the second' | 'uid';
  /** Reply delay of each claimant: who is heard first. */
  readonly delays: readonly [number, number];
  /** Whether discovery runs before the session connects or only after. */
  readonly scan: 'before' | 'after';
}

const cases: Case[] = [];
for (const spec of ['ip of the first', 'ip of the second', 'uid'] as const)
  for (const delays of [
    [0, 40],
    [40, 0],
  ] as const)
    for (const scan of ['before', 'after'] as const) cases.push({ spec, delays, scan });

describe('msg.camera when two addresses claim one UID', () => {
  let emu: CameraEmulator;
  let claimants: readonly [EmulatedCamera, EmulatedCamera];

  before(async () => {
    emu = await CameraEmulator.start({
      cameras: [
        { uid: SHARED_UID, mac: '48:02:2A:AA:00:01', name: 'Real', httpPort: 11481 },
        { uid: SHARED_UID, mac: '66:66:66:66:66:66', name: 'Impostor', httpPort: 6666 },
      ],
      firstAddress: '127.0.31.2',
      dhPort: 0,
      searchPort: 0,
      broadcastAddress: LOOPBACK_BROADCAST,
    });
    const [first, second] = emu.cameras;
    assert.ok(first && second);
    claimants = [first, second];
  });
  after(() => emu.close());
  afterEach(async () => {
    for (const camera of claimants) camera.setReplyDelay(0);
    await helper.unload();
  });

  for (const c of cases) {
    test(`session by ${c.spec}, replies ${c.delays[0]}/${c.delays[1]} ms late, scan ${c.scan} connecting`, async () => {
      claimants.forEach((camera, i) => camera.setReplyDelay(c.delays[i] ?? 0));
      const camera = c.spec === 'uid' ? SHARED_UID : c.spec === 'ip of the first' ? claimants[0].ip : claimants[1].ip;
      await helper.load(
        modules,
        onTab([
          networkNode(emu, { timeout: 5 }),
          // prettier-ignore
          { id: 'disc', type: 'vstar-discover', name: '', network: 'net', interval: 0, window: 150, output: 'list', includeSecrets: false, wires: [['found']] },
          { id: 'found', type: 'helper' },
          // prettier-ignore
          { id: 'sess', type: 'vstar-session', name: '', network: 'net', camera, autoConnect: false, reconnect: true, wires: [['out']] },
          { id: 'out', type: 'helper' },
          // prettier-ignore
          { id: 'beat', type: 'vstar-heartbeat', name: '', network: 'net', camera, interval: 0.2, misses: 3, wires: [['beats']] },
          { id: 'beats', type: 'helper' },
        ]),
      );
      const found = new Inbox(getNode('found'));
      const out = new Inbox(getNode('out'));
      const beats = new Inbox(getNode('beats'));
      const scan = async (): Promise<void> => {
        const from = found.messages.length;
        getNode('disc').receive({ payload: 'scan' });
        await found.event('scan-complete', from);
      };
      if (c.scan === 'before') await scan();
      getNode('sess').receive({ payload: 'connect' });
      const connected = await out.event('connected', 0);
      if (c.scan === 'after') await scan();

      const peer = (connected.payload as { peer: { address: string } }).peer.address;
      const pinnedTo = claimants.find((claimant) => claimant.ip === peer);
      assert.ok(pinnedTo, `connected to one of the claimants, not ${peer}`);
      if (c.spec !== 'uid') assert.equal(peer, camera, 'a session by IP stays with that IP');
      assertDescribes(connected, pinnedTo, 'connected');
      const beat = await beats.next((m) => m.event === 'heartbeat' && hasMac(m), beats.messages.length, 'heartbeat');
      assertDescribes(beat, pinnedTo, 'heartbeat');
      for (const msg of [...out.messages, ...beats.messages]) assertDescribes(msg, pinnedTo, String(msg.event));
    });
  }
});

function hasMac(msg: NodeMessage): boolean {
  return typeof (msg.camera as { mac?: unknown } | undefined)?.mac === 'string';
}

/** Either the full record heard from the pinned address, or only what the session learned: never the other claimant's. */
function assertDescribes(msg: NodeMessage, camera: EmulatedCamera, what: string): void {
  const record = msg.camera as Record<string, unknown> | undefined;
  if (record === undefined) return;
  assert.equal(record.ip, camera.ip, `${what}: msg.camera.ip`);
  if ('mac' in record) {
    assert.equal(record.mac, camera.mac, `${what}: msg.camera.mac`);
    assert.equal(record.httpPort, camera.httpPort, `${what}: msg.camera.httpPort`);
  }
}
