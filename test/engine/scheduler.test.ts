import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Scheduled, Scheduler } from '../../nodes/engine/scheduler';

class Key implements Scheduled {
  scheduledAt = 0;
  heapIndex = -1;
  constructor(readonly name: number) {}
}

/** A scheduler on Node's mocked setTimeout and Date, so time moves only when the test says. */
function mockedScheduler(
  t: TestContext,
  onDue: (keys: Key[], nowMs: number) => void,
): { scheduler: Scheduler<Key>; advance: (ms: number) => void; now: () => number } {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const now = (): number => Date.now();
  const scheduler = new Scheduler<Key>(now, onDue);
  // Small steps: a timer is served at its time, never judged as a stalled loop.
  const advance = (ms: number): void => {
    for (let left = ms; left > 0; left -= 5) t.mock.timers.tick(Math.min(5, left));
  };
  return { scheduler, advance, now };
}

/** The most a deadline `distance` ms away may be served late: its coalescing slack, the grid, the timer's 1 ms. */
function allowedLateness(distance: number): number {
  return Math.min(250, Math.max(0, distance) / 8) + 5 + 1 + 5;
}

type Operation =
  | { readonly kind: 'set'; readonly key: number; readonly inMs: number | undefined }
  | { readonly kind: 'wakeBy'; readonly key: number; readonly inMs: number }
  | { readonly kind: 'delete'; readonly key: number }
  | { readonly kind: 'wait'; readonly ms: number };

const KEYS = 12;
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    key: fc.nat(KEYS - 1),
    inMs: fc.option(fc.nat(3000), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('wakeBy' as const), key: fc.nat(KEYS - 1), inMs: fc.nat(3000) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(KEYS - 1) }),
  fc.record({ kind: fc.constant('wait' as const), ms: fc.nat(400) }),
);

describe('Scheduler (one timer, an intrusive heap of deadlines)', () => {
  test('property: every key is served once per deadline, not before it, not much after, deleted ones never', (t) => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        // The model: each key's wanted (raw) deadline, or none.
        const wanted = new Map<number, number>();
        const served: { key: number; at: number }[] = [];
        const { scheduler, advance, now } = mockedScheduler(t, (keys, at) => {
          for (const key of keys) {
            const deadline = wanted.get(key.name);
            assert.ok(deadline !== undefined, `key ${key.name} served with no deadline`);
            assert.ok(at >= deadline, `key ${key.name} served at ${at}, before its deadline ${deadline}`);
            served.push({ key: key.name, at });
            wanted.delete(key.name);
          }
        });
        const keys = Array.from({ length: KEYS }, (_, i) => new Key(i));
        const setAt = new Map<number, number>();
        for (const op of operations) {
          const key = keys[op.kind === 'wait' ? 0 : op.key];
          if (!key) continue;
          if (op.kind === 'set') {
            scheduler.set(key, op.inMs === undefined ? undefined : now() + op.inMs);
            if (op.inMs === undefined) wanted.delete(key.name);
            else {
              wanted.set(key.name, now() + op.inMs);
              setAt.set(key.name, now());
            }
          } else if (op.kind === 'wakeBy') {
            const at = now() + op.inMs;
            scheduler.wakeBy(key, at);
            const before = wanted.get(key.name);
            // Only ever earlier; an equal or later one keeps the deadline the key had.
            if (before === undefined || at < before) {
              wanted.set(key.name, at);
              setAt.set(key.name, now());
            }
          } else if (op.kind === 'delete') {
            scheduler.delete(key);
            wanted.delete(key.name);
          } else advance(op.ms);
          assert.equal(scheduler.size, wanted.size, 'one heap entry per key with a deadline');
        }
        const pending = new Map(wanted);
        advance(3500);
        assert.equal(wanted.size, 0, `still waiting: ${[...wanted.keys()].join(', ')}`);
        for (const { key, at } of served) {
          const deadline = pending.get(key);
          const since = setAt.get(key);
          if (deadline === undefined || since === undefined) continue;
          assert.ok(at - deadline <= allowedLateness(deadline - since), `key ${key} served ${at - deadline} ms late`);
        }
        for (let i = 1; i < served.length; i++) {
          const previous = served[i - 1];
          const current = served[i];
          if (previous && current) assert.ok(current.at >= previous.at, 'served in time order');
        }
        scheduler.close();
        t.mock.timers.reset();
      }),
      { numRuns: 150 },
    );
  });

  test('a key given a new deadline while served goes back on; one given none stays off', (t) => {
    const keys = [new Key(0), new Key(1)];
    let rounds = 0;
    const { scheduler, advance, now } = mockedScheduler(t, (due, at) => {
      rounds++;
      for (const key of due) if (key.name === 0) scheduler.set(key, at + 1000);
    });
    for (const key of keys) scheduler.set(key, now() + 1000);
    assert.equal(scheduler.size, 2);
    advance(1100);
    assert.equal(rounds, 1, 'both keys shared one wakeup');
    assert.equal(scheduler.size, 1);
    assert.equal(keys[1]?.heapIndex, -1);
    advance(1100);
    assert.equal(rounds, 2);
    assert.equal(scheduler.size, 1);
    scheduler.close();
    assert.equal(keys[0]?.heapIndex, -1, 'close leaves no key marked queued');
  });

  test('wakeBy moves a deadline earlier, never later', (t) => {
    const key = new Key(0);
    const servedAt: number[] = [];
    const { scheduler, advance, now } = mockedScheduler(t, (_due, at) => servedAt.push(at));
    scheduler.set(key, now() + 1000);
    scheduler.wakeBy(key, now() + 2000);
    assert.ok(key.scheduledAt < 1200, 'a later wakeBy leaves it');
    scheduler.wakeBy(key, now() + 100);
    advance(200);
    assert.equal(servedAt.length, 1);
    assert.ok((servedAt[0] ?? 0) >= 100 && (servedAt[0] ?? 0) <= 120, `served at ${servedAt[0]}`);
    advance(2000);
    assert.equal(servedAt.length, 1, 'served once: the earlier deadline replaced the later');
    scheduler.close();
  });

  test('1000 keys with one deadline each are all served, each once, with few wakeups', (t) => {
    const keys = Array.from({ length: 1000 }, (_, i) => new Key(i));
    const seen = new Set<number>();
    const { scheduler, advance, now } = mockedScheduler(t, (due) => {
      for (const key of due) {
        assert.ok(!seen.has(key.name));
        seen.add(key.name);
      }
    });
    keys.forEach((key, i) => scheduler.set(key, now() + 1000 + (i % 97)));
    advance(1500);
    assert.equal(seen.size, 1000);
    assert.ok(scheduler.wakeups <= 5, `${scheduler.wakeups} wakeups for deadlines within 97 ms, a second away`);
    scheduler.close();
  });
});
