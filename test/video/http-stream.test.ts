import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { loadClipFrames } from '../../nodes/camera/media/clip';
import { H264ParameterSetMemory } from '../../nodes/video/h264-stream-start';
import { type SourceFrame, pipeVideo } from '../../nodes/video/http-stream';

const CLIP = loadClipFrames();

class FakeSource extends EventEmitter {
  readonly frames: SourceFrame[] = [];
  closed = false;
  push(frame: SourceFrame): void {
    this.frames.push(frame);
    this.emit('readable');
  }
  read(): SourceFrame | undefined {
    return this.frames.shift();
  }
  close(): void {
    this.closed = true;
    this.emit('close');
  }
}

/** Accepts `budget` writes, then says "full" until the test calls `drain()`. */
class FakeSink extends EventEmitter {
  readonly chunks: Buffer[] = [];
  ended = false;
  constructor(private budget: number) {
    super();
  }
  write(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.budget--;
    return this.budget > 0;
  }
  drain(budget: number): void {
    this.budget = budget;
    this.emit('drain');
  }
  end(): void {
    this.ended = true;
  }
}

function clipFrame(i: number): SourceFrame {
  const frame = CLIP[i % CLIP.length];
  assert.ok(frame);
  return { data: frame.data, key: frame.key, timeMs: i * 66 };
}

test('raw H.264: starts at a key frame with SPS/PPS, then every frame as sent', () => {
  const source = new FakeSource();
  const sink = new FakeSink(1000);
  const memory = new H264ParameterSetMemory();
  for (let i = 0; i < CLIP.length; i++) memory.observe(clipFrame(i).data);
  pipeVideo(source, sink, 'h264', memory);
  for (let i = 25; i < 65; i++) source.push(clipFrame(i));
  assert.deepEqual(
    sink.chunks,
    Array.from({ length: 35 }, (_, n) => clipFrame(30 + n).data),
    'frames before the first key frame are left out',
  );
});

test('backpressure: nothing is written between a full write and drain, and nothing is lost', () => {
  const source = new FakeSource();
  const sink = new FakeSink(3);
  pipeVideo(source, sink, 'h264', new H264ParameterSetMemory());
  for (let i = 0; i < 10; i++) source.push(clipFrame(i));
  assert.equal(sink.chunks.length, 3, 'stopped at the third write');
  source.push(clipFrame(10));
  assert.equal(sink.chunks.length, 3, 'still waiting for drain');
  sink.drain(100);
  assert.deepEqual(
    sink.chunks,
    Array.from({ length: 11 }, (_, i) => clipFrame(i).data),
  );
});

test('fragmented MP4: an init segment, then fragments', () => {
  const source = new FakeSource();
  const sink = new FakeSink(1000);
  pipeVideo(source, sink, 'mp4', new H264ParameterSetMemory());
  for (let i = 0; i < 5; i++) source.push(clipFrame(i));
  assert.equal(sink.chunks[0]?.subarray(4, 8).toString('latin1'), 'ftyp');
  assert.ok(sink.chunks.slice(1).some((chunk) => chunk.subarray(4, 8).toString('latin1') === 'moof'));
});

test('a closed response closes the viewer, and a closed viewer ends the response', () => {
  const source = new FakeSource();
  const sink = new FakeSink(10);
  pipeVideo(source, sink, 'h264', new H264ParameterSetMemory());
  sink.emit('close');
  assert.equal(source.closed, true);
  const other = new FakeSource();
  const response = new FakeSink(10);
  pipeVideo(other, response, 'mp4', new H264ParameterSetMemory());
  other.close();
  assert.equal(response.ended, true);
});

test('raw H.265: from the first key frame on, every frame as the camera sent it', () => {
  const source = new FakeSource();
  const sink = new FakeSink(1000);
  pipeVideo(source, sink, 'h265', new H264ParameterSetMemory());
  // H.265 NAL headers: 32 VPS (a key frame starts with it), 1 a trailing picture.
  const key = Buffer.from([0, 0, 0, 1, 32 << 1, 1, 0xaa, 0, 0, 0, 1, 19 << 1, 1, 0xbb]);
  const delta = Buffer.from([0, 0, 0, 1, 1 << 1, 1, 0xcc]);
  source.push({ data: delta, key: false, timeMs: 0 });
  source.push({ data: key, key: true, timeMs: 66 });
  source.push({ data: delta, key: false, timeMs: 133 });
  assert.deepEqual(sink.chunks, [key, delta]);
});
