// Issue 5, node level: bad configuration into every node. Wrong types (numbers for text, objects,
// arrays), huge values (a 1 MB camera, 10,000 targets, a 1 MB target list), negative, NaN and
// infinite ports and intervals, an unknown output mode, too many passphrases. Each bad node shows
// a red status that says what is wrong and logs one short node.error; a bad network binds
// nothing; the good nodes deployed beside them keep working. Null means "not given" (the
// default), and passphrases with odd characters are valid: an encrypted camera is reached with one.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Node } from 'node-red';
import { type CameraEmulator } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import sessionModule from '../../nodes/vstar-session';
import heartbeatModule from '../../nodes/vstar-heartbeat';
import { Inbox, freePort, getNode, helper, lastStatus, networkNode, onTab, waitStatus } from '../nodes/fixtures';
import { LOG_ERROR, callsOn, logLines, resources, startCameras, textOf } from './nodes-support';

const modules = [networkModule, discoverModule, sessionModule, heartbeatModule];
/** The passphrase the encrypted camera uses, and how the network lists it among others. */
const ODD_PASSPHRASE = 'p@ss wörd;"\\<tab>\t|$(x)';
/** A log line or status that quotes a 1 MB value is itself a fault. */
const MAX_LOG_LINE = 600;
const MAX_STATUS = 100;

interface BadCase {
  /** Node id; the node's properties are the good ones overridden by `props`. */
  readonly id: string;
  readonly type: 'vstar-network' | 'vstar-discover' | 'vstar-session' | 'vstar-heartbeat';
  readonly props: Record<string, unknown>;
  /** What the red status and the error must say. */
  readonly says: RegExp;
}

