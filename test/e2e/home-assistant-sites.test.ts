// Issue 13, many sites: two Node-RED processes, each in a network namespace of its own with its
// own emulated cameras (discovery broadcasts cannot leave a site), report to one Mosquitto broker
// in a third namespace, through a bridge that exists only inside namespaces this test makes.
// Both sites have a camera with the same UID on purpose: the site prefix keeps them apart.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NamespaceLan, namespaceUnavailable, sweepStaleNamespaces } from '../reliability/support/netns';
import { Child, requireDist, root, userDirectory, waitUntil } from './support';
import { exampleFlow, mosquittoConfig, mosquittoMissing, schemaProblems } from './mqtt-support';

const BROKER_PORT = 1883;
/** Only a guard against a hang; every wait is on a broker message. */
const GUARD_MS = 60_000;
const SHARED_UID = 'VSTB112233ABCDE';
const SITES = [
  { name: 'siteA', cameras: [SHARED_UID, 'VSTC445566FGHIJ'] },
  { name: 'siteB', cameras: [SHARED_UID, 'VSTB778899KLMNP'] },
] as const;

const skip = mosquittoMissing(['mosquitto', 'mosquitto_sub']) ?? namespaceUnavailable();
const children: Child[] = [];
let lan: NamespaceLan | undefined;

after(async () => {
  // Processes first (a namespace lives on while a process is in it), then the namespaces.
  for (const child of children) await child.killGroup();
  lan?.destroy();
});

