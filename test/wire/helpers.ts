// Shared helpers for the wire codec tests (not a test file itself: no `.test.ts`).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type Decoded, type DecodeErrorCode } from '../../nodes/wire/result';

/** Every error code a decoder may return; anything else is a bug. */
export const ERROR_CODES: readonly DecodeErrorCode[] = ['too-short', 'bad-magic', 'bad-length', 'bad-field'];

/** `hex('f1 30 00 00')`: whitespace is ignored. */
export function hex(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  assert.match(clean, /^(?:[0-9a-fA-F]{2})*$/, `bad hex literal ${text}`);
  return Buffer.from(clean, 'hex');
}

/** Lower-case hex with single spaces, for readable assertion messages. */
export function toHex(buf: Buffer): string {
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Returns the value of an ok result, or fails the test with the error. */
export function expectOk<T>(result: Decoded<T>): T {
  if (!result.ok) assert.fail(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** Asserts a result is an error with this code. */
export function expectError<T>(result: Decoded<T>, code: DecodeErrorCode): void {
  if (result.ok) assert.fail(`expected error ${code}, got ok ${JSON.stringify(result.value)}`);
  assert.equal(result.error.code, code, result.error.message);
  assert.equal(typeof result.error.message, 'string');
  assert.ok(result.error.message.length > 0);
}

/** Asserts the shape of any decoder result: ok with a value, or a typed error. */
export function assertDecoded<T>(result: Decoded<T>): void {
  assert.equal(typeof result, 'object');
  if (result.ok) {
    assert.equal(result.ok, true);
    assert.ok('value' in result);
    return;
  }
  assert.equal(result.ok, false);
  assert.ok(ERROR_CODES.includes(result.error.code), `untyped error code ${String(result.error.code)}`);
  assert.equal(typeof result.error.message, 'string');
}

/** One edit of a byte string: what a lossy or hostile network does to a datagram. */
export type Mutation =
  | { readonly op: 'flip'; readonly at: number; readonly mask: number }
  | { readonly op: 'set'; readonly at: number; readonly value: number }
  | { readonly op: 'truncate'; readonly at: number }
  | { readonly op: 'extend'; readonly bytes: Uint8Array }
  | { readonly op: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly op: 'delete'; readonly at: number; readonly count: number };

const position = fc.nat({ max: 4096 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record(
    { op: fc.constant('flip' as const), at: position, mask: fc.integer({ min: 1, max: 255 }) },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      op: fc.constant('set' as const),
      at: position,
      value: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xd0, 0xd1, 0xf1, 0xff),
    },
    { noNullPrototype: true },
  ),
  fc.record({ op: fc.constant('truncate' as const), at: position }, { noNullPrototype: true }),
  fc.record(
    { op: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) },
    { noNullPrototype: true },
  ),
  fc.record(
    { op: fc.constant('insert' as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) },
    { noNullPrototype: true },
  ),
  fc.record(
    { op: fc.constant('delete' as const), at: position, count: fc.integer({ min: 1, max: 8 }) },
    { noNullPrototype: true },
  ),
);

/** Applies the edits in order; positions wrap around the current length. Never mutates `base`. */
export function mutate(base: Buffer, mutations: readonly Mutation[]): Buffer {
  let buf = Buffer.from(base);
  for (const m of mutations) {
    const at = buf.length === 0 ? 0 : m.op === 'extend' ? 0 : m.at % (buf.length + 1);
    switch (m.op) {
      case 'flip':
        if (at < buf.length) buf[at] = (buf[at] ?? 0) ^ m.mask;
        break;
      case 'set':
        if (at < buf.length) buf[at] = m.value;
        break;
      case 'truncate':
        buf = buf.subarray(0, at);
        break;
      case 'extend':
        buf = Buffer.concat([buf, m.bytes]);
        break;
      case 'insert':
        buf = Buffer.concat([buf.subarray(0, at), m.bytes, buf.subarray(at)]);
        break;
      case 'delete':
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.count)]);
        break;
    }
  }
  return buf;
}

export const mutationsArb: fc.Arbitrary<Mutation[]> = fc.array(mutationArb, { minLength: 1, maxLength: 6 });

/** An upper-case ASCII letter string of 1..max letters (DID prefixes and check codes). */
export function upperLetters(max: number): fc.Arbitrary<string> {
  return fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: 1, maxLength: max });
}

/**
 * Bytes of up to `maxLength`: half the runs short, half spread over the whole range. fast-check's
 * default size would never go past about ten elements, whatever `maxLength` says.
 */
export function bytesUpTo(maxLength: number, minLength = 0): fc.Arbitrary<Buffer> {
  return fc
    .oneof(fc.uint8Array({ minLength, maxLength }), fc.uint8Array({ minLength, maxLength, size: 'max' }))
    .map((a) => Buffer.from(a));
}

/** Strings of up to `maxLength` units, short and long alike (see `bytesUpTo`). */
export function stringUpTo(
  maxLength: number,
  unit: 'grapheme' | 'grapheme-ascii' | 'binary' | 'binary-ascii' | fc.Arbitrary<string> = 'grapheme-ascii',
  minLength = 0,
): fc.Arbitrary<string> {
  return fc.oneof(fc.string({ unit, minLength, maxLength }), fc.string({ unit, minLength, maxLength, size: 'max' }));
}

/** Arrays of up to `maxLength` items, short and long alike (see `bytesUpTo`). */
export function arrayUpTo<T>(item: fc.Arbitrary<T>, maxLength: number): fc.Arbitrary<T[]> {
  return fc.oneof(fc.array(item, { maxLength }), fc.array(item, { maxLength, size: 'max' }));
}
