// Issue 5, item 4: the attacks of PROTOCOL.md §4. A fake camera on another 127.x address floods
// forged DH replies for a real emulated camera's UID and answers LAN_SEARCH with a forged
// PUNCH_PKT for it. Sessions must stay with the real camera, discovery must report the conflict,
// and a junk flood at the session socket must not starve the real sessions.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import { CameraEmulator, type EmulatedCamera } from '../../nodes/camera/emulator';
import { type CameraLink } from '../../nodes/engine/camera-link';
import { type CameraSighting } from '../../nodes/engine/discovery-table';
import { type Endpoint } from '../../nodes/engine/endpoint';
import { buildDhReply } from '../../nodes/wire/dh';
import { type Did, encodeDid, parseDid } from '../../nodes/wire/did';
import { FakeCamera } from './support/attacker';
import {
  LinkRecorder,
  LoopbackSocket,
  connected,
  endpointFor,
  connectWithHeartbeats,
  nextEvent,
  perSecond,
  yieldToLoop,
} from './support/harness';
import { JsonChild } from './support/json-child';

const ROOT = join(__dirname, '..', '..');
const ATTACKER_IP = '127.0.26.66';

function didOf(camera: EmulatedCamera): Did {
  const did = parseDid(camera.did);
  assert.ok(did);
  return did;
}

function sightingOf(endpoint: Endpoint, camera: EmulatedCamera): CameraSighting {
  const sighting = endpoint.table.get(camera.uid);
  assert.ok(sighting, `${camera.uid} discovered`);
  return sighting;
}

describe("a fake camera claiming a real camera's UID", () => {
  let emu: CameraEmulator;
  let endpoint: Endpoint;
  let attacker: FakeCamera | undefined;
  const links: CameraLink[] = [];

  before(async () => {
    emu = await CameraEmulator.start({ cameras: 3, firstAddress: '127.0.26.1', dhPort: 0, searchPort: 0 });
    endpoint = endpointFor(emu, { timeoutMs: 3000, handshakeTimeoutMs: 3000 });
    await endpoint.ready();
    // The real cameras were on the LAN first.
    const scan = await endpoint.scan(300);
    assert.equal(scan.cameras.length, 3);
  });

  after(async () => {
    await attacker?.close();
    for (const link of links) endpoint.release(link);
    await endpoint.close();
    await emu.close();
  });

  async function startAttacker(victim: EmulatedCamera): Promise<FakeCamera> {
    await attacker?.close();
    // A copy of the victim's own DH reply, IP field included: only the source address differs.
    attacker = await FakeCamera.start(
      ATTACKER_IP,
      { dh: emu.dhPort, search: emu.searchPort },
      didOf(victim),
      sightingOf(endpoint, victim).record,
    );
    return attacker;
  }

  function endpointAddresses(): { dh: { address: string; port: number }; pppp: { address: string; port: number } } {
    const { dh, pppp } = endpoint.localPorts;
    assert.ok(dh && pppp);
    return { dh: { address: '127.0.0.1', port: dh }, pppp: { address: '127.0.0.1', port: pppp } };
  }

  test('a scan reports conflict with both addresses and the table keeps the camera it knew', async (t) => {
    const victim = emu.cameras[0];
    assert.ok(victim);
    const fake = await startAttacker(victim);
    const conflict = nextEvent<[{ sighting: CameraSighting; claimants: readonly string[] }]>(
      endpoint,
      'conflict',
      (c) => c.sighting.record.uid === victim.uid,
    );
    await endpoint.scan(300);
    const [{ sighting, claimants }] = await conflict;
    assert.deepEqual([...claimants].sort(), [ATTACKER_IP, victim.ip].sort());
    assert.equal(sighting.address, victim.ip);
    assert.equal(sightingOf(endpoint, victim).address, victim.ip);
    t.diagnostic(
      `conflict for ${victim.uid}: claimants ${claimants.join(', ')}; ${fake.forgedReplies} forged DH replies`,
    );
  });

  test('an established session is never moved: forged PUNCH/RDY/ALIVE/CLOSE flood, then a reboot', async (t) => {
    const victim = emu.cameras[1];
    assert.ok(victim);
    const link = endpoint.link({ kind: 'uid', uid: victim.uid }, { reconnect: true });
    assert.ok(link);
    links.push(link);
    const recorder = new LinkRecorder(link);
    link.connect();
    await connected(link);
    const fake = await startAttacker(victim);
    const claimsBefore = endpoint.stats.foreignClaims;
    let claimEvents = 0;
    link.on('foreign-claim', () => claimEvents++);
    const { dh, pppp } = endpointAddresses();
    fake.flood(dh, pppp, 5);
    try {
      // A few heartbeats under the flood: still the real camera, still answering.
      const heartbeat = link.startHeartbeat({ intervalMs: 300, misses: 3 });
      for (let i = 0; i < 4; i++) await nextEvent(heartbeat, 'heartbeat');
      heartbeat.stop();
      assert.equal(link.connected?.peer.address, victim.ip);
      // The real camera reboots (new session port): the reconnect races the attacker's answers.
      victim.setReplyDelay(150);
      await victim.reboot();
      await nextEvent(link, 'disconnected');
      const back = await connected(link, 20_000);
      assert.equal(back.peer.address, victim.ip, 'reconnected to the real camera');
      assert.equal(back.peer.port, victim.sessionPort);
      const vars = await link.cgi('get_status', {}, { user: 'admin', password: '888888' }, 3000);
      assert.equal(vars.deviceid?.replace(/-/g, ''), victim.uid);
    } finally {
      fake.stopFlood();
      victim.setReplyDelay(0);
    }
    recorder.assertAlternates();
    assert.deepEqual(fake.stolen, [], 'nothing (no PUNCH echo, no CGI, no credentials) reached the attacker');
    const counted = endpoint.stats.foreignClaims - claimsBefore;
    t.diagnostic(
      `${fake.forgedPunches} forged PUNCHes (+ as many P2P_RDYs): ${counted} counted as foreign claims, ${claimEvents} foreign-claim events; ` +
        `sequence ${recorder.sequence}; 0 datagrams to the attacker`,
    );
    assert.ok(counted > 0, 'forged handshake packets for a pinned camera are counted (stats.foreignClaims)');
    assert.ok(claimEvents > 0, 'and reported on the link (foreign-claim)');
  });

  test('a new session by IP ignores handshake packets from other addresses, even when they come first', async (t) => {
    const victim = emu.cameras[2];
    assert.ok(victim);
    const fake = await startAttacker(victim);
    const { dh, pppp } = endpointAddresses();
    fake.flood(dh, pppp, 5);
    victim.setReplyDelay(200);
    try {
      const link = endpoint.link({ kind: 'ip', ip: victim.ip }, { reconnect: false });
      assert.ok(link);
      links.push(link);
      const claimed = nextEvent(link, 'foreign-claim');
      link.connect();
      const up = await connected(link);
      await claimed;
      assert.equal(up.peer.address, victim.ip);
      assert.equal(up.uid, victim.uid);
      t.diagnostic(
        `connected to ${up.peer.address} after ${Math.round(up.handshakeMs)} ms despite ${fake.forgedPunches} forged PUNCHes arriving first`,
      );
    } finally {
      fake.stopFlood();
      victim.setReplyDelay(0);
    }
    assert.deepEqual(fake.stolen, []);
  });
});

