// Issue 9, points 5 and 6: a scan whose probes cannot leave the machine shows red with the
// reason (not a grey "0 cameras"), and a flood of forged UIDs is bounded in flow messages.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type CameraEmulator } from '../../nodes/camera/emulator';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import { WRITEUP_RECORD } from '../support/vectors';
import { buildDhReply } from '../../nodes/wire/dh';
import { callsOn } from '../reliability/nodes-support';
import {
  Inbox,
  bindSocket,
  closeSocket,
  freePort,
  getNode,
  helper,
  networkNode,
  onTab,
  startEmulator,
} from './fixtures';

const modules = [networkModule, discoverModule];
const FORGED = 5000;
const CAP = 256;

describe('vstar-discover limits', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  afterEach(() => helper.unload());

  test(`${FORGED} forged UIDs in one scan: at most ${CAP} camera messages, the rest counted in scan-complete, one warning`, async () => {
    const localDhPort = await freePort();
    await helper.load(
      modules,
      onTab([
        networkNode(emu, { localDhPort }),
        // prettier-ignore
        { id: 'disc', type: 'vstar-discover', name: '', network: 'net', interval: 0, window: 1500, output: 'each', includeSecrets: false, wires: [['out']] },
        { id: 'out', type: 'helper' },
      ]),
    );
    const inbox = new Inbox(getNode('out'));
    const forger = await bindSocket(0, '127.0.33.66');
    try {
      getNode('disc').receive({ payload: 'scan' });
      for (let i = 0; i < FORGED; i++) {
        const reply = buildDhReply({ ...WRITEUP_RECORD, uid: `VSTB${String(100000 + i)}FORGE`, ip: '127.0.33.66' });
        await new Promise<void>((resolve) => forger.send(reply, localDhPort, '127.0.0.1', () => resolve()));
      }
      const complete = await inbox.event('scan-complete');
      const events = inbox.messages.filter((m) => m.event !== 'scan-complete');
      const payload = complete.payload as { suppressed: number; count: number };
      assert.equal(events.length, CAP, 'camera messages up to the cap');
      assert.ok(payload.suppressed > 0, 'the rest are counted');
      const warnings = callsOn(getNode('disc'), 'warn').filter((args) =>
        /camera messages in one scan/.test(String(args[0])),
      );
      assert.equal(warnings.length, 1, 'warned once');

      // The next scan starts a new budget and says nothing more about the flood.
      const from = inbox.messages.length;
      getNode('disc').receive({ payload: 'scan' });
      const next = await inbox.event('scan-complete', from);
      assert.equal((next.payload as { suppressed: number }).suppressed, 0);
    } finally {
      await closeSocket(forger);
    }
  });

  test('every probe fails to leave (ENETUNREACH in a namespace with no route): red status with the reason', (t) => {
    const probe = spawnSync('unshare', ['-n', 'true']);
    if (probe.status !== 0) {
      t.skip('needs `unshare -n` (root): a private network namespace where a broadcast has no route');
      return;
    }
    // The child runs the node in a network namespace of its own with only loopback up, where
    // 255.255.255.255 has no route: nothing can leave, and the send fails as on a host whose
    // broadcast has nowhere to go.
    const child = join(__dirname, 'children', 'unreachable-scan.ts');
    const run = spawnSync(
      'unshare',
      ['-n', 'sh', '-c', `ip link set lo up && "${process.execPath}" --import tsx "${child}"`],
      { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 },
    );
    const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
    assert.ok(line, `child said nothing useful: ${run.stdout} ${run.stderr}`);
    const result = JSON.parse(line) as {
      status: { fill: string; shape: string; text: string };
      errors: string[];
      logged: string[];
    };
    assert.equal(result.status.fill, 'red');
    assert.equal(result.status.text, 'probe failed: ENETUNREACH');
    assert.match(result.errors.join(' '), /255\.255\.255\.255:\d+: send ENETUNREACH/);
    assert.ok(
      result.logged.some((l) => /no probe could be sent/.test(l)),
      'logged as an error',
    );
  });
});
