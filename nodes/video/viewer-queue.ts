/**
 * The frames waiting for one viewer (an HTTP response, a flow), bounded. A viewer that reads
 * slower than the camera sends loses whole runs of frames up to the next key frame, never single
 * frames out of the middle of a GOP (which would leave the decoder with a broken picture until
 * the next key frame anyway). Memory is capped by `maxFrames` and `maxBytes`, whatever the viewer
 * does.
 */

export interface QueuedFrame {
  readonly key: boolean;
  readonly byteLength: number;
}

export interface ViewerQueueLimits {
  /** Frames held at most. */
  readonly maxFrames: number;
  /** Bytes held at most (sum of `byteLength`). */
  readonly maxBytes: number;
}

/**
 * 4 MiB and 150 frames: about two GOPs of a 1080p stream at 2 Mbit/s, or ten seconds at 15 fps;
 * a viewer further behind than that is better served from the next key frame.
 */
export const DEFAULT_VIEWER_QUEUE_LIMITS: ViewerQueueLimits = { maxFrames: 150, maxBytes: 4 * 1024 * 1024 };

export class ViewerQueue<T extends QueuedFrame> {
  private frames: T[] = [];
  private bytes = 0;
  private waitingForKey = true;
  private droppedTotal = 0;

  constructor(private readonly limits: ViewerQueueLimits = DEFAULT_VIEWER_QUEUE_LIMITS) {}

  /**
   * Queues a frame; returns how many frames were dropped for it (including itself). A viewer
   * starts at a key frame, and `continuous: false` (a frame was lost upstream) makes it wait for
   * the next one.
   */
  push(frame: T, continuous = true): number {
    if (!continuous) this.waitingForKey = true;
    if (this.waitingForKey && !frame.key) return this.count(1);
    if (frame.byteLength > this.limits.maxBytes) {
      this.waitingForKey = true;
      return this.count(1);
    }
    let dropped = 0;
    while (this.frames.length > 0 && !this.fits(frame)) dropped += this.dropThroughNextKey();
    if (dropped > 0 && this.frames.length === 0 && !frame.key) {
      // The run just dropped was this frame's own GOP, key frame included: it cannot be decoded.
      this.waitingForKey = true;
      return this.count(dropped + 1);
    }
    this.waitingForKey = false;
    this.frames.push(frame);
    this.bytes += frame.byteLength;
    return this.count(dropped);
  }

  /** The oldest frame, removed from the queue. */
  shift(): T | undefined {
    const frame = this.frames.shift();
    if (frame !== undefined) this.bytes -= frame.byteLength;
    return frame;
  }

  get length(): number {
    return this.frames.length;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** Frames dropped since the queue was made. */
  get dropped(): number {
    return this.droppedTotal;
  }

  private fits(frame: T): boolean {
    return this.frames.length + 1 <= this.limits.maxFrames && this.bytes + frame.byteLength <= this.limits.maxBytes;
  }

  /** Drops the head frame and everything after it up to (not including) the next key frame. */
  private dropThroughNextKey(): number {
    let dropped = 0;
    do {
      const frame = this.frames.shift();
      if (frame === undefined) break;
      this.bytes -= frame.byteLength;
      dropped++;
    } while (this.frames.length > 0 && !(this.frames[0]?.key ?? false));
    return dropped;
  }

  private count(dropped: number): number {
    this.droppedTotal += dropped;
    return dropped;
  }
}