describe('eviction then reconnect', () => {
  test('5,000 forged UIDs evict the real camera from the table; its next reconnect still refuses the attacker', async (t) => {
    const emu = await CameraEmulator.start({ cameras: 1, firstAddress: '127.0.27.1', dhPort: 0, searchPort: 0 });
    const endpoint = endpointFor(emu, { maxCameras: 256, timeoutMs: 3000 });
    const forger = await LoopbackSocket.open('127.0.27.99');
    let fake: FakeCamera | undefined;
    try {
      await endpoint.ready();
      await endpoint.scan(300);
      const victim = emu.cameras[0];
      assert.ok(victim);
      const link = endpoint.link({ kind: 'uid', uid: victim.uid }, { reconnect: true });
      assert.ok(link);
      const recorder = new LinkRecorder(link);
      link.connect();
      await connected(link);
      // Push the camera out of the table with replies for 5,000 made-up UIDs.
      const { dh } = endpoint.localPorts;
      assert.ok(dh);
      const template = sightingOf(endpoint, victim).record;
      for (let i = 0; i < 5000; i++) {
        const uid = `VSTF${String(100000 + i)}EVICT`;
        await forger.sendAwait(buildDhReply({ ...template, uid }), { address: '127.0.0.1', port: dh });
        if ((i & 31) === 31) for (let turn = 0; turn < 50 && endpoint.stats.dhIn < i; turn++) await yieldToLoop();
      }
      for (let turn = 0; turn < 200 && endpoint.stats.dhIn < 5000; turn++) await yieldToLoop();
      assert.equal(endpoint.table.get(victim.uid), undefined, 'the real camera was evicted');
      // Now the attacker, and a reboot the attacker can race (the real camera answers 200 ms late).
      fake = await FakeCamera.start('127.0.27.66', { dh: emu.dhPort, search: emu.searchPort }, didOf(victim), template);
      victim.setReplyDelay(200);
      await victim.reboot();
      await nextEvent(link, 'disconnected');
      const back = await connected(link, 20_000);
      t.diagnostic(
        `table ${endpoint.table.size}/256 after 5,000 forged UIDs (${endpoint.table.evictions} evictions); ` +
          `reconnected to ${back.peer.address}; ${fake.forgedPunches} forged PUNCHes, ${fake.stolenCount} datagrams reached the attacker`,
      );
      assert.equal(back.peer.address, victim.ip, 'reconnected to the real camera, not the attacker');
      assert.deepEqual(fake.stolen, []);
      recorder.assertAlternates();
      endpoint.release(link);
    } finally {
      await fake?.close();
      await forger.close();
      await endpoint.close();
      await emu.close();
    }
  });
});

