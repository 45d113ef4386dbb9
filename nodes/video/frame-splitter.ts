import { type FrameHeader, encodeFrameHeader } from '../wire/frame-header';

/**
 * The sending side of frame reassembly (the emulator's camera): a frame header and the frame's
 * bytes cut into DRW payloads, the first one starting with the header (PROTOCOL.md §7.3).
 */

/**
 * About what a camera puts in one DRW: a captured 7,205-byte snapshot came in 7 DRWs
 * (PROTOCOL.md §7.2), and it keeps a datagram well under a 1500-byte MTU.
 */
export const DEFAULT_VIDEO_PAYLOAD_BYTES = 1024;

/** The header's frameLength is set from `data`; `maxPayloadBytes` must leave room for the 32-byte header. */
export function splitFrameIntoPayloads(
  header: Omit<FrameHeader, 'frameLength'>,
  data: Buffer,
  maxPayloadBytes = DEFAULT_VIDEO_PAYLOAD_BYTES,
): Buffer[] {
  const size = Math.max(64, Math.floor(maxPayloadBytes));
  const bytes = Buffer.concat([encodeFrameHeader({ ...header, frameLength: data.length }), data]);
  const payloads: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) payloads.push(bytes.subarray(start, start + size));
  return payloads;
}
