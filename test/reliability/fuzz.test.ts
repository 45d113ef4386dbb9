// Issue 5, item 3: fuzzing. Over a million random and mutated datagrams (mutations of every real
// vector of PROTOCOL.md) through every decoder and through the session state machine in each of
// its states; then a live endpoint fed 100,000 junk datagrams on both sockets while its sessions
// carry on. Seeded: a failure prints its seed, and RELIABILITY_SEED=<seed> replays it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CameraEmulator } from '../../nodes/camera/emulator';
import { type HeartbeatHandle } from '../../nodes/engine/camera-link';
import { type Address } from '../../nodes/wire/address';
import { CGI_HEADER_LENGTH, CgiReassembler, MAX_CGI_BODY, parseCgiVars } from '../../nodes/wire/cgi';
import { type CipherKey, decrypt, deriveKey, detectCipher, encrypt } from '../../nodes/wire/cipher';
import { isDhProbe, parseDhReply } from '../../nodes/wire/dh';
import { type Did, decodeDid, parseDid } from '../../nodes/wire/did';
import { decodeHeader, decodePppp, encodePppp } from '../../nodes/wire/pppp';
import { type Decoded } from '../../nodes/wire/result';
import { type EncryptionMode } from '../../nodes/session/encryption';
import {
  DEFAULT_SESSION_TIMING,
  Session,
  type SessionAction,
  type SessionConfig,
  type SessionState,
} from '../../nodes/session/session';
import { LoopbackSocket, connectWithHeartbeats, endpointFor, perSecond, yieldToLoop } from './support/harness';
import { Rng, mutate, randomDatagram, runSeed } from './support/random';
import { ALL_VECTORS, PUNCH_VECTORS, READY_VECTORS, DRW_VECTORS, VECTOR_PASSPHRASES } from '../support/vectors';

const DATAGRAMS = 1_000_000;
const LIVE_DATAGRAMS = 100_000;

const KEYS: readonly CipherKey[] = VECTOR_PASSPHRASES.map(deriveKey);
const CAMERA: Address = { address: '127.0.0.2', port: 40_001 };
const STRANGER: Address = { address: '127.0.0.66', port: 40_001 };
/** The DID of the first PUNCH vector: the fuzzed sessions talk to this camera, so mutations reach deep. */
const VECTOR_DID = mustDid('BATD-156362-WONJM');

function mustDid(text: string): Did {
  const did = parseDid(text);
  assert.ok(did, text);
  return did;
}

/** Plaintext vectors, plus every session-type vector encrypted under every passphrase. */
function seedCorpus(): Buffer[] {
  const sessionVectors = [...PUNCH_VECTORS, ...READY_VECTORS, ...DRW_VECTORS, encodePppp({ kind: 'alive' })];
  const encrypted = KEYS.flatMap((key) => sessionVectors.map((v) => encrypt(key, v)));
  const ours = [encodePppp({ kind: 'punch', did: VECTOR_DID }), encodePppp({ kind: 'ready', did: VECTOR_DID })];
  return [...ALL_VECTORS, ...ours, encodePppp({ kind: 'close' }), ...encrypted];
}

function checkDecoded<T>(result: Decoded<T>): void {
  if (typeof result !== 'object' || typeof result.ok !== 'boolean') assert.fail('decoder returned no result');
  if (!result.ok && typeof result.error.message !== 'string') assert.fail('error without a message');
}

// ---- Session slots: one session per (state, encryption), rebuilt when fuzzing moved it on ----

type Slot = { readonly target: SessionState; readonly mode: 'plain' | 'key' | 'auto'; session: Session };

const ORDER: Record<SessionState, number> = { idle: 0, searching: 1, punching: 2, connected: 3, closed: 4 };

function sessionConfig(mode: Slot['mode']): SessionConfig {
  const key = KEYS[1];
  assert.ok(key);
  const encryption: EncryptionMode =
    mode === 'plain' ? { mode: 'plain' } : mode === 'key' ? { mode: 'key', key } : { mode: 'auto', candidates: KEYS };
  return {
    ...DEFAULT_SESSION_TIMING,
    searchTargets: [{ address: '127.255.255.255', port: 32108 }],
    encryption,
    uid: 'BATD156362WONJM',
    // Pinned: no datagram from any other address may ever become the peer.
    pinnedIp: CAMERA.address,
    keepaliveIdleMs: 1000,
    probeRetryMs: 150,
    lostAfterMs: 3000,
    reorderWindow: 16,
  };
}

function build(target: SessionState, mode: Slot['mode'], now: number): Session {
  const config = sessionConfig(mode);
  const session = new Session(config);
  if (target === 'idle') return session;
  session.start(now);
  const seal = (plain: Buffer): Buffer => (mode === 'plain' ? plain : encrypt(KEYS[1] as CipherKey, plain));
  if (target === 'searching') return session;
  session.receive(seal(encodePppp({ kind: 'punch', did: VECTOR_DID })), CAMERA, now);
  if (target === 'punching') return session;
  session.receive(seal(encodePppp({ kind: 'ready', did: VECTOR_DID })), CAMERA, now);
  if (target === 'connected') return session;
  session.close();
  return session;
}

