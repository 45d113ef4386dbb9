import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { buildMediaFragment, type Mp4Sample } from '../../nodes/video/fmp4-fragment';
import { VIDEO_TIMESCALE } from '../../nodes/video/fmp4-init';
import { Fmp4Muxer, type MuxerChunk, toAvccSample } from '../../nodes/video/fmp4-muxer';
import { joinAnnexB, splitAnnexB } from '../../nodes/video/annexb';
import { CLIP_FRAME_RATE, CLIP_HEIGHT, CLIP_WIDTH, loadClipFrames } from '../../nodes/camera/media/clip';
import { bytesUpTo, mutate, mutationsArb } from '../wire/helpers';
import { find, readBoxes, readTrun } from './box-reader';
import { MEDIA_FOLDER } from './helpers';

const clipFrames = loadClipFrames(MEDIA_FOLDER);
const FRAME_MS = 1000 / CLIP_FRAME_RATE;
const START_MS = 1_764_000_000_000;

function muxClip(maxSamplesPerFragment: number, times?: readonly number[]): MuxerChunk[] {
  const muxer = new Fmp4Muxer({ maxSamplesPerFragment });
  const chunks = clipFrames.flatMap(
    (frame, i) => muxer.push({ data: frame.data, timeMs: times?.[i] ?? Math.round(START_MS + i * FRAME_MS) }).chunks,
  );
  return [...chunks, ...muxer.flush()];
}

function tfdt(fragment: Buffer): number {
  return Number(find(readBoxes(fragment), 'moof', 'traf', 'tfdt').payload.readBigUInt64BE(4));
}

const sampleArb: fc.Arbitrary<Mp4Sample> = fc.record(
  { data: bytesUpTo(2000, 1), duration: fc.integer({ min: 1, max: 90_000 }), key: fc.boolean() },
  { noNullPrototype: true },
);

