// Issue 5, node level: bad messages into every node with an input. msg.payload of every wrong
// type (object, number, Buffer, null, undefined, array, boolean, a 1 MB string), an unknown
// command, a message without payload, and bursts of 1,000. A session refuses them through
// done(err) (a catch node gets a short message that says what was wrong), shows the reason in
// its status for a moment, and connects on the next valid "connect". Discover takes any message
// as "scan now" (DESIGN.md §2): a burst joins one scan instead of multiplying probes and
// messages. Broken nodes (bad config, missing or busy network) answer every message with the
// reason, and a node whose network recovers works again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type NodeMessage, type NodeStatus } from 'node-red';
import { type CameraEmulator } from '../../nodes/camera/emulator';
import { handleOf } from '../../nodes/adapter/network-handle';
import { StatusView, bad, good } from '../../nodes/adapter/status';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import sessionModule from '../../nodes/vstar-session';
import heartbeatModule from '../../nodes/vstar-heartbeat';
import {
  Inbox,
  bindSocket,
  closeSocket,
  getNode,
  helper,
  lastStatus,
  networkNode,
  onTab,
  waitStatus,
} from '../nodes/fixtures';
import { LOG_ERROR, independentScan, logLines, resources, sessionsGone, startCameras } from './nodes-support';

const modules = [networkModule, discoverModule, sessionModule, heartbeatModule];
const BURST = 1000;
const MB = 1024 * 1024;
/** An error that quotes a 1 MB payload is itself a fault: it lands in the log and in catch nodes. */
const MAX_ERROR = 300;

const HUGE = 'connect'.padEnd(MB, 'x');

/** Every kind of wrong message, with what the session's error must say about it. */
const BAD: readonly { readonly label: string; readonly msg: NodeMessage; readonly says: RegExp }[] = [
  { label: 'object', msg: { payload: { command: 'connect' } }, says: /unknown command \{"command":"connect"\}/ },
  { label: 'number', msg: { payload: 42 }, says: /unknown command 42/ },
  { label: 'Buffer', msg: { payload: Buffer.from('connect') }, says: /unknown command a Buffer of 7 bytes/ },
  { label: 'null', msg: { payload: null }, says: /unknown command null/ },
  { label: 'undefined', msg: { payload: undefined }, says: /no msg\.payload/ },
  { label: 'no payload', msg: { topic: 'x' }, says: /no msg\.payload/ },
  { label: 'array', msg: { payload: ['connect'] }, says: /unknown command \["connect"\]/ },
  { label: 'boolean', msg: { payload: true }, says: /unknown command true/ },
  { label: 'empty', msg: { payload: '' }, says: /unknown command ""/ },
  { label: 'huge string', msg: { payload: HUGE }, says: /unknown command "connectx+"… \(1048576 characters\)/ },
  { label: 'reboot', msg: { payload: 'reboot' }, says: /unknown command "reboot"/ },
];

interface Caught {
  readonly message: string;
  readonly sourceId: string;
}

function caughtOf(msg: NodeMessage): Caught {
  const error = msg.error as { message?: unknown; source?: { id?: unknown } } | undefined;
  return { message: String(error?.message), sourceId: String(error?.source?.id) };
}

