// Untrusted bytes never throw (DESIGN.md §3): arbitrary bytes, PPPP- and DH-shaped garbage, and
// mutations of every real vector go through every decoder, which must answer ok or a typed error.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CgiReassembler, buildCgiRequest, encodeCgiBlock, parseCgiRequest, parseCgiVars } from '../../nodes/wire/cgi';
import { KNOWN_PASSPHRASES, decrypt, deriveKey, detectCipher, encrypt } from '../../nodes/wire/cipher';
import { buildDhReply, parseDhReply } from '../../nodes/wire/dh';
import { decodeDid } from '../../nodes/wire/did';
import { MessageCode, type PpppMessage, decodeHeader, decodePppp, encodePppp } from '../../nodes/wire/pppp';
import { readField } from '../../nodes/wire/text';
import { assertDecoded, bytesUpTo, hex, mutate, mutationsArb, stringUpTo } from './helpers';
import { WRITEUP_RECORD } from '../support/vectors';

const KNOWN_CODES: readonly number[] = Object.values(MessageCode);
const KEYS = [...KNOWN_PASSPHRASES, 'camera', 'SHIX'].map(deriveKey);

const bytesArb = bytesUpTo(2000);

/** Bytes that get past the first checks: PPPP magic, a real code, a length that may or may not fit. */
const ppppShapedArb = fc
  .tuple(
    fc.oneof(fc.constantFrom(...KNOWN_CODES), fc.integer({ min: 0, max: 255 })),
    fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 0xffff })),
    fc.oneof(fc.constant(0xd1), fc.integer({ min: 0, max: 255 })),
    bytesUpTo(1100),
  )
  .map(([code, length, marker, rest]) => {
    const payload = Buffer.concat([Buffer.from([marker]), rest]);
    const header = Buffer.from([0xf1, code, 0, 0]);
    header.writeUInt16BE(length === -1 ? payload.length : length, 2);
    return Buffer.concat([header, payload]);
  });

/** A DRW or DRW_ACK whose count (or index) is small, so it lands near the length it needs. */
const drwShapedArb = fc
  .tuple(
    fc.constantFrom(MessageCode.Drw, MessageCode.DrwAck),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 600 }),
    bytesUpTo(1200),
  )
  .map(([code, channel, count, rest]) => {
    const header = Buffer.from([0xf1, code, 0, 0, 0xd1, channel, count >> 8, count & 0xff]);
    header.writeUInt16BE(4 + rest.length, 2);
    return Buffer.concat([header, rest]);
  });

/** Bytes with the DH reply magic and any length. */
const dhShapedArb = bytesUpTo(700).map((rest) => Buffer.concat([hex('44 48 01 08'), rest]));

/** Checks a decoded PPPP message against its type's ranges, and that it re-encodes to itself. */
function checkPppp(buf: Buffer): void {
  const result = decodePppp(buf);
  assertDecoded(result);
  if (!result.ok) return;
  const m: PpppMessage = result.value;
  switch (m.kind) {
    case 'drw':
      assert.ok(m.channel >= 0 && m.channel <= 255 && m.index >= 0 && m.index <= 0xffff);
      break;
    case 'drw-ack':
      assert.ok(m.channel >= 0 && m.channel <= 255);
      assert.ok(m.indices.every((i) => Number.isInteger(i) && i >= 0 && i <= 0xffff));
      break;
    case 'unknown':
      assert.ok(!KNOWN_CODES.includes(m.code));
      break;
    case 'punch':
    case 'ready':
      assert.ok(m.did.serial >= 0 && m.did.serial <= 0xffffffff);
      // An 8-byte text field with no NUL reads as 8 characters, which encoding cuts to 7.
      if (m.did.prefix.length > 7 || m.did.check.length > 7) return;
      break;
    default:
      break;
  }
  assert.deepEqual(decodePppp(encodePppp(m)), result);
}

function checkDh(buf: Buffer): void {
  const result = parseDhReply(buf);
  assertDecoded(result);
  if (!result.ok) return;
  assert.ok(result.value.uid.length > 0);
  assert.ok(result.value.httpPort >= 0 && result.value.httpPort <= 0xffff);
  assert.match(result.value.mac, /^(?:[0-9A-F]{2}:){5}[0-9A-F]{2}$/);
}

