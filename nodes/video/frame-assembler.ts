import { FRAME_HEADER_LENGTH, type FrameHeader, decodeFrameHeader, startsWithFrameMagic } from '../wire/frame-header';

/**
 * Reassembles video frames from the in-order payloads of DRW channel 1, sans-I/O (PROTOCOL.md
 * §7.3). A frame starts at a payload that begins with the 32-byte frame header and continues
 * through consecutive DRW indices until `frameLength` bytes arrived.
 *
 * Anything that makes a frame doubtful drops the whole frame and waits for the next header: a gap
 * in the indices, a new header before the frame is complete, or a last payload that runs past the
 * frame's length. So an emitted frame is always exactly the bytes the camera framed, never a
 * splice of two frames; a stream that is out of step costs frames, not a corrupt picture.
 *
 * Known limit: a continuation payload whose first four bytes happen to be `55 aa 15 a8` is taken
 * for a new header (about one payload in 2^32 of random data). The frame is then dropped, never
 * spliced, because the header's length check would not match. And a header that announces fewer
 * bytes than the camera sent, where the true end falls exactly on a DRW boundary, yields that
 * shorter frame: telling it apart would cost waiting for the next DRW on every frame.
 */

export interface VideoFrame {
  readonly header: FrameHeader;
  /** The frame's bytes after the header (H.264 or H.265 Annex-B); a copy owned by the caller. */
  readonly data: Buffer;
  /**
   * True when a frame was dropped (or junk skipped) since the previous emitted frame: a predicted
   * frame after a loss references a picture the decoder never saw, so consumers wait for a key frame.
   */
  readonly afterLoss: boolean;
}

export type FrameDropReason =
  /** A DRW index was skipped inside the frame. */
  | 'gap'
  /** A new header arrived before the frame was complete. */
  | 'interrupted'
  /** The frame's last payload ran past its length and did not start a new header. */
  | 'overrun'
  /** The header announced more than `maxFrameBytes`. */
  | 'too-large';

export interface AssemblerOutput {
  readonly frames: readonly VideoFrame[];
  readonly dropped: readonly FrameDropReason[];
  /** Bytes thrown away while waiting for a header (the tail of a dropped frame, junk). */
  readonly skippedBytes: number;
}

/**
 * 2 MiB: a key frame of a 4 MP camera at a high bit rate is a few hundred KiB; anything near this
 * size is a corrupt or hostile header. It is also the most this assembler ever buffers.
 */
export const DEFAULT_MAX_FRAME_BYTES = 2 * 1024 * 1024;

interface Collecting {
  readonly header: FrameHeader;
  readonly chunks: Buffer[];
  received: number;
  nextIndex: number;
}

export class FrameAssembler {
  private collecting: Collecting | undefined;
  private lossSinceLastFrame = false;

  /** `maxFrameBytes` caps one frame, and so the bytes held at any time. */
  constructor(private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {}

  /** Feeds one DRW's data with its index (u16), in delivery order. */
  push(index: number, payload: Buffer): AssemblerOutput {
    const frames: VideoFrame[] = [];
    const dropped: FrameDropReason[] = [];
    let skippedBytes = 0;
    const drop = (reason: FrameDropReason): void => {
      dropped.push(reason);
      this.collecting = undefined;
      this.lossSinceLastFrame = true;
    };
    const emit = (header: FrameHeader, data: Buffer): void => {
      frames.push({ header, data, afterLoss: this.lossSinceLastFrame });
      this.lossSinceLastFrame = false;
    };

    let rest = payload;
    const current = this.collecting;
    if (current !== undefined) {
      if ((index & 0xffff) !== current.nextIndex) drop('gap');
      else if (startsWithFrameMagic(payload)) drop('interrupted');
      else {
        const missing = current.header.frameLength - current.received;
        const piece = payload.subarray(0, missing);
        rest = payload.subarray(piece.length);
        // One frame per DRW is the rule; a next header sharing the DRW is tolerated, but other
        // bytes past the end mean the announced length was wrong.
        if (rest.length > 0 && !startsWithFrameMagic(rest)) {
          drop('overrun');
          return { frames, dropped, skippedBytes: rest.length };
        }
        // A copy: the caller may reuse its datagram buffers before the frame is complete.
        current.chunks.push(Buffer.from(piece));
        current.received += piece.length;
        current.nextIndex = (current.nextIndex + 1) & 0xffff;
        if (current.received === current.header.frameLength) {
          this.collecting = undefined;
          emit(current.header, Buffer.concat(current.chunks, current.received));
        }
        if (rest.length === 0) return { frames, dropped, skippedBytes };
      }
    }

    // Waiting for a header: every frame that starts in this payload.
    while (rest.length > 0) {
      const decoded = decodeFrameHeader(rest);
      if (!decoded.ok) {
        skippedBytes += rest.length;
        this.lossSinceLastFrame = true;
        break;
      }
      const header = decoded.value;
      if (header.frameLength > this.maxFrameBytes) {
        drop('too-large');
        skippedBytes += rest.length;
        break;
      }
      const body = rest.subarray(FRAME_HEADER_LENGTH);
      if (body.length < header.frameLength) {
        const chunk = Buffer.from(body);
        this.collecting = { header, chunks: [chunk], received: chunk.length, nextIndex: (index + 1) & 0xffff };
        break;
      }
      rest = body.subarray(header.frameLength);
      if (rest.length > 0 && !startsWithFrameMagic(rest)) {
        drop('overrun');
        skippedBytes += rest.length;
        break;
      }
      emit(header, Buffer.from(body.subarray(0, header.frameLength)));
    }
    return { frames, dropped, skippedBytes };
  }

  /** Bytes of the frame being collected: never more than `maxFrameBytes`. */
  get bufferedBytes(): number {
    return this.collecting?.received ?? 0;
  }

  /** Forgets a partial frame, e.g. when the stream is stopped and started again. */
  reset(): void {
    if (this.collecting !== undefined) this.lossSinceLastFrame = true;
    this.collecting = undefined;
  }
}