describe('nodes: bad messages', () => {
  let emu: CameraEmulator;
  before(async () => {
    // ALIVEs every 100 ms: the emulator's own timer runs out soon after its last session ends.
    emu = await startCameras(
      '127.0.52.1',
      ['one', 'two', 'three'].map((name) => ({ name, aliveIntervalMs: 100, closeAfterSilenceMs: 1500 })),
    );
  });
  after(() => emu.close());

  test('session: every wrong payload fails through done(err) with a clear message and a red status; connect still works', async (t) => {
    const camera = emu.cameras[0];
    assert.ok(camera);
    const before = await resources();
    await helper.load(
      modules,
      onTab([
        networkNode(emu),
        sessionNode('sess', camera.uid, false),
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    try {
      const sess = getNode('sess');
      const out = new Inbox(getNode('out'));
      const caught = new Inbox(getNode('caught'));
      await waitStatus(sess, (s) => s.text === 'idle', 'idle');

      for (const { label, msg, says } of BAD) {
        const from = caught.messages.length;
        sess.receive({ ...msg });
        const error = caughtOf(await caught.next(() => true, from, `error for ${label}`));
        assert.equal(error.sourceId, 'sess', label);
        assert.match(error.message, says, label);
        assert.match(error.message, /msg\.payload must be "connect" or "disconnect"/, label);
        assert.ok(error.message.length <= MAX_ERROR, `${label}: error of ${error.message.length} chars`);
        const status = await waitStatus(sess, (s) => s.fill === 'red', `${label}: red`);
        assert.match(String(status.text), /^(unknown command|no msg\.payload)/, label);
        t.diagnostic(`${label}: ${error.message.slice(0, 90)} | status ${JSON.stringify(status.text)}`);
      }

      // A burst of wrong messages: each refused, nothing else happens.
      const from = caught.messages.length;
      for (let i = 0; i < BURST; i++) sess.receive({ ...(BAD[i % BAD.length]?.msg ?? {}) });
      await caught.next(() => caught.messages.length - from >= BURST, from, `${BURST} errors`);
      assert.equal(caught.messages.length - from, BURST);
      assert.equal(out.messages.length, 0, 'nothing sent');

      // Still works: connect, and the real status replaces the refusal.
      sess.receive({ payload: ' Connect ' });
      const connected = await out.event('connected');
      assert.equal(connected.topic, camera.uid);
      await waitStatus(sess, (s) => s.fill === 'green', 'green after connect');
      // A refusal while connected shows for a moment; the next real change replaces it.
      sess.receive({ payload: 'reboot' });
      await waitStatus(sess, (s) => s.fill === 'red', 'refusal while connected');
      sess.receive({ payload: 'disconnect' });
      await out.event('disconnected');
      await waitStatus(sess, (s) => s.fill === 'grey' && s.text === 'disconnected', 'grey after disconnect');
      sess.receive({ payload: 'connect' });
      await out.event('connected', out.messages.length);
      const longest = Math.max(...logLines().map((l) => l.text.length));
      const errorLines = logLines().filter((l) => l.level === LOG_ERROR).length;
      t.diagnostic(
        `${BAD.length} kinds + ${BURST} burst refused (${errorLines} error lines, longest log line ${longest} chars); connect afterwards: ok`,
      );
      assert.ok(longest <= MAX_ERROR + 100, `a log line of ${longest} chars`);
      // The node closes with a refusal on show: its timer must go with it.
      sess.receive({ payload: 'reboot' });
      await waitStatus(sess, (s) => s.fill === 'red', 'refusal before close');
    } finally {
      await helper.unload();
    }
    await sessionsGone(emu);
    assert.equal(await independentScan(emu, 300), 3);
    const afterUnload = await resources();
    assert.equal(afterUnload.udp, before.udp, 'sockets');
    assert.equal(
      afterUnload.timeout,
      before.timeout,
      `timers (the status notice included): ${afterUnload.all.join(', ')}`,
    );
  });

  test(`discover: any message scans; a burst of ${BURST} joins one scan (probes and scan-complete not multiplied)`, async (t) => {
    await helper.load(
      modules,
      onTab([
        networkNode(emu),
        {
          id: 'disc',
          type: 'vstar-discover',
          name: '',
          network: 'net',
          interval: 0,
          window: 300,
          output: 'list',
          includeSecrets: false,
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
        { id: 'completer', type: 'complete', scope: ['disc'], uncaught: false, wires: [['completed']] },
        { id: 'completed', type: 'helper' },
      ]),
    );
    try {
      const disc = getNode('disc');
      const out = new Inbox(getNode('out'));
      const caught = new Inbox(getNode('caught'));
      const completed = new Inbox(getNode('completed'));
      const endpoint = handleOf(getNode('net'))?.endpoint;
      assert.ok(endpoint);
      await endpoint.ready();
      const probes = (): number => emu.cameras.reduce((sum, c) => sum + c.stats.probesAnswered, 0);
      const scansBefore = endpoint.stats.scans;
      const probesBefore = probes();

      const kinds = BAD.map((b) => b.msg);
      for (let i = 0; i < BURST; i++) disc.receive({ ...(kinds[i % kinds.length] ?? {}) });
      await completed.next(() => completed.messages.length >= BURST, 0, `${BURST} done() calls`);
      const scans = endpoint.stats.scans - scansBefore;
      const probed = probes() - probesBefore;
      const completes = out.of('scan-complete');
      t.diagnostic(
        `${BURST} messages (${kinds.length} kinds of payload, a 1 MB string among them): ${scans} scan(s), ` +
          `${probed} probes answered by ${emu.cameras.length} cameras, ${completes.length} scan-complete, ` +
          `${completed.messages.length} done(), ${caught.messages.length} errors`,
      );
      assert.equal(caught.messages.length, 0, 'no message is an error for discover');
      assert.equal(completed.messages.length, BURST, 'every message completed');
      assert.equal(scans, 1, 'one scan for the burst');
      assert.equal(probed, emu.cameras.length, 'one probe answered per camera');
      assert.equal(completes.length, 1, 'one scan-complete for the burst');
      assert.equal((completes[0]?.payload as { count: number }).count, emu.cameras.length);
      await waitStatus(disc, (s) => s.text === '3 cameras', '"3 cameras"');

      // Afterwards a message is a scan again.
      disc.receive({ payload: 'again' });
      const again = await out.event('scan-complete', out.messages.length);
      assert.equal((again.payload as { count: number }).count, 3);
      assert.equal(endpoint.stats.scans - scansBefore, 2);
    } finally {
      await helper.unload();
    }
  });

  test('broken nodes answer every message with the reason; a discover whose network recovers works again; heartbeat ignores input', async (t) => {
    const blocker = await bindSocket(0);
    const busyPort = blocker.address().port;
    let blocked = true;
    await helper.load(
      modules,
      onTab([
        networkNode(emu),
        networkNode(emu, { id: 'busy', localPort: busyPort, bindRetryMs: 50 }),
        sessionNode('bsess', 'not a camera!', true),
        sessionNode('nosess', emu.cameras[1]?.uid ?? '', true, 'no-such-network'),
        {
          id: 'edisc',
          type: 'vstar-discover',
          name: '',
          network: 'busy',
          interval: 0,
          window: 200,
          output: 'list',
          includeSecrets: false,
          wires: [['out']],
        },
        {
          id: 'beat',
          type: 'vstar-heartbeat',
          name: '',
          network: 'net',
          camera: emu.cameras[2]?.uid,
          interval: 0.2,
          misses: 3,
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
        { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', type: 'helper' },
      ]),
    );
    try {
      const out = new Inbox(getNode('out'));
      const caught = new Inbox(getNode('caught'));
      const edisc = getNode('edisc');
      await waitStatus(edisc, (s) => s.fill === 'red' && /in use/.test(String(s.text)), 'busy network: red');

      const expect: Record<string, RegExp> = {
        bsess: /neither a camera UID/,
        nosess: /network node missing or disabled/,
        edisc: new RegExp(`network not ready: port ${busyPort} in use`),
      };
      for (const [id, says] of Object.entries(expect)) {
        for (const { label, msg } of [...BAD, { label: 'connect', msg: { payload: 'connect' } }]) {
          const from = caught.messages.length;
          getNode(id).receive({ ...msg });
          const error = caughtOf(await caught.next(() => true, from, `${id}: error for ${label}`));
          assert.equal(error.sourceId, id);
          assert.match(error.message, says, `${id} ${label}`);
        }
        const status = lastStatus(getNode(id));
        assert.equal(status?.fill, 'red', id);
        t.diagnostic(
          `${id}: ${BAD.length + 1} messages refused with "${caught.messages.at(-1)?.error ? caughtOf(caught.messages.at(-1) ?? {}).message : ''}"; status ${JSON.stringify(status?.text)}`,
        );
      }

      // Heartbeat has no input: a message does nothing, and the heartbeat goes on.
      const beat = getNode('beat');
      for (const { msg } of BAD) beat.receive({ ...msg });
      const fromBeat = out.messages.length;
      await out.next((m) => m.event === 'heartbeat', fromBeat, 'heartbeat after messages');

      // The busy port is freed: the network binds on its next retry and discover scans again.
      await closeSocket(blocker);
      blocked = false;
      await waitStatus(edisc, (s: NodeStatus) => s.fill !== 'red', 'busy network recovered');
      const from = out.messages.length;
      edisc.receive({ payload: 'scan' });
      const complete = await out.event('scan-complete', from);
      assert.equal((complete.payload as { count: number }).count, 3);
    } finally {
      if (blocked) await closeSocket(blocker);
      await helper.unload();
    }
  });

  test('a refusal shows in the status for a while, then the status it covered returns', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const shown: NodeStatus[] = [];
    const view = new StatusView({ status: (s: NodeStatus) => shown.push(s) });
    view.set(good('connected 3 ms'));
    view.flash(bad('unknown command "reboot"'), 5000);
    assert.equal(shown.at(-1)?.fill, 'red');
    t.mock.timers.tick(4999);
    assert.equal(shown.at(-1)?.fill, 'red');
    t.mock.timers.tick(1);
    assert.deepEqual(shown.at(-1), good('connected 3 ms'));
    // A newer status of the node's own ends a refusal early; dispose leaves no timer behind.
    view.flash(bad('no msg.payload'), 5000);
    view.set(good('connected 4 ms'));
    assert.deepEqual(shown.at(-1), good('connected 4 ms'));
    view.flash(bad('no msg.payload'), 5000);
    view.dispose();
    const count = shown.length;
    t.mock.timers.tick(10_000);
    assert.equal(shown.length, count, 'nothing shown after dispose');
  });
});

function sessionNode(id: string, camera: string, autoConnect: boolean, network = 'net'): object {
  return {
    id,
    type: 'vstar-session',
    name: '',
    network,
    camera,
    autoConnect,
    reconnect: true,
    wires: [['out']],
  };
}