describe('fragmented MP4 boxes', () => {
  test('a media fragment: sizes add up and the trun points at each sample in mdat', () => {
    fc.assert(
      fc.property(
        fc.array(sampleArb, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        (samples, sequenceNumber, baseDecodeTime) => {
          const fragment = buildMediaFragment({ sequenceNumber, baseDecodeTime, samples });
          const boxes = readBoxes(fragment);
          assert.deepEqual(
            boxes.map((b) => b.type),
            ['moof', 'mdat'],
          );
          assert.equal(find(boxes, 'moof', 'mfhd').payload.readUInt32BE(4), sequenceNumber);
          assert.equal(tfdt(fragment), baseDecodeTime);
          const trun = readTrun(find(boxes, 'moof', 'traf', 'trun'));
          let at = (boxes[0]?.offset ?? 0) + trun.dataOffset;
          assert.equal(at, (boxes[1]?.offset ?? 0) + 8);
          trun.samples.forEach((entry, i) => {
            const sample = samples[i];
            assert.ok(sample);
            assert.equal(entry.duration, sample.duration);
            assert.deepEqual(fragment.subarray(at, at + entry.size), sample.data);
            assert.equal(entry.flags, sample.key ? 0x02000000 : 0x01010000);
            at += entry.size;
          });
          assert.equal(at, fragment.length);
        },
      ),
    );
  });

  test('the init segment of the clip: sizes add up, avcC carries the SPS and PPS, tkhd the picture size', () => {
    const [init] = muxClip(1);
    assert.ok(init?.kind === 'init');
    assert.equal(init.codec, 'avc1.4d4016');
    assert.deepEqual([init.width, init.height], [CLIP_WIDTH, CLIP_HEIGHT]);
    const boxes = readBoxes(init.bytes);
    assert.deepEqual(
      boxes.map((b) => b.type),
      ['ftyp', 'moov'],
    );
    assert.deepEqual(
      find(boxes, 'moov').children.map((b) => b.type),
      ['mvhd', 'trak', 'mvex'],
    );
    const tkhd = find(boxes, 'moov', 'trak', 'tkhd').payload;
    assert.equal(tkhd.readUInt32BE(tkhd.length - 8) / 0x10000, CLIP_WIDTH);
    assert.equal(tkhd.readUInt32BE(tkhd.length - 4) / 0x10000, CLIP_HEIGHT);
    assert.equal(find(boxes, 'moov', 'trak', 'mdia', 'mdhd').payload.readUInt32BE(12), VIDEO_TIMESCALE);
    const stbl = find(boxes, 'moov', 'trak', 'mdia', 'minf', 'stbl');
    assert.deepEqual(
      stbl.children.map((b) => b.type),
      ['stsd', 'stts', 'stsc', 'stsz', 'stco'],
    );
    const avcC = find(stbl.children, 'stsd', 'avc1', 'avcC').payload;
    const [sps, pps] = splitAnnexB(clipFrames[0]?.data ?? Buffer.alloc(0));
    assert.ok(sps && pps);
    assert.equal(avcC.readUInt16BE(6), sps.length);
    assert.deepEqual(avcC.subarray(8, 8 + sps.length), sps);
    assert.deepEqual(avcC.subarray(8 + sps.length + 3), pps);
  });
});

describe('muxing frames', () => {
  test('the clip becomes one init segment and fragments that start at key frames, all 60 frames', () => {
    for (const perFragment of [1, 5, 30, 1000]) {
      const chunks = muxClip(perFragment);
      assert.equal(chunks.filter((c) => c.kind === 'init').length, 1);
      assert.equal(chunks[0]?.kind, 'init');
      const fragments = chunks.filter((c) => c.kind === 'fragment');
      assert.equal(
        fragments.reduce((n, c) => n + (c.kind === 'fragment' ? c.frames : 0), 0),
        60,
      );
      assert.ok(fragments.every((c) => c.kind === 'fragment' && c.frames <= perFragment));
      if (perFragment >= 30) assert.equal(fragments.length, 2);
      // The samples are the frames without SPS / PPS, in order.
      const sizes = fragments.flatMap((c) => readTrun(find(readBoxes(c.bytes), 'moof', 'traf', 'trun')).samples);
      assert.deepEqual(
        sizes.map((s) => s.size),
        clipFrames.map((f) => toAvccSample(splitAnnexB(f.data)).length),
      );
      assert.deepEqual(
        sizes.flatMap((s, i) => (s.flags === 0x02000000 ? [i] : [])),
        [0, 30],
      );
    }
  });

  test('decode times never go backwards and durations stay positive, whatever the camera clock does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -2000, max: 20_000 }), { minLength: 60, maxLength: 60 }), (steps) => {
        let time = START_MS;
        const times = steps.map((step) => (time += step));
        const fragments = muxClip(1, times).filter((c) => c.kind === 'fragment');
        let expected = 0;
        for (const fragment of fragments) {
          assert.equal(tfdt(fragment.bytes), expected);
          const { samples } = readTrun(find(readBoxes(fragment.bytes), 'moof', 'traf', 'trun'));
          for (const sample of samples) {
            assert.ok(sample.duration > 0);
            expected += sample.duration;
          }
        }
      }),
      { numRuns: 30 },
    );
  });

  test('waits for a key frame, and refuses H.265', () => {
    const muxer = new Fmp4Muxer();
    assert.equal(
      muxer.push({ data: clipFrames[1]?.data ?? Buffer.alloc(0), timeMs: 0 }).skipped,
      'waiting-for-key-frame',
    );
    assert.equal(muxer.push({ data: Buffer.from([1, 2, 3]), timeMs: 0 }).skipped, 'no-picture');
    const h265 = joinAnnexB([
      Buffer.from([0x40, 0x01, 0x0c]),
      Buffer.from([0x42, 0x01, 0x01]),
      Buffer.from([0x26, 0x01, 0xaf]),
    ]);
    assert.equal(new Fmp4Muxer().push({ data: h265, timeMs: 0 }).skipped, 'h265');
  });

  test('new parameter sets at a key frame start a new init segment', () => {
    const muxer = new Fmp4Muxer();
    const key = clipFrames[0]?.data ?? Buffer.alloc(0);
    const units = splitAnnexB(key);
    const otherPps = Buffer.concat([units[1] ?? Buffer.alloc(0), Buffer.from([0x80])]);
    const changed = joinAnnexB([units[0] ?? Buffer.alloc(0), otherPps, units[2] ?? Buffer.alloc(0)]);
    const kinds = [key, clipFrames[1]?.data, changed, clipFrames[31]?.data].flatMap((data, i) =>
      muxer.push({ data: data ?? Buffer.alloc(0), timeMs: i * 100 }).chunks.map((c) => c.kind),
    );
    assert.deepEqual(
      [...kinds, ...muxer.flush().map((c) => c.kind)],
      ['init', 'fragment', 'fragment', 'init', 'fragment', 'fragment'],
    );
  });
});

