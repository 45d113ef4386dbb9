import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { joinAnnexB, splitAnnexB, unescapeRbsp } from '../../nodes/video/annexb';
import { splitH264AccessUnits } from '../../nodes/video/access-units';
import { BitReader } from '../../nodes/video/bit-reader';
import { avcCodecString, parseH264Sps } from '../../nodes/video/h264-sps';
import { detectCodec, h264NalType, h264ParameterSets, inspectFrame, isKeyFrame } from '../../nodes/video/nal';
import { CLIP_FILE, CLIP_FRAME_RATE, CLIP_HEIGHT, CLIP_WIDTH, loadClipFrames } from '../../nodes/camera/media/clip';
import { assertDecoded, bytesUpTo, expectOk } from '../wire/helpers';
import { BitWriter, MEDIA_FOLDER, escapeRbsp } from './helpers';

/** A NAL unit as an encoder writes it: escaped, ending in a non-zero byte (rbsp trailing bits). */
const nalUnitArb = bytesUpTo(300, 1).map((raw) => escapeRbsp(Buffer.concat([raw, Buffer.from([0x80])])));

describe('Annex-B byte streams', () => {
  test('split undoes join, with 3- and 4-byte start codes and leading junk', () => {
    fc.assert(
      fc.property(fc.array(nalUnitArb, { maxLength: 12 }), fc.array(fc.boolean()), (units, shortCodes) => {
        assert.deepEqual(splitAnnexB(joinAnnexB(units)), units);
        const mixed = Buffer.concat(
          units.flatMap((unit, i) => [Buffer.from(shortCodes[i] ? [0, 0, 1] : [0, 0, 0, 1]), unit]),
        );
        assert.deepEqual(splitAnnexB(Buffer.concat([Buffer.from([0x12, 0x34]), mixed])), units);
      }),
    );
  });

  test('emulation prevention: unescape undoes escape', () => {
    fc.assert(
      fc.property(bytesUpTo(500), (rbsp) => {
        assert.deepEqual(unescapeRbsp(escapeRbsp(rbsp)), rbsp);
      }),
    );
  });

  test('arbitrary bytes split without throwing, into non-empty views', () => {
    fc.assert(
      fc.property(bytesUpTo(2000), (bytes) => {
        for (const unit of splitAnnexB(bytes)) assert.ok(unit.length > 0);
      }),
    );
  });

  test('exp-Golomb codes read back, and reading past the end is flagged, not thrown', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 2 ** 31 - 2 }), fc.integer({ min: -(2 ** 30), max: 2 ** 30 }))),
        (pairs) => {
          const writer = new BitWriter();
          for (const [u, s] of pairs) writer.ue(u).se(s);
          const reader = new BitReader(writer.toBytes());
          for (const [u, s] of pairs) {
            assert.equal(reader.unsignedExpGolomb(), u);
            assert.equal(reader.signedExpGolomb(), s);
          }
          assert.equal(reader.overrun, false);
        },
      ),
    );
    const reader = new BitReader(Buffer.from([0, 0]));
    assert.equal(reader.unsignedExpGolomb(), 0);
    assert.equal(reader.overrun, true);
  });
});

interface SpsShape {
  readonly profileIdc: number;
  readonly chromaFormatIdc: number;
  readonly frameMbsOnly: boolean;
  readonly scalingMatrix: boolean;
  readonly picOrderCntType: number;
  readonly width: number;
  readonly height: number;
}

