import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FRAME_HEADER_LENGTH,
  type FrameHeader,
  encodeFrameHeader,
  startsWithFrameMagic,
} from '../../nodes/wire/frame-header';
import { FrameAssembler, type VideoFrame } from '../../nodes/video/frame-assembler';
import { frameHeaderArb } from './helpers';
import { bytesUpTo } from '../wire/helpers';

interface SourceFrame {
  readonly header: FrameHeader;
  readonly data: Buffer;
}

/** Frames with consistent lengths: what an honest camera sends. */
const sourceFrameArb: fc.Arbitrary<SourceFrame> = fc
  .tuple(frameHeaderArb, bytesUpTo(2000))
  .map(([header, data]) => ({ header: { ...header, frameLength: data.length }, data }));

interface Drw {
  readonly index: number;
  readonly payload: Buffer;
  /** Which source frame the payload belongs to. */
  readonly frame: number;
}

/**
 * Cuts each frame (header + data) into DRW payloads at the given cut points (taken modulo the
 * frame's length). Every frame starts in a new DRW with its whole header, as cameras send them
 * (a DRW carries about a kilobyte). Indices count up from `firstIndex`, wrapping at 0xFFFF.
 */
function toDrws(frames: readonly SourceFrame[], cuts: readonly (readonly number[])[], firstIndex: number): Drw[] {
  const drws: Drw[] = [];
  frames.forEach((frame, frameNumber) => {
    const bytes = Buffer.concat([encodeFrameHeader(frame.header), frame.data]);
    const points = [...new Set((cuts[frameNumber] ?? []).map((c) => c % bytes.length))]
      .filter((p) => p >= FRAME_HEADER_LENGTH)
      .sort((a, b) => a - b);
    let start = 0;
    for (const end of [...points, bytes.length]) {
      drws.push({
        index: (firstIndex + drws.length) & 0xffff,
        payload: bytes.subarray(start, end),
        frame: frameNumber,
      });
      start = end;
    }
  });
  return drws;
}

const framesAndCutsArb = fc
  .array(sourceFrameArb, { minLength: 1, maxLength: 12 })
  .chain((frames) =>
    fc.tuple(
      fc.constant(frames),
      fc.array(fc.array(fc.nat(), { maxLength: 8 }), { minLength: frames.length, maxLength: frames.length }),
      fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xfff0, max: 0xffff })),
    ),
  );

/** A continuation payload that happens to start with the magic would be read as a header (documented limit). */
function noMagicInside(drws: readonly Drw[]): boolean {
  return drws.every((drw, i) => i === 0 || drw.frame !== drws[i - 1]?.frame || !startsWithFrameMagic(drw.payload));
}

function feed(assembler: FrameAssembler, drws: readonly Drw[]): VideoFrame[] {
  const frames: VideoFrame[] = [];
  for (const drw of drws) {
    frames.push(...assembler.push(drw.index, drw.payload).frames);
    assert.ok(assembler.bufferedBytes <= 2 * 1024 * 1024);
  }
  return frames;
}

function sameFrame(emitted: VideoFrame, source: SourceFrame): boolean {
  return (
    emitted.data.equals(source.data) &&
    encodeFrameHeader(emitted.header).equals(encodeFrameHeader(source.header)) &&
    emitted.header.frameLength === emitted.data.length
  );
}

