import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  FRAME_HEADER_LENGTH,
  decodeFrameHeader,
  encodeFrameHeader,
  startsWithFrameMagic,
} from '../../nodes/wire/frame-header';
import { frameHeaderArb } from '../video/helpers';
import { assertDecoded, bytesUpTo, expectError, expectOk, hex, mutationsArb, mutate } from './helpers';

describe('video frame header (PROTOCOL.md §7.3)', () => {
  test('a hand-built header decodes field by field', () => {
    const bytes = hex(
      '55 aa 15 a8 00 02 2c 01 00 f1 53 65 07 00 00 00 10 27 00 00 01 02 03 04 05 06 07 08 ff ff 02 00',
    );
    assert.equal(bytes.length, FRAME_HEADER_LENGTH);
    const header = expectOk(decodeFrameHeader(bytes));
    assert.deepEqual(header, {
      type: 0,
      streamId: 2,
      milliseconds: 300,
      seconds: 0x6553f100,
      frameNumber: 7,
      frameLength: 10000,
      misc: hex('01 02 03 04 05 06 07 08'),
      sample: -1,
      index: 2,
    });
    assert.deepEqual(encodeFrameHeader(header), bytes);
  });

  test('round trip: encode then decode gives the same header', () => {
    fc.assert(
      fc.property(frameHeaderArb, (header) => {
        const bytes = encodeFrameHeader(header);
        assert.equal(bytes.length, FRAME_HEADER_LENGTH);
        assert.ok(startsWithFrameMagic(bytes));
        assert.deepEqual(expectOk(decodeFrameHeader(bytes)), header);
      }),
    );
  });

  test('bytes after the header are not part of it', () => {
    fc.assert(
      fc.property(frameHeaderArb, bytesUpTo(64), (header, tail) => {
        assert.deepEqual(expectOk(decodeFrameHeader(Buffer.concat([encodeFrameHeader(header), tail]))), header);
      }),
    );
  });

  test('too short and bad magic are typed errors', () => {
    expectError(decodeFrameHeader(Buffer.alloc(0)), 'too-short');
    expectError(decodeFrameHeader(hex('55 aa 15 a8')), 'too-short');
    expectError(decodeFrameHeader(Buffer.alloc(FRAME_HEADER_LENGTH)), 'bad-magic');
    assert.equal(startsWithFrameMagic(hex('55 aa 15')), false);
  });

  test('any bytes, and any mutation of a header, decode without throwing', () => {
    fc.assert(
      fc.property(bytesUpTo(80), (bytes) => {
        assertDecoded(decodeFrameHeader(bytes));
      }),
    );
    fc.assert(
      fc.property(frameHeaderArb, mutationsArb, (header, mutations) => {
        assertDecoded(decodeFrameHeader(mutate(encodeFrameHeader(header), mutations)));
      }),
    );
  });
});
