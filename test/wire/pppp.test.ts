import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HEADER_LENGTH,
  MAX_ACK_INDICES,
  MAX_DRW_DATA,
  MessageCode,
  type PpppMessage,
  decodeHeader,
  decodePppp,
  encodePppp,
} from '../../nodes/wire/pppp';
import { arrayUpTo, bytesUpTo, expectError, expectOk, hex, toHex, upperLetters } from './helpers';

/** PROTOCOL.md §3: the four public PUNCH_PKT / P2P_RDY vectors. */
const HANDSHAKE_VECTORS: ReadonlyArray<{ kind: 'punch' | 'ready'; text: string; bytes: string }> = [
  {
    kind: 'punch',
    text: 'BATD-156362-WONJM',
    bytes: 'f1 41 00 14 42 41 54 44 00 00 00 00 00 02 62 ca 57 4f 4e 4a 4d 00 00 00',
  },
  {
    kind: 'punch',
    text: 'XHA-000994-KMMEB',
    bytes: 'f1 41 00 14 58 48 41 00 00 00 00 00 00 00 03 e2 4b 4d 4d 45 42 00 00 00',
  },
  {
    kind: 'punch',
    text: 'BATC-609531-EXLVS',
    bytes: 'f1 41 00 14 42 41 54 43 00 00 00 00 00 09 4c fb 45 58 4c 56 53 00 00 00',
  },
  {
    kind: 'ready',
    text: 'FTYB-492321-INQAX',
    bytes: 'f1 42 00 14 46 54 59 42 00 00 00 00 00 07 83 21 49 4e 51 41 58 00 00 00',
  },
];

/** The codes this codec gives a kind of their own; every other code decodes as 'unknown'. */
const KNOWN_CODES: readonly number[] = Object.values(MessageCode);

function didOf(text: string): { prefix: string; serial: number; check: string } {
  const [prefix = '', serial = '', check = ''] = text.split('-');
  return { prefix, serial: Number(serial), check };
}

describe('PPPP handshake vectors (PROTOCOL.md §3)', () => {
  for (const v of HANDSHAKE_VECTORS) {
    test(`${v.kind} ${v.text}`, () => {
      const bytes = hex(v.bytes);
      const message = expectOk(decodePppp(bytes));
      assert.equal(message.kind, v.kind);
      assert.ok(message.kind === 'punch' || message.kind === 'ready');
      assert.deepEqual(message.did, didOf(v.text));
      assert.equal(toHex(encodePppp({ kind: v.kind, did: didOf(v.text) })), toHex(bytes));
    });
  }
});

describe('PPPP header', () => {
  test('reads code and big-endian length', () => {
    assert.deepEqual(expectOk(decodeHeader(hex('f1 d0 01 02'))), { code: 0xd0, length: 0x0102 });
    assert.deepEqual(expectOk(decodeHeader(hex('f1 41 00 14 ff ff'))), { code: 0x41, length: 20 });
  });

  test('too short and bad magic', () => {
    expectError(decodeHeader(Buffer.alloc(0)), 'too-short');
    expectError(decodeHeader(hex('f1 30 00')), 'too-short');
    expectError(decodeHeader(hex('f2 30 00 00')), 'bad-magic');
    expectError(decodeHeader(hex('49 b5 73 d5')), 'bad-magic'); // LAN_SEARCH under vstarcam2018
  });
});