/** Writes an SPS for a picture size the way an encoder does: whole macroblocks, then cropping. */
function buildSps(shape: SpsShape): Buffer {
  const high = shape.profileIdc >= 100;
  const chroma = high ? shape.chromaFormatIdc : 1;
  const fieldFactor = shape.frameMbsOnly ? 1 : 2;
  const cropUnitX = chroma === 3 ? 1 : 2;
  const cropUnitY = (chroma === 1 ? 2 : 1) * fieldFactor;
  const widthInMbs = Math.ceil(shape.width / 16);
  const heightInMapUnits = Math.ceil(shape.height / (16 * fieldFactor));
  const cropRight = (widthInMbs * 16 - shape.width) / cropUnitX;
  const cropBottom = (heightInMapUnits * 16 * fieldFactor - shape.height) / cropUnitY;
  const w = new BitWriter().bits(shape.profileIdc, 8).bits(0, 8).bits(31, 8).ue(0);
  if (high) {
    w.ue(chroma);
    if (chroma === 3) w.bit(0);
    w.ue(0).ue(0).bit(0).bit(shape.scalingMatrix);
    if (shape.scalingMatrix) {
      for (let i = 0; i < (chroma === 3 ? 12 : 8); i++) {
        w.bit(1);
        if (i % 2 === 0)
          w.se(-8); // next scale 0: the default list, one code read
        else for (let j = 0; j < (i < 6 ? 16 : 64); j++) w.se(j % 2 === 0 ? 1 : -1); // 9, 8, 9, ...: never 0, so every code is read
      }
    }
  }
  w.ue(0).ue(shape.picOrderCntType);
  if (shape.picOrderCntType === 0) w.ue(2);
  if (shape.picOrderCntType === 1) w.bit(0).se(-3).se(2).ue(2).se(1).se(-1);
  w.ue(1)
    .bit(0)
    .ue(widthInMbs - 1)
    .ue(heightInMapUnits - 1)
    .bit(shape.frameMbsOnly);
  if (!shape.frameMbsOnly) w.bit(0);
  w.bit(1).bit(cropRight > 0 || cropBottom > 0);
  if (cropRight > 0 || cropBottom > 0) w.ue(0).ue(cropRight).ue(0).ue(cropBottom);
  w.bit(0); // no VUI
  return Buffer.concat([Buffer.from([0x67]), escapeRbsp(w.toBytes())]);
}

const spsShapeArb: fc.Arbitrary<SpsShape> = fc
  .record(
    {
      profileIdc: fc.constantFrom(66, 77, 88, 100, 110, 122, 244),
      chromaFormatIdc: fc.constantFrom(1, 2, 3),
      frameMbsOnly: fc.boolean(),
      scalingMatrix: fc.boolean(),
      picOrderCntType: fc.constantFrom(0, 1, 2),
      width: fc.integer({ min: 1, max: 2000 }),
      height: fc.integer({ min: 1, max: 1200 }),
    },
    { noNullPrototype: true },
  )
  .map((shape) => {
    const chroma = shape.profileIdc >= 100 ? shape.chromaFormatIdc : 1;
    const stepX = chroma === 3 ? 1 : 2;
    const stepY = (chroma === 1 ? 2 : 1) * (shape.frameMbsOnly ? 1 : 2);
    const round = (n: number, step: number): number => Math.max(step, n - (n % step));
    return { ...shape, width: round(shape.width, stepX), height: round(shape.height, stepY) };
  });

describe('H.264 sequence parameter set', () => {
  test('the picture size comes back for any profile, chroma format, scaling lists, interlace and cropping', () => {
    fc.assert(
      fc.property(spsShapeArb, (shape) => {
        const sps = expectOk(parseH264Sps(buildSps(shape)));
        assert.equal(sps.width, shape.width);
        assert.equal(sps.height, shape.height);
        assert.equal(sps.profileIdc, shape.profileIdc);
        assert.equal(sps.levelIdc, 31);
      }),
    );
  });

  test('the fixture clip: 640x360 Main profile (cropped from 640x368)', () => {
    const units = splitAnnexB(readFileSync(`${MEDIA_FOLDER}/${CLIP_FILE}`));
    const { sps } = h264ParameterSets(units);
    assert.ok(sps);
    const parsed = expectOk(parseH264Sps(sps));
    assert.equal(parsed.width, CLIP_WIDTH);
    assert.equal(parsed.height, CLIP_HEIGHT);
    assert.equal(parsed.profileIdc, 77);
    assert.equal(avcCodecString(parsed), 'avc1.4d4016');
  });

  test('truncated, mutated and arbitrary SPS bytes are typed errors, never a throw', () => {
    const sps = buildSps({
      profileIdc: 100,
      chromaFormatIdc: 1,
      frameMbsOnly: true,
      scalingMatrix: true,
      picOrderCntType: 0,
      width: 1920,
      height: 1080,
    });
    for (let length = 0; length < sps.length; length++) assertDecoded(parseH264Sps(sps.subarray(0, length)));
    fc.assert(
      fc.property(bytesUpTo(200), (bytes) => {
        assertDecoded(parseH264Sps(Buffer.concat([Buffer.from([0x67]), bytes])));
      }),
    );
  });
});

