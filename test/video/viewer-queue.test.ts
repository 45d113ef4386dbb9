import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ViewerQueue, type ViewerQueueLimits } from '../../nodes/video/viewer-queue';

interface Frame {
  readonly key: boolean;
  readonly byteLength: number;
  /** Position in the camera's stream. */
  readonly sequence: number;
}

type Step =
  | { readonly op: 'frame'; readonly key: boolean; readonly byteLength: number; readonly continuous: boolean }
  | { readonly op: 'read'; readonly count: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        op: fc.constant('frame' as const),
        key: fc.oneof({ weight: 1, arbitrary: fc.constant(true) }, { weight: 4, arbitrary: fc.constant(false) }),
        byteLength: fc.integer({ min: 1, max: 3000 }),
        continuous: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      },
      { noNullPrototype: true },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('read' as const), count: fc.nat({ max: 5 }) }, { noNullPrototype: true }),
  },
);

const limitsArb: fc.Arbitrary<ViewerQueueLimits> = fc.record(
  { maxFrames: fc.integer({ min: 1, max: 40 }), maxBytes: fc.integer({ min: 1, max: 40_000 }) },
  { noNullPrototype: true },
);

describe('bounded per-viewer frame queue', () => {
  test('never holds more than its caps, and the viewer only ever sees decodable runs', () => {
    fc.assert(
      fc.property(limitsArb, fc.array(stepArb, { maxLength: 300 }), (limits, steps) => {
        const queue = new ViewerQueue<Frame>(limits);
        const seen: Frame[] = [];
        const breaks = new Set<number>(); // sequences pushed with continuous = false
        let sequence = 0;
        let droppedReported = 0;
        const read = (): void => {
          const frame = queue.shift();
          if (frame) seen.push(frame);
        };
        for (const step of steps) {
          if (step.op === 'read') {
            for (let i = 0; i < step.count; i++) read();
          } else {
            if (!step.continuous) breaks.add(sequence);
            droppedReported += queue.push(
              { key: step.key, byteLength: step.byteLength, sequence: sequence++ },
              step.continuous,
            );
          }
          assert.ok(queue.length <= limits.maxFrames);
          assert.ok(queue.byteLength <= limits.maxBytes);
        }
        while (queue.length > 0) read();
        assert.equal(seen.length + droppedReported, sequence);
        assert.equal(queue.dropped, droppedReported);
        // Decodable: a predicted frame directly follows its predecessor, and never a loss upstream.
        seen.forEach((frame, i) => {
          if (frame.key) return;
          assert.equal(seen[i - 1]?.sequence, frame.sequence - 1, `frame ${frame.sequence} follows a gap`);
          assert.ok(!breaks.has(frame.sequence));
        });
      }),
    );
  });

  test('a viewer that keeps up loses nothing after the first key frame', () => {
    const queue = new ViewerQueue<Frame>({ maxFrames: 2, maxBytes: 100 });
    assert.equal(queue.push({ key: false, byteLength: 10, sequence: 0 }), 1);
    for (let sequence = 1; sequence < 100; sequence++) {
      assert.equal(queue.push({ key: sequence % 10 === 1, byteLength: 10, sequence }), 0);
      assert.equal(queue.shift()?.sequence, sequence);
    }
  });

  test('a slow viewer skips to the next key frame; a frame larger than the byte cap is dropped', () => {
    const queue = new ViewerQueue<Frame>({ maxFrames: 4, maxBytes: 1000 });
    const frames = [true, false, false, true, false].map((key, sequence) => ({ key, byteLength: 10, sequence }));
    for (const frame of frames) queue.push(frame);
    // Full at 4: the fifth frame dropped the first GOP (frames 0-2).
    assert.deepEqual([queue.shift()?.sequence, queue.shift()?.sequence, queue.length], [3, 4, 0]);
    assert.equal(queue.push({ key: true, byteLength: 1001, sequence: 5 }), 1);
    assert.equal(queue.push({ key: false, byteLength: 1, sequence: 6 }), 1);
    assert.equal(queue.push({ key: true, byteLength: 1, sequence: 7 }), 0);
  });
});
