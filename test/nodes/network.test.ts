import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type NodeAPI } from 'node-red';
import { type CameraEmulator } from '../../nodes/camera/emulator';
import { Endpoint } from '../../nodes/engine/endpoint';
import networkModule from '../../nodes/vstar-network';
import discoverModule from '../../nodes/vstar-discover';
import sessionModule from '../../nodes/vstar-session';
import {
  Inbox,
  LOOPBACK_BROADCAST,
  bindSocket,
  closeSocket,
  freePort,
  getNode,
  helper,
  networkNode,
  onTab,
  startEmulator,
  statuses,
  udpHandles,
  waitStatus,
} from './fixtures';

const modules = [networkModule, discoverModule, sessionModule];

function discoverNode(id: string, network: string, wire: string, props: Record<string, unknown> = {}): object {
  return {
    id,
    type: 'vstar-discover',
    name: '',
    network,
    interval: 0,
    window: 300,
    output: 'list',
    includeSecrets: false,
    wires: [[wire]],
    ...props,
  };
}

/** A scan from an endpoint of the test's own: proves time passed and the cameras still answer. */
async function independentScan(emu: CameraEmulator, windowMs: number): Promise<number> {
  const endpoint = new Endpoint({ targets: [LOOPBACK_BROADCAST], dhPort: emu.dhPort, searchPort: emu.searchPort });
  try {
    await endpoint.ready();
    return (await endpoint.scan(windowMs)).cameras.length;
  } finally {
    await endpoint.close();
  }
}

function errorsLogged(node: ReturnType<typeof getNode>): string[] {
  const spy = node.error as unknown as { getCalls?: () => { thisValue: unknown; args: unknown[] }[] };
  return (spy.getCalls?.() ?? []).filter((c) => c.thisValue === node).map((c) => String(c.args[0]));
}

