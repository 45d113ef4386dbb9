import { EventEmitter } from 'node:events';
import { type VideoCodec } from '../video/nal';
import { DEFAULT_VIEWER_QUEUE_LIMITS, ViewerQueue, type ViewerQueueLimits } from '../video/viewer-queue';
import { type FrameHeader } from '../wire/frame-header';

/** One reassembled frame of a camera's stream, as every viewer gets it (shared, not copied). */
export interface StreamFrame {
  readonly header: FrameHeader;
  /** One access unit, Annex-B. */
  readonly data: Buffer;
  /** Found from the NAL units (SPS/PPS/IDR), not from the header's type byte (PROTOCOL.md §7.3). */
  readonly key: boolean;
  readonly codec: VideoCodec | undefined;
  /** The camera's time for the frame, from the header's seconds and milliseconds. */
  readonly timeMs: number;
  readonly byteLength: number;
}

export interface VideoViewerEvents {
  /** A frame was queued: `read()` until it returns undefined. */
  readable: [];
  close: [];
}

export interface ViewerHost {
  removeViewer(viewer: VideoViewer): void;
}

/**
 * One consumer of a camera's stream (an HTTP response, a flow) with its own bounded queue: a
 * viewer that reads slower than the camera sends loses runs of frames up to the next key frame
 * (`ViewerQueue`), and what it holds never exceeds its limits, whatever it does.
 */
export class VideoViewer extends EventEmitter<VideoViewerEvents> {
  private readonly queue: ViewerQueue<StreamFrame>;
  private closed = false;

  constructor(
    private readonly host: ViewerHost,
    limits: ViewerQueueLimits = DEFAULT_VIEWER_QUEUE_LIMITS,
  ) {
    super();
    this.queue = new ViewerQueue(limits);
  }

  /** The oldest queued frame; the first one a viewer ever reads is a key frame. */
  read(): StreamFrame | undefined {
    return this.queue.shift();
  }

  /** Leaves the stream; the camera stops streaming a few seconds after its last viewer left. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    while (this.queue.shift()) {
      // Frees the queued frames now rather than when the viewer is collected.
    }
    this.host.removeViewer(this);
    this.emit('close');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get queuedFrames(): number {
    return this.queue.length;
  }

  get queuedBytes(): number {
    return this.queue.byteLength;
  }

  /** Frames this viewer lost: to its own slowness or to losses upstream. */
  get dropped(): number {
    return this.queue.dropped;
  }

  /** @internal the stream's call; `continuous: false` after a loss, so the viewer waits for a key frame. */
  offer(frame: StreamFrame, continuous: boolean): number {
    if (this.closed) return 0;
    const dropped = this.queue.push(frame, continuous);
    // Also said when this frame itself was dropped but older ones wait: harmless, `read` tells.
    if (this.queue.length > 0) this.emit('readable');
    return dropped;
  }
}
