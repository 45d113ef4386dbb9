import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CameraMachine } from '../../nodes/camera/camera-machine';
import { loadClipFrames, loadSnapshot } from '../../nodes/camera/media/clip';
import { FrameAssembler, type VideoFrame } from '../../nodes/video/frame-assembler';
import { CGI_RESPONSE_CODES, CgiReassembler, buildCgiRequest } from '../../nodes/wire/cgi';
import { ADMIN, CgiClient, type Drw, drws } from './cgi-helpers';
import { connect, makeCamera, scripted, send } from './helpers';

const CLIP = loadClipFrames();
const FRAME_MS = 1000 / 15;

/** Ticks the camera every frame period from `fromMs` to `toMs`; returns the video DRWs sent, in order. */
function playFor(camera: CameraMachine, fromMs: number, toMs: number): Drw[] {
  const out: Drw[] = [];
  for (let now = fromMs; now <= toMs; now += FRAME_MS / 2) {
    const sent = drws(camera.tick(now)).filter((d) => d.channel === 1);
    out.push(...sent);
    // Keep the session alive as a client would.
    send(camera, 'session', { kind: 'alive-ack' }, now);
  }
  return out;
}

function assemble(video: readonly Drw[]): { frames: VideoFrame[]; dropped: number } {
  const assembler = new FrameAssembler();
  const frames: VideoFrame[] = [];
  let dropped = 0;
  for (const drw of video) {
    const output = assembler.push(drw.index, drw.data);
    frames.push(...output.frames);
    dropped += output.dropped.length;
  }
  return { frames, dropped };
}

function startedCamera(
  overrides: Parameters<typeof makeCamera>[0] = {},
  random = scripted([0.5]),
): { camera: CameraMachine; client: CgiClient } {
  const camera = makeCamera(overrides, random);
  connect(camera, 0);
  const client = new CgiClient(camera);
  const answer = client.one('livestream', { streamid: '10', substream: '1' }, 10);
  assert.equal(answer.code, CGI_RESPONSE_CODES.livestream);
  assert.equal(answer.vars['result'], '0');
  return { camera, client };
}

describe('camera machine: snapshot.cgi', () => {
  it('answers with the JPEG as the body of one 0x6015 block, over several DRWs', () => {
    const camera = makeCamera();
    connect(camera, 0);
    const out = send(
      camera,
      'session',
      { kind: 'drw', channel: 0, index: 0, data: buildCgiRequest('snapshot', { res: '0' }, ADMIN) },
      10,
    );
    const sent = drws(out);
    const jpeg = loadSnapshot();
    assert.ok(sent.length > 1, 'a 16 KB JPEG needs several DRWs');
    const reassembler = new CgiReassembler();
    const blocks = sent.flatMap((drw) => {
      const pushed = reassembler.push(drw.data);
      assert.ok(pushed.ok);
      return pushed.value;
    });
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0]?.code, CGI_RESPONSE_CODES.snapshot);
    assert.ok(blocks[0]?.body.equals(jpeg), 'the body is the JPEG byte for byte');
  });

  it('refuses wrong credentials like any command', () => {
    const camera = makeCamera();
    connect(camera, 0);
    const client = new CgiClient(camera, { user: 'admin', password: 'wrong' });
    assert.equal(client.one('snapshot', { res: '0' }).vars['result'], '-2');
  });
});

describe('camera machine: livestream.cgi', () => {
  it('plays the clip in real time on channel 1, frames byte for byte, a key frame every 2 s', () => {
    const { camera } = startedCamera();
    assert.equal(camera.nextWakeMs(), 10, 'the first frame is due at once');
    const { frames, dropped } = assemble(playFor(camera, 10, 10 + 4000 + FRAME_MS / 2));
    assert.equal(dropped, 0);
    assert.equal(frames.length, 61, '4 s at 15 frames/s, both ends included');
    frames.forEach((frame, i) => {
      const expected = CLIP[i % CLIP.length];
      assert.ok(expected && frame.data.equals(expected.data), `frame ${i} is the clip's frame`);
      assert.equal(frame.header.frameNumber, i);
      assert.equal(frame.header.type === 0, expected.key);
    });
    const keyAt = frames.flatMap((f, i) => (f.header.type === 0 ? [i] : []));
    assert.deepEqual(keyAt, [0, 30, 60]);
    assert.equal(camera.stats.livestreamStarts, 1);
    assert.equal(camera.stats.videoFramesSent, 61);
  });

  it('streamid=16 stops the stream; a stop or a new start keeps the DRW indices counting', () => {
    const { camera, client } = startedCamera();
    const first = playFor(camera, 10, 500);
    assert.ok(first.length > 0);
    client.one('livestream', { streamid: '16', substream: '0' }, 510);
    assert.equal(camera.stats.livestreamStops, 1);
    assert.deepEqual(playFor(camera, 520, 2000), []);
    client.one('livestream', { streamid: '10', substream: '1' }, 2010);
    const again = playFor(camera, 2010, 2500);
    assert.equal(again[0]?.index, (first[first.length - 1]?.index ?? -1) + 1);
    assert.equal(assemble(again).frames[0]?.header.type, 0, 'a new start begins with a key frame');
  });

  it('a closed session stops its stream', () => {
    const { camera } = startedCamera();
    playFor(camera, 10, 200);
    send(camera, 'session', { kind: 'close' }, 210);
    assert.deepEqual(
      drws(camera.tick(300)).filter((d) => d.channel === 1),
      [],
    );
    assert.equal(camera.nextWakeMs(), undefined);
  });

  it('rejects an unknown stream id', () => {
    const camera = makeCamera();
    connect(camera, 0);
    assert.equal(new CgiClient(camera).one('livestream', { streamid: '3' }).vars['result'], '-1');
    assert.equal(camera.stats.livestreamStarts, 0);
  });

  it('videoDropPercent loses DRWs without resending them; what reassembles is still the clip', () => {
    // 0.01 is below 10 % one draw in four.
    const { camera } = startedCamera({ videoDropPercent: 10 }, scripted([0.5, 0.9, 0.01, 0.7]));
    const video = playFor(camera, 10, 4000);
    assert.ok(camera.stats.videoDrwsDropped > 0);
    assert.equal(video.length, camera.stats.videoDrwsSent);
    const { frames, dropped } = assemble(video);
    assert.ok(dropped > 0, 'the gaps cost frames');
    for (const frame of frames) assert.ok(CLIP.some((c) => c.data.equals(frame.data)));
  });

  it('videoReorderPercent swaps neighbours inside a burst; in index order it is the whole clip', () => {
    const { camera } = startedCamera({ videoReorderPercent: 20 }, scripted([0.5, 0.1, 0.6, 0.9, 0.3]));
    const video = playFor(camera, 10, 2000);
    const indices = video.map((d) => d.index);
    assert.notDeepEqual(
      indices,
      [...indices].sort((a, b) => a - b),
      'some DRWs came out of order',
    );
    const sorted = [...video].sort((a, b) => a.index - b.index);
    assert.equal(assemble(sorted).dropped, 0);
    assert.equal(camera.stats.videoDrwsDropped, 0);
    assert.ok(camera.stats.videoDrwsReordered > 0);
  });

  it('rejects impairment percentages outside 0..100', () => {
    assert.throws(() => makeCamera({ videoDropPercent: 101 }), RangeError);
    assert.throws(() => makeCamera({ videoReorderPercent: -1 }), RangeError);
  });
});
