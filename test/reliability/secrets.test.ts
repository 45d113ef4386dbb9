// Issue 5, item 6: the DDNS password a camera broadcasts in its DH reply never comes out of the
// engine unless asked for. Every warning and every event payload (camera sightings passed
// through `endpoint.record(s, false)`, as the nodes do) is captured while discovery, changes,
// conflicts, sessions, CGI and malformed datagrams all happen; the password must appear in none.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { type CameraSighting } from '../../nodes/engine/discovery-table';
import { type Endpoint } from '../../nodes/engine/endpoint';
import { buildDhReply } from '../../nodes/wire/dh';
import { parseDid } from '../../nodes/wire/did';
import { FakeCamera } from './support/attacker';
import { LoopbackSocket, connected, endpointFor, nextEvent, yieldToLoop } from './support/harness';

const DDNS_PASSWORD = 'ddns-Pa55-7f3c9e';
const CGI_PASSWORD = 'cgi-Pa55-41d2b8';

/** Everything the engine said, as text, with sightings passed through `record(s, includeSecrets)`. */
class Capture {
  readonly lines: string[] = [];

  constructor(
    private readonly endpoint: Endpoint,
    private readonly includeSecrets: boolean,
  ) {}

  sighting(s: CameraSighting): unknown {
    return this.endpoint.record(s, this.includeSecrets);
  }

  push(kind: string, payload: unknown): void {
    this.lines.push(`${kind} ${JSON.stringify(payload)}`);
  }

  contains(secret: string): boolean {
    return this.lines.some((l) => l.includes(secret));
  }
}

function watch(endpoint: Endpoint, captures: readonly Capture[]): void {
  const all = (kind: string, payload: (c: Capture) => unknown): void => {
    for (const c of captures) c.push(kind, payload(c));
  };
  endpoint.on('warning', (w) => all('warning', () => w));
  endpoint.on('state', (state, detail) => all('state', () => ({ state, detail })));
  endpoint.on('discovered', (s) => all('discovered', (c) => c.sighting(s)));
  endpoint.on('changed', (e) =>
    all('changed', (c) => ({ sighting: c.sighting(e.sighting), previous: c.sighting(e.previous), changes: e.changes })),
  );
  endpoint.on('conflict', (e) =>
    all('conflict', (c) => ({ sighting: c.sighting(e.sighting), claimants: e.claimants })),
  );
  endpoint.on('scan-complete', (r) =>
    all('scan-complete', (c) => ({ ...r, cameras: r.cameras.map((s) => c.sighting(s)) })),
  );
}