function checkCgiStream(chunks: readonly Buffer[]): void {
  const r = new CgiReassembler();
  for (const chunk of chunks) {
    const result = r.push(chunk);
    assertDecoded(result);
    if (!result.ok) assert.equal(r.bufferedBytes, 0);
    else for (const block of result.value) parseCgiVars(block.body.toString('latin1'));
  }
}

/** Every decoder, on one buffer. */
function checkAll(buf: Buffer): void {
  checkPppp(buf);
  assertDecoded(decodeHeader(buf));
  assertDecoded(decodeDid(buf));
  checkDh(buf);
  parseCgiRequest(buf);
  parseCgiVars(buf.toString('latin1'));
  checkCgiStream([buf]);
  const key = detectCipher(buf, KEYS);
  if (key) checkPppp(decrypt(key, buf));
}

describe('decoders never throw on arbitrary bytes', () => {
  test('decodePppp', () => {
    fc.assert(fc.property(fc.oneof(bytesArb, ppppShapedArb, drwShapedArb), checkPppp), { numRuns: 3000 });
  });

  test('decodeHeader', () => {
    fc.assert(
      fc.property(bytesArb, (buf) => assertDecoded(decodeHeader(buf))),
      { numRuns: 1000 },
    );
  });

  test('decodeDid, at any offset', () => {
    fc.assert(
      fc.property(bytesArb, fc.integer({ min: -30, max: 2100 }), (buf, offset) => {
        assertDecoded(decodeDid(buf));
        assertDecoded(decodeDid(buf, offset));
      }),
      { numRuns: 1000 },
    );
  });

  test('parseDhReply', () => {
    fc.assert(fc.property(fc.oneof(bytesArb, dhShapedArb), checkDh), { numRuns: 2000 });
  });

  test('parseCgiRequest', () => {
    const requestShaped = fc
      .tuple(fc.constantFrom('GET /a.cgi?', 'GET /check_user.cgi?', 'GET /x.cgi'), bytesUpTo(500))
      .map(([head, rest]) => Buffer.concat([Buffer.from(head), rest]));
    fc.assert(
      fc.property(fc.oneof(bytesArb, requestShaped), (buf) => {
        const parsed = parseCgiRequest(buf);
        if (parsed) for (const value of Object.values(parsed.params)) assert.equal(typeof value, 'string');
      }),
      { numRuns: 1000 },
    );
  });

  test('parseCgiVars', () => {
    fc.assert(
      fc.property(fc.oneof(stringUpTo(2000, 'binary'), stringUpTo(2000)), (text) => {
        parseCgiVars(text);
      }),
      { numRuns: 1000 },
    );
  });

  test('CgiReassembler.push, over a stream of chunks', () => {
    fc.assert(fc.property(fc.array(bytesArb, { maxLength: 8 }), checkCgiStream), { numRuns: 300 });
  });

  test('detectCipher and decrypt', () => {
    fc.assert(
      fc.property(bytesArb, fc.string({ maxLength: 30 }), (buf, passphrase) => {
        const key = detectCipher(buf, KEYS);
        assert.ok(key === null || key === undefined || KEYS.includes(key));
        assert.equal(decrypt(deriveKey(passphrase), buf).length, buf.length);
        if (key) checkPppp(decrypt(key, buf));
      }),
      { numRuns: 1000 },
    );
  });

  test('readField never reads outside its field', () => {
    fc.assert(
      fc.property(
        bytesArb,
        fc.integer({ min: 0, max: 2100 }),
        fc.integer({ min: 0, max: 100 }),
        fc.boolean(),
        (buf, offset, length, utf8) => {
          const text = readField(buf, offset, length, utf8 ? 'utf8' : 'ascii');
          if (!utf8) assert.ok(text.length <= length);
          assert.ok(!text.includes('\0'));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

// ---- mutations of real vectors ------------------------------------------------------------

const REQUEST_BODY = 'GET /check_user.cgi?name=123456789&loginuse=admin&loginpas=password&user=admin&pwd=password&';
const RESPONSE_BODY = 'result= 0;\r\nvar current_users=1;\r\nvar max_support_users=4;\r\n';

const PPPP_VECTORS: ReadonlyArray<[string, Buffer]> = [
  ['PUNCH_PKT BATD', hex('f1 41 00 14 42 41 54 44 00 00 00 00 00 02 62 ca 57 4f 4e 4a 4d 00 00 00')],
  ['PUNCH_PKT XHA', hex('f1 41 00 14 58 48 41 00 00 00 00 00 00 00 03 e2 4b 4d 4d 45 42 00 00 00')],
  ['PUNCH_PKT BATC', hex('f1 41 00 14 42 41 54 43 00 00 00 00 00 09 4c fb 45 58 4c 56 53 00 00 00')],
  ['P2P_RDY FTYB', hex('f1 42 00 14 46 54 59 42 00 00 00 00 00 07 83 21 49 4e 51 41 58 00 00 00')],
  ['LAN_SEARCH', hex('f1 30 00 00')],
  [
    'DRW check_user',
    Buffer.concat([hex('f1 d0 00 68 d1 00 00 00 01 0a 00 00 5c 00 00 00'), Buffer.from(REQUEST_BODY)]),
  ],
  ['DRW_ACK 0', hex('f1 d1 00 06 d1 00 00 01 00 00')],
  ['DRW response', Buffer.concat([hex('f1 d0 00 48 d1 00 00 00 01 0a a0 60 3c 00 00 01'), Buffer.from(RESPONSE_BODY)])],
  ['DRW_ACK many', encodePppp({ kind: 'drw-ack', channel: 1, indices: [1, 2, 3, 0xffff] })],
];

const ENCRYPTED_VECTORS: ReadonlyArray<[string, Buffer]> = [
  ['LAN_SEARCH vstarcam2018', hex('49 b5 73 d5')],
  ['LAN_SEARCH vstarcam2019', hex('e4 3b 43 22')],
  ['LAN_SEARCH vstarcam2021', hex('28 37 c0 99')],
  ['LAN_SEARCH camera', hex('2c ba 5f 5d')],
  ['LAN_SEARCH SHIX', hex('9f a1 ee b9')],
  ['PUNCH_PKT vstarcam2019', encrypt(deriveKey('vstarcam2019'), PPPP_VECTORS[0]?.[1] ?? Buffer.alloc(0))],
];

const DH_REPLY = buildDhReply({ ...WRITEUP_RECORD, name: 'Камера 前门' });

const CGI_STREAM = Buffer.concat([
  buildCgiRequest('check_user', { name: '123456789' }, { user: 'admin', password: 'password' }),
  encodeCgiBlock({ code: 0x60a0, response: true, body: Buffer.from(RESPONSE_BODY) }),
]);

describe('mutated real vectors decode to ok or a typed error', () => {
  for (const [name, base] of [...PPPP_VECTORS, ...ENCRYPTED_VECTORS]) {
    test(name, () => {
      checkAll(base);
      fc.assert(
        fc.property(mutationsArb, (mutations) => checkAll(mutate(base, mutations))),
        { numRuns: 400 },
      );
    });
  }

  test('built DH reply', () => {
    checkDh(DH_REPLY);
    fc.assert(
      fc.property(mutationsArb, (mutations) => checkAll(mutate(DH_REPLY, mutations))),
      { numRuns: 1500 },
    );
  });

  test('CGI stream, mutated and split', () => {
    fc.assert(
      fc.property(mutationsArb, fc.array(fc.nat(), { maxLength: 6 }), (mutations, points) => {
        const buf = mutate(CGI_STREAM, mutations);
        const cuts = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let start = 0;
        for (const cut of [...cuts, buf.length]) {
          chunks.push(buf.subarray(start, cut));
          start = cut;
        }
        checkCgiStream(chunks);
        parseCgiRequest(mutate(Buffer.from(REQUEST_BODY), mutations));
        parseCgiVars(mutate(Buffer.from(RESPONSE_BODY), mutations).toString('utf8'));
      }),
      { numRuns: 1000 },
    );
  });

  test('the mutator really mutates (guards the tests above against a no-op)', () => {
    const base = PPPP_VECTORS[0]?.[1] ?? Buffer.alloc(0);
    let changed = 0;
    fc.assert(
      fc.property(mutationsArb, (mutations) => {
        if (!mutate(base, mutations).equals(base)) changed++;
      }),
      { numRuns: 200 },
    );
    assert.ok(changed > 150, `only ${changed}/200 mutations changed the vector`);
  });
});
