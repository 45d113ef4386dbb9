import { type Decoded, fail, ok } from './result';

/**
 * The 32-byte little-endian header in front of every video frame on DRW channel 1
 * (PROTOCOL.md §7.3). The frame's bytes follow it, in the same DRW and the consecutive ones.
 */

export const FRAME_HEADER_LENGTH = 32;
/** `55 aa 15 a8` on the wire. */
const FRAME_MAGIC = Buffer.from([0x55, 0xaa, 0x15, 0xa8]);
const MISC_LENGTH = 8;

/** The header's type byte for a key frame and for a predicted frame (H.264; H.265 models add 0x10). */
export const FRAME_TYPE_KEY = 0x00;
export const FRAME_TYPE_PREDICTED = 0x01;

export interface FrameHeader {
  /** 0 = I frame, 1 = P frame; 0x10 / 0x11 reported on H.265 models. Not trusted for key frames. */
  readonly type: number;
  readonly streamId: number;
  /** 0..999 in practice; u16 on the wire. */
  readonly milliseconds: number;
  /** Unix time, u32. */
  readonly seconds: number;
  readonly frameNumber: number;
  /** Bytes of frame data after the header. */
  readonly frameLength: number;
  /** Version, resolution, session id, currsit, endflag, byzone, channel, type1: kept, not interpreted. */
  readonly misc: Buffer;
  /** i16. */
  readonly sample: number;
  /** i16. */
  readonly index: number;
}

export function encodeFrameHeader(header: FrameHeader): Buffer {
  const buf = Buffer.alloc(FRAME_HEADER_LENGTH);
  FRAME_MAGIC.copy(buf, 0);
  buf.writeUInt8(header.type & 0xff, 4);
  buf.writeUInt8(header.streamId & 0xff, 5);
  buf.writeUInt16LE(header.milliseconds & 0xffff, 6);
  buf.writeUInt32LE(header.seconds >>> 0, 8);
  buf.writeUInt32LE(header.frameNumber >>> 0, 12);
  buf.writeUInt32LE(header.frameLength >>> 0, 16);
  header.misc.copy(buf, 20, 0, MISC_LENGTH);
  buf.writeInt16LE((header.sample << 16) >> 16, 28);
  buf.writeInt16LE((header.index << 16) >> 16, 30);
  return buf;
}

/** True when `data` starts with the header magic (a cheap test before a full decode). */
export function startsWithFrameMagic(data: Buffer): boolean {
  return data.length >= FRAME_MAGIC.length && data.subarray(0, FRAME_MAGIC.length).equals(FRAME_MAGIC);
}

/** Decodes the header at the start of `data`; the bytes after the first 32 are not looked at. */
export function decodeFrameHeader(data: Buffer): Decoded<FrameHeader> {
  if (data.length < FRAME_HEADER_LENGTH) {
    return fail('too-short', `frame header needs ${FRAME_HEADER_LENGTH} bytes, got ${data.length}`);
  }
  if (!startsWithFrameMagic(data)) return fail('bad-magic', 'frame header does not start with 55 aa 15 a8');
  return ok({
    type: data.readUInt8(4),
    streamId: data.readUInt8(5),
    milliseconds: data.readUInt16LE(6),
    seconds: data.readUInt32LE(8),
    frameNumber: data.readUInt32LE(12),
    frameLength: data.readUInt32LE(16),
    misc: Buffer.from(data.subarray(20, 20 + MISC_LENGTH)),
    sample: data.readInt16LE(28),
    index: data.readInt16LE(30),
  });
}
