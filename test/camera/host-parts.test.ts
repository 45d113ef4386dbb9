import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_CAMERAS, defaultIdentity, randomHttpPort } from '../../nodes/camera/defaults';
import { addressRange, formatIpv4, isLoopbackIpv4, parseIpv4 } from '../../nodes/camera/ipv4';
import { forEachLimit } from '../../nodes/camera/parallel';
import { WakeQueue } from '../../nodes/camera/wake-queue';
import { parseDid } from '../../nodes/wire/did';

test('the wake queue always yields the earliest due ids, whatever the updates', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.option(fc.integer({ min: 0, max: 1000 })))),
      fc.integer({ min: 0, max: 1000 }),
      (updates, now) => {
        const queue = new WakeQueue();
        const model = new Map<number, number>();
        for (const [id, due] of updates) {
          queue.set(id, due ?? undefined);
          if (due === null) model.delete(id);
          else model.set(id, due);
        }
        const earliest = Math.min(...model.values());
        assert.equal(queue.peekDueMs(), model.size === 0 ? undefined : earliest);
        const taken = queue.takeDue(now);
        const expected = [...model.entries()].filter(([, due]) => due <= now);
        assert.deepEqual(
          [...taken].sort((a, b) => a - b),
          expected.map(([id]) => id).sort((a, b) => a - b),
        );
        const dues = taken.map((id) => model.get(id) ?? -1);
        assert.deepEqual(
          dues,
          [...dues].sort((a, b) => a - b),
        );
        assert.equal(queue.size, model.size - expected.length);
      },
    ),
  );
});

test('addresses count up across octets', () => {
  assert.deepEqual(addressRange('127.0.0.254', 4), ['127.0.0.254', '127.0.0.255', '127.0.1.0', '127.0.1.1']);
  assert.equal(addressRange('255.255.255.255', 2), undefined);
  assert.equal(formatIpv4(parseIpv4('127.0.3.233') ?? 0), '127.0.3.233');
  assert.equal(parseIpv4('127.0.0.256'), undefined);
  assert.equal(parseIpv4('127.0.0'), undefined);
  assert.ok(isLoopbackIpv4('127.255.255.255'));
  assert.ok(!isLoopbackIpv4('128.0.0.1'));
  assert.ok(!isLoopbackIpv4('255.255.255.255'));
});

test('generated identities are valid, distinct and stable', () => {
  const uids = new Set<string>();
  const macs = new Set<string>();
  for (let i = 0; i < MAX_CAMERAS; i++) {
    const { uid, mac } = defaultIdentity(i);
    assert.ok(parseDid(uid), uid);
    uids.add(uid);
    macs.add(mac);
  }
  assert.equal(uids.size, MAX_CAMERAS);
  assert.equal(macs.size, MAX_CAMERAS);
  assert.deepEqual(defaultIdentity(0), defaultIdentity(0));
  assert.equal(defaultIdentity(2).name, 'Emulated camera 3');
});

test('HTTP ports stay in 10000-60000 and avoid the old one, even with a stuck random source', () => {
  for (const r of [0, 0.5, 0.99999]) {
    const port = randomHttpPort(() => r);
    assert.ok(port >= 10000 && port <= 60000);
    assert.notEqual(
      randomHttpPort(() => r, port),
      port,
    );
  }
});

test('forEachLimit keeps at most limit tasks in flight and reports the first failure', async () => {
  let inFlight = 0;
  let peak = 0;
  const done: number[] = [];
  await forEachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    done.push(n);
    inFlight--;
  });
  assert.equal(peak, 3);
  assert.equal(done.length, 7);
  await assert.rejects(
    forEachLimit([1, 2, 3], 2, async (n) => {
      if (n === 2) throw new Error('two');
    }),
    /two/,
  );
});
