import { FRAME_TYPE_KEY, FRAME_TYPE_PREDICTED, type FrameHeader } from '../../wire/frame-header';
import { type ClipFrame } from './clip';

/**
 * Plays a clip in a loop in real time, sans-I/O: the caller says what time it is and gets the
 * frames now due, with the header fields a camera would write (Unix seconds + milliseconds of the
 * moment the frame is due, a growing frame number, type 0 for key frames and 1 otherwise).
 *
 * A caller that was late (a busy event loop) does not get a burst: at most `maxCatchUpFrames`
 * frames come out, and playback skips ahead to the present from the next key frame on, as a
 * camera that dropped frames would.
 */

export type PlayedFrame = { readonly header: Omit<FrameHeader, 'frameLength'>; readonly data: Buffer };

export interface ClipPlayerOptions {
  readonly frameRate: number;
  readonly streamId?: number;
  /** 4: more than that late and the player resynchronises instead of bursting. */
  readonly maxCatchUpFrames?: number;
}

export class ClipPlayer {
  /** Due times are counted from an anchor, not summed, so they do not drift with rounding. */
  private anchorMs: number;
  private framesSinceAnchor = 0;
  private clipPosition = 0;
  private frameNumber = 0;
  private readonly maxCatchUpFrames: number;

  constructor(
    private readonly frames: readonly ClipFrame[],
    startMs: number,
    private readonly options: ClipPlayerOptions,
  ) {
    this.maxCatchUpFrames = options.maxCatchUpFrames ?? 4;
    this.anchorMs = startMs;
  }

  /** The frames due at `nowMs`, in order. */
  due(nowMs: number): PlayedFrame[] {
    const out: PlayedFrame[] = [];
    if (this.frames.length === 0) return out;
    while (this.nextFrameDueMs <= nowMs && out.length < this.maxCatchUpFrames) {
      out.push(this.play());
    }
    if (this.nextFrameDueMs <= nowMs) this.skipToPresent(nowMs);
    return out;
  }

  /** When the next frame is due: the caller's timer target. */
  get nextDueMs(): number {
    return this.nextFrameDueMs;
  }

  private get nextFrameDueMs(): number {
    return this.anchorMs + (this.framesSinceAnchor * 1000) / this.options.frameRate;
  }

  private play(): PlayedFrame {
    const frame = this.frames[this.clipPosition] ?? { data: Buffer.alloc(0), key: false };
    const dueMs = Math.round(this.nextFrameDueMs);
    const played: PlayedFrame = {
      header: {
        type: frame.key ? FRAME_TYPE_KEY : FRAME_TYPE_PREDICTED,
        streamId: this.options.streamId ?? 0,
        milliseconds: dueMs % 1000,
        seconds: Math.floor(dueMs / 1000),
        frameNumber: this.frameNumber,
        misc: Buffer.alloc(8),
        sample: 0,
        index: 0,
      },
      data: frame.data,
    };
    this.frameNumber = (this.frameNumber + 1) >>> 0;
    this.clipPosition = (this.clipPosition + 1) % this.frames.length;
    this.framesSinceAnchor++;
    return played;
  }

  /** Too late to catch up: continue from the next key frame of the clip, due now. */
  private skipToPresent(nowMs: number): void {
    for (let step = 0; step < this.frames.length && !(this.frames[this.clipPosition]?.key ?? true); step++) {
      this.clipPosition = (this.clipPosition + 1) % this.frames.length;
    }
    this.anchorMs = nowMs;
    this.framesSinceAnchor = 0;
  }
}