const FLOOD_RATE = 50_000;
const FLOOD_SECONDS = 10;

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
}

describe('flood', () => {
  test(
    `${FLOOD_RATE.toLocaleString('en-US')} junk datagrams/s at the session socket for ${FLOOD_SECONDS} s: sessions hold, memory and event loop bounded`,
    { timeout: 60_000 },
    async (t) => {
      const emu = await CameraEmulator.start({ cameras: 3, firstAddress: '127.0.28.1', dhPort: 0, searchPort: 0 });
      const endpoint = endpointFor(emu, { timeoutMs: 3000 });
      let flooder: JsonChild | undefined;
      const heartbeats: { stop: () => void }[] = [];
      try {
        await endpoint.ready();
        await endpoint.scan(300);
        const { links, recorders, tally } = await connectWithHeartbeats(endpoint, emu.cameras, 1000, heartbeats);
        const aliveAnswersBefore = links.map((l) => l.sessionStats?.alivesAnswered ?? 0);
        const { pppp } = endpoint.localPorts;
        assert.ok(pppp);
        const firstCamera = emu.cameras[0];
        assert.ok(firstCamera);
        collectGarbage();
        const heapBefore = process.memoryUsage().heapUsed;
        const statsBefore = { ...endpoint.stats };
        const delay = monitorEventLoopDelay({ resolution: 10 });
        flooder = new JsonChild(
          'flooder',
          process.execPath,
          [
            '--import',
            'tsx',
            join(__dirname, 'fixtures', 'flooder.ts'),
            JSON.stringify({
              from: '127.0.28.200',
              to: { address: '127.0.0.1', port: pppp },
              ratePerSecond: FLOOD_RATE,
              seconds: FLOOD_SECONDS,
              didHex: encodeDid(didOf(firstCamera)).toString('hex'),
            }),
          ],
          ROOT,
        );
        await flooder.waitFor((m) => m.type === 'started');
        delay.enable();
        const done = await flooder.waitFor((m) => m.type === 'done', (FLOOD_SECONDS + 20) * 1000);
        delay.disable();
        const sent = Number(done.sent);
        const elapsedMs = Number(done.elapsedMs);
        // Let the socket drain what the kernel still holds.
        for (let turn = 0; turn < 100; turn++) await yieldToLoop();
        collectGarbage();
        const heapAfter = process.memoryUsage().heapUsed;
        const received = endpoint.stats.ppppIn - statsBefore.ppppIn;
        const aliveAnswers = links.reduce(
          (n, l, i) => n + (l.sessionStats?.alivesAnswered ?? 0) - (aliveAnswersBefore[i] ?? 0),
          0,
        );
        const disconnects = recorders.reduce((n, r) => n + r.count('disconnected'), 0);
        const maxDelayMs = delay.max / 1e6;
        t.diagnostic(
          `flooder sent ${sent.toLocaleString('en-US')} in ${Math.round(elapsedMs)} ms (${perSecond(sent, elapsedMs)} achieved of ${FLOOD_RATE.toLocaleString('en-US')}/s asked); ` +
            `endpoint read ${received.toLocaleString('en-US')} (${perSecond(received, elapsedMs)}), kernel dropped ~${Math.max(0, sent - received).toLocaleString('en-US')}`,
        );
        t.diagnostic(
          `during the flood: ${aliveAnswers} camera ALIVEs answered, ${tally.beats} heartbeats, ${tally.lost} lost, ${disconnects} disconnects; ` +
            `event-loop delay max ${maxDelayMs.toFixed(1)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, mean ${(delay.mean / 1e6).toFixed(1)} ms; ` +
            `heap ${(heapBefore / 1e6).toFixed(1)} MB -> ${(heapAfter / 1e6).toFixed(1)} MB; foreign claims ${endpoint.stats.foreignClaims - statsBefore.foreignClaims}`,
        );
        assert.equal(disconnects, 0, recorders.map((r) => r.sequence).join(' | '));
        assert.equal(tally.lost, 0);
        assert.ok(aliveAnswers >= links.length * (FLOOD_SECONDS - 2), `sessions kept answering ALIVE: ${aliveAnswers}`);
        assert.ok(heapAfter - heapBefore < 16e6, `heap grew ${((heapAfter - heapBefore) / 1e6).toFixed(1)} MB`);
        assert.ok(maxDelayMs < 1000, `event loop blocked for ${maxDelayMs.toFixed(0)} ms`);
        for (const link of links) endpoint.release(link);
      } finally {
        for (const hb of heartbeats) hb.stop();
        await flooder?.stop();
        await endpoint.close();
        await emu.close();
      }
    },
  );
});