function checkActions(actions: readonly SessionAction[]): number {
  let connectedEvents = 0;
  for (const action of actions) {
    if (action.kind === 'send') {
      if (!Buffer.isBuffer(action.data) || typeof action.to.port !== 'number') assert.fail('malformed send');
    } else if (action.kind === 'event') {
      if (action.event.type === 'connected') connectedEvents++;
    } else {
      assert.fail('unknown action');
    }
  }
  return connectedEvents;
}

describe('fuzzing', () => {
  test(`${DATAGRAMS.toLocaleString('en-US')} random and mutated datagrams through every decoder and the session in every state: nothing throws`, (t) => {
    const seed = runSeed();
    t.diagnostic(`seed ${seed} (replay with RELIABILITY_SEED=${seed})`);
    const rng = new Rng(seed);
    const corpus = seedCorpus();
    const reassembler = new CgiReassembler();
    const slots: Slot[] = [];
    for (const target of ['idle', 'searching', 'punching', 'connected', 'closed'] as const) {
      for (const mode of ['plain', 'key', 'auto'] as const)
        slots.push({ target, mode, session: build(target, mode, 0) });
    }
    const perState = new Map<SessionState, number>();
    let now = 0;
    let rebuilt = 0;
    let mutated = 0;
    let maxBuffered = 0;
    let connectedOnce = 0;
    const startedAt = performance.now();
    let current: Buffer = Buffer.alloc(0);
    try {
      for (let i = 0; i < DATAGRAMS; i++) {
        const fromVector = rng.chance(0.6);
        if (fromVector) mutated++;
        const d = fromVector ? mutate(rng, rng.pick(corpus), corpus) : randomDatagram(rng);
        current = d;

        checkDecoded(decodeHeader(d));
        checkDecoded(decodePppp(d));
        checkDecoded(parseDhReply(d));
        checkDecoded(decodeDid(d, rng.below(d.length + 4)));
        const key = rng.pick(KEYS);
        checkDecoded(decodePppp(decrypt(key, d)));
        detectCipher(d, KEYS);
        checkDecoded(reassembler.push(d.subarray(rng.below(8))));
        maxBuffered = Math.max(maxBuffered, reassembler.bufferedBytes);
        if ((i & 3) === 0) parseCgiVars(d.toString(rng.chance(0.5) ? 'utf8' : 'latin1'));

        const slot = rng.pick(slots);
        const before = slot.session.state;
        const peerBefore = slot.session.peer;
        const from = rng.chance(0.7) ? CAMERA : STRANGER;
        const step = slot.session.receive(d, from, now);
        connectedOnce += checkActions(step.actions);
        perState.set(before, (perState.get(before) ?? 0) + 1);
        const after = slot.session.state;
        // Checked with plain comparisons: a million assertion messages would cost more than the decoders.
        if (ORDER[after] < ORDER[before]) assert.fail(`state went back from ${before} to ${after}`);
        const peer = slot.session.peer;
        if (peer && peer.address !== CAMERA.address) assert.fail(`a stranger became the peer: ${peer.address}`);
        if (peerBefore && peer !== peerBefore) assert.fail('the peer moved');
        if (from === STRANGER && after !== before) assert.fail(`a stranger moved the state from ${before} to ${after}`);

        if ((i & 1023) === 0) {
          now += 250;
          for (const s of slots) connectedOnce += checkActions(s.session.tick(now));
        }
        if (slot.session.state !== slot.target) {
          slot.session = build(slot.target, slot.mode, now);
          rebuilt++;
        }
      }
    } catch (error) {
      throw new Error(`seed ${seed}, datagram ${current.toString('hex')}: ${String(error)}`, { cause: error });
    }
    const elapsed = performance.now() - startedAt;
    // A CGI block is at most a header and a u16 body; one push may add one datagram on top.
    assert.ok(maxBuffered <= CGI_HEADER_LENGTH + MAX_CGI_BODY + 1500, `reassembler held ${maxBuffered} bytes`);
    t.diagnostic(
      `${DATAGRAMS.toLocaleString('en-US')} datagrams (${mutated.toLocaleString('en-US')} mutated vectors) in ${Math.round(elapsed)} ms: ` +
        `${perSecond(DATAGRAMS, elapsed)} through 8 decoders + Session.receive`,
    );
    t.diagnostic(
      `Session.receive per state: ${[...perState].map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`).join(', ')}; ` +
        `${rebuilt.toLocaleString('en-US')} sessions moved on by fuzz and rebuilt; reassembler peak ${maxBuffered} bytes; ` +
        `${connectedOnce} connected events from fuzzed handshakes`,
    );
  });

  test(`a live endpoint fed ${LIVE_DATAGRAMS.toLocaleString('en-US')} junk datagrams on both sockets keeps its sessions and heartbeats`, async (t) => {
    const seed = runSeed();
    t.diagnostic(`seed ${seed}`);
    const rng = new Rng(seed);
    const corpus = seedCorpus();
    const emu = await CameraEmulator.start({ cameras: 3, firstAddress: '127.0.23.1', dhPort: 0, searchPort: 0 });
    const endpoint = endpointFor(emu, { timeoutMs: 3000 });
    const junk = await LoopbackSocket.open('127.0.23.200');
    const heartbeats: HeartbeatHandle[] = [];
    try {
      await endpoint.ready();
      await endpoint.scan(300);
      const { links, recorders, tally } = await connectWithHeartbeats(endpoint, emu.cameras, 500, heartbeats);
      const warnings: string[] = [];
      endpoint.on('warning', (w) => warnings.push(w));
      const { dh, pppp } = endpoint.localPorts;
      assert.ok(dh && pppp);
      const before = { ...endpoint.stats };
      // Datagrams the sessions themselves received, to tell the cameras' traffic from the junk.
      const sessionTraffic = (): number =>
        links.reduce((n, l) => n + (l.sessionStats?.received ?? 0) + (l.sessionStats?.undecodable ?? 0), 0);
      const trafficBefore = sessionTraffic();
      let sentDh = 0;
      let sentPppp = 0;
      let expectedDhBad = 0;
      const startedAt = performance.now();
      const received = (): number => endpoint.stats.dhIn + endpoint.stats.ppppIn - before.dhIn - before.ppppIn;
      // libuv reads a few dozen datagrams per socket per turn of the loop: a sender in the same
      // process that outruns that fills the kernel's buffer, so each batch waits to be read.
      const BATCH = 64;
      for (let i = 0; i < LIVE_DATAGRAMS; i += BATCH) {
        let last: Promise<void> = Promise.resolve();
        for (let j = 0; j < BATCH && i + j < LIVE_DATAGRAMS; j++) {
          const d = rng.chance(0.5) ? mutate(rng, rng.pick(corpus), corpus) : randomDatagram(rng);
          if ((j & 1) === 0) {
            if (!isDhProbe(d) && !parseDhReply(d).ok) expectedDhBad++;
            sentDh++;
            last = junk.sendAwait(d, { address: '127.0.0.1', port: dh });
          } else {
            sentPppp++;
            last = junk.sendAwait(d, { address: '127.0.0.1', port: pppp });
          }
        }
        await last;
        for (let turn = 0; turn < 50 && received() < sentDh + sentPppp; turn++) await yieldToLoop();
      }
      const elapsed = performance.now() - startedAt;
      const dhIn = endpoint.stats.dhIn - before.dhIn;
      const ppppIn = endpoint.stats.ppppIn - before.ppppIn;
      const dhBad = endpoint.stats.dhBad - before.dhBad;
      const unclaimed = endpoint.stats.ppppUnclaimed - before.ppppUnclaimed;
      const junkIn = ppppIn - (sessionTraffic() - trafficBefore);
      // Heartbeats still come after the flood.
      const beatsAfterFlood = tally.beats;
      await new Promise<void>((resolve) => {
        const hb = heartbeats[0];
        assert.ok(hb);
        let n = 0;
        hb.on('heartbeat', () => ++n === 4 && resolve());
      });
      t.diagnostic(
        `sent ${sentDh.toLocaleString('en-US')} to the DH socket and ${sentPppp.toLocaleString('en-US')} to the PPPP socket in ` +
          `${Math.round(elapsed)} ms (${perSecond(sentDh + sentPppp, elapsed)}); received ${dhIn} + ${junkIn} ` +
          `(kernel dropped ${sentDh - dhIn} + ${sentPppp - junkIn})`,
      );
      t.diagnostic(
        `counted: dhBad +${dhBad} (expected ${expectedDhBad} malformed of those sent), ppppUnclaimed +${unclaimed}; ` +
          `${beatsAfterFlood} heartbeats during the flood, ${tally.lost} lost, ${recorders.reduce((n, r) => n + r.count('disconnected'), 0)} disconnects; ` +
          `${warnings.length} warnings (throttled); table ${endpoint.table.size} cameras`,
      );
      assert.ok(dhIn >= sentDh * 0.95, `DH socket received ${dhIn} of ${sentDh}`);
      assert.ok(junkIn >= sentPppp * 0.95, `PPPP socket received ${junkIn} of ${sentPppp}`);
      assert.ok(dhBad <= expectedDhBad && dhBad >= expectedDhBad - (sentDh - dhIn), `dhBad ${dhBad}`);
      assert.equal(unclaimed, junkIn, 'every junk datagram on the PPPP socket counted as unclaimed');
      for (const r of recorders) {
        assert.equal(r.count('disconnected'), 0, r.sequence);
        r.assertAlternates();
      }
      assert.equal(tally.lost, 0);
      assert.ok(beatsAfterFlood >= links.length * 2, `heartbeats during the flood: ${beatsAfterFlood}`);
      assert.ok(warnings.length <= 10, `warnings are throttled: ${warnings.length}`);
      for (const link of links) endpoint.release(link);
    } finally {
      for (const hb of heartbeats) hb.stop();
      await junk.close();
      await endpoint.close();
      await emu.close();
    }
  });
});
