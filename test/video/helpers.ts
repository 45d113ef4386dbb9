// Shared helpers for the video tests (not a test file itself: no `.test.ts`).
import fc from 'fast-check';
import { type FrameHeader } from '../../nodes/wire/frame-header';

export const frameHeaderArb: fc.Arbitrary<FrameHeader> = fc.record(
  {
    type: fc.constantFrom(0x00, 0x01, 0x10, 0x11, 0xff),
    streamId: fc.integer({ min: 0, max: 0xff }),
    milliseconds: fc.integer({ min: 0, max: 0xffff }),
    seconds: fc.integer({ min: 0, max: 0xffffffff }),
    frameNumber: fc.integer({ min: 0, max: 0xffffffff }),
    frameLength: fc.integer({ min: 0, max: 0xffffffff }),
    misc: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((a) => Buffer.from(a)),
    sample: fc.integer({ min: -0x8000, max: 0x7fff }),
    index: fc.integer({ min: -0x8000, max: 0x7fff }),
  },
  { noNullPrototype: true },
);

/** The media folder of the emulator's clip, from the sources. */
export const MEDIA_FOLDER = `${__dirname}/../../nodes/camera/media`;

/** Writes bits MSB first, with exp-Golomb codes: builds parameter sets for the parser tests. */
export class BitWriter {
  private readonly bitList: number[] = [];

  bits(value: number, count: number): this {
    for (let i = count - 1; i >= 0; i--) this.bitList.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  bit(value: boolean | number): this {
    return this.bits(value ? 1 : 0, 1);
  }

  ue(value: number): this {
    const code = value + 1;
    const length = Math.floor(Math.log2(code));
    return this.bits(0, length).bits(code, length + 1);
  }

  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** rbsp_trailing_bits: a 1, then zeros to the byte boundary. */
  toBytes(): Buffer {
    const bits = [...this.bitList, 1];
    while (bits.length % 8 !== 0) bits.push(0);
    const out = Buffer.alloc(bits.length / 8);
    bits.forEach((b, i) => {
      if (b) out[i >> 3] = (out[i >> 3] ?? 0) | (0x80 >> (i & 7));
    });
    return out;
  }
}

/** Inserts emulation-prevention bytes: `00 00 0x` (x <= 3) becomes `00 00 03 0x`. */
export function escapeRbsp(rbsp: Buffer): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}
