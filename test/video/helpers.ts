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
