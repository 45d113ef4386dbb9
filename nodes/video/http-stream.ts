import { Fmp4Muxer } from './fmp4-muxer';
import { type H264ParameterSetMemory } from './h264-stream-start';

/**
 * Writes one viewer's frames to an HTTP response (or any Node writable) as a raw H.264 stream or
 * a fragmented MP4, honouring backpressure: when `write()` returns false nothing more is written
 * until `drain`, and the frames that arrive meanwhile wait in the viewer's bounded queue, which
 * drops runs up to the next key frame when the client is too slow. So a slow client costs
 * frames, never memory.
 */

export type VideoFormat = 'h264' | 'h265' | 'mp4';

export const VIDEO_CONTENT_TYPES: Readonly<Record<VideoFormat, string>> = {
  // The Annex-B byte stream; players sniff it. (`video/H264` is RTP's payload name.)
  h264: 'video/h264',
  h265: 'video/h265',
  mp4: 'video/mp4',
};

export interface SourceFrame {
  /** One access unit, Annex-B. */
  readonly data: Buffer;
  readonly key: boolean;
  /** Capture time in milliseconds. */
  readonly timeMs: number;
}

/** What is needed of a viewer (`VideoViewer` in the engine). */
export interface FrameSource {
  read(): SourceFrame | undefined;
  on(event: 'readable' | 'close', listener: () => void): unknown;
  off(event: 'readable' | 'close', listener: () => void): unknown;
  close(): void;
}

/** What is needed of the response (`http.ServerResponse` fits). */
export interface ByteSink {
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  end(): void;
}

/**
 * Pipes `source` into `sink` until either closes; returns a function that stops it (closing the
 * viewer, ending the response). `parameterSets` is the stream's memory of SPS/PPS, put in front of
 * the first key frame of a raw `.h264` stream when the camera sends them only now and then.
 */
export function pipeVideo(
  source: FrameSource,
  sink: ByteSink,
  format: VideoFormat,
  parameterSets: H264ParameterSetMemory,
): () => void {
  const encode =
    format === 'mp4' ? mp4Encoder() : format === 'h264' ? h264Encoder(parameterSets) : fromKeyFrameEncoder();
  let waitingForDrain = false;
  let stopped = false;

  const pump = (): void => {
    while (!waitingForDrain && !stopped) {
      const frame = source.read();
      if (frame === undefined) return;
      for (const chunk of encode(frame)) {
        // A chunk already made is written whole even past the high-water mark: cutting it would
        // corrupt the stream. The next frame waits for `drain`.
        if (!sink.write(chunk)) waitingForDrain = true;
      }
      if (waitingForDrain) {
        sink.once('drain', () => {
          waitingForDrain = false;
          pump();
        });
      }
    }
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    source.off('readable', pump);
    source.off('close', stop);
    source.close();
    sink.end();
  };
  source.on('readable', pump);
  source.on('close', stop);
  sink.on('close', stop);
  pump();
  return stop;
}

/** Annex-B as the camera sent it, from a key frame that carries (or is given) SPS and PPS. */
function h264Encoder(parameterSets: H264ParameterSetMemory): (frame: SourceFrame) => Buffer[] {
  let started = false;
  return (frame) => {
    if (started) return [frame.data];
    if (!frame.key) return [];
    const first = parameterSets.startingWith(frame.data);
    if (first === undefined) return [];
    started = true;
    return [first];
  };
}

/**
 * H.265 as the camera sent it, from its first key frame on (an H.265 camera's key frames carry
 * their VPS, SPS and PPS: nothing needs to be remembered for them).
 */
function fromKeyFrameEncoder(): (frame: SourceFrame) => Buffer[] {
  let started = false;
  return (frame) => {
    started ||= frame.key;
    return started ? [frame.data] : [];
  };
}

function mp4Encoder(): (frame: SourceFrame) => Buffer[] {
  const muxer = new Fmp4Muxer();
  return (frame) => muxer.push({ data: frame.data, timeMs: frame.timeMs }).chunks.map((chunk) => chunk.bytes);
}
