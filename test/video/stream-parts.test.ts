import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { splitAnnexB } from '../../nodes/video/annexb';
import { FrameAssembler } from '../../nodes/video/frame-assembler';
import { splitFrameIntoPayloads } from '../../nodes/video/frame-splitter';
import { H264ParameterSetMemory } from '../../nodes/video/h264-stream-start';
import { h264NalType } from '../../nodes/video/nal';
import { ClipPlayer } from '../../nodes/camera/media/clip-player';
import { CLIP_FRAME_RATE, loadClipFrames } from '../../nodes/camera/media/clip';
import { bytesUpTo } from '../wire/helpers';
import { MEDIA_FOLDER, frameHeaderArb } from './helpers';

const clipFrames = loadClipFrames(MEDIA_FOLDER);

describe('frames cut into DRW payloads (the emulator side)', () => {
  test('the assembler gives back every frame the splitter cut, for any payload size', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(frameHeaderArb, bytesUpTo(5000)), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 64, max: 1400 }),
        fc.integer({ min: 0, max: 0xffff }),
        (frames, payloadSize, firstIndex) => {
          const assembler = new FrameAssembler();
          let index = firstIndex;
          const out = frames.flatMap(([header, data]) =>
            splitFrameIntoPayloads(header, data, payloadSize).flatMap((payload) => {
              assert.ok(payload.length <= payloadSize);
              return assembler.push(index++ & 0xffff, payload).frames;
            }),
          );
          assert.deepEqual(
            out.map((frame) => frame.data),
            frames.map(([, data]) => data),
          );
        },
      ),
    );
  });
});

describe('the emulator clip played in real time', () => {
  test('frames come due every 1/15 s, numbered, looping, with key frames typed 0', () => {
    const start = 1_764_000_000_000;
    const player = new ClipPlayer(clipFrames, start, { frameRate: CLIP_FRAME_RATE });
    const played = [];
    for (let step = 0; step <= 150; step++) played.push(...player.due(start + (step * 1000) / CLIP_FRAME_RATE));
    assert.equal(played.length, 151);
    played.forEach((frame, i) => {
      assert.equal(frame.header.frameNumber, i);
      assert.equal(frame.data, clipFrames[i % clipFrames.length]?.data);
      assert.equal(frame.header.type, i % 30 === 0 ? 0 : 1);
      const ms = frame.header.seconds * 1000 + frame.header.milliseconds;
      assert.ok(Math.abs(ms - (start + (i * 1000) / CLIP_FRAME_RATE)) <= 1);
    });
  });

  test('a late caller gets a few frames, then the clip resumes at a key frame', () => {
    const player = new ClipPlayer(clipFrames, 0, { frameRate: CLIP_FRAME_RATE, maxCatchUpFrames: 4 });
    assert.equal(player.due(0).length, 1);
    const late = player.due(10_000);
    assert.equal(late.length, 4);
    const [next] = player.due(10_000);
    assert.equal(next?.header.type, 0);
    assert.equal(next?.header.frameNumber, 5);
    assert.ok(player.nextDueMs > 10_000);
  });
});

describe('raw H.264 for a new viewer', () => {
  test('a key frame without SPS / PPS gets the last ones seen in front', () => {
    const memory = new H264ParameterSetMemory();
    const [key] = clipFrames;
    assert.ok(key);
    const units = splitAnnexB(key.data);
    const bare = Buffer.concat([Buffer.from([0, 0, 0, 1]), units[2] ?? Buffer.alloc(0)]);
    assert.equal(memory.startingWith(bare), undefined);
    assert.equal(memory.startingWith(key.data), key.data);
    memory.observe(key.data);
    const started = memory.startingWith(bare);
    assert.ok(started);
    assert.deepEqual(
      splitAnnexB(started).map((unit) => h264NalType(unit)),
      [7, 8, 5],
    );
  });
});
