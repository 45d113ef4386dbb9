import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CameraMachine } from '../../nodes/camera/camera-machine';
import { CLIP_FRAME_RATE, loadClipFrames } from '../../nodes/camera/media/clip';
import { paddingForBitrate } from '../../nodes/camera/video-channel';
import { splitAnnexB } from '../../nodes/video/annexb';
import { FrameAssembler, type VideoFrame } from '../../nodes/video/frame-assembler';
import { Fmp4Muxer } from '../../nodes/video/fmp4-muxer';
import { H264_NAL, h264NalType, inspectFrame } from '../../nodes/video/nal';
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
  it('pads every frame with one SEI unit before its first slice, to the asked bitrate', () => {
    const frames = playedFrames(makeCamera({ videoBitrateKbps: 3000 }), 4);
    assert.ok(frames.length >= CLIP.length);
    const bytes = frames.slice(0, CLIP.length).reduce((total, f) => total + f.data.length, 0);
    const kbps = (bytes * 8) / 1000 / (CLIP.length / CLIP_FRAME_RATE);
    assert.ok(Math.abs(kbps - 3000) < 3, `${kbps} kbit/s`);
    frames.forEach((frame, i) => {
      const clip = splitAnnexB(CLIP[i % CLIP.length]?.data ?? Buffer.alloc(0));
      const units = splitAnnexB(frame.data);
      const sei = units.findIndex((unit) => h264NalType(unit) === H264_NAL.sei);
      const firstSlice = units.findIndex((unit) => [1, 5].includes(h264NalType(unit)));
      assert.ok(sei >= 0 && sei === firstSlice - 1, 'the SEI sits right before the first slice');
      const withoutPadding = units.filter((_, at) => at !== sei);
      assert.deepEqual(withoutPadding, clip, 'the picture is the clip, untouched');
      assert.equal(inspectFrame(frame.data, 'h264').key, CLIP[i % CLIP.length]?.key);
    });
    // The muxer keeps SEI in the samples: an MP4 viewer gets the full bitrate too.
    const muxer = new Fmp4Muxer();
    let muxed = 0;
    for (const [i, frame] of frames.entries()) {
      const output = muxer.push({ data: frame.data, timeMs: i * FRAME_MS });
      assert.equal(output.skipped, undefined);
      muxed += output.chunks.reduce((total, chunk) => total + chunk.bytes.length, 0);
    }
    assert.ok(muxed > bytes * 0.9, `${muxed} B muxed of ${bytes} B`);
  });

  it('leaves the clip as it is by default and when the clip alone is heavier than asked', () => {
    for (const videoBitrateKbps of [0, 100]) {
      const frames = playedFrames(makeCamera({ videoBitrateKbps }), 1);
      frames.forEach((frame, i) => assert.ok(frame.data.equals(CLIP[i]?.data ?? Buffer.alloc(0))));
    }
    assert.equal(paddingForBitrate(CLIP, 0), undefined);
    assert.equal(paddingForBitrate([], 3000), undefined);
  });

  it('builds an SEI unit with a well-formed size, no start code inside and the stop bit last', () => {
    for (const kbps of [400, 2000, 4000, 50_000]) {
      const padding = paddingForBitrate(CLIP, kbps);
      assert.ok(padding);
      assert.deepEqual([...padding.subarray(0, 6)], [0, 0, 0, 1, H264_NAL.sei, 5]);
      let at = 6;
      let size = 0;
      while (padding[at] === 0xff) size += padding[at++] ?? 0;
      size += padding[at++] ?? 0;
      assert.equal(padding.length, at + size + 1, `${kbps} kbit/s: the size field covers the payload`);
      assert.equal(padding[padding.length - 1], 0x80);
      assert.equal(padding.subarray(4).indexOf(0), -1);
    }
  });

  it('rejects a bitrate that is negative, fractional or beyond 50 Mbit/s', () => {
    for (const videoBitrateKbps of [-1, 2.5, 50_001]) {
      assert.throws(() => makeCamera({ videoBitrateKbps }), RangeError);
    }
  });
});
