/**
 * ISO BMFF (MP4) box writing: a box is a u32 size, a four-letter type and its payload. Boxes are
 * built bottom-up from Buffers, so every size is computed from what is really inside it.
 */

export function box(type: string, ...payload: readonly Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 4, 'latin1');
  return Buffer.concat([header, body]);
}

/** A "full box": version (u8) and 24 bits of flags before the payload. */
export function fullBox(type: string, version: number, flags: number, ...payload: readonly Buffer[]): Buffer {
  const versionAndFlags = Buffer.alloc(4);
  versionAndFlags.writeUInt32BE(((version & 0xff) << 24) | (flags & 0xffffff), 0);
  return box(type, versionAndFlags, ...payload);
}

export function u8(value: number): Buffer {
  return Buffer.from([value & 0xff]);
}

export function u16(value: number): Buffer {
  const buf = Buffer.alloc(2);
  buf.writeUInt16BE(value & 0xffff, 0);
  return buf;
}

export function u32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt32BE(value >>> 0, 0);
  return buf;
}

export function i32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeInt32BE(value | 0, 0);
  return buf;
}

/** Decode times grow past 2^32 ticks after 13 hours at 90 kHz: tfdt uses 64 bits. */
export function u64(value: number): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(value))), 0);
  return buf;
}

export function zeros(length: number): Buffer {
  return Buffer.alloc(length);
}

/** The identity transformation matrix of mvhd and tkhd (16.16 and 2.30 fixed point). */
export const UNITY_MATRIX = Buffer.concat([0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000].map(u32));
