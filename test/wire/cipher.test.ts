import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type CipherKey,
  KNOWN_PASSPHRASES,
  decrypt,
  deriveKey,
  detectCipher,
  encrypt,
  firstCipherByte,
} from '../../nodes/wire/cipher';
import { decodePppp, encodePppp } from '../../nodes/wire/pppp';
import { bytesUpTo, expectOk, hex, stringUpTo, toHex } from './helpers';

/** PROTOCOL.md §6: key bytes, and LAN_SEARCH `f1 30 00 00` encrypted. */
const VECTORS: ReadonlyArray<{ passphrase: string; key: string; lanSearch: string }> = [
  { passphrase: 'vstarcam2018', key: '2c d4 60 06', lanSearch: '49 b5 73 d5' },
  { passphrase: 'vstarcam2019', key: '2d d3 61 07', lanSearch: 'e4 3b 43 22' },
  { passphrase: 'vstarcam2021', key: '26 da 5e 0c', lanSearch: '28 37 c0 99' },
  { passphrase: 'camera', key: '69 97 cc 19', lanSearch: '2c ba 5f 5d' },
  { passphrase: 'SHIX', key: '3c c4 68 0a', lanSearch: '9f a1 ee b9' },
];

const LAN_SEARCH = hex('f1 30 00 00');
const ALL_KEYS: readonly CipherKey[] = VECTORS.map((v) => deriveKey(v.passphrase));

describe('cipher vectors (PROTOCOL.md §6)', () => {
  for (const v of VECTORS) {
    test(`${v.passphrase}: key, encrypt, decrypt`, () => {
      const key = deriveKey(v.passphrase);
      assert.equal(key.passphrase, v.passphrase);
      assert.equal(toHex(Buffer.from(key.key)), v.key);
      assert.equal(toHex(encrypt(key, LAN_SEARCH)), v.lanSearch);
      assert.equal(toHex(decrypt(key, hex(v.lanSearch))), 'f1 30 00 00');
      assert.equal(firstCipherByte(key), hex(v.lanSearch)[0]);
    });

    test(`${v.passphrase}: detectCipher picks it from the first byte`, () => {
      const found = detectCipher(hex(v.lanSearch), ALL_KEYS);
      assert.equal(found?.passphrase, v.passphrase);
      // Only the first byte matters: any datagram with that first byte is attributed to it.
      const other = encrypt(deriveKey(v.passphrase), encodePppp({ kind: 'alive' }));
      assert.equal(detectCipher(other, ALL_KEYS)?.passphrase, v.passphrase);
    });
  }

  test('KNOWN_PASSPHRASES are the three VStarCam ones', () => {
    assert.deepEqual([...KNOWN_PASSPHRASES], ['vstarcam2018', 'vstarcam2019', 'vstarcam2021']);
  });

  test('the five vector passphrases have distinct first bytes, and none is 0xF1', () => {
    const firsts = ALL_KEYS.map(firstCipherByte);
    assert.equal(new Set(firsts).size, firsts.length);
    assert.ok(!firsts.includes(0xf1));
  });
});

describe('detectCipher', () => {
  test('plaintext (first byte 0xF1) is null', () => {
    assert.equal(detectCipher(LAN_SEARCH, ALL_KEYS), null);
    assert.equal(detectCipher(hex('f1'), ALL_KEYS), null);
    assert.equal(detectCipher(LAN_SEARCH, []), null);
  });

  test('empty datagram, or no candidate fits: undefined', () => {
    assert.equal(detectCipher(Buffer.alloc(0), ALL_KEYS), undefined);
    assert.equal(detectCipher(hex('00 01 02 03'), ALL_KEYS), undefined);
    assert.equal(detectCipher(hex('49 b5 73 d5'), []), undefined);
    assert.equal(detectCipher(hex('49 b5 73 d5'), [deriveKey('vstarcam2019')]), undefined);
  });
});

describe('key derivation', () => {
  test('empty passphrase: zero key, and the stream is T[0] = 0x7c on byte 0', () => {
    const key = deriveKey('');
    assert.equal(toHex(Buffer.from(key.key)), '00 00 00 00');
    assert.equal(encrypt(key, Buffer.from([0]))[0], 0x7c);
  });

  test('only the first 21 bytes of the passphrase count', () => {
    const base = 'abcdefghijklmnopqrstu';
    assert.equal(base.length, 21);
    assert.deepEqual(deriveKey(`${base}vwxyz`).key, deriveKey(base).key);
    assert.notDeepEqual(deriveKey(base).key, deriveKey(base.slice(0, 20)).key);
  });
});

describe('cipher properties', () => {
  const passphraseArb = stringUpTo(30, 'binary');
  const bytesArb = bytesUpTo(1500);

  test('decrypt(encrypt(x)) = x and encrypt(decrypt(x)) = x', () => {
    fc.assert(
      fc.property(passphraseArb, bytesArb, (passphrase, bytes) => {
        const key = deriveKey(passphrase);
        const encrypted = encrypt(key, bytes);
        assert.equal(encrypted.length, bytes.length);
        assert.deepEqual(decrypt(key, encrypted), bytes);
        assert.deepEqual(encrypt(key, decrypt(key, bytes)), bytes);
      }),
      { numRuns: 500 },
    );
  });

  test('key bytes follow the k0..k3 rule of PROTOCOL.md §6 for ASCII passphrases', () => {
    fc.assert(
      fc.property(stringUpTo(40, 'binary-ascii'), (passphrase) => {
        const k = [0, 0, 0, 0];
        for (const c of Buffer.from(passphrase, 'latin1').subarray(0, 21)) {
          k[0] = ((k[0] ?? 0) + c) & 0xff;
          k[1] = ((k[1] ?? 0) - c) & 0xff;
          k[2] = ((k[2] ?? 0) + Math.floor(c / 3)) & 0xff;
          k[3] = ((k[3] ?? 0) ^ c) & 0xff;
        }
        assert.deepEqual(Array.from(deriveKey(passphrase).key), k);
      }),
      { numRuns: 500 },
    );
  });

  test('the first ciphertext byte of any PPPP datagram is firstCipherByte, and detectCipher finds the key', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VECTORS.map((v) => v.passphrase)), bytesUpTo(100), (passphrase, payload) => {
        const key = deriveKey(passphrase);
        const plain = encodePppp({ kind: 'unknown', code: 0x12, payload: Buffer.from(payload) });
        const encrypted = encrypt(key, plain);
        assert.equal(encrypted[0], firstCipherByte(key));
        const found = detectCipher(encrypted, ALL_KEYS);
        assert.equal(found?.passphrase, passphrase);
        assert.ok(found);
        assert.deepEqual(expectOk(decodePppp(decrypt(found, encrypted))), {
          kind: 'unknown',
          code: 0x12,
          payload: Buffer.from(payload),
        });
      }),
      { numRuns: 300 },
    );
  });
});
