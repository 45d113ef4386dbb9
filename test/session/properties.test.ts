import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Address, sameAddress } from '../../nodes/wire/address';
import { DrwReceiver } from '../../nodes/session/drw-receiver';
import { type EncryptionMode } from '../../nodes/session/encryption';
import { Session, type SessionAction } from '../../nodes/session/session';
import {
  ATTACKER_ADDRESS,
  CAMERA_ADDRESS,
  FakeCamera,
  KEY_2018,
  KEY_2019,
  SAME_IP_OTHER_PORT,
  VSTB_DID,
  connectedSession,
  eventsOfType,
  makeConfig,
  sends,
} from './fake-camera';

const STATES = ['idle', 'searching', 'punching', 'connected', 'closed'] as const;
type State = (typeof STATES)[number];

const MODES: readonly EncryptionMode[] = [
  { mode: 'plain' },
  { mode: 'auto', candidates: [KEY_2018, KEY_2019] },
  { mode: 'key', key: KEY_2019 },
];

function cameraFor(mode: EncryptionMode): FakeCamera {
  return new FakeCamera(VSTB_DID, CAMERA_ADDRESS, mode.mode === 'plain' ? null : KEY_2019);
}

function sessionIn(state: State, mode: EncryptionMode): Session {
  const camera = cameraFor(mode);
  const config = makeConfig({ encryption: mode });
  if (state === 'connected') return connectedSession(camera, config);
  const session = new Session(config);
  if (state === 'idle') return session;
  session.start(0);
  if (state === 'searching') return session;
  session.receive(camera.punch(), camera.address, 10);
  if (state === 'closed') session.close();
  assert.equal(session.state, state);
  return session;
}

/** Raw junk, or something that looks like PPPP (right magic, any type and length), in clear or encrypted. */
const datagramArb = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
  fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 48 }))
    .map(([code, length, rest]) => {
      const header = Buffer.from([0xf1, code, length >> 8, length & 0xff]);
      return Buffer.concat([header, Buffer.from(rest)]);
    }),
  fc
    .tuple(fc.constantFrom(0x41, 0x42, 0xd0, 0xd1), fc.uint8Array({ maxLength: 40 }))
    .map(([code, rest]) => Buffer.concat([Buffer.from([0xf1, code, 0, rest.length]), Buffer.from(rest)])),
);

const fromArb = fc.constantFrom<Address>(CAMERA_ADDRESS, SAME_IP_OTHER_PORT, ATTACKER_ADDRESS);