describe('frame reassembly from DRW payloads (PROTOCOL.md §7.3)', () => {
  test('any DRW split of a frame sequence reassembles to the same bytes', () => {
    fc.assert(
      fc.property(framesAndCutsArb, ([frames, cuts, firstIndex]) => {
        const drws = toDrws(frames, cuts, firstIndex);
        fc.pre(noMagicInside(drws));
        const assembler = new FrameAssembler();
        const emitted = feed(assembler, drws);
        assert.equal(emitted.length, frames.length);
        emitted.forEach((frame, i) => {
          const source = frames[i];
          assert.ok(source && sameFrame(frame, source), `frame ${i} differs`);
          assert.equal(frame.afterLoss, false);
        });
        assert.equal(assembler.bufferedBytes, 0);
      }),
      { numRuns: 200 },
    );
  });

  test('a gap never yields a corrupt frame: exactly the frames with no lost DRW come out', () => {
    fc.assert(
      fc.property(
        framesAndCutsArb,
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        ([frames, cuts, firstIndex], lostPicks) => {
          const drws = toDrws(frames, cuts, firstIndex);
          fc.pre(noMagicInside(drws));
          const lost = new Set(lostPicks.map((pick) => pick % drws.length));
          const kept = drws.filter((_, i) => !lost.has(i));
          const damaged = new Set([...lost].map((i) => drws[i]?.frame));
          const intact = frames.filter((_, i) => !damaged.has(i));

          const emitted = feed(new FrameAssembler(), kept);
          assert.equal(emitted.length, intact.length);
          emitted.forEach((frame, i) => {
            const source = intact[i];
            assert.ok(source && sameFrame(frame, source), `frame ${i} is not an intact input frame`);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  test('indices wrap at 0xFFFF without losing the frame', () => {
    const data = Buffer.alloc(5000, 7);
    const header = encodeFrameHeader({
      type: 0,
      streamId: 0,
      milliseconds: 0,
      seconds: 1,
      frameNumber: 1,
      frameLength: data.length,
      misc: Buffer.alloc(8),
      sample: 0,
      index: 0,
    });
    const bytes = Buffer.concat([header, data]);
    const assembler = new FrameAssembler();
    assert.equal(assembler.push(0xfffe, bytes.subarray(0, 1000)).frames.length, 0);
    assert.equal(assembler.push(0xffff, bytes.subarray(1000, 2000)).frames.length, 0);
    assert.equal(assembler.push(0x0000, bytes.subarray(2000, 3000)).frames.length, 0);
    const out = assembler.push(0x0001, bytes.subarray(3000));
    assert.equal(out.frames.length, 1);
    assert.deepEqual(out.frames[0]?.data, data);
  });

  test('after a loss the next frame says so, so viewers wait for a key frame', () => {
    const frame = (n: number): Buffer =>
      Buffer.concat([
        encodeFrameHeader({
          type: 1,
          streamId: 0,
          milliseconds: 0,
          seconds: 1,
          frameNumber: n,
          frameLength: 100,
          misc: Buffer.alloc(8),
          sample: 0,
          index: 0,
        }),
        Buffer.alloc(100, n),
      ]);
    const assembler = new FrameAssembler();
    assert.equal(assembler.push(0, frame(1)).frames[0]?.afterLoss, false);
    assert.deepEqual(assembler.push(1, frame(2).subarray(0, 50)).frames, []);
    const afterGap = assembler.push(3, frame(3));
    assert.deepEqual(afterGap.dropped, ['gap']);
    assert.equal(afterGap.frames[0]?.afterLoss, true);
    assert.equal(assembler.push(4, frame(4)).frames[0]?.afterLoss, false);
  });

  test('wrong lengths drop the frame instead of emitting a splice', () => {
    const build = (announced: number, actual: number): Buffer =>
      Buffer.concat([
        encodeFrameHeader({
          type: 0,
          streamId: 0,
          milliseconds: 0,
          seconds: 0,
          frameNumber: 0,
          frameLength: announced,
          misc: Buffer.alloc(8),
          sample: 0,
          index: 0,
        }),
        Buffer.alloc(actual, 0x42),
      ]);
    // Longer than announced, inside one DRW: the extra bytes are not a header.
    const overrun = new FrameAssembler().push(0, build(100, 150));
    assert.deepEqual(overrun.frames, []);
    assert.deepEqual(overrun.dropped, ['overrun']);
    // Shorter than announced: the next header interrupts the frame, which is dropped.
    const assembler = new FrameAssembler();
    assert.deepEqual(assembler.push(0, build(200, 100)).frames, []);
    const next = assembler.push(1, build(10, 10));
    assert.deepEqual(next.dropped, ['interrupted']);
    assert.equal(next.frames.length, 1);
    assert.equal(next.frames[0]?.data.length, 10);
    // Two whole frames in one DRW are both delivered.
    assert.equal(new FrameAssembler().push(0, Buffer.concat([build(5, 5), build(6, 6)])).frames.length, 2);
  });

  test('a header announcing more than the cap is dropped and its continuation skipped', () => {
    const assembler = new FrameAssembler(1000);
    const header = encodeFrameHeader({
      type: 0,
      streamId: 0,
      milliseconds: 0,
      seconds: 0,
      frameNumber: 0,
      frameLength: 1001,
      misc: Buffer.alloc(8),
      sample: 0,
      index: 0,
    });
    assert.deepEqual(assembler.push(0, Buffer.concat([header, Buffer.alloc(500)])).dropped, ['too-large']);
    assert.equal(assembler.bufferedBytes, 0);
    assert.equal(assembler.push(1, Buffer.alloc(501)).skippedBytes, 501);
    assert.equal(assembler.bufferedBytes, 0);
  });

  test('arbitrary payloads and indices never throw and never buffer past the cap', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 0xffff }),
            fc.oneof(
              bytesUpTo(600),
              sourceFrameArb.map((f) => Buffer.concat([encodeFrameHeader(f.header), f.data.subarray(0, 100)])),
            ),
          ),
        ),
        (drws) => {
          const assembler = new FrameAssembler(2000);
          for (const [index, payload] of drws) {
            for (const frame of assembler.push(index, payload).frames) {
              assert.equal(frame.data.length, frame.header.frameLength);
            }
            assert.ok(assembler.bufferedBytes <= 2000);
          }
        },
      ),
    );
  });
});