/** A process inside a namespace, in a process group of its own. */
function spawnIn(ns: string, name: string, command: string, args: readonly string[], cwd = root): Child {
  const child = spawn('ip', ['netns', 'exec', ns, command, ...args], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const wrapped = new Child(name, child as never);
  children.push(wrapped);
  return wrapped;
}

/** `mosquitto_sub -v` lines, "topic payload", as the last payload per topic with a log. */
class Subscriber {
  constructor(readonly child: Child) {}

  messages(): { topic: string; payload: string; index: number }[] {
    return this.child.lines.map((line, index) => {
      const space = line.indexOf(' ');
      return space < 0
        ? { topic: line, payload: '', index }
        : { topic: line.slice(0, space), payload: line.slice(space + 1), index };
    });
  }

  last(topic: string): string | undefined {
    return this.messages()
      .filter((m) => m.topic === topic)
      .at(-1)?.payload;
  }

  waitFor(topic: string, value: string | ((payload: string) => boolean), from = 0): Promise<string> {
    const matches = typeof value === 'string' ? (p: string) => p === value : value;
    return waitUntil(
      () => this.messages().find((m) => m.index >= from && m.topic === topic && matches(m.payload))?.payload,
      () => `${topic} (last: ${this.last(topic) ?? 'nothing'})`,
      GUARD_MS,
    );
  }
}

test(
  'two sites share one broker: every camera of both appears, and a dead Node-RED makes exactly its site unavailable',
  { skip },
  async (t) => {
    requireDist();
    const swept = sweepStaleNamespaces();
    if (swept.length > 0) t.diagnostic(`removed namespaces left by dead runs: ${swept.join(' ')}`);
    lan = new NamespaceLan(['broker', ...SITES.map((s) => s.name)], '10.214.0');
    const brokerHost = lan.host('broker');

    const broker = spawnIn(brokerHost.ns, 'mosquitto', 'mosquitto', ['-c', mosquittoConfig('0.0.0.0', BROKER_PORT)]);
    await broker.waitForLine(/mosquitto version .* running/i);
    const sub = new Subscriber(
      spawnIn(brokerHost.ns, 'mosquitto_sub', 'mosquitto_sub', [
        ...['-h', '127.0.0.1', '-p', String(BROKER_PORT), '-q', '1', '-v'],
        ...['-t', 'homeassistant/#', '-t', 'vstar/+', '-t', 'vstar/+/+/connectivity'],
      ]),
    );

    const reds = new Map<string, Child>();
    for (const [index, site] of SITES.entries()) {
      const ns = lan.host(site.name).ns;
      const cameras = spawnIn(ns, `${site.name} cameras`, process.execPath, [
        '--import',
        'tsx',
        join(__dirname, 'fixtures', 'site-cameras.ts'),
        JSON.stringify({
          cameras: site.cameras.map((uid, i) => ({ uid, name: `${site.name} camera ${i + 1}` })),
          firstAddress: `127.0.${46 + index}.1`,
        }),
      ]);
      const ready = JSON.parse(await cameras.waitForLine(/"type":"ready"/)) as { dhPort: number; searchPort: number };
      // The flow as a user imports it, only the addresses and this site's prefix set.
      const flow = exampleFlow(
        {
          broker: brokerHost.address,
          brokerPort: BROKER_PORT,
          targets: '127.255.255.255',
          dhPort: ready.dhPort,
          searchPort: ready.searchPort,
          cameras: [site.cameras[0], site.cameras[1]],
          topicRoot: `vstar/${site.name}`,
        },
        (path) => readFileSync(path, 'utf8'),
      ).map((node) =>
        // Until vstar-snapshot ships, a stand-in: Node-RED starts no flow with an unknown type.
        node.type === 'vstar-snapshot' && !snapshotShipped()
          ? { ...node, type: 'function', func: 'return null;' }
          : node,
      );
      const userDir = userDirectory(`vstar-${site.name}-`, 1880, true);
      writeFileSync(join(userDir, 'flows.json'), JSON.stringify(flow));
      const red = spawnIn(
        ns,
        `Node-RED ${site.name}`,
        process.execPath,
        [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', join(userDir, 'settings.js')],
        userDir,
      );
      reds.set(site.name, red);
    }

    // Every camera of both sites, each its own device, online.
    const uniqueIds = new Set<string>();
    for (const site of SITES) {
      await sub.waitFor(`vstar/${site.name}`, 'online');
      for (const uid of site.cameras) {
        const topic = `homeassistant/binary_sensor/vstar_vstar_${site.name}_${uid}/connectivity/config`;
        const text = await sub.waitFor(topic, () => true);
        assert.deepEqual(schemaProblems(topic, text), [], text);
        const config = JSON.parse(text) as {
          unique_id: string;
          device: { identifiers: string[] };
          availability: { topic: string }[];
        };
        uniqueIds.add(config.unique_id).add(JSON.stringify(config.device.identifiers));
        assert.deepEqual(
          config.availability.map((a) => a.topic),
          [`vstar/${site.name}`],
        );
        await sub.waitFor(`vstar/${site.name}/${uid}/connectivity`, 'ON');
      }
    }
    assert.equal(uniqueIds.size, 8, 'four cameras, four devices and four connectivity ids, none shared');
    t.diagnostic(`2 sites, 4 cameras (${SHARED_UID} at both), all online through one broker`);

    // Site B's Node-RED dies (no goodbye): the broker's last will marks site B, and only it, offline.
    const from = sub.child.lines.length;
    const siteB = reds.get('siteB');
    assert.ok(siteB);
    process.kill(siteB.pid, 'SIGKILL');
    await siteB.waitExit();
    await sub.waitFor('vstar/siteB', 'offline', from);
    // Site A keeps reporting: a heartbeat-driven publish would show it; its availability never changed.
    assert.equal(sub.last('vstar/siteA'), 'online');
    assert.ok(
      !sub
        .messages()
        .some((m) => m.index >= from && m.topic.startsWith('vstar/siteA') && /offline|OFF/.test(m.payload)),
    );
    t.diagnostic('SIGKILL of site B Node-RED -> vstar/siteB offline (last will); site A untouched');
  },
);

function snapshotShipped(): boolean {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    'node-red': { nodes: Record<string, string> };
  };
  return 'vstar-snapshot' in pkg['node-red'].nodes;
}