describe('properties', () => {
  test('arbitrary bytes fed to receive() in every state and mode never throw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STATES),
        fc.constantFrom(...MODES),
        fc.array(fc.tuple(datagramArb, fromArb, fc.boolean()), { maxLength: 30 }),
        (state, mode, inputs) => {
          const session = sessionIn(state, mode);
          const camera = cameraFor(mode);
          let now = 100;
          for (const [datagram, from, encrypt] of inputs) {
            now += 7;
            const bytes = encrypt ? camera.seal(datagram) : datagram;
            const step = session.receive(bytes, from, now);
            assert.equal(typeof step.accepted, 'boolean');
            session.tick(now);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('whatever the peer sends, the session only ever sends to the peer once it has one', () => {
    type Input =
      | { kind: 'alive' }
      | { kind: 'alive-ack' }
      | { kind: 'drw'; channel: number; index: number; size: number }
      | { kind: 'drw-ack'; channel: number; indices: number[] }
      | { kind: 'garbage'; bytes: Uint8Array }
      | { kind: 'send'; channel: number; size: number }
      | { kind: 'probe' }
      | { kind: 'wait'; ms: number };
    const inputArb: fc.Arbitrary<Input> = fc.oneof(
      fc.constant<Input>({ kind: 'alive' }),
      fc.constant<Input>({ kind: 'alive-ack' }),
      fc.record({
        kind: fc.constant('drw' as const),
        channel: fc.integer({ min: 0, max: 5 }),
        index: fc.integer({ min: 0, max: 80 }),
        size: fc.integer({ min: 0, max: 40 }),
      }),
      fc.record({
        kind: fc.constant('drw-ack' as const),
        channel: fc.integer({ min: 0, max: 3 }),
        indices: fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 5 }),
      }),
      fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
      fc.record({
        kind: fc.constant('send' as const),
        channel: fc.integer({ min: 0, max: 3 }),
        size: fc.integer({ min: 0, max: 3000 }),
      }),
      fc.constant<Input>({ kind: 'probe' }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 4000 }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...MODES), fc.array(inputArb, { maxLength: 60 }), (mode, inputs) => {
        const camera = cameraFor(mode);
        const session = connectedSession(camera, makeConfig({ encryption: mode }));
        let now = 100;
        const all: SessionAction[] = [];
        for (const input of inputs) {
          now += 1;
          switch (input.kind) {
            case 'alive': {
              // Waits can add up to the silence timeout: a lost session answers nothing.
              const open = session.state === 'connected';
              const actions = session.receive(camera.alive(), camera.address, now).actions;
              assert.deepEqual(
                camera.inbox(actions).map((m) => m.kind),
                open ? ['alive-ack'] : [],
              );
              all.push(...actions);
              break;
            }
            case 'alive-ack': {
              const actions = session.receive(camera.aliveAck(), camera.address, now).actions;
              assert.deepEqual(sends(actions), [], 'ALIVE_ACK is never answered');
              all.push(...actions);
              break;
            }
            case 'drw':
              all.push(
                ...session.receive(
                  camera.drw(input.channel, input.index, Buffer.alloc(input.size, 7)),
                  camera.address,
                  now,
                ).actions,
              );
              break;
            case 'drw-ack':
              all.push(...session.receive(camera.drwAck(input.channel, input.indices), camera.address, now).actions);
              break;
            case 'garbage':
              all.push(...session.receive(Buffer.from(input.bytes), camera.address, now).actions);
              break;
            case 'send':
              all.push(...(session.sendData(input.channel, Buffer.alloc(input.size, 1), now) ?? []));
              break;
            case 'probe':
              all.push(...session.probe(now));
              break;
            case 'wait': {
              const until = now + input.ms;
              for (let wake = session.nextWakeMs(); wake !== undefined && wake <= until;) {
                now = Math.max(now, wake);
                all.push(...session.tick(now));
                const next = session.nextWakeMs();
                if (next !== undefined && next <= wake) assert.fail(`nextWakeMs did not advance past ${wake}`);
                wake = next;
              }
              now = until;
              break;
            }
          }
        }
        for (const sent of sends(all)) assert.ok(sameAddress(sent.to, CAMERA_ADDRESS), 'sent to the peer only');
        // Whatever was sent decodes under the camera's cipher: the session never mixes encodings.
        for (const message of camera.inbox(all)) assert.notEqual(message.kind, 'unknown');
      }),
      { numRuns: 200 },
    );
  });

  const permutationWithDuplicates = fc.integer({ min: 1, max: 60 }).chain((n) =>
    fc
      .tuple(
        fc.constant(n),
        fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: n }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 2 * n, maxLength: 2 * n }),
      )
      .map(([count, extra, keys]) => {
        const all = [...Array.from({ length: count }, (_, i) => i), ...extra];
        const order = all.map((index, i) => ({ index, key: keys[i] ?? 0 })).sort((a, b) => a.key - b.key);
        return { n: count, order: order.map((o) => o.index) };
      }),
  );

  test('DrwReceiver: any delivery order with duplicates yields data 0..N-1 in order, once each', () => {
    fc.assert(
      fc.property(permutationWithDuplicates, ({ n, order }) => {
        const receiver = new DrwReceiver(64);
        const out: number[] = [];
        for (const index of order) {
          const result = receiver.receive(index, Buffer.from([index]));
          assert.deepEqual(result.ack, [index]);
          for (const chunk of result.deliver) out.push(chunk[0] ?? -1);
        }
        assert.deepEqual(
          out,
          Array.from({ length: n }, (_, i) => i),
        );
        assert.equal(receiver.heldCount, 0);
      }),
      { numRuns: 500 },
    );
  });

  test('DrwReceiver across the 0xFFFF -> 0 wrap: same guarantee', () => {
    // A fresh receiver is advanced to `before` indices short of the wrap for each run (cheap calls).
    fc.assert(
      fc.property(permutationWithDuplicates, fc.integer({ min: 1, max: 60 }), ({ n, order }, before) => {
        const receiver = new DrwReceiver(64);
        const base = 0x10000 - before;
        const empty = Buffer.alloc(0);
        for (let i = 0; i < base; i++) receiver.receive(i, empty);
        const out: number[] = [];
        for (const k of order) {
          const index = (base + k) & 0xffff;
          const result = receiver.receive(index, Buffer.from([k]));
          assert.deepEqual(result.ack, [index]);
          for (const chunk of result.deliver) out.push(chunk[0] ?? -1);
        }
        assert.deepEqual(
          out,
          Array.from({ length: n }, (_, i) => i),
        );
      }),
      { numRuns: 25 },
    );
  });

  test('the session delivers any DRW order with duplicates exactly once, in order, ACKing each', () => {
    fc.assert(
      fc.property(permutationWithDuplicates, fc.integer({ min: 0, max: 3 }), ({ n, order }, channel) => {
        const camera = new FakeCamera();
        const session = connectedSession(camera);
        const out: number[] = [];
        const acked: number[] = [];
        let now = 100;
        for (const index of order) {
          const step = session.receive(camera.drw(channel, index, encodeIndex(index)), camera.address, now++);
          for (const e of eventsOfType(step.actions, 'data')) out.push(e.data.readUInt16BE(0));
          for (const m of camera.inbox(step.actions)) if (m.kind === 'drw-ack') acked.push(...m.indices);
        }
        assert.deepEqual(
          out,
          Array.from({ length: n }, (_, i) => i),
        );
        assert.deepEqual(acked, order);
      }),
      { numRuns: 200 },
    );
  });
});

function encodeIndex(index: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(index);
  return buf;
}