describe('PPPP messages without payload', () => {
  const cases: ReadonlyArray<[PpppMessage['kind'], string]> = [
    ['lan-search', 'f1 30 00 00'],
    ['lan-search-ext', 'f1 32 00 00'],
    ['alive', 'f1 e0 00 00'],
    ['alive-ack', 'f1 e1 00 00'],
    ['close', 'f1 f0 00 00'],
  ];
  for (const [kind, bytes] of cases) {
    test(`${kind} is ${bytes}`, () => {
      assert.deepEqual(expectOk(decodePppp(hex(bytes))), { kind });
      const message = { kind } as PpppMessage;
      assert.equal(toHex(encodePppp(message)), bytes);
    });
  }

  test('a payload behind an empty kind, or bytes after the declared payload, are ignored', () => {
    assert.deepEqual(expectOk(decodePppp(hex('f1 e0 00 02 aa bb'))), { kind: 'alive' });
    assert.deepEqual(expectOk(decodePppp(hex('f1 30 00 00 00 00 00 00'))), { kind: 'lan-search' });
  });
});

describe('DRW and DRW_ACK', () => {
  test('the ACK of index 0 on channel 0 (PROTOCOL.md §5), both ways', () => {
    const bytes = hex('f1 d1 00 06 d1 00 00 01 00 00');
    assert.deepEqual(expectOk(decodePppp(bytes)), { kind: 'drw-ack', channel: 0, indices: [0] });
    assert.equal(toHex(encodePppp({ kind: 'drw-ack', channel: 0, indices: [0] })), toHex(bytes));
  });

  test('a DRW_ACK marked d2 (the CS2 library, PROTOCOL.md §7.1) is accepted; ours stay d1', () => {
    const bytes = hex('f1 d1 00 08 d2 01 00 02 00 07 ff ff');
    assert.deepEqual(expectOk(decodePppp(bytes)), { kind: 'drw-ack', channel: 1, indices: [7, 0xffff] });
    assert.equal(toHex(encodePppp({ kind: 'drw-ack', channel: 1, indices: [7, 0xffff] })).slice(12, 14), 'd1');
  });

  test('DRW layout: d1, channel, index BE, data', () => {
    const data = Buffer.from('hello');
    const bytes = encodePppp({ kind: 'drw', channel: 2, index: 0x1234, data });
    assert.equal(toHex(bytes), `f1 d0 00 09 d1 02 12 34 ${toHex(data)}`);
  });

  test('DRW_ACK with several indices', () => {
    const bytes = encodePppp({ kind: 'drw-ack', channel: 1, indices: [1, 0xffff, 0x0203] });
    assert.equal(toHex(bytes), 'f1 d1 00 0a d1 01 00 03 00 01 ff ff 02 03');
    assert.deepEqual(expectOk(decodePppp(bytes)), { kind: 'drw-ack', channel: 1, indices: [1, 0xffff, 0x0203] });
  });

  test('out-of-range fields are masked to their width when encoding', () => {
    const bytes = encodePppp({ kind: 'drw', channel: 0x101, index: 0x10002, data: Buffer.alloc(0) });
    assert.equal(toHex(bytes), 'f1 d0 00 04 d1 01 00 02');
  });

  test('malformed DRW and DRW_ACK are typed errors', () => {
    expectError(decodePppp(hex('f1 d0 00 03 d1 00 00')), 'too-short');
    expectError(decodePppp(hex('f1 d0 00 04 d2 00 00 00')), 'bad-field');
    expectError(decodePppp(hex('f1 d1 00 03 d1 00 00')), 'too-short');
    expectError(decodePppp(hex('f1 d1 00 04 d0 00 00 00')), 'bad-field');
    expectError(decodePppp(hex('f1 d1 00 04 d3 00 00 00')), 'bad-field');
    // Count 2, room for one index.
    expectError(decodePppp(hex('f1 d1 00 06 d1 00 00 02 00 00')), 'bad-length');
    // Header claims more payload than the datagram has.
    expectError(decodePppp(hex('f1 d0 00 10 d1 00 00 00')), 'bad-length');
  });

  test('PUNCH_PKT with a short payload is too-short', () => {
    expectError(decodePppp(hex('f1 41 00 04 42 41 54 44')), 'too-short');
  });

  test('cloud messages decode as unknown, not as errors', () => {
    assert.deepEqual(expectOk(decodePppp(hex('f1 00 00 00'))), {
      kind: 'unknown',
      code: 0x00,
      payload: Buffer.alloc(0),
    });
    assert.deepEqual(expectOk(decodePppp(hex('f1 10 00 02 ab cd'))), {
      kind: 'unknown',
      code: 0x10,
      payload: hex('ab cd'),
    });
  });
});

