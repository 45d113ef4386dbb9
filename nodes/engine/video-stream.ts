import { EventEmitter } from 'node:events';
import { type CommandAnswer, runCalls } from './command-runner';
import { FrameAssembler, type VideoFrame } from '../video/frame-assembler';
import { H264ParameterSetMemory } from '../video/h264-stream-start';
import { type VideoCodec, inspectFrame } from '../video/nal';
import { type ViewerQueueLimits } from '../video/viewer-queue';
import { type CgiCredentials } from '../wire/cgi';
import { type CameraLink } from './camera-link';
import { type StreamFrame, VideoViewer, type ViewerHost } from './video-viewer';

export { type StreamFrame, VideoViewer } from './video-viewer';

/** The DRW channel video arrives on (PROTOCOL.md §7.3). */
const VIDEO_CHANNEL = 1;
/** `livestream.cgi` stream ids: start, and stop (PROTOCOL.md §7.2). */
const START_STREAM_ID = '10';
const STOP_STREAM_ID = '16';

export interface VideoStreamOptions {
  readonly credentials: CgiCredentials;
  /** Which of the camera's streams; resolutions per substream differ between models. */
  readonly substream: number;
  /** For each `livestream.cgi` request. */
  readonly timeoutMs: number;
  /** The camera keeps streaming this long after the last viewer left, so a reload does not restart it. Default 5000. */
  readonly stopDelayMs?: number;
  /** After a failed start, try again this much later while viewers wait. Default 5000. */
  readonly retryDelayMs?: number;
  /** Every viewer's queue. */
  readonly viewerLimits?: ViewerQueueLimits;
  /** How often `stream-stats` is emitted while the stream runs. Default 1000. */
  readonly statsIntervalMs?: number;
}

export type CameraStreamState = 'off' | 'starting' | 'on';

export interface VideoStreamStats {
  readonly state: CameraStreamState;
  readonly viewers: number;
  /** Frames and kbit/s over the last stats interval. */
  readonly fps: number;
  readonly kbitPerSecond: number;
  readonly codec: VideoCodec | undefined;
  /** Since the stream was made: frames reassembled, frames lost to gaps or bad framing. */
  readonly framesReceived: number;
  readonly framesDropped: number;
  /** Frames viewers lost because they read too slowly (summed over viewers). */
  readonly viewerFramesDropped: number;
}

export interface VideoStreamEvents {
  'stream-stats': [VideoStreamStats];
  /** The camera's stream was started or stopped (the camera answered the request). */
  'camera-stream': [CameraStreamState];
  /** A start or stop request failed; the message says why (credentials, timeout, ...). */
  'stream-error': [Error];
}

/**
 * Live video from one camera, shared by any number of viewers (PROTOCOL.md §7.3): the camera's
 * stream starts with the first viewer, stops `stopDelayMs` after the last one left, and is asked
 * for again after a reconnect while viewers remain. Frames are reassembled from channel 1 of the
 * link once and handed to every viewer's bounded queue.
 *
 * This class sits at the engine's edge and uses plain Node timers (the stop delay, start retries,
 * the stats tick) rather than the endpoint's clock: none of them touches the wire's timing, and
 * all are cleared by `close()`.
 */
export class VideoStream extends EventEmitter<VideoStreamEvents> implements ViewerHost {
  private readonly viewers = new Set<VideoViewer>();
  private readonly assembler = new FrameAssembler();
  private readonly parameterSetMemory = new H264ParameterSetMemory();
  private cameraState: CameraStreamState = 'off';
  private codec: VideoCodec | undefined;
  /** Set when frames may have been missed (a reconnect): the next frame goes to viewers as discontinuous. */
  private lossPending = false;
  private stopTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private framesReceived = 0;
  private framesDropped = 0;
  private viewerFramesDropped = 0;
  private intervalFrames = 0;
  private intervalBytes = 0;
  private intervalStartMs = Date.now();
  private readonly onData = (event: { channel: number; data: Buffer; index: number }): void => {
    if (event.channel === VIDEO_CHANNEL) this.onVideoData(event.index, event.data);
  };
  private readonly onConnected = (): void => {
    this.cameraState = 'off';
    this.resync();
    if (this.viewers.size > 0) this.startCamera();
  };
  private readonly onDisconnected = (): void => {
    // The camera forgets the stream with the session.
    this.cameraState = 'off';
    this.resync();
  };

  constructor(
    readonly link: CameraLink,
    private readonly options: VideoStreamOptions,
  ) {
    super();
    link.on('data', this.onData);
    link.on('connected', this.onConnected);
    link.on('disconnected', this.onDisconnected);
  }

  /** A new viewer; the first one starts the camera's stream. */
  addViewer(): VideoViewer {
    if (this.closed) throw new Error('video stream is closed');
    const viewer = new VideoViewer(this, this.options.viewerLimits);
    this.viewers.add(viewer);
    this.cancelStop();
    this.startStats();
    this.startCamera();
    return viewer;
  }

