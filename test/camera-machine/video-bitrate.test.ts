import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CameraMachine } from '../../nodes/camera/camera-machine';
import { CLIP_FRAME_RATE, loadClipFrames } from '../../nodes/camera/media/clip';
import { fillerForBitrate } from '../../nodes/camera/video-channel';
import { splitAnnexB } from '../../nodes/video/annexb';
import { FrameAssembler, type VideoFrame } from '../../nodes/video/frame-assembler';
import { Fmp4Muxer, toAvccSample } from '../../nodes/video/fmp4-muxer';
import { H264_NAL, h264NalType } from '../../nodes/video/nal';
import { CGI_RESPONSE_CODES } from '../../nodes/wire/cgi';
import { CgiClient, drws } from './cgi-helpers';
import { connect, makeCamera, send } from './helpers';

const CLIP = loadClipFrames();
const FRAME_MS = 1000 / CLIP_FRAME_RATE;

/** Starts the stream, plays `seconds` of it, and reassembles what channel 1 carried. */
function playedFrames(camera: CameraMachine, seconds: number): VideoFrame[] {
  connect(camera, 0);
  const answer = new CgiClient(camera).one('livestream', { streamid: '10', substream: '0' }, 10);
  assert.equal(answer.code, CGI_RESPONSE_CODES.livestream);
  const assembler = new FrameAssembler();
  const frames: VideoFrame[] = [];
  for (let now = 10; now <= 10 + seconds * 1000; now += FRAME_MS / 2) {
    for (const drw of drws(camera.tick(now)).filter((d) => d.channel === 1)) {
      const output = assembler.push(drw.index, drw.data);
      assert.equal(output.dropped.length, 0);
      frames.push(...output.frames);
    }
    send(camera, 'session', { kind: 'alive-ack' }, now);
  }
  return frames;
}

describe('camera machine: videoBitrateKbps', () => {
  it('pads every frame with one filler NAL unit to the asked bitrate, the picture unchanged', () => {
    const frames = playedFrames(makeCamera({ videoBitrateKbps: 3000 }), 4);
    assert.ok(frames.length >= CLIP.length);
    const bytes = frames.slice(0, CLIP.length).reduce((total, f) => total + f.data.length, 0);
    const kbps = (bytes * 8) / 1000 / (CLIP.length / CLIP_FRAME_RATE);
    assert.ok(Math.abs(kbps - 3000) < 1, `${kbps} kbit/s`);
    frames.forEach((frame, i) => {
      const clip = CLIP[i % CLIP.length]?.data ?? Buffer.alloc(0);
      assert.ok(frame.data.subarray(0, clip.length).equals(clip), 'the access unit comes first, untouched');
      const units = splitAnnexB(frame.data.subarray(clip.length));
      assert.deepEqual(
        units.map((unit) => h264NalType(unit)),
        [H264_NAL.filler],
      );
      // The muxer leaves filler out of the samples: an MP4 viewer gets the clip's own samples.
      assert.ok(toAvccSample(splitAnnexB(frame.data)).equals(toAvccSample(splitAnnexB(clip))));
    });
    const muxer = new Fmp4Muxer();
    const skipped = frames.map((frame) => muxer.push({ data: frame.data, timeMs: 0 }).skipped);
    assert.deepEqual(
      skipped.filter((s) => s !== undefined),
      [],
    );
  });

  it('leaves the clip as it is by default and when the clip alone is heavier than asked', () => {
    for (const videoBitrateKbps of [0, 100]) {
      const frames = playedFrames(makeCamera({ videoBitrateKbps }), 1);
      frames.forEach((frame, i) => assert.ok(frame.data.equals(CLIP[i]?.data ?? Buffer.alloc(0))));
    }
    assert.equal(fillerForBitrate(CLIP, 0), undefined);
    assert.equal(fillerForBitrate([], 3000), undefined);
  });

  it('builds a filler NAL unit with no start code inside and the stop bit last', () => {
    const filler = fillerForBitrate(CLIP, 2000);
    assert.ok(filler);
    assert.deepEqual([...filler.subarray(0, 5)], [0, 0, 0, 1, H264_NAL.filler]);
    assert.equal(filler[filler.length - 1], 0x80);
    assert.equal(filler.subarray(5, -1).indexOf(0), -1);
  });

  it('rejects a bitrate that is negative, fractional or beyond 50 Mbit/s', () => {
    for (const videoBitrateKbps of [-1, 2.5, 50_001]) {
      assert.throws(() => makeCamera({ videoBitrateKbps }), RangeError);
    }
  });
});
