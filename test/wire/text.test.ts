import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readField, writeField } from '../../nodes/wire/text';
import { fail, ok } from '../../nodes/wire/result';
import { addressKey, sameAddress } from '../../nodes/wire/address';
import { stringUpTo, toHex } from './helpers';

describe('NUL-padded text fields', () => {
  test('readField stops at the first NUL inside the field, or at the field end', () => {
    const buf = Buffer.from('abc\0def' + 'ghij' + '\0', 'latin1');
    assert.equal(readField(buf, 0, 7), 'abc');
    assert.equal(readField(buf, 4, 3), 'def');
    assert.equal(readField(buf, 4, 7), 'defghij');
    assert.equal(readField(buf, 4, 100), 'defghij');
    assert.equal(readField(buf, 3, 4), '');
    assert.equal(readField(buf, 12, 4), '');
    assert.equal(readField(buf, 50, 4), '');
    assert.equal(readField(buf, 0, 0), '');
  });

  test('readField indexes bytes: utf8 decodes, ascii keeps every byte as one character', () => {
    const buf = Buffer.from('Жx\0', 'utf8');
    assert.equal(readField(buf, 0, 8, 'utf8'), 'Жx');
    assert.equal(readField(buf, 0, 8), '\u00d0\u0096x');
    assert.equal(readField(buf, 0, 1, 'utf8'), '\ufffd'); // half a character, not a throw
  });

  test('writeField zero-fills its field and always leaves a NUL', () => {
    const buf = Buffer.alloc(12, 0xee);
    writeField(buf, 2, 8, 'abcdefghijk');
    assert.equal(toHex(buf), 'ee ee 61 62 63 64 65 66 67 00 ee ee');
    writeField(buf, 2, 8, 'z');
    assert.equal(toHex(buf), 'ee ee 7a 00 00 00 00 00 00 00 ee ee');
  });

  test('writeField cuts UTF-8 on a character boundary', () => {
    const buf = Buffer.alloc(6);
    writeField(buf, 0, 6, 'aЖЖ', 'utf8'); // 1 + 2 + 2 bytes = 5: fits exactly
    assert.equal(readField(buf, 0, 6, 'utf8'), 'aЖЖ');
    writeField(buf, 0, 5, 'aЖЖ', 'utf8'); // room for 4: the second Ж does not fit whole
    assert.equal(toHex(buf.subarray(0, 5)), '61 d0 96 00 00');
    writeField(buf, 0, 5, '📷', 'utf8'); // 4 bytes in room for 4
    assert.equal(readField(buf, 0, 5, 'utf8'), '📷');
    writeField(buf, 0, 4, '📷', 'utf8');
    assert.equal(toHex(buf.subarray(0, 4)), '00 00 00 00');
  });

  test('write then read gives the longest code-point prefix that fits, and nothing outside the field changes', () => {
    fc.assert(
      fc.property(
        stringUpTo(60, 'binary'),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 8 }),
        (raw, length, offset) => {
          const text = raw.replace(/\0/g, '');
          const buf = Buffer.alloc(offset + length + 8, 0xee);
          writeField(buf, offset, length, text, 'utf8');
          assert.ok(buf.subarray(0, offset).every((b) => b === 0xee));
          assert.ok(buf.subarray(offset + length).every((b) => b === 0xee));
          assert.equal(buf[offset + length - 1], 0);
          const back = readField(buf, offset, length, 'utf8');
          let expected = '';
          for (const ch of text) {
            if (Buffer.byteLength(expected + ch) > length - 1) break;
            expected += ch;
          }
          assert.equal(back, expected);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('small helpers', () => {
  test('result constructors', () => {
    assert.deepEqual(ok(5), { ok: true, value: 5 });
    assert.deepEqual(fail('too-short', 'm'), { ok: false, error: { code: 'too-short', message: 'm' } });
  });

  test('addresses', () => {
    assert.equal(addressKey({ address: '127.0.0.2', port: 32108 }), '127.0.0.2:32108');
    assert.equal(sameAddress({ address: '127.0.0.2', port: 1 }, { address: '127.0.0.2', port: 1 }), true);
    assert.equal(sameAddress({ address: '127.0.0.2', port: 1 }, { address: '127.0.0.2', port: 2 }), false);
    assert.equal(sameAddress({ address: '127.0.0.2', port: 1 }, { address: '127.0.0.3', port: 1 }), false);
  });
});
