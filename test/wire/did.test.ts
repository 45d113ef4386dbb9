import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Did,
  DID_WIRE_LENGTH,
  decodeDid,
  didToUid,
  encodeDid,
  formatDid,
  normalizeUid,
  parseDid,
  sameDid,
} from '../../nodes/wire/did';
import { expectError, expectOk, hex, toHex, upperLetters } from './helpers';

/** The DIDs of PROTOCOL.md §3's public vectors: the 20 payload bytes after the `f1 4x 00 14` header. */
const VECTORS: ReadonlyArray<{ text: string; did: Did; wire: string }> = [
  {
    text: 'BATD-156362-WONJM',
    did: { prefix: 'BATD', serial: 156362, check: 'WONJM' },
    wire: '42 41 54 44 00 00 00 00 00 02 62 ca 57 4f 4e 4a 4d 00 00 00',
  },
  {
    text: 'XHA-000994-KMMEB',
    did: { prefix: 'XHA', serial: 994, check: 'KMMEB' },
    wire: '58 48 41 00 00 00 00 00 00 00 03 e2 4b 4d 4d 45 42 00 00 00',
  },
  {
    text: 'BATC-609531-EXLVS',
    did: { prefix: 'BATC', serial: 609531, check: 'EXLVS' },
    wire: '42 41 54 43 00 00 00 00 00 09 4c fb 45 58 4c 56 53 00 00 00',
  },
  {
    text: 'FTYB-492321-INQAX',
    did: { prefix: 'FTYB', serial: 492321, check: 'INQAX' },
    wire: '46 54 59 42 00 00 00 00 00 07 83 21 49 4e 51 41 58 00 00 00',
  },
];

const didArb: fc.Arbitrary<Did> = fc.record(
  {
    prefix: upperLetters(7),
    serial: fc.nat({ max: 0xffffffff }),
    check: upperLetters(7),
  },
  { noNullPrototype: true },
);

describe('DID vectors (PROTOCOL.md §3)', () => {
  for (const v of VECTORS) {
    test(`${v.text}: decode, encode, text forms`, () => {
      const wire = hex(v.wire);
      assert.equal(wire.length, DID_WIRE_LENGTH);
      const decoded = expectOk(decodeDid(wire));
      assert.deepEqual(decoded, v.did);
      assert.equal(formatDid(decoded), v.text);
      assert.equal(toHex(encodeDid(v.did)), toHex(wire));
      assert.deepEqual(parseDid(v.text), v.did);
      assert.deepEqual(parseDid(v.text.replace(/-/g, '')), v.did);
      assert.deepEqual(parseDid(v.text.toLowerCase()), v.did);
      assert.deepEqual(parseDid(v.text.replace(/-/g, '').toLowerCase()), v.did);
      assert.equal(didToUid(v.did), v.text.replace(/-/g, ''));
    });
  }

  test('the serial is zero-padded to six digits in both text forms', () => {
    const did = { prefix: 'XHA', serial: 994, check: 'KMMEB' };
    assert.equal(formatDid(did), 'XHA-000994-KMMEB');
    assert.equal(didToUid(did), 'XHA000994KMMEB');
    assert.equal(formatDid({ prefix: 'A', serial: 0, check: 'B' }), 'A-000000-B');
    // Longer serials are not cut.
    assert.equal(formatDid({ prefix: 'A', serial: 4294967295, check: 'B' }), 'A-4294967295-B');
  });

  test('the DH reply UID of PROTOCOL.md §2 parses and normalises', () => {
    const did = { prefix: 'VSTB', serial: 668515, check: 'UZCPK' };
    assert.deepEqual(parseDid('VSTB668515UZCPK'), did);
    assert.deepEqual(parseDid('VSTB-668515-UZCPK'), did);
    assert.deepEqual(parseDid('  vstb-668515-uzcpk \n'), did);
    assert.equal(normalizeUid('vstb-668515-uzcpk'), 'VSTB668515UZCPK');
    assert.equal(normalizeUid('VSTB668515UZCPK'), 'VSTB668515UZCPK');
    assert.equal(normalizeUid('not a uid'), undefined);
  });
});

