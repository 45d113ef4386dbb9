import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type CameraEmulator } from '../../nodes/camera/emulator';
import { CameraEmulator as Emulator } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import {
  DDNS,
  Inbox,
  LOOPBACK_BROADCAST,
  getNode,
  helper,
  networkNode,
  onTab,
  startEmulator,
  waitStatus,
} from './fixtures';

const modules = [networkModule, discoverModule];

function discoverFlow(emu: CameraEmulator, props: Record<string, unknown> = {}): object[] {
  return onTab([
    networkNode(emu),
    {
      id: 'disc',
      type: 'vstar-discover',
      name: '',
      network: 'net',
      interval: 0,
      window: 400,
      output: 'each',
      includeSecrets: false,
      wires: [['out']],
      ...props,
    },
    { id: 'out', type: 'helper' },
  ]);
}

describe('vstar-discover', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  afterEach(() => helper.unload());

  test('a scan emits discovered once per camera, then scan-complete, with the message contract', async () => {
    await helper.load(modules, discoverFlow(emu));
    const inbox = new Inbox(getNode('out'));
    getNode('disc').receive({ payload: 'go' });
    const complete = await inbox.event('scan-complete');

    const discovered = inbox.of('discovered');
    assert.equal(discovered.length, 3);
    assert.deepEqual(discovered.map((m) => m.topic).sort(), emu.cameras.map((c) => c.uid).sort());
    for (const msg of discovered) {
      const camera = emu.camera(String(msg.topic));
      assert.ok(camera, `unknown topic ${String(msg.topic)}`);
      assert.equal(msg.event, 'discovered');
      assert.equal(msg.topic, camera.uid);
      assert.doesNotMatch(String(msg.topic), /-/);
      const record = msg.camera as Record<string, unknown>;
      assert.equal(record.uid, camera.uid);
      assert.equal(record.did, camera.did);
      assert.equal(record.ip, camera.ip);
      assert.equal(record.mac, camera.mac);
      assert.match(String(record.mac), /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
      assert.equal(record.httpPort, camera.httpPort);
      assert.equal(record.name, camera.machine.config.name);
      assert.equal(record.firmware, '48.53.72.104');
      assert.equal(record.netmask, '255.0.0.0');
      assert.equal(record.gateway, '127.0.0.1');
      assert.deepEqual(record.dns, ['127.0.0.1', '127.0.0.1']);
      assert.equal(record.dhcp, true);
      assert.deepEqual(Object.keys(record).sort(), [
        'ddns',
        'dhcp',
        'did',
        'dns',
        'firmware',
        'gateway',
        'httpPort',
        'ip',
        'mac',
        'name',
        'netmask',
        'uid',
      ]);
      assert.equal('password' in (record.ddns as object), false, 'the DDNS password stays out');
      assert.deepEqual(msg.payload, record, 'payload is the camera record');
    }
    const porch = discovered.find((m) => m.topic === emu.cameras[0]?.uid);
    assert.deepEqual((porch?.camera as { ddns: unknown }).ddns, {
      server: DDNS.server,
      name: DDNS.name,
      user: DDNS.user,
    });
    assert.equal(JSON.stringify(inbox.messages).includes(DDNS.password), false, 'no secret anywhere in the messages');
    assert.equal(
      (inbox.of('discovered').find((m) => m.topic === emu.cameras[2]?.uid)?.camera as { name: string }).name,
      'Гостиная',
      'UTF-8 names survive',
    );

    assert.equal(complete.topic, 'scan');
    assert.equal(complete.camera, undefined);
    const payload = complete.payload as {
      cameras: { uid: string }[];
      count: number;
      durationMs: number;
      targets: string[];
    };
    assert.deepEqual(Object.keys(payload).sort(), [
      'cameras',
      'count',
      'durationMs',
      'errors',
      'suppressed',
      'targets',
    ]);
    assert.equal(payload.count, 3);
    assert.deepEqual(payload.cameras.map((c) => c.uid).sort(), emu.cameras.map((c) => c.uid).sort());
    assert.deepEqual(payload.targets, [LOOPBACK_BROADCAST]);
    assert.ok(payload.durationMs >= 300 && payload.durationMs < 5000, `durationMs ${payload.durationMs}`);
    assert.equal(inbox.messages.at(-1), complete, 'scan-complete comes last');
    await waitStatus(getNode('disc'), (s) => s.text === '3 cameras' && s.fill === 'grey', '"3 cameras"');

    // A second scan finds nothing new: only scan-complete.
    const before = inbox.messages.length;
    getNode('disc').receive({ payload: 'again' });
    await inbox.event('scan-complete', before);
    assert.deepEqual(
      inbox.messages.slice(before).map((m) => m.event),
      ['scan-complete'],
    );
  });

  test('includeSecrets puts the DDNS password in msg.camera', async () => {
    await helper.load(modules, discoverFlow(emu, { includeSecrets: true }));
    const inbox = new Inbox(getNode('out'));
    getNode('disc').receive({ payload: '' });
    const complete = await inbox.event('scan-complete');
    const porch = inbox.of('discovered').find((m) => m.topic === emu.cameras[0]?.uid);
    assert.deepEqual((porch?.camera as { ddns: unknown }).ddns, DDNS);
    const listed = (complete.payload as { cameras: { uid: string; ddns: unknown }[] }).cameras;
    assert.deepEqual(listed.find((c) => c.uid === emu.cameras[0]?.uid)?.ddns, DDNS);
  });

  test('output "list" emits only scan-complete, with every camera', async () => {
    await helper.load(modules, discoverFlow(emu, { output: 'list' }));
    const inbox = new Inbox(getNode('out'));
    getNode('disc').receive({ payload: 1 });
    const complete = await inbox.event('scan-complete');
    assert.deepEqual(
      inbox.messages.map((m) => m.event),
      ['scan-complete'],
    );
    const payload = complete.payload as { cameras: { uid: string; ddns: object }[]; count: number };
    assert.equal(payload.count, 3);
    assert.deepEqual(payload.cameras.map((c) => c.uid).sort(), emu.cameras.map((c) => c.uid).sort());
    for (const camera of payload.cameras) assert.equal('password' in camera.ddns, false);
  });

  test('with an interval it scans on deploy, without any input', async () => {
    await helper.load(modules, discoverFlow(emu, { interval: 1, window: 300 }));
    const inbox = new Inbox(getNode('out'));
    const complete = await inbox.event('scan-complete');
    assert.equal((complete.payload as { count: number }).count, 3);
    assert.equal(inbox.of('discovered').length, 3);
    // ...and again an interval later.
    await inbox.event('scan-complete', inbox.messages.indexOf(complete) + 1);
    assert.equal(inbox.of('discovered').length, 3, 'cameras are announced once');
  });

  test('a reboot moves the HTTP port: the next scan emits changed', async () => {
    await helper.load(modules, discoverFlow(emu));
    const inbox = new Inbox(getNode('out'));
    getNode('disc').receive({ payload: 'first' });
    await inbox.event('scan-complete');
    const camera = emu.cameras[1];
    assert.ok(camera);
    const oldPort = camera.httpPort;
    await camera.reboot();
    assert.notEqual(camera.httpPort, oldPort);

    const from = inbox.messages.length;
    getNode('disc').receive({ payload: 'second' });
    const changed = await inbox.event('changed', from);
    assert.equal(changed.topic, camera.uid);
    assert.deepEqual(changed.payload, {
      changes: ['httpPort'],
      previous: { ip: camera.ip, httpPort: oldPort, name: 'Garage' },
    });
    assert.equal((changed.camera as { httpPort: number }).httpPort, camera.httpPort);
    await inbox.event('scan-complete', from);
    assert.deepEqual(
      inbox.messages.slice(from).map((m) => m.event),
      ['changed', 'scan-complete'],
    );
  });

  test('one UID answering from two addresses raises conflict', async () => {
    const twins = await Emulator.start({
      cameras: [{ uid: 'VSTB-123456-TWINS' }, { uid: 'VSTB123456TWINS' }],
      dhPort: 0,
      searchPort: 0,
      broadcastAddress: LOOPBACK_BROADCAST,
      firstAddress: '127.0.1.2',
    });
    try {
      await helper.load(modules, discoverFlow(twins));
      const inbox = new Inbox(getNode('out'));
      getNode('disc').receive({ payload: 'scan' });
      const conflict = await inbox.event('conflict');
      assert.equal(conflict.topic, 'VSTB123456TWINS');
      const claimants = (conflict.payload as { claimants: string[] }).claimants;
      assert.deepEqual([...claimants].sort(), ['127.0.1.2', '127.0.1.3']);
      assert.equal((conflict.camera as { uid: string }).uid, 'VSTB123456TWINS');
      const complete = await inbox.event('scan-complete');
      assert.equal((complete.payload as { count: number }).count, 1);
    } finally {
      await helper.unload();
      await twins.close();
    }
  });

  test('bad properties: red status, error on input, nothing scanned', async () => {
    await helper.load(modules, discoverFlow(emu, { output: 'bogus', window: -5 }));
    const status = await waitStatus(getNode('disc'), (s) => s.fill === 'red', 'red status');
    assert.equal(status.shape, 'ring');
    assert.match(String(status.text), /bad config/);
  });
});