describe('secrets', () => {
  test('the DDNS password (and the CGI password) never appear in warnings or event payloads; with includeSecrets the DDNS one does', async (t) => {
    const emu = await CameraEmulator.start({
      cameras: [
        {
          password: CGI_PASSWORD,
          ddns: { server: 'user2.ipcam.so', name: 'cam1', user: 'ddnsuser', password: DDNS_PASSWORD },
        },
      ],
      firstAddress: '127.0.32.1',
      dhPort: 0,
      searchPort: 0,
    });
    const endpoint = endpointFor(emu, { timeoutMs: 2000 });
    const hidden = new Capture(endpoint, false);
    const shown = new Capture(endpoint, true);
    watch(endpoint, [hidden, shown]);
    const junk = await LoopbackSocket.open('127.0.32.50');
    let fake: FakeCamera | undefined;
    try {
      await endpoint.ready();
      const camera = emu.cameras[0];
      assert.ok(camera);
      // discovered + scan-complete
      await endpoint.scan(300);
      const sighting = endpoint.table.get(camera.uid);
      assert.ok(sighting);
      assert.equal(sighting.record.ddns.password, DDNS_PASSWORD, 'the camera does broadcast it');

      // A session with its events, a CGI exchange with the CGI password, a CLOSE, a reconnect.
      const link = endpoint.link({ kind: 'uid', uid: camera.uid }, { reconnect: true });
      assert.ok(link);
      for (const event of [
        'state',
        'connecting',
        'connected',
        'disconnected',
        'handshake-failed',
        'rtt',
        'foreign-claim',
      ] as const) {
        link.on(event, (payload: unknown) => {
          for (const c of [hidden, shown]) c.push(`link:${event}`, payload);
        });
      }
      link.connect();
      await connected(link);
      const vars = await link.cgi('get_status', {}, { user: 'admin', password: CGI_PASSWORD }, 3000);
      assert.ok('deviceid' in vars);
      // A refused login too: its answer (or its failure) must not carry the password either.
      const refused = await link.cgi('get_status', {}, { user: 'admin', password: `${CGI_PASSWORD}-wrong` }, 3000);
      assert.equal('deviceid' in refused, false);
      const heartbeat = link.startHeartbeat({ intervalMs: 200, misses: 3 });
      await nextEvent(heartbeat, 'heartbeat');
      heartbeat.stop();

      // changed: a reboot moves the HTTP port; the session times out and comes back.
      const changed = nextEvent(endpoint, 'changed');
      const lost = nextEvent(link, 'disconnected');
      await camera.reboot();
      await endpoint.scan(300);
      await changed;
      await lost;
      await nextEvent(link, 'connected');

      // conflict, with a forger copying the whole reply, password included; and foreign claims.
      fake = await FakeCamera.start(
        '127.0.32.66',
        { dh: emu.dhPort, search: emu.searchPort },
        parseDid(camera.did) ?? assert.fail(),
        sighting.record,
      );
      const { dh, pppp } = endpoint.localPorts;
      assert.ok(dh && pppp);
      const conflict = nextEvent(endpoint, 'conflict');
      await endpoint.scan(300);
      await conflict;
      fake.forgePunch({ address: '127.0.0.1', port: pppp });

      // Malformed discovery datagrams that carry the password: warnings must not echo their bytes.
      const reply = buildDhReply(sighting.record);
      const noUid = Buffer.from(reply);
      noUid.fill(0, 0x5c, 0x5c + 32);
      const shortReply = reply.subarray(0, 0x5c + 10);
      const passwordJunk = Buffer.concat([Buffer.from('DH\x01\x08'), Buffer.from(DDNS_PASSWORD)]);
      for (const d of [noUid, shortReply, passwordJunk, Buffer.from(DDNS_PASSWORD)]) {
        await junk.sendAwait(d, { address: '127.0.0.1', port: dh });
        await junk.sendAwait(d, { address: '127.0.0.1', port: pppp });
      }
      for (let turn = 0; turn < 50 && endpoint.stats.dhBad < 3; turn++) await yieldToLoop();
      assert.ok(endpoint.stats.dhBad >= 3);

      // disconnected(closed)
      endpoint.release(link);
      t.diagnostic(
        `${hidden.lines.length} warnings and event payloads captured (${hidden.lines.filter((l) => l.startsWith('warning')).length} warnings); ` +
          `DDNS password in them: ${hidden.contains(DDNS_PASSWORD) ? 'yes' : 'no'} without includeSecrets, ` +
          `${shown.contains(DDNS_PASSWORD) ? 'yes' : 'no'} with; CGI password: ${hidden.contains(CGI_PASSWORD) || shown.contains(CGI_PASSWORD) ? 'yes' : 'no'}`,
      );
      if (process.env.RELIABILITY_VERBOSE) for (const line of hidden.lines) t.diagnostic(line);
      const kinds = new Set(hidden.lines.map((l) => l.split(' ')[0]));
      for (const kind of [
        'warning',
        'discovered',
        'changed',
        'conflict',
        'scan-complete',
        'link:connected',
        'link:disconnected',
        'link:foreign-claim',
      ]) {
        assert.ok(kinds.has(kind), `captured at least one ${kind}`);
      }
      assert.equal(
        hidden.contains(DDNS_PASSWORD),
        false,
        hidden.lines.filter((l) => l.includes(DDNS_PASSWORD)).join('\n'),
      );
      assert.equal(shown.contains(DDNS_PASSWORD), true, 'includeSecrets: true shows it');
      assert.equal(hidden.contains(CGI_PASSWORD) || shown.contains(CGI_PASSWORD), false);
    } finally {
      await fake?.close();
      await junk.close();
      await endpoint.close();
      await emu.close();
    }
  });
});
