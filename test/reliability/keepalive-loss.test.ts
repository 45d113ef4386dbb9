// The session's keepalive against a lossy camera, simulated on a fake clock (sans-I/O, so a
// hundred thousand session-seconds take a second): how often does 30 % loss each way make a
// live camera look lost, with one probe per silent second (the old schedule) and with the quick
// probe retries the endpoint now configures? Seeded, hence deterministic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Address } from '../../nodes/wire/address';
import { type Did, parseDid } from '../../nodes/wire/did';
import { decodePppp, encodePppp } from '../../nodes/wire/pppp';
import { DEFAULT_SESSION_TIMING, Session, type SessionAction, type SessionConfig } from '../../nodes/session/session';
import { Rng } from './support/random';

const CAMERA: Address = { address: '127.0.0.2', port: 40_001 };
const DID: Did = parseDid('VSTB-668515-UZCPK') ?? assert.fail('DID');
const ALIVE = encodePppp({ kind: 'alive' });
const ALIVE_ACK = encodePppp({ kind: 'alive-ack' });

interface Outcome {
  readonly disconnects: number;
  readonly probes: number;
  readonly rtts: number[];
}

/** What the endpoint gives a session for a `timeoutMs`: mirrors Endpoint.sessionConfig. */
function endpointTiming(timeoutMs: number, quick: boolean): SessionConfig {
  const keepaliveIdleMs = Math.min(1500, Math.max(100, timeoutMs / 3));
  return {
    ...DEFAULT_SESSION_TIMING,
    searchTargets: [{ address: '127.255.255.255', port: 32108 }],
    encryption: { mode: 'plain' },
    keepaliveIdleMs,
    lostAfterMs: timeoutMs,
    ...(quick ? { probeRetryMs: Math.min(keepaliveIdleMs, Math.max(50, timeoutMs / 20)) } : {}),
  };
}

/**
 * A camera that sends ALIVE every `aliveMs` and answers ALIVE with ALIVE_ACK, behind a link that
 * loses `loss` of the datagrams in each direction and delays each by `latencyMs`. With
 * `heartbeatMs`, the session is also asked for a probe that often, as a heartbeat node does.
 */
function simulate(
  config: SessionConfig,
  seconds: number,
  loss: number,
  latencyMs: number,
  seed: number,
  heartbeatMs = Infinity,
): Outcome {
  const rng = new Rng(seed);
  const aliveMs = 1000;
  const pending: { at: number; data: Buffer; toCamera: boolean }[] = [];
  let now = 0;
  let disconnects = 0;
  let probes = 0;
  const rtts: number[] = [];
  const connect = (): Session => {
    const s = new Session(config);
    s.start(now);
    s.receive(encodePppp({ kind: 'punch', did: DID }), CAMERA, now);
    s.receive(encodePppp({ kind: 'ready', did: DID }), CAMERA, now);
    return s;
  };
  let session = connect();
  let nextAlive = rng.below(aliveMs);
  let nextHeartbeat = heartbeatMs;
  const deliver = (data: Buffer, toCamera: boolean): void => {
    if (!rng.chance(loss)) pending.push({ at: now + latencyMs, data, toCamera });
  };
  const perform = (actions: readonly SessionAction[]): void => {
    for (const action of actions) {
      if (action.kind === 'send') {
        const decoded = decodePppp(action.data);
        if (decoded.ok && decoded.value.kind === 'alive') probes++;
        deliver(action.data, true);
      } else if (action.event.type === 'disconnected') {
        disconnects++;
      } else if (action.event.type === 'rtt') {
        rtts.push(action.event.rttMs);
      }
    }
  };
  const end = seconds * 1000;
  while (now < end) {
    const wake = session.nextWakeMs() ?? Infinity;
    const due = pending.reduce((m, p) => Math.min(m, p.at), Infinity);
    now = Math.min(wake, nextAlive, due, nextHeartbeat);
    if (now >= nextHeartbeat) {
      perform(session.probe(now));
      nextHeartbeat += heartbeatMs;
    }
    if (now >= nextAlive) {
      deliver(ALIVE, false);
      nextAlive += aliveMs;
    }
    for (let i = 0; i < pending.length;) {
      const p = pending[i];
      if (!p || p.at > now) {
        i++;
        continue;
      }
      pending.splice(i, 1);
      if (!p.toCamera) perform(session.receive(p.data, CAMERA, now).actions);
      else if (decodePppp(p.data).ok && p.data[1] === 0xe0) deliver(ALIVE_ACK, false);
    }
    perform(session.tick(now));
    if (session.state === 'closed') session = connect();
  }
  return { disconnects, probes, rtts };
}

describe('keepalive under loss (simulated clock)', () => {
  const SECONDS = 100_000;

  test(`30% loss each way, timeout 3 s, ${SECONDS.toLocaleString('en-US')} session-seconds: quick probe retries cut false disconnects`, (t) => {
    const old = simulate(endpointTiming(3000, false), SECONDS, 0.3, 1, 1);
    const quick = simulate(endpointTiming(3000, true), SECONDS, 0.3, 1, 1);
    t.diagnostic(
      `one probe per silent second: ${old.disconnects} false disconnects (${((old.disconnects / SECONDS) * 100).toFixed(3)}% per session-second), ` +
        `${(old.probes / SECONDS).toFixed(2)} ALIVEs/s sent`,
    );
    t.diagnostic(
      `quick retries (every 150 ms from 1.5 s of silence): ${quick.disconnects} false disconnects ` +
        `(${((quick.disconnects / SECONDS) * 100).toFixed(4)}% per session-second), ${(quick.probes / SECONDS).toFixed(2)} ALIVEs/s sent`,
    );
    assert.ok(old.disconnects > 100, 'the old schedule does lose live cameras at this loss rate');
    assert.ok(quick.disconnects * 20 < old.disconnects, 'at least 20 times fewer false disconnects');
    assert.ok(quick.probes < old.probes * 2, 'for less than twice the probes');
  });

  test('a steady 800 ms round trip: no quick retries, every round trip measured as 800 ms', () => {
    const { disconnects, rtts } = simulate(endpointTiming(3000, true), 2000, 0, 400, 2, 500);
    assert.equal(disconnects, 0);
    assert.ok(rtts.length > 0);
    assert.deepEqual([...new Set(rtts)], [800]);
  });

  test('timeout 10 s (the default): no false disconnect in 100,000 session-seconds at 30% loss', (t) => {
    const old = simulate(endpointTiming(10_000, false), SECONDS, 0.3, 1, 3);
    const quick = simulate(endpointTiming(10_000, true), SECONDS, 0.3, 1, 3);
    t.diagnostic(
      `${quick.disconnects} false disconnects, ${(quick.probes / SECONDS).toFixed(2)} ALIVEs/s ` +
        `(one probe per silent interval: ${old.disconnects}, ${(old.probes / SECONDS).toFixed(2)} ALIVEs/s)`,
    );
    assert.equal(quick.disconnects, 0);
  });
});
