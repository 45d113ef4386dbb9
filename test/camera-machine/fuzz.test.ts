import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Via } from '../../nodes/camera/actions';
import { type CameraMachine } from '../../nodes/camera/camera-machine';
import { type Address } from '../../nodes/wire/address';
import { buildCgiRequest } from '../../nodes/wire/cgi';
import { encrypt, deriveKey } from '../../nodes/wire/cipher';
import { DH_PROBE } from '../../nodes/wire/dh';
import { type PpppMessage, encodePppp } from '../../nodes/wire/pppp';
import { did, makeCamera } from './helpers';

const via = fc.constantFrom<Via>('dh', 'search', 'session');
// Mostly one client, so its handshake and its requests meet; sometimes others, to fill the session table.
const from: fc.Arbitrary<Address> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ address: '127.0.0.1', port: 40001 }) },
  fc.record({
    address: fc.constantFrom('127.0.0.1', '127.0.0.9'),
    port: fc.integer({ min: 1, max: 3 }).map((p) => 40000 + p),
  }),
);

/** Messages a client could send, weighted towards the ones that reach deep states. */
const message: fc.Arbitrary<PpppMessage> = fc.oneof(
  fc.constant<PpppMessage>({ kind: 'lan-search' }),
  { weight: 3, arbitrary: fc.constant<PpppMessage>({ kind: 'punch', did: did() }) },
  fc.constant<PpppMessage>({ kind: 'alive' }),
  fc.constant<PpppMessage>({ kind: 'alive-ack' }),
  fc.constant<PpppMessage>({ kind: 'close' }),
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('drw' as const),
      channel: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, fc.integer({ min: 0, max: 3 })),
      // Mostly small indices, so in-order delivery (and CGI answers) actually happen.
      index: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 2 }) }, fc.integer({ min: 0, max: 0xffff })),
      data: fc.oneof(
        fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
        {
          weight: 3,
          arbitrary: fc
            .constantFrom('get_status', 'get_params', 'check_user', 'nope')
            .map((c) => buildCgiRequest(c, {}, { user: 'admin', password: '888888' })),
        },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('drw-ack' as const),
      channel: fc.integer({ min: 0, max: 3 }),
      indices: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 8 }),
    }),
  },
);

const datagram: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 1100 }).map((a) => Buffer.from(a)),
  message.map(encodePppp),
  // Valid messages cut short or with a lying length field.
  fc.tuple(message.map(encodePppp), fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))),
  fc.constant(DH_PROBE),
);

type Step =
  | { readonly op: 'receive'; readonly via: Via; readonly data: Buffer; readonly from: Address; readonly dt: number }
  | { readonly op: 'client'; readonly message: PpppMessage; readonly from: Address; readonly dt: number }
  | { readonly op: 'tick'; readonly dt: number }
  | { readonly op: 'power' }
  | { readonly op: 'reboot'; readonly port: number }
  | { readonly op: 'close' }
  | { readonly op: 'delay'; readonly ms: number }
  | { readonly op: 'drop'; readonly rate: number };

const dt = fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 3000 }));
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('receive' as const), via, data: datagram, from, dt }) },
  // Well-formed client traffic on the socket it belongs to, so the run reaches sessions and CGI.
  { weight: 10, arbitrary: fc.record({ op: fc.constant('client' as const), message, from, dt }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('tick' as const), dt }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('power' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reboot' as const), port: fc.integer({ min: 1, max: 65535 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('close' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delay' as const), ms: fc.integer({ min: 0, max: 500 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), rate: fc.double({ min: 0, max: 1 }) }) },
);

/** `seal` is what the client does to PPPP bytes: identity, or encryption for an encrypted camera. */
function run(camera: CameraMachine, steps: readonly Step[], seal: (b: Buffer) => Buffer): void {
  let now = 0;
  for (const s of steps) {
    switch (s.op) {
      case 'receive':
        now += s.dt;
        camera.receive(s.via, s.via === 'dh' ? s.data : seal(s.data), s.from, now);
        break;
      case 'client':
        now += s.dt;
        camera.receive(
          s.message.kind === 'lan-search' ? 'search' : 'session',
          seal(encodePppp(s.message)),
          s.from,
          now,
        );
        break;
      case 'tick':
        now += s.dt;
        camera.tick(now);
        break;
      case 'power':
        if (camera.isPowered) camera.powerOff();
        else camera.powerOn();
        break;
      case 'reboot':
        camera.reboot(s.port);
        break;
      case 'close':
        camera.closeSessions(now);
        break;
      case 'delay':
        camera.setReplyDelay(s.ms);
        break;
      case 'drop':
        camera.setDropRate(s.rate);
        break;
    }
    const wake = camera.nextWakeMs();
    assert.ok(wake === undefined || Number.isFinite(wake));
    assert.ok(camera.sessionPeers().length <= camera.config.maxSessions);
  }
}

test('random bytes on every socket never throw', () => {
  const plain = makeCamera();
  const encrypted = makeCamera({ passphrase: 'vstarcam2019' });
  fc.assert(
    fc.property(via, fc.uint8Array({ maxLength: 2048 }), from, (v, bytes, f) => {
      for (const camera of [plain, encrypted]) camera.receive(v, Buffer.from(bytes), f, 0);
    }),
    { numRuns: 2000 },
  );
});

test('random sequences of datagrams, ticks and switches keep the machine consistent', () => {
  const key = deriveKey('vstarcam2019');
  fc.assert(
    fc.property(
      fc.array(step, { minLength: 5, maxLength: 80, size: 'max' }),
      fc.boolean(),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (steps, secret, r) => {
        const camera = makeCamera(secret ? { passphrase: 'vstarcam2019' } : {}, () => r);
        run(camera, steps, secret ? (b) => encrypt(key, b) : (b) => b);
      },
    ),
    { numRuns: 500 },
  );
});