describe('codec and key frames', () => {
  test('the fixture is H.264, 60 access units at 15 frames/s, a key frame every 30', () => {
    const frames = loadClipFrames(MEDIA_FOLDER);
    assert.equal(frames.length, 4 * CLIP_FRAME_RATE);
    assert.deepEqual(
      frames.flatMap((frame, i) => (frame.key ? [i] : [])),
      [0, 30],
    );
    const first = frames[0];
    assert.ok(first);
    assert.deepEqual(
      splitAnnexB(first.data).map((unit) => h264NalType(unit)),
      [7, 8, 5],
    );
    assert.equal(inspectFrame(first.data).codec, 'h264');
    assert.equal(inspectFrame(frames[1]?.data ?? Buffer.alloc(0)).codec, undefined);
    assert.equal(inspectFrame(frames[1]?.data ?? Buffer.alloc(0), 'h264').key, false);
    // Access units put back together are the file.
    assert.deepEqual(
      splitAnnexB(Buffer.concat(frames.map((f) => f.data))),
      splitAnnexB(readFileSync(`${MEDIA_FOLDER}/${CLIP_FILE}`)),
    );
    assert.equal(splitH264AccessUnits(Buffer.alloc(0)).length, 0);
  });

  test('H.265 is detected from its VPS / SPS and its IDR is a key frame', () => {
    const vps = Buffer.from([0x40, 0x01, 0x0c, 0x01]);
    const sps = Buffer.from([0x42, 0x01, 0x01, 0x01]);
    const pps = Buffer.from([0x44, 0x01, 0xc1, 0x72]);
    const idr = Buffer.from([0x26, 0x01, 0xaf, 0x05]);
    const trailing = Buffer.from([0x02, 0x01, 0xd0, 0x09]);
    assert.equal(detectCodec([vps, sps, pps, idr]), 'h265');
    assert.equal(detectCodec([sps]), 'h265');
    assert.equal(isKeyFrame([idr], 'h265'), true);
    assert.equal(isKeyFrame([trailing], 'h265'), false);
    const frame = inspectFrame(joinAnnexB([vps, sps, pps, idr]));
    assert.deepEqual([frame.codec, frame.key], ['h265', true]);
    assert.equal(inspectFrame(joinAnnexB([trailing]), 'h265').key, false);
  });

  test('H.264 headers are never read as H.265 and the reverse', () => {
    for (const first of [0x67, 0x27, 0x47]) assert.equal(detectCodec([Buffer.from([first, 0x4d, 0x40, 0x16])]), 'h264');
    assert.equal(detectCodec([Buffer.from([0x65, 0x88, 0x84])]), undefined);
    assert.equal(detectCodec([Buffer.from([0x68, 0xee, 0x3c])]), undefined);
    fc.assert(
      fc.property(fc.array(nalUnitArb, { maxLength: 6 }), (units) => {
        const codec = detectCodec(units);
        assert.ok(codec === undefined || codec === 'h264' || codec === 'h265');
      }),
    );
  });
});