describe('DID text parsing rejects what is not a DID', () => {
  const bad = [
    '',
    '-',
    '123456',
    'VSTB',
    'VSTB-UZCPK',
    'VSTB--668515-UZCPK',
    'VSTB-668515-',
    '-668515-UZCPK',
    'ABCDEFGH-668515-UZCPK', // 8-letter prefix does not fit the wire field with its NUL
    'VSTB-668515-ABCDEFGH',
    'VSTB-4294967296-UZCPK', // serial above u32
    'VSTB-12345678901-UZCPK', // 11 digits
    'VSTB-66a515-UZCPK',
    'VSTB-668515-UZ1PK',
    'VSTB_668515_UZCPK',
    'ВСТБ-668515-UZCPK',
    'VSTB-６６８５１５-UZCPK',
  ];
  for (const text of bad) {
    test(JSON.stringify(text), () => assert.equal(parseDid(text), undefined));
  }

  test('the largest u32 serial is accepted', () => {
    assert.deepEqual(parseDid('VSTB-4294967295-UZCPK'), { prefix: 'VSTB', serial: 0xffffffff, check: 'UZCPK' });
  });
});

describe('DID wire decoding', () => {
  test('too short', () => {
    expectError(decodeDid(Buffer.alloc(19)), 'too-short');
    expectError(decodeDid(Buffer.alloc(0)), 'too-short');
    expectError(decodeDid(Buffer.alloc(20), 1), 'too-short');
  });

  test('reads at an offset', () => {
    const v = VECTORS[0];
    assert.ok(v);
    const buf = Buffer.concat([hex('f1 41 00 14'), hex(v.wire)]);
    assert.deepEqual(expectOk(decodeDid(buf, 4)), v.did);
  });

  test('a bad offset is an error, not an exception', () => {
    const buf = Buffer.alloc(64);
    for (const offset of [-1, -20, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectError(decodeDid(buf, offset), 'bad-field');
    }
  });

  test('an 8-byte field with no NUL is read whole; encoding keeps the NUL', () => {
    const buf = Buffer.from('ABCDEFGH\x00\x00\x00\x01IJKLMNOP', 'latin1');
    assert.deepEqual(expectOk(decodeDid(buf)), { prefix: 'ABCDEFGH', serial: 1, check: 'IJKLMNOP' });
    const encoded = encodeDid({ prefix: 'ABCDEFGH', serial: 1, check: 'IJKLMNOP' });
    assert.equal(encoded[7], 0);
    assert.equal(encoded[19], 0);
  });

  test('encodeDid writes into a target at an offset and leaves the rest alone', () => {
    const target = Buffer.alloc(30, 0xaa);
    encodeDid({ prefix: 'XHA', serial: 994, check: 'KMMEB' }, target, 5);
    assert.equal(toHex(target.subarray(0, 5)), 'aa aa aa aa aa');
    assert.equal(toHex(target.subarray(25)), 'aa aa aa aa aa');
    assert.equal(toHex(target.subarray(5, 25)), toHex(hex(VECTORS[1]?.wire ?? '')));
  });

  test('sameDid', () => {
    const a = { prefix: 'VSTB', serial: 1, check: 'X' };
    assert.equal(sameDid(a, { ...a }), true);
    assert.equal(sameDid(a, { ...a, serial: 2 }), false);
    assert.equal(sameDid(a, { ...a, prefix: 'VSTC' }), false);
    assert.equal(sameDid(a, { ...a, check: 'Y' }), false);
  });
});

describe('DID properties', () => {
  test('decodeDid(encodeDid(d)) = d', () => {
    fc.assert(
      fc.property(didArb, (did) => {
        const wire = encodeDid(did);
        assert.equal(wire.length, DID_WIRE_LENGTH);
        assert.deepEqual(expectOk(decodeDid(wire)), did);
      }),
      { numRuns: 1000 },
    );
  });

  test('parseDid(formatDid(d)) = parseDid(didToUid(d)) = d, in any case', () => {
    fc.assert(
      fc.property(didArb, fc.boolean(), (did, lower) => {
        const dashed = formatDid(did);
        const bare = didToUid(did);
        assert.match(dashed, /^[A-Z]{1,7}-\d{6,10}-[A-Z]{1,7}$/);
        assert.equal(bare, dashed.replace(/-/g, ''));
        const fold = (s: string): string => (lower ? s.toLowerCase() : s);
        assert.deepEqual(parseDid(fold(dashed)), did);
        assert.deepEqual(parseDid(fold(bare)), did);
        assert.equal(normalizeUid(fold(dashed)), bare);
      }),
      { numRuns: 1000 },
    );
  });

  test('parseDid never throws and what it accepts is in range', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[A-Za-z]{0,9}-?\d{0,12}-?[A-Za-z]{0,9}$/)), (text) => {
        const did = parseDid(text);
        if (did === undefined) return;
        assert.match(did.prefix, /^[A-Z]{1,7}$/);
        assert.match(did.check, /^[A-Z]{1,7}$/);
        assert.ok(Number.isInteger(did.serial) && did.serial >= 0 && did.serial <= 0xffffffff);
      }),
      { numRuns: 1000 },
    );
  });
});