  /** @internal a viewer's `close()` */
  removeViewer(viewer: VideoViewer): void {
    if (!this.viewers.delete(viewer)) return;
    if (this.viewers.size > 0 || this.closed) return;
    this.cancelRetry();
    this.stopTimer = setTimeout(() => {
      this.stopTimer = undefined;
      this.stopCamera();
    }, this.options.stopDelayMs ?? 5000);
    this.stopTimer.unref();
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  get state(): CameraStreamState {
    return this.cameraState;
  }

  /** The latest SPS / PPS: what a raw `.h264` viewer needs in front of its first key frame. */
  get parameterSets(): H264ParameterSetMemory {
    return this.parameterSetMemory;
  }

  stats(): VideoStreamStats {
    const seconds = Math.max(0.001, (Date.now() - this.intervalStartMs) / 1000);
    return {
      state: this.cameraState,
      viewers: this.viewers.size,
      fps: Math.round((this.intervalFrames / seconds) * 10) / 10,
      kbitPerSecond: Math.round((this.intervalBytes * 8) / 1000 / seconds),
      codec: this.codec,
      framesReceived: this.framesReceived,
      framesDropped: this.framesDropped,
      viewerFramesDropped: this.viewerFramesDropped,
    };
  }

  /** Closes every viewer, stops the camera's stream at once and lets go of the link. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const viewer of [...this.viewers]) viewer.close();
    this.cancelStop();
    this.cancelRetry();
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = undefined;
    this.stopCamera();
    this.link.off('data', this.onData);
    this.link.off('connected', this.onConnected);
    this.link.off('disconnected', this.onDisconnected);
  }

  private onVideoData(index: number, data: Buffer): void {
    if (this.viewers.size === 0 && this.cameraState === 'off') return;
    const output = this.assembler.push(index, data);
    this.framesDropped += output.dropped.length;
    for (const frame of output.frames) this.deliver(frame);
  }

  private deliver(frame: VideoFrame): void {
    const inspected = inspectFrame(frame.data, this.codec);
    this.codec = inspected.codec;
    if (inspected.codec === 'h264') this.parameterSetMemory.observe(frame.data);
    const shared: StreamFrame = {
      header: frame.header,
      data: frame.data,
      key: inspected.key,
      codec: inspected.codec,
      timeMs: frame.header.seconds * 1000 + frame.header.milliseconds,
      byteLength: frame.data.length,
    };
    this.framesReceived++;
    this.intervalFrames++;
    this.intervalBytes += frame.data.length;
    const continuous = !frame.afterLoss && !this.lossPending;
    this.lossPending = false;
    for (const viewer of this.viewers) this.viewerFramesDropped += viewer.offer(shared, continuous);
  }

  private resync(): void {
    this.assembler.reset();
    this.lossPending = true;
  }

  private startCamera(): void {
    if (this.closed || this.cameraState !== 'off' || this.retryTimer || !this.link.connected) return;
    this.cameraState = 'starting';
    const substream = String(this.options.substream);
    this.livestream(START_STREAM_ID, substream).then(
      () => {
        if (this.cameraState !== 'starting') return;
        this.cameraState = 'on';
        this.emit('camera-stream', 'on');
        // Everyone left while the start was on its way.
        if (this.viewers.size === 0 && !this.stopTimer) this.stopCamera();
      },
      (error: unknown) => {
        if (this.cameraState === 'starting') this.cameraState = 'off';
        this.emit('stream-error', asError(error));
        if (this.viewers.size > 0 && !this.closed) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = undefined;
            this.startCamera();
          }, this.options.retryDelayMs ?? 5000);
          this.retryTimer.unref();
        }
      },
    );
  }

  private stopCamera(): void {
    const wasStreaming = this.cameraState !== 'off';
    this.cameraState = 'off';
    this.resync();
    if (!this.closed && this.viewers.size === 0 && this.statsTimer) {
      clearInterval(this.statsTimer);
      this.statsTimer = undefined;
    }
    if (!wasStreaming || !this.link.connected) return;
    this.livestream(STOP_STREAM_ID, '0').then(
      () => this.emit('camera-stream', 'off'),
      (error: unknown) => this.emit('stream-error', asError(error)),
    );
  }

  private livestream(streamid: string, substream: string): Promise<CommandAnswer> {
    return runCalls(this.link, [{ cgi: 'livestream', params: { streamid, substream } }], {
      credentials: this.options.credentials,
      timeoutMs: this.options.timeoutMs,
      camera: this.link.description,
    });
  }

  private cancelStop(): void {
    if (this.stopTimer) clearTimeout(this.stopTimer);
    this.stopTimer = undefined;
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private startStats(): void {
    if (this.statsTimer) return;
    this.intervalStartMs = Date.now();
    this.intervalFrames = 0;
    this.intervalBytes = 0;
    this.statsTimer = setInterval(() => {
      this.emit('stream-stats', this.stats());
      this.intervalStartMs = Date.now();
      this.intervalFrames = 0;
      this.intervalBytes = 0;
    }, this.options.statsIntervalMs ?? 1000);
    this.statsTimer.unref();
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