describe('parameter sets sent apart from the key frame', () => {
  test('SPS / PPS in a frame of their own configure the next IDR, and a change there starts a new init', () => {
    const units = splitAnnexB(clipFrames[0]?.data ?? Buffer.alloc(0));
    const [sps, pps, idr] = units;
    assert.ok(sps && pps && idr);
    const muxer = new Fmp4Muxer();
    const push = (data: Buffer, timeMs: number): string[] => [
      ...muxer.push({ data, timeMs }).chunks.map((c) => c.kind),
    ];
    assert.deepEqual(push(joinAnnexB([sps, pps]), 0), []);
    assert.deepEqual(push(joinAnnexB([idr]), 0), ['init']);
    assert.deepEqual(push(clipFrames[1]?.data ?? Buffer.alloc(0), 67), ['fragment']);
    assert.deepEqual(push(joinAnnexB([sps, Buffer.concat([pps, Buffer.from([0x80])])]), 100), []);
    assert.deepEqual(push(joinAnnexB([idr]), 133), ['fragment', 'init']);
  });
});

describe('hostile frames', () => {
  test('arbitrary and mutated frames never throw and never produce a box whose sizes do not add up', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            bytesUpTo(400),
            fc
              .tuple(fc.nat({ max: clipFrames.length - 1 }), mutationsArb)
              .map(([i, mutations]) => mutate(clipFrames[i]?.data ?? Buffer.alloc(0), mutations)),
          ),
          { maxLength: 12 },
        ),
        (frames) => {
          const muxer = new Fmp4Muxer({ maxSamplesPerFragment: 3 });
          const chunks = [
            ...frames.flatMap((data, i) => muxer.push({ data, timeMs: i * 67 }).chunks),
            ...muxer.flush(),
          ];
          for (const chunk of chunks) readBoxes(chunk.bytes);
        },
      ),
      { numRuns: 50 },
    );
  });
});

const ffprobe = spawnSync('ffprobe', ['-version']).status === 0;

describe('ffprobe reads what the muxer writes', () => {
  for (const perFragment of [1, 30]) {
    test(`${perFragment} frame(s) per fragment: codec h264, the clip's size, its frame rate within 10 %`, (t) => {
      if (!ffprobe) {
        t.skip('ffprobe is not installed');
        return;
      }
      const folder = mkdtempSync(join(tmpdir(), 'vstar-fmp4-'));
      try {
        const file = join(folder, 'video.mp4');
        writeFileSync(file, Buffer.concat(muxClip(perFragment).map((c) => c.bytes)));
        const report = JSON.parse(
          execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', file], {
            encoding: 'utf8',
          }),
        ) as {
          streams: {
            codec_name: string;
            width: number;
            height: number;
            avg_frame_rate: string;
            nb_read_frames: string;
          }[];
        };
        const [stream] = report.streams;
        assert.ok(stream);
        assert.equal(stream.codec_name, 'h264');
        assert.deepEqual([stream.width, stream.height], [CLIP_WIDTH, CLIP_HEIGHT]);
        assert.equal(Number(stream.nb_read_frames), clipFrames.length);
        const [num, den] = stream.avg_frame_rate.split('/').map(Number);
        const rate = (num ?? 0) / (den ?? 1);
        assert.ok(Math.abs(rate - CLIP_FRAME_RATE) <= CLIP_FRAME_RATE * 0.1, `frame rate ${stream.avg_frame_rate}`);
        // ffmpeg decodes every frame without a complaint.
        const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
        assert.equal(decode.status, 0);
        assert.equal(decode.stderr, '');
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    });
  }
});