// ---- properties ---------------------------------------------------------------------------

const didArb = fc.record(
  { prefix: upperLetters(7), serial: fc.nat({ max: 0xffffffff }), check: upperLetters(7) },
  { noNullPrototype: true },
);

const messageArb: fc.Arbitrary<PpppMessage> = fc.oneof(
  fc.constant({ kind: 'lan-search' as const }),
  fc.constant({ kind: 'lan-search-ext' as const }),
  fc.constant({ kind: 'alive' as const }),
  fc.constant({ kind: 'alive-ack' as const }),
  fc.constant({ kind: 'close' as const }),
  fc.record({ kind: fc.constant('punch' as const), did: didArb }, { noNullPrototype: true }),
  fc.record({ kind: fc.constant('ready' as const), did: didArb }, { noNullPrototype: true }),
  fc.record(
    {
      kind: fc.constant('drw' as const),
      channel: fc.integer({ min: 0, max: 255 }),
      index: fc.integer({ min: 0, max: 0xffff }),
      data: bytesUpTo(MAX_DRW_DATA),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      kind: fc.constant('drw-ack' as const),
      channel: fc.integer({ min: 0, max: 255 }),
      indices: arrayUpTo(fc.integer({ min: 0, max: 0xffff }), MAX_ACK_INDICES),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      kind: fc.constant('unknown' as const),
      code: fc.integer({ min: 0, max: 255 }).filter((c) => !KNOWN_CODES.includes(c)),
      payload: bytesUpTo(1024),
    },
    { noNullPrototype: true },
  ),
);

describe('PPPP properties', () => {
  test('decodePppp(encodePppp(m)) = m for every kind', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(messageArb, (message) => {
        seen.add(message.kind);
        const bytes = encodePppp(message);
        assert.equal(bytes[0], 0xf1);
        assert.equal(bytes.readUInt16BE(2), bytes.length - HEADER_LENGTH);
        assert.deepEqual(expectOk(decodePppp(bytes)), message);
      }),
      { numRuns: 2000 },
    );
    // The property must have exercised all ten kinds, or it proves less than it says.
    assert.equal(seen.size, 10, [...seen].join(','));
  });

  test('trailing bytes after the declared payload never change the decoded message', () => {
    fc.assert(
      fc.property(messageArb, fc.uint8Array({ minLength: 1, maxLength: 32 }), (message, tail) => {
        const bytes = Buffer.concat([encodePppp(message), tail]);
        assert.deepEqual(expectOk(decodePppp(bytes)), message);
      }),
      { numRuns: 500 },
    );
  });

  test('every strict prefix of a message with a payload is an error', () => {
    fc.assert(
      fc.property(
        messageArb.filter((m) => encodePppp(m).length > HEADER_LENGTH),
        fc.nat(),
        (message, n) => {
          const bytes = encodePppp(message);
          const cut = n % bytes.length;
          const result = decodePppp(bytes.subarray(0, cut));
          assert.equal(result.ok, false, `prefix of ${cut}/${bytes.length} bytes decoded`);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('decoding never mislabels a known code as unknown', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), (code, payload) => {
        const bytes = Buffer.concat([Buffer.from([0xf1, code, 0, payload.length]), payload]);
        const result = decodePppp(bytes);
        if (result.ok && result.value.kind === 'unknown') {
          assert.ok(!KNOWN_CODES.includes(result.value.code));
          assert.equal(result.value.code, code);
        }
        if (!KNOWN_CODES.includes(code)) assert.equal(expectOk(result).kind, 'unknown');
      }),
      { numRuns: 1000 },
    );
  });
});
