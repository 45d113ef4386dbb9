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
  /** Put into every access unit while playing, to reach a bitrate the clip alone does not. */
  private padding: Buffer | undefined;

  get playing(): boolean {
    return this.player !== undefined;
  }

  /**
   * Starts the clip from its first (key) frame, due at once; a start while playing changes nothing.
   * `bitrateKbps` above the clip's own rate pads every frame with an SEI unit to reach it on average.
   */
  start(nowMs: number, substream: number, bitrateKbps = 0): void {
    if (this.player) return;
    const frames = sharedClipFrames();
    this.player = new ClipPlayer(frames, nowMs, { frameRate: CLIP_FRAME_RATE, streamId: substream });
    this.padding = paddingForBitrate(frames, bitrateKbps);
  }

  stop(): void {
    this.player = undefined;
    this.padding = undefined;
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
      const data = this.padding ? padAccessUnit(frame.data, this.padding) : frame.data;
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

/** Start code, NAL header, payload type, and the stop bit after the payload. */
const SEI_FIXED_BYTES = 4 + 1 + 1 + 1;
/** user_data_unregistered (H.264 D.1.6): decoders skip a UUID they do not know. */
const SEI_USER_DATA_UNREGISTERED = 5;
/** The padding's UUID: ASCII, so no zero byte anywhere in the unit and no emulation prevention needed. */
const PADDING_UUID = Buffer.from('vstar-sim-pad-v1', 'latin1');
/** Below this the padding is not worth a unit. */
const MIN_PADDING_BYTES = 256;

/**
 * The SEI NAL unit (user_data_unregistered) that brings the clip's average frame up to
 * `bitrateKbps`, or undefined when the clip alone is at least that heavy. SEI rather than filler
 * data (type 12): the MP4 muxer leaves filler out, so MP4 viewers would not carry the load, while
 * SEI goes into the samples and every viewer gets the full bitrate. Decoders skip an unknown UUID,
 * so the picture is unchanged.
 */
export function paddingForBitrate(frames: readonly ClipFrame[], bitrateKbps: number): Buffer | undefined {
  if (frames.length === 0 || !(bitrateKbps > 0)) return undefined;
  const clipBytesPerFrame = frames.reduce((total, frame) => total + frame.data.length, 0) / frames.length;
  const targetBytesPerFrame = (bitrateKbps * 1000) / 8 / CLIP_FRAME_RATE;
  const wanted = Math.round(targetBytesPerFrame - clipBytesPerFrame);
  if (wanted < MIN_PADDING_BYTES) return undefined;
  // The payload size is coded as a run of 0xff bytes plus a last byte below 255 (H.264 7.3.2.3.1),
  // one size byte per 255 payload bytes.
  const spare = wanted - SEI_FIXED_BYTES;
  const payloadSize = spare - Math.ceil(spare / 256);
  const sizeBytes = [...Array<number>(Math.floor(payloadSize / 255)).fill(0xff), payloadSize % 255];
  const head = Buffer.from([0, 0, 0, 1, H264_NAL.sei, SEI_USER_DATA_UNREGISTERED, ...sizeBytes]);
  // 0xff payload bytes can never form a start code; 0x80 is the rbsp stop bit.
  const body = Buffer.alloc(payloadSize - PADDING_UUID.length + 1, 0xff);
  body[body.length - 1] = 0x80;
  return Buffer.concat([head, PADDING_UUID, body]);
}

/** `padding` put in front of the access unit's first slice, where H.264 wants SEI (§7.4.1.2.3). */
export function padAccessUnit(data: Buffer, padding: Buffer): Buffer {
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] !== 0 || data[i + 1] !== 0 || data[i + 2] !== 1) continue;
    const type = (data[i + 3] ?? 0) & 0x1f;
    if (type < H264_NAL.slice || type > H264_NAL.idrSlice) continue;
    const at = i > 0 && data[i - 1] === 0 ? i - 1 : i;
    return Buffer.concat([data.subarray(0, at), padding, data.subarray(at)]);
  }
  return data;
}
