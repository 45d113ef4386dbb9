import { splitFrameIntoPayloads } from '../video/frame-splitter';
import { H264_NAL } from '../video/nal';
import { CLIP_FRAME_RATE, type ClipFrame } from './media/clip';
import { ClipPlayer } from './media/clip-player';
import { sharedClipFrames } from './media/library';

/** Losses the emulator puts on its own video DRWs so a client's reassembly is tested under them. */
export interface VideoImpairments {
  /** Share (0..1) of video DRWs never sent: their index is used up, so the client sees a gap. */
  readonly dropFraction: number;
  /** Share (0..1) of video DRWs sent after the one that follows them. */
  readonly reorderFraction: number;
}

export interface VideoDrw {
  readonly index: number;
  readonly data: Buffer;
}

export interface PlayedVideo {
  readonly drws: readonly VideoDrw[];
  readonly frames: number;
  /** DRWs lost on purpose (`dropFraction`). */
  readonly dropped: number;
  /** DRWs sent after their successor on purpose (`reorderFraction`). */
  readonly reordered: number;
}

/**
 * The camera's DRW channel 1 of one session (PROTOCOL.md §7.3), sans-I/O: while a `livestream.cgi`
 * start is in force it plays the clip in a loop in real time, each frame behind its 32-byte header
 * and cut into DRW payloads. Indices count on across stops and starts, as they belong to the
 * session, not to one stream.
 *
 * Video DRWs are not kept for retransmission: the camera sends video as an unpaced burst
 * (PROTOCOL.md §7.1), a frame resent a few hundred ms late is worth less than the next one, and an
 * emulator that never resends is the hard case for the client, which must get past every gap.
 */
export class VideoChannel {
  private nextIndex = 0;
  private player: ClipPlayer | undefined;
  /** Appended to every access unit while playing, to reach a bitrate the clip alone does not. */
  private filler: Buffer | undefined;

  get playing(): boolean {
    return this.player !== undefined;
  }

  /**
   * Starts the clip from its first (key) frame, due at once; a start while playing changes nothing.
   * `bitrateKbps` above the clip's own rate pads every frame with filler data to reach it on average.
   */
  start(nowMs: number, substream: number, bitrateKbps = 0): void {
    if (this.player) return;
    const frames = sharedClipFrames();
    this.player = new ClipPlayer(frames, nowMs, { frameRate: CLIP_FRAME_RATE, streamId: substream });
    this.filler = fillerForBitrate(frames, bitrateKbps);
  }

  stop(): void {
    this.player = undefined;
    this.filler = undefined;
  }

  /** When the next frame is due; undefined while stopped. */
  nextDueMs(): number | undefined {
    return this.player?.nextDueMs;
  }

  /** The DRWs of every frame due at `nowMs`. `random` is drawn only for an impairment that is set. */
  due(nowMs: number, random: () => number, impairments: VideoImpairments): PlayedVideo {
    const frames = this.player?.due(nowMs) ?? [];
    const drws: VideoDrw[] = [];
    let dropped = 0;
    let reordered = 0;
    let heldBack: VideoDrw | undefined;
    for (const frame of frames) {
      const data = this.filler ? Buffer.concat([frame.data, this.filler]) : frame.data;
      for (const payload of splitFrameIntoPayloads(frame.header, data)) {
        const drw = { index: this.nextIndex, data: payload };
        this.nextIndex = (this.nextIndex + 1) & 0xffff;
        if (impairments.dropFraction > 0 && random() < impairments.dropFraction) {
          dropped++;
          continue;
        }
        if (heldBack) {
          drws.push(drw, heldBack);
          heldBack = undefined;
          reordered++;
        } else if (impairments.reorderFraction > 0 && random() < impairments.reorderFraction) heldBack = drw;
        else drws.push(drw);
      }
    }
    // Reordering stays inside one burst: a DRW is never held back until the next frame is due.
    if (heldBack) drws.push(heldBack);
    return { drws, frames: frames.length, dropped, reordered };
  }
}

/** Start code, NAL header, trailing bits: the smallest filler NAL unit is this many bytes. */
const MIN_FILLER_BYTES = 6;

/**
 * One H.264 filler data NAL unit (type 12, H.264 §7.3.2.7) that brings the clip's average frame up
 * to `bitrateKbps`, or undefined when the clip alone is at least that heavy. Filler comes after the
 * picture's slices, as the standard wants; decoders skip it and the MP4 muxer leaves it out, so
 * the picture is unchanged while the transport carries the heavier stream.
 */
export function fillerForBitrate(frames: readonly ClipFrame[], bitrateKbps: number): Buffer | undefined {
  if (frames.length === 0 || !(bitrateKbps > 0)) return undefined;
  const clipBytesPerFrame = frames.reduce((total, frame) => total + frame.data.length, 0) / frames.length;
  const targetBytesPerFrame = (bitrateKbps * 1000) / 8 / CLIP_FRAME_RATE;
  const size = Math.round(targetBytesPerFrame - clipBytesPerFrame);
  if (size < MIN_FILLER_BYTES) return undefined;
  // 0xff payload bytes can never form a start code or need emulation prevention; 0x80 is the rbsp stop bit.
  const filler = Buffer.alloc(size, 0xff);
  filler.writeUInt32BE(1, 0);
  filler[4] = H264_NAL.filler;
  filler[size - 1] = 0x80;
  return filler;
}
