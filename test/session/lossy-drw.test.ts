import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type DeliveredRun, LossyDrwReceiver } from '../../nodes/session/drw-receiver';
import { VIDEO_GAP_WAIT_MS } from '../../nodes/session/session';
import { type PpppMessage } from '../../nodes/wire/pppp';
import { FakeCamera, connectedSession, eventsOfType, makeConfig } from './fake-camera';

const camera = new FakeCamera();

function chunk(n: number): Buffer {
  return Buffer.from(`chunk-${n}`);
}

/** Each delivered chunk with its index, in delivery order. */
function flatten(runs: readonly DeliveredRun[]): number[] {
  return runs.flatMap((run) =>
    run.chunks.map((data, offset) => {
      const index = (run.firstIndex + offset) & 0xffff;
      assert.deepEqual(data, chunk(index), `chunk delivered under index ${index}`);
      return index;
    }),
  );
}

describe('LossyDrwReceiver', () => {
  test('in order: every DRW delivered at once with its index', () => {
    const receiver = new LossyDrwReceiver(8, 100);
    const got = [0, 1, 2].flatMap((i) => flatten(receiver.receive(i, chunk(i), 0).runs));
    assert.deepEqual(got, [0, 1, 2]);
    assert.equal(receiver.nextWakeMs(), undefined);
  });

  test('a hole the camera never fills is given up after gapWaitMs, delivering what was held', () => {
    const receiver = new LossyDrwReceiver(8, 100);
    flatten(receiver.receive(0, chunk(0), 0).runs);
    assert.deepEqual(receiver.receive(2, chunk(2), 10).runs, []);
    assert.deepEqual(receiver.receive(3, chunk(3), 20).runs, []);
    assert.equal(receiver.nextWakeMs(), 110);
    assert.deepEqual(receiver.tick(109).runs, []);
    const late = receiver.tick(110);
    assert.deepEqual(flatten(late.runs), [2, 3]);
    assert.equal(late.skipped, 1);
    assert.equal(receiver.nextWakeMs(), undefined);
    // The lost one turning up after all is the past: ACKed, not delivered.
    const after = receiver.receive(1, chunk(1), 200);
    assert.deepEqual([after.runs, after.duplicate, after.ack], [[], true, [1]]);
  });

  test('a full window gives up the hole at once, and a DRW far ahead is never refused', () => {
    const receiver = new LossyDrwReceiver(4, 1000);
    for (const i of [1, 2, 3]) assert.deepEqual(receiver.receive(i, chunk(i), 0).runs, []);
    const full = receiver.receive(4, chunk(4), 0);
    assert.deepEqual(flatten(full.runs), [1, 2, 3, 4]);
    assert.equal(full.skipped, 1);
    const far = receiver.receive(100, chunk(100), 0);
    assert.deepEqual(flatten(far.runs), [100]);
    assert.equal(far.skipped, 95);
    assert.deepEqual(far.ack, [100]);
  });

  test('indices wrap at 0xFFFF across a skipped hole', () => {
    const receiver = new LossyDrwReceiver(8, 50);
    for (let i = 0; i < 0xfffe; i++) receiver.receive(i, chunk(i), 0);
    receiver.receive(0, chunk(0), 0);
    assert.deepEqual(flatten(receiver.tick(50).runs), [0]);
    assert.equal(receiver.nextExpected, 1);
  });

  test('under any loss and reordering: increasing indices, right data, bounded memory, nothing stuck', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.array(fc.record({ lost: fc.boolean(), swap: fc.boolean() }), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(0, 100, 0xffe0),
        (window, plan, start) => {
          const receiver = new LossyDrwReceiver(window, 100);
          // Start the receiver's count at `start`, to cross the wrap.
          for (let i = 0; i < start; i++) receiver.receive(i, chunk(i), 0);
          const sent: number[] = [];
          plan.forEach(({ lost }, offset) => {
            if (!lost) sent.push((start + offset) & 0xffff);
          });
          for (let i = 0; i + 1 < sent.length; i += 2) {
            const a = sent[i];
            const b = sent[i + 1];
            if (plan[i]?.swap === true && a !== undefined && b !== undefined) [sent[i], sent[i + 1]] = [b, a];
          }
          const got: number[] = [];
          let now = 0;
          for (const index of sent) {
            now += 1;
            got.push(...flatten(receiver.receive(index, chunk(index), now).runs));
            assert.ok(receiver.heldCount < window);
          }
          got.push(...flatten(receiver.tick(now + 100).runs));
          assert.equal(receiver.heldCount, 0, 'nothing left behind once the wait is over');
          const unwrapped = got.map((index) => (index - start) & 0xffff);
          for (let i = 1; i < unwrapped.length; i++) assert.ok((unwrapped[i] ?? 0) > (unwrapped[i - 1] ?? 0));
          const received = new Set(sent.map((index) => (index - start) & 0xffff));
          for (const offset of unwrapped) assert.ok(received.has(offset));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('the session’s video channel', () => {
  const video = (index: number): Buffer => camera.drw(1, index, chunk(index));

  test('channel 1 skips a hole after VIDEO_GAP_WAIT_MS and says so through the indices', () => {
    const session = connectedSession(camera);
    session.receive(video(0), camera.address, 100);
    const held = session.receive(video(2), camera.address, 110);
    assert.deepEqual(eventsOfType(held.actions, 'data'), []);
    const acks = camera.inbox(held.actions).filter((m) => m.kind === 'drw-ack');
    assert.deepEqual(acks, [{ kind: 'drw-ack', channel: 1, indices: [2] }]);
    assert.equal(session.nextWakeMs(), Math.min(110 + VIDEO_GAP_WAIT_MS, 100 + makeConfig().keepaliveIdleMs));
    const late = session.tick(110 + VIDEO_GAP_WAIT_MS);
    assert.deepEqual(
      eventsOfType(late, 'data').map((e) => [e.channel, e.index]),
      [[1, 2]],
    );
  });

  test('channel 0 stays reliable: a hole there is waited for, however long', () => {
    const session = connectedSession(camera);
    session.receive(camera.drw(0, 1, chunk(1)), camera.address, 100);
    const later = session.tick(100 + 10 * VIDEO_GAP_WAIT_MS);
    assert.deepEqual(eventsOfType(later, 'data'), []);
    const filled = session.receive(camera.drw(0, 0, chunk(0)), camera.address, 200 + 10 * VIDEO_GAP_WAIT_MS);
    assert.deepEqual(
      eventsOfType(filled.actions, 'data').map((e) => e.index),
      [0, 1],
    );
  });

  test('a full window on channel 1 skips instead of leaving DRWs un-ACKed', () => {
    const session = connectedSession(camera, makeConfig({ reorderWindow: 4 }));
    const indices: number[] = [];
    for (const i of [1, 2, 3, 4, 5]) {
      const step = session.receive(video(i), camera.address, 100 + i);
      const acked = camera
        .inbox(step.actions)
        .filter((m): m is Extract<PpppMessage, { kind: 'drw-ack' }> => m.kind === 'drw-ack');
      assert.deepEqual(
        acked.map((m) => m.indices),
        [[i]],
      );
      indices.push(...eventsOfType(step.actions, 'data').map((e) => e.index));
    }
    assert.deepEqual(indices, [1, 2, 3, 4, 5]);
  });
});