function tenThousandTargets(): string {
  const targets: string[] = [];
  for (let i = 0; i < 10_000; i++) targets.push(`127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
  return targets.join(',');
}

const MB = 1024 * 1024;

describe('nodes: bad configuration', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await startCameras('127.0.51.1', [
      { name: 'plain' },
      { name: 'encrypted', passphrase: ODD_PASSPHRASE.replace('<tab>', '') },
    ]);
  });
  after(() => emu.close());

  test('every node: red status that explains, one short node.error, nothing bound for a bad network, the rest works', async (t) => {
    const plain = emu.cameras[0];
    const encrypted = emu.cameras[1];
    assert.ok(plain && encrypted);
    const samePort = await freePort();

    const network: BadCase[] = [
      { id: 'n-bind-num', props: { bind: 123 }, says: /bind must be an IPv4 address/ },
      { id: 'n-bind-obj', props: { bind: { address: '0.0.0.0' } }, says: /bind must be an IPv4 address/ },
      { id: 'n-bind-name', props: { bind: 'localhost' }, says: /bind must be an IPv4 address/ },
      { id: 'n-targets-arr', props: { targets: ['127.255.255.255'] }, says: /targets must be a comma-separated/ },
      { id: 'n-targets-obj', props: { targets: { a: 1 } }, says: /targets must be a comma-separated/ },
      { id: 'n-targets-10k', props: { targets: tenThousandTargets() }, says: /targets lists 10000 addresses/ },
      { id: 'n-targets-1mb', props: { targets: 'x'.repeat(MB) }, says: /targets: not an IPv4 address/ },
      { id: 'n-targets-host', props: { targets: '127.255.255.255,example.com' }, says: /"example.com"/ },
      { id: 'n-dh-neg', props: { dhPort: -1 }, says: /dhPort must be an integer/ },
      { id: 'n-dh-nan', props: { dhPort: NaN }, says: /dhPort must be an integer/ },
      { id: 'n-dh-inf', props: { dhPort: Infinity }, says: /dhPort must be an integer/ },
      { id: 'n-dh-zero', props: { dhPort: 0 }, says: /dhPort must be an integer at least 1/ },
      { id: 'n-search-text', props: { searchPort: '86x' }, says: /searchPort must be an integer/ },
      { id: 'n-search-arr', props: { searchPort: [32108] }, says: /searchPort must be an integer/ },
      { id: 'n-local-neg', props: { localPort: -5 }, says: /localPort must be an integer/ },
      { id: 'n-local-frac', props: { localDhPort: 1.5 }, says: /localDhPort must be an integer/ },
      { id: 'n-local-big', props: { localPort: 70_000 }, says: /localPort must be an integer .* at most 65535/ },
      { id: 'n-local-same', props: { localDhPort: samePort, localPort: samePort }, says: /must differ/ },
      { id: 'n-timeout-zero', props: { timeout: 0 }, says: /timeout must be a number greater than 0/ },
      { id: 'n-timeout-neg', props: { timeout: -3 }, says: /timeout must be a number/ },
      { id: 'n-timeout-nan', props: { timeout: NaN }, says: /timeout must be a number/ },
      { id: 'n-timeout-inf', props: { timeout: Infinity }, says: /timeout must be a number/ },
      { id: 'n-timeout-obj', props: { timeout: { s: 5 } }, says: /timeout must be a number/ },
      { id: 'n-pass-num', props: { passphrases: 42 }, says: /passphrases must be comma-separated text/ },
      { id: 'n-pass-arr', props: { passphrases: ['a', 'b'] }, says: /passphrases must be comma-separated text/ },
      {
        id: 'n-pass-many',
        props: { passphrases: Array.from({ length: 17 }, (_, i) => `key${i}`).join(',') },
        says: /passphrases lists 17 entries; at most 16/,
      },
      { id: 'n-retry-neg', props: { bindRetryMs: -1 }, says: /bindRetryMs must be an integer/ },
    ].map((c) => ({ ...c, type: 'vstar-network' as const }));

    const discover: BadCase[] = [
      { id: 'd-interval-neg', props: { interval: -1 }, says: /interval must be a number at least 0/ },
      { id: 'd-interval-nan', props: { interval: NaN }, says: /interval must be a number/ },
      { id: 'd-interval-inf', props: { interval: Infinity }, says: /interval must be a number/ },
      { id: 'd-interval-text', props: { interval: 'often' }, says: /interval must be a number/ },
      { id: 'd-interval-obj', props: { interval: {} }, says: /interval must be a number/ },
      { id: 'd-interval-short', props: { interval: 0.05, window: 100 }, says: /at least the scan window/ },
      { id: 'd-window-small', props: { window: 5 }, says: /window must be an integer at least 100/ },
      { id: 'd-window-huge', props: { window: 1e9 }, says: /window must be an integer/ },
      { id: 'd-window-arr', props: { window: [300] }, says: /window must be an integer/ },
      { id: 'd-output-csv', props: { output: 'csv' }, says: /output must be one of each, list, got "csv"/ },
      { id: 'd-output-num', props: { output: 1 }, says: /output must be one of each, list/ },
      { id: 'd-secrets-text', props: { includeSecrets: 'yes' }, says: /includeSecrets must be true or false/ },
      { id: 'd-secrets-num', props: { includeSecrets: 1 }, says: /includeSecrets must be true or false/ },
      { id: 'd-network-num', props: { network: 123 }, says: /network/ },
      { id: 'd-network-obj', props: { network: { id: 'net' } }, says: /network/ },
      { id: 'd-network-gone', props: { network: 'no-such-node' }, says: /network node missing/ },
      { id: 'd-network-empty', props: { network: '' }, says: /no network configured/ },
    ].map((c) => ({ ...c, type: 'vstar-discover' as const }));

    const session: BadCase[] = [
      { id: 's-camera-1mb', props: { camera: 'A'.repeat(MB) }, says: /camera is too long/ },
      { id: 's-camera-num', props: { camera: 123 }, says: /camera must be a UID, an IP address or empty/ },
      { id: 's-camera-obj', props: { camera: { uid: plain.uid } }, says: /camera must be a UID/ },
      { id: 's-camera-arr', props: { camera: [plain.uid] }, says: /camera must be a UID/ },
      { id: 's-camera-junk', props: { camera: 'not a camera!' }, says: /neither a camera UID/ },
      { id: 's-camera-ip', props: { camera: '127.0.51.300' }, says: /neither a camera UID/ },
      { id: 's-auto-text', props: { autoConnect: 'maybe' }, says: /autoConnect must be true or false/ },
      { id: 's-reconnect-num', props: { reconnect: 2 }, says: /reconnect must be true or false/ },
      { id: 's-network-arr', props: { network: ['net'] }, says: /network/ },
    ].map((c) => ({ ...c, type: 'vstar-session' as const }));

    const heartbeat: BadCase[] = [
      { id: 'h-interval-zero', props: { interval: 0 }, says: /interval must be a number greater than 0/ },
      { id: 'h-interval-neg', props: { interval: -1 }, says: /interval must be a number/ },
      { id: 'h-interval-nan', props: { interval: NaN }, says: /interval must be a number/ },
      { id: 'h-interval-inf', props: { interval: Infinity }, says: /interval must be a number/ },
      { id: 'h-interval-text', props: { interval: '5s' }, says: /interval must be a number/ },
      { id: 'h-misses-zero', props: { misses: 0 }, says: /misses must be an integer at least 1/ },
      { id: 'h-misses-frac', props: { misses: 1.5 }, says: /misses must be an integer/ },
      { id: 'h-misses-text', props: { misses: 'three' }, says: /misses must be an integer/ },
      { id: 'h-camera-obj', props: { camera: {} }, says: /camera must be a UID/ },
      { id: 'h-camera-1mb', props: { camera: '1'.repeat(MB) }, says: /camera is too long/ },
    ].map((c) => ({ ...c, type: 'vstar-heartbeat' as const }));

    const good = {
      discover: { network: 'net', interval: 0, window: 200, output: 'list', includeSecrets: false },
      session: { network: 'net', camera: encrypted.uid, autoConnect: true, reconnect: true },
      heartbeat: { network: 'net', camera: plain.uid, interval: 0.2, misses: 3 },
    };
    const flowNodes: object[] = [
      networkNode(emu, { passphrases: ` vstarcam2019 ,${ODD_PASSPHRASE.replace('<tab>', '')},🔑 ,, ` }),
      { id: 'gdisc', type: 'vstar-discover', name: '', ...good.discover, wires: [['out']] },
      { id: 'gsess', type: 'vstar-session', name: '', ...good.session, wires: [['out']] },
      { id: 'gbeat', type: 'vstar-heartbeat', name: '', ...good.heartbeat, wires: [['out']] },
      // null is "not given": the default, not an error (network timeout 10 s, heartbeat interval 5 s).
      networkNode(emu, { id: 'n-null', timeout: null as unknown as number, localPort: null as unknown as number }),
      { id: 'u-n-null', type: 'vstar-discover', name: '', ...good.discover, network: 'n-null', wires: [['out2']] },
      { id: 'h-null', type: 'vstar-heartbeat', name: '', ...good.heartbeat, interval: null, misses: null },
      { id: 'out', type: 'helper' },
      { id: 'out2', type: 'helper' },
    ];
    for (const c of network) {
      flowNodes.push(networkNode(emu, { id: c.id, ...c.props }));
      // Each bad network has a user, which shows the network's trouble in red.
      flowNodes.push({ id: `u-${c.id}`, type: 'vstar-discover', name: '', ...good.discover, network: c.id });
    }
    for (const c of discover) flowNodes.push({ id: c.id, type: c.type, name: '', ...good.discover, ...c.props });
    for (const c of session) flowNodes.push({ id: c.id, type: c.type, name: '', ...good.session, ...c.props });
    for (const c of heartbeat) flowNodes.push({ id: c.id, type: c.type, name: '', ...good.heartbeat, ...c.props });

    const before = await resources();
    await helper.load(modules, onTab(flowNodes));
    try {
      const inbox = new Inbox(getNode('out'));
      const inbox2 = new Inbox(getNode('out2'));
      // The good part of the flow works: the encrypted camera through the odd passphrase, the
      // plain one through the heartbeat, a scan through the good network and the null one.
      const connected = await inbox.event('connected');
      assert.equal(connected.topic, encrypted.uid);
      assert.notEqual((connected.payload as { encryption: string }).encryption, 'none');
      await inbox.next((m) => m.event === 'heartbeat' && m.topic === plain.uid, 0, 'heartbeat');
      getNode('gdisc').receive({ payload: 'scan' });
      getNode('u-n-null').receive({ payload: 'scan' });
      for (const box of [inbox, inbox2]) {
        const complete = await box.event('scan-complete', 0);
        assert.equal((complete.payload as { count: number }).count, 2);
      }
      await waitStatus(getNode('h-null'), (s) => s.fill === 'yellow' || s.fill === 'green', 'null heartbeat runs');
      for (const id of ['gdisc', 'gsess', 'gbeat', 'u-n-null', 'h-null']) {
        assert.deepEqual(callsOn(getNode(id), 'error'), [], `${id}: no error`);
      }

      // Two good networks hold two sockets each; the 27 bad ones none.
      const bound = await resources();
      assert.equal(bound.udp - before.udp, 4, `UDP sockets: ${bound.all.join(', ')}`);

      const rows: string[] = [];
      for (const c of [...network, ...discover, ...session, ...heartbeat]) {
        const node = getNode(c.id);
        if (c.type === 'vstar-network') {
          const errors = callsOn(node, 'error').map((args) => textOf(args[0]));
          assert.equal(errors.length, 1, `${c.id}: one node.error, got ${JSON.stringify(errors)}`);
          assert.match(errors[0] ?? '', c.says, `${c.id}: error`);
          assert.match(errors[0] ?? '', /invalid configuration/, `${c.id}: error`);
          const user = getNode(`u-${c.id}`);
          const status = redStatus(user, c);
          assert.match(status, /bad config/, `${c.id}: user status`);
          rows.push(`${c.id}: ${status}`);
        } else {
          const status = redStatus(node, c);
          const errors = callsOn(node, 'error').map((args) => textOf(args[0]));
          assert.equal(errors.length, 1, `${c.id}: one node.error, got ${JSON.stringify(errors)}`);
          assert.match(errors[0] ?? '', c.says, `${c.id}: error`);
          rows.push(`${c.id}: ${status}`);
        }
      }
      const lines = logLines();
      const longest = Math.max(...lines.map((l) => l.text.length));
      const errorLines = lines.filter((l) => l.level === LOG_ERROR).length;
      t.diagnostic(
        `bad nodes: ${rows.length} (${network.length} network, ${discover.length} discover, ${session.length} session, ${heartbeat.length} heartbeat)`,
      );
      t.diagnostic(
        `error lines logged: ${errorLines}; longest log line: ${longest} chars; UDP sockets: +${bound.udp - before.udp}`,
      );
      for (const row of rows) t.diagnostic(row);
      assert.ok(longest <= MAX_LOG_LINE, `a log line of ${longest} chars`);

      // Still working after all that: the session's heartbeat keeps coming.
      const count = inbox.messages.length;
      await inbox.next((m) => m.event === 'heartbeat' && m.topic === plain.uid, count, 'heartbeat after checks');
    } finally {
      await helper.unload();
    }
    assert.equal((await resources()).udp, before.udp, 'every socket closed');
  });

  test('a redeploy that breaks the network turns its users red and frees its sockets; fixing it brings them back', async (t) => {
    const plain = emu.cameras[0];
    assert.ok(plain);
    const flow = (network: object): object[] =>
      onTab([
        network,
        {
          id: 'disc',
          type: 'vstar-discover',
          name: '',
          network: 'net',
          interval: 0,
          window: 200,
          output: 'list',
          wires: [['out']],
        },
        {
          id: 'sess',
          type: 'vstar-session',
          name: '',
          network: 'net',
          camera: plain.uid,
          autoConnect: true,
          reconnect: true,
          wires: [['out']],
        },
        { id: 'out', type: 'helper' },
      ]);
    const before = await resources();
    await helper.load(modules, flow(networkNode(emu)));
    try {
      await new Inbox(getNode('out')).event('connected', 0);
      assert.equal((await resources()).udp - before.udp, 2);
      for (const [type, broken] of [
        ['nodes', { dhPort: -1 }],
        ['full', { targets: 'x'.repeat(MB) }],
        ['nodes', { timeout: NaN, passphrases: 7 }],
      ] as const) {
        await helper.setFlows(flow({ ...networkNode(emu), ...broken }), type);
        const status = await waitStatus(getNode('sess'), (s) => s.fill === 'red', 'red after the bad deploy');
        assert.match(String(status.text), new RegExp(`^bad config: ${Object.keys(broken)[0] ?? ''}`));
        assert.equal((await resources()).udp, before.udp, `${type}: the bad network holds no socket`);
        await helper.setFlows(flow(networkNode(emu)), type);
        const inbox = new Inbox(getNode('out'));
        await inbox.event('connected', 0);
        getNode('disc').receive({ payload: 'scan' });
        const complete = await inbox.event('scan-complete', 0);
        assert.equal((complete.payload as { count: number }).count, 2);
        t.diagnostic(
          `"${type}" deploy breaking ${Object.keys(broken).join(' + ')}: ${String(status.text)}; fixed: connected, 2 cameras`,
        );
      }
    } finally {
      await helper.unload();
    }
    assert.equal((await resources()).udp, before.udp);
  });
});

/** The node's current status: red, explaining with `says`, short. */
function redStatus(node: Node, c: BadCase): string {
  const status = lastStatus(node);
  assert.ok(status, `${c.id}: no status`);
  assert.equal(status.fill, 'red', `${c.id}: ${JSON.stringify(status)}`);
  assert.equal(status.shape, 'ring', `${c.id}: ${JSON.stringify(status)}`);
  const text = String(status.text);
  assert.ok(text.length <= MAX_STATUS, `${c.id}: status of ${text.length} chars`);
  assert.match(text, /^bad config: |network|^no network/, `${c.id}: ${text}`);
  // The status is short; it names the property at fault (the error carries the whole story).
  const field = Object.keys(c.props)[0] ?? '';
  assert.ok(text.includes(field), `${c.id}: status ${JSON.stringify(text)} should name ${field}`);
  return text;
}