describe('vstar-network', () => {
  let emu: CameraEmulator;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());

  describe('deploys', () => {
    test('10 load/unload cycles on fixed local ports: no EADDRINUSE, every socket given back, nothing sent after unload', async () => {
      const localDhPort = await freePort();
      let localPort = await freePort();
      while (localPort === localDhPort) localPort = await freePort();
      const baseline = await udpHandles();
      let last: Inbox | undefined;
      for (let cycle = 0; cycle < 10; cycle++) {
        await helper.load(
          modules,
          onTab([
            networkNode(emu, { localDhPort, localPort }),
            discoverNode('disc', 'net', 'out', { interval: 0.5, window: 300 }),
            {
              id: 'sess',
              type: 'vstar-session',
              name: '',
              network: 'net',
              camera: emu.cameras[cycle % 3]?.uid,
              autoConnect: true,
              reconnect: true,
              wires: [['out']],
            },
            { id: 'out', type: 'helper' },
          ]),
        );
        const inbox = new Inbox(getNode('out'));
        try {
          await inbox.event('connected');
          const complete = await inbox.event('scan-complete');
          assert.equal((complete.payload as { count: number }).count, 3, `cycle ${cycle}`);
          assert.equal(
            statuses(getNode('disc')).some((s) => s.fill === 'red'),
            false,
            `cycle ${cycle}: never red`,
          );
          assert.deepEqual(errorsLogged(getNode('net')), [], `cycle ${cycle}: no error`);
          assert.equal(await udpHandles(), baseline + 2, 'the network holds two sockets');
        } finally {
          await helper.unload();
        }
        assert.equal(await udpHandles(), baseline, `cycle ${cycle}: sockets closed when unload resolved`);
        // The fixed ports are free again at once: bind them ourselves.
        await Promise.all([bindSocket(localDhPort), bindSocket(localPort)].map(async (s) => closeSocket(await s)));
        last = inbox;
      }
      assert.ok(last);
      const received = last.messages.length;
      // Longer than the discover interval: a timer that survived would scan (and send) meanwhile.
      assert.equal(await independentScan(emu, 1200), 3);
      assert.equal(last.messages.length, received, 'no message after unload');
    });

    test('a full redeploy (setFlows) rebinds the same fixed ports', async () => {
      const localDhPort = await freePort();
      const flow = (name: string) =>
        onTab([
          networkNode(emu, { localDhPort, name }),
          discoverNode('disc', 'net', 'out'),
          { id: 'out', type: 'helper' },
        ]);
      await helper.load(modules, flow('first'));
      try {
        for (const name of ['second', 'third', 'fourth']) {
          await helper.setFlows(flow(name), 'full');
          const inbox = new Inbox(getNode('out'));
          getNode('disc').receive({ payload: name });
          const complete = await inbox.event('scan-complete');
          assert.equal((complete.payload as { count: number }).count, 3, name);
          assert.deepEqual(errorsLogged(getNode('net')), [], name);
        }
      } finally {
        await helper.unload();
      }
    });

    test('two networks side by side, each with its own sockets and users', async () => {
      const baseline = await udpHandles();
      // Each network holds its own session with the camera, from its own local port.
      const peers = new Set<string>();
      const onSession = (camera: { uid: string }, peer: { address: string; port: number }): void => {
        if (camera.uid === emu.cameras[0]?.uid) peers.add(`${peer.address}:${peer.port}`);
      };
      emu.on('session', onSession);
      await helper.load(
        modules,
        onTab([
          networkNode(emu, { id: 'net1', name: 'one' }),
          networkNode(emu, { id: 'net2', name: 'two', timeout: 3 }),
          discoverNode('disc1', 'net1', 'out1'),
          discoverNode('disc2', 'net2', 'out2'),
          {
            id: 's1',
            type: 'vstar-session',
            name: '',
            network: 'net1',
            camera: emu.cameras[0]?.uid,
            autoConnect: true,
            reconnect: true,
            wires: [['out1']],
          },
          {
            id: 's2',
            type: 'vstar-session',
            name: '',
            network: 'net2',
            camera: emu.cameras[0]?.uid,
            autoConnect: true,
            reconnect: true,
            wires: [['out2']],
          },
          { id: 'out1', type: 'helper' },
          { id: 'out2', type: 'helper' },
        ]),
      );
      try {
        const one = new Inbox(getNode('out1'));
        const two = new Inbox(getNode('out2'));
        const [c1, c2] = await Promise.all([one.event('connected'), two.event('connected')]);
        assert.equal(c1.topic, emu.cameras[0]?.uid);
        assert.equal(c2.topic, emu.cameras[0]?.uid);
        assert.equal(peers.size, 2, `two sessions from two local ports: ${[...peers].join(', ')}`);
        getNode('disc1').receive({ payload: 1 });
        getNode('disc2').receive({ payload: 2 });
        const [l1, l2] = await Promise.all([one.event('scan-complete'), two.event('scan-complete')]);
        assert.equal((l1.payload as { count: number }).count, 3);
        assert.equal((l2.payload as { count: number }).count, 3);
        assert.equal(await udpHandles(), baseline + 4, 'two sockets per network');
      } finally {
        emu.off('session', onSession);
        await helper.unload();
      }
    });
  });

  describe('trouble', () => {
    afterEach(() => helper.unload());

    test('a busy local port: red "in use" on the users, then recovery once it is freed', async () => {
      const blocker = await bindSocket(0);
      const busyPort = blocker.address().port;
      await helper.load(
        modules,
        onTab([
          networkNode(emu, { localPort: busyPort, bindRetryMs: 50 }),
          discoverNode('disc', 'net', 'out'),
          {
            id: 'sess',
            type: 'vstar-session',
            name: '',
            network: 'net',
            camera: emu.cameras[2]?.uid,
            autoConnect: true,
            reconnect: true,
            wires: [['out']],
          },
          { id: 'out', type: 'helper' },
          { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
          { id: 'errors', type: 'helper' },
        ]),
      );
      let freed = false;
      try {
        for (const id of ['disc', 'sess']) {
          const red = await waitStatus(getNode(id), (s) => s.fill === 'red', `${id} red`);
          assert.deepEqual(red, { fill: 'red', shape: 'ring', text: `port ${busyPort} in use` });
        }
        const logged = errorsLogged(getNode('net'));
        assert.equal(logged.length, 1, 'one error, not one per retry');
        assert.match(logged[0] ?? '', new RegExp(`port ${busyPort} in use; retrying`));
        const errors = new Inbox(getNode('errors'));
        getNode('disc').receive({ payload: 'scan while the port is busy' });
        const caught = await errors.next(() => true);
        assert.match(
          String((caught.error as { message: string }).message),
          new RegExp(`network not ready: port ${busyPort} in use`),
        );

        const inbox = new Inbox(getNode('out'));
        await closeSocket(blocker);
        freed = true;
        await waitStatus(getNode('disc'), (s) => s.fill !== 'red', 'discover recovers');
        await inbox.event('connected');
        await waitStatus(getNode('sess'), (s) => s.fill === 'green', 'session green');
        getNode('disc').receive({ payload: 'scan' });
        assert.equal(((await inbox.event('scan-complete')).payload as { count: number }).count, 3);
      } finally {
        if (!freed) await closeSocket(blocker);
      }
    });

    test('invalid properties: red status on the users, node.error, no sockets, no crash', async () => {
      const baseline = await udpHandles();
      await helper.load(
        modules,
        onTab([
          networkNode(emu, { dhPort: 99999, bind: 'not-an-ip', timeout: 0 }),
          discoverNode('disc', 'net', 'out'),
          {
            id: 'sess',
            type: 'vstar-session',
            name: '',
            network: 'net',
            camera: '',
            autoConnect: true,
            reconnect: true,
            wires: [['out']],
          },
          { id: 'out', type: 'helper' },
          { id: 'catcher', type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
          { id: 'errors', type: 'helper' },
        ]),
      );
      for (const id of ['disc', 'sess']) {
        const red = await waitStatus(getNode(id), (s) => s.fill === 'red', `${id} red`);
        assert.equal(red.shape, 'ring');
        assert.match(String(red.text), /^bad config: bind must be an IPv4 address/);
      }
      const logged = errorsLogged(getNode('net'));
      assert.equal(logged.length, 1);
      assert.match(
        logged[0] ?? '',
        /bind must be an IPv4 address.*dhPort must be an integer.*timeout must be a number greater than 0/,
      );
      assert.equal(await udpHandles(), baseline, 'nothing bound');
      const errors = new Inbox(getNode('errors'));
      getNode('disc').receive({ payload: 'scan' });
      const caught = await errors.next(() => true);
      assert.match(String((caught.error as { message: string }).message), /bad config/);
    });

    test('a user without a network: red status and node.error', async () => {
      await helper.load(modules, onTab([discoverNode('disc', '', 'out'), { id: 'out', type: 'helper' }]));
      const red = await waitStatus(getNode('disc'), (s) => s.fill === 'red', 'red');
      assert.equal(red.text, 'no network configured');
      assert.deepEqual(errorsLogged(getNode('disc')), ['no network configured']);
    });
  });

  describe('admin endpoints', () => {
    afterEach(() => helper.unload());

    interface Answer {
      source: string;
      cameras: { uid: string; did: string; ip: string; name: string; httpPort: number }[];
      count: number;
      targets: string[];
      port: number;
      hints: string[];
      errors: string[];
    }

    test('interfaces: every local IPv4 interface with its broadcast address', async () => {
      await helper.load(modules, onTab([networkNode(emu)]));
      const res = await helper.request().get('/vstar-p2p/interfaces');
      assert.equal(res.status, 200);
      const { interfaces } = res.body as {
        interfaces: { name: string; address: string; netmask: string; broadcast: string }[];
      };
      const loopback = interfaces.find((i) => i.address === '127.0.0.1');
      assert.ok(loopback, JSON.stringify(interfaces));
      assert.equal(loopback.netmask, '255.0.0.0');
      assert.equal(loopback.broadcast, LOOPBACK_BROADCAST);
    });

    test('scan through the deployed network', async () => {
      await helper.load(
        modules,
        onTab([networkNode(emu), discoverNode('disc', 'net', 'out'), { id: 'out', type: 'helper' }]),
      );
      await waitStatus(getNode('disc'), (s) => s.text === 'idle', 'network ready');
      const res = await helper
        .request()
        .get('/vstar-p2p/scan')
        .query({ network: 'net', targets: LOOPBACK_BROADCAST, dhPort: String(emu.dhPort), window: '300' });
      assert.equal(res.status, 200, res.text);
      const answer = res.body as Answer;
      assert.equal(answer.source, 'deployed');
      assert.equal(answer.count, 3);
      const first = emu.cameras[0];
      assert.ok(first);
      assert.deepEqual(
        answer.cameras.find((c) => c.uid === first.uid),
        { uid: first.uid, did: first.did, ip: first.ip, name: 'Porch', httpPort: first.httpPort },
      );
      assert.deepEqual(answer.hints, []);
      assert.equal(res.text.includes('s3cret'), false);
    });

    test("scan before the first deploy: a temporary endpoint from the dialog's properties", async () => {
      await helper.load(modules, onTab([]));
      const baseline = await udpHandles();
      const res = await helper
        .request()
        .get('/vstar-p2p/scan')
        .query({
          network: 'notdeployed1',
          targets: LOOPBACK_BROADCAST,
          dhPort: String(emu.dhPort),
          bind: '0.0.0.0',
          window: '300',
        });
      assert.equal(res.status, 200, res.text);
      const answer = res.body as Answer;
      assert.equal(answer.source, 'temporary');
      assert.equal(answer.count, 3);
      assert.deepEqual(answer.cameras.map((c) => c.uid).sort(), emu.cameras.map((c) => c.uid).sort());
      assert.equal(await udpHandles(), baseline, 'the temporary endpoint is closed before the answer');
    });

    test('nobody answers: the answer says what was tried and what to check', async () => {
      await helper.load(modules, onTab([]));
      const silent = await freePort();
      const res = await helper
        .request()
        .get('/vstar-p2p/scan')
        .query({ targets: LOOPBACK_BROADCAST, dhPort: String(silent), window: '200' });
      assert.equal(res.status, 200, res.text);
      const answer = res.body as Answer;
      assert.equal(answer.count, 0);
      assert.deepEqual(answer.targets, [LOOPBACK_BROADCAST]);
      assert.equal(answer.port, silent);
      const hints = answer.hints.join('\n');
      assert.match(hints, new RegExp(`${LOOPBACK_BROADCAST.replace(/\./g, '\\.')} \\(UDP port ${silent}\\)`));
      assert.match(hints, /broadcast address/i);
      assert.match(hints, /firewall/i);
      assert.match(hints, /docker/i);
    });

    test('the query is validated strictly', async () => {
      await helper.load(modules, onTab([]));
      const bad: Record<string, string>[] = [
        { targets: '999.1.1.1' },
        { targets: 'example.com' },
        { targets: '::1' },
        { targets: `${LOOPBACK_BROADCAST},10.0.0.300` },
        { dhPort: '70000' },
        { dhPort: '0' },
        { dhPort: '86x' },
        { bind: 'localhost' },
        { window: '999999' },
        { network: '../../etc' },
        { evil: '1' },
      ];
      for (const query of bad) {
        const res = await helper.request().get('/vstar-p2p/scan').query(query);
        assert.equal(res.status, 400, JSON.stringify(query));
        assert.equal(typeof (res.body as { error: unknown }).error, 'string');
      }
      const repeated = await helper.request().get(`/vstar-p2p/scan?targets=${LOOPBACK_BROADCAST}&targets=127.0.0.1`);
      assert.equal(repeated.status, 400);
    });

    test('both routes are registered behind needsPermission("vstar-network.read")', async () => {
      const asked: string[] = [];
      const guardedNetwork = (RED: NodeAPI): void => {
        const deny: ReturnType<NodeAPI['auth']['needsPermission']> = (_req, res) => {
          res.status(401).end();
        };
        RED.auth.needsPermission = (permission: string) => {
          asked.push(permission);
          return deny;
        };
        networkModule(RED);
      };
      await helper.load([guardedNetwork, discoverModule], onTab([]));
      assert.ok(asked.length >= 1);
      assert.deepEqual([...new Set(asked)], ['vstar-network.read']);
      for (const path of ['/vstar-p2p/scan', '/vstar-p2p/interfaces']) {
        const res = await helper
          .request()
          .get(path)
          .query({ targets: LOOPBACK_BROADCAST, dhPort: String(emu.dhPort) });
        assert.equal(res.status, 401, path);
      }
    });
  });
});
