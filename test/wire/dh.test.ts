import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DH_PROBE,
  DH_REPLY_LENGTH,
  type DhRecord,
  buildDhReply,
  formatMac,
  isDhProbe,
  parseDhReply,
  parseMac,
} from '../../nodes/wire/dh';
import { expectError, expectOk, hex, stringUpTo, toHex } from './helpers';
import { REAL_DH_REPLY, SANITIZED_DH_REPLY, WRITEUP_RECORD } from '../support/vectors';
import { TRAILER_OFFSET, ZERO_RANGES, slotShapes } from './dh-readers';

/** The C7824WIP of PROTOCOL.md §2. Its MAC holds the valid UTF-8 pair DB B4. */
const C7824WIP: DhRecord = WRITEUP_RECORD;

/** The string in a NUL-padded field, read straight from the buffer (independent of the codec). */
function fieldAt(buf: Buffer, offset: number, length: number): Buffer {
  const field = buf.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return nul === -1 ? field : field.subarray(0, nul);
}

describe('DH probe', () => {
  test('is 44 48 01 01', () => {
    assert.equal(toHex(DH_PROBE), '44 48 01 01');
    assert.equal(isDhProbe(hex('44 48 01 01')), true);
    assert.equal(isDhProbe(hex('44 48 01 01 00 00')), true);
    assert.equal(isDhProbe(hex('44 48 01 08')), false);
    assert.equal(isDhProbe(hex('44 48 01')), false);
    assert.equal(isDhProbe(Buffer.alloc(0)), false);
  });
});

describe('DH reply built from the C7824WIP values (PROTOCOL.md §2)', () => {
  const buf = buildDhReply(C7824WIP);

  test('is 524 bytes and starts with 44 48 01 08', () => {
    assert.equal(buf.length, DH_REPLY_LENGTH);
    assert.equal(buf.length, 524);
    assert.equal(toHex(buf.subarray(0, 4)), '44 48 01 08');
  });

  test('fields sit at the byte offsets of the table', () => {
    const str = (offset: number, length: number): string => fieldAt(buf, offset, length).toString('latin1');
    assert.equal(str(0x004, 16), '192.168.11.140');
    assert.equal(str(0x014, 16), '255.255.255.0');
    assert.equal(str(0x024, 16), '192.168.11.1');
    assert.equal(str(0x034, 16), '8.8.8.8');
    assert.equal(str(0x044, 16), '192.168.11.1');
    assert.equal(toHex(buf.subarray(0x054, 0x05a)), '48 02 2a 0b db b4');
    assert.equal(toHex(buf.subarray(0x05a, 0x05c)), 'd9 2c'); // 11481 = 0x2CD9, little-endian
    assert.equal(buf.readUInt16LE(0x05a), 11481);
    assert.equal(str(0x05c, 32), 'VSTB668515UZCPK');
    assert.equal(buf[0x05c], 0x56); // 'V' at exactly 0x5C, not 0x5B
    assert.equal(buf[0x05b], 0x2c);
    assert.equal(str(0x07c, 80), 'IPMAN');
    assert.equal(str(0x0cc, 16), '48.53.72.104');
    assert.equal(buf[0x12d], 1);
    assert.equal(str(0x144, 64), 'user2.ipcam.so');
    assert.equal(str(0x1c4, 32), 'dqqlz');
    assert.equal(str(0x184, 64), 'dqqlz');
    assert.equal(str(0x1e4, 32), 'hunter2-ddns');
    // Reserved bytes stay zero; the trailer repeats the first 8 bytes, as in the real capture.
    assert.ok(buf.subarray(0x0ec, 0x12d).every((b) => b === 0));
    assert.ok(buf.subarray(0x12e, 0x144).every((b) => b === 0));
    assert.equal(toHex(buf.subarray(0x204, 0x20c)), '44 48 01 08 31 39 32 2e');
  });

  test('every field is NUL-terminated inside its own width', () => {
    for (const [offset, length] of [
      [0x004, 16],
      [0x05c, 32],
      [0x07c, 80],
      [0x144, 64],
      [0x1e4, 32],
    ] as const) {
      assert.equal(buf[offset + length - 1], 0, `field at 0x${offset.toString(16)}`);
    }
  });

  test('parses back to every field', () => {
    assert.deepEqual(expectOk(parseDhReply(buf)), C7824WIP);
  });

  test('the port after a reboot (47250) and DHCP off', () => {
    const rebooted = buildDhReply({ ...C7824WIP, httpPort: 47250, dhcp: false });
    assert.equal(toHex(rebooted.subarray(0x05a, 0x05c)), '92 b8');
    const record = expectOk(parseDhReply(rebooted));
    assert.equal(record.httpPort, 47250);
    assert.equal(record.dhcp, false);
    assert.equal(rebooted[0x12d], 0);
  });

  test('trailing garbage of other firmware is ignored, and so is a longer datagram', () => {
    const garbage = Buffer.from(buf);
    garbage.fill(0xa5, 0x204);
    assert.deepEqual(expectOk(parseDhReply(garbage)), C7824WIP);
    const longer = Buffer.concat([buf, Buffer.alloc(46, 0x77)]); // the 570 bytes of the old write-up
    assert.deepEqual(expectOk(parseDhReply(longer)), C7824WIP);
  });

  test('a 16-byte field with no NUL is read to its end, not into the next field', () => {
    const full = Buffer.from(buf);
    full.write('123.123.123.1234', 0x004, 'latin1');
    assert.equal(expectOk(parseDhReply(full)).ip, '123.123.123.1234');
    assert.equal(expectOk(parseDhReply(full)).netmask, '255.255.255.0');
  });
});

describe('the real captures (test/support/vectors.ts)', () => {
  test('parse to every field', () => {
    assert.deepEqual(expectOk(parseDhReply(REAL_DH_REPLY)), {
      uid: 'VSTA000000XXXXX',
      ip: '192.168.1.51',
      netmask: '255.255.255.0',
      gateway: '192.168.1.1',
      dns: ['8.8.8.8', '192.168.1.1'],
      mac: '48:02:2D:01:5C:E9',
      httpPort: 85,
      name: 'IPCAM',
      firmware: '00.00.00.00',
      appVersion: '',
      dhcp: false,
      ddns: { server: 'user2.gocam.so', name: '', user: 'fjedr', password: '000000' },
    });
    assert.deepEqual(expectOk(parseDhReply(SANITIZED_DH_REPLY)), {
      uid: 'TEST000001ABCDE',
      ip: '192.0.2.20',
      netmask: '255.255.255.0',
      gateway: '192.0.2.1',
      dns: ['203.0.113.53', '203.0.113.53'],
      mac: '02:00:00:00:00:01',
      httpPort: 18080,
      name: 'Lab camera 相机',
      firmware: '66.81.204.19',
      appVersion: 'var app_ver="C',
      dhcp: false,
      ddns: { server: '', name: '', user: '', password: '' },
    });
  });

  test("buildDhReply of the real reply's record gives back the real reply, all 524 bytes", () => {
    const rebuilt = buildDhReply(expectOk(parseDhReply(REAL_DH_REPLY)));
    for (let i = 0; i < DH_REPLY_LENGTH; i += 16) {
      assert.equal(
        toHex(rebuilt.subarray(i, i + 16)),
        toHex(REAL_DH_REPLY.subarray(i, i + 16)),
        `bytes at 0x${i.toString(16)}`,
      );
    }
    assert.ok(rebuilt.equals(REAL_DH_REPLY));
  });

  test('and of the sanitized one, over the bytes it still has as captured (0x000..0x0EB)', () => {
    const rebuilt = buildDhReply(expectOk(parseDhReply(SANITIZED_DH_REPLY)));
    assert.equal(toHex(rebuilt.subarray(0, 0xec)), toHex(SANITIZED_DH_REPLY.subarray(0, 0xec)));
  });

  test('every text is NUL-terminated and zero-padded inside its slot, in the captures and in what buildDhReply writes', () => {
    for (const [what, reply] of [
      ['real', REAL_DH_REPLY],
      ['sanitized', SANITIZED_DH_REPLY],
      ['built', buildDhReply(C7824WIP)],
    ] as const) {
      for (const slot of slotShapes(reply)) {
        assert.ok(slot.terminated && slot.cleanPadding, `${what} ${slot.name}`);
      }
      for (const [from, to] of ZERO_RANGES) {
        assert.ok(
          reply.subarray(from, to).every((b) => b === 0),
          `${what} 0x${from.toString(16)}`,
        );
      }
    }
  });

  test('the trailer repeats the first 8 bytes', () => {
    assert.equal(REAL_DH_REPLY.length - TRAILER_OFFSET, 8);
    assert.ok(REAL_DH_REPLY.subarray(TRAILER_OFFSET).equals(REAL_DH_REPLY.subarray(0, 8)));
    const built = buildDhReply(C7824WIP);
    assert.ok(built.subarray(TRAILER_OFFSET).equals(built.subarray(0, 8)));
  });

  test('an app-version slot filled to its 16 bytes, with no NUL, parses to its 16 characters', () => {
    const full = Buffer.from(SANITIZED_DH_REPLY);
    full.write('var app_ver="C1.', 0x0dc, 'latin1');
    assert.equal(full[0x0eb], 0x2e);
    const record = expectOk(parseDhReply(full));
    assert.equal(record.appVersion, 'var app_ver="C1.');
    assert.equal(record.appVersion.split('"')[1], 'C1.');
    // Non-zero bytes after the slot (the user slot of other firmware) do not spill into it.
    full.write('admin', 0x0ec, 'latin1');
    assert.equal(expectOk(parseDhReply(full)).appVersion, 'var app_ver="C1.');
    assert.equal(expectOk(parseDhReply(full)).firmware, '66.81.204.19');
  });

  test('text after the first NUL inside a slot is left out', () => {
    const junk = Buffer.from(REAL_DH_REPLY);
    junk.write('xyz', 0x07c + 6, 'latin1'); // "IPCAM\0xyz"
    junk.write('\0junk', 0x0dc, 'latin1');
    const record = expectOk(parseDhReply(junk));
    assert.equal(record.name, 'IPCAM');
    assert.equal(record.appVersion, '');
  });
});

describe('DH device names are UTF-8', () => {
  for (const name of ['Камера у двери', '前门摄像头', 'カメラ', 'café 📷', 'Ж']) {
    test(`round-trips ${name}`, () => {
      const buf = buildDhReply({ ...C7824WIP, name });
      assert.equal(fieldAt(buf, 0x07c, 80).toString('utf8'), name);
      assert.equal(expectOk(parseDhReply(buf)).name, name);
    });
  }

  const overflow: ReadonlyArray<[string, string, number]> = [
    ['Cyrillic, 2 bytes each', 'Ж'.repeat(40), 39],
    ['Chinese, 3 bytes each', '中'.repeat(27), 26],
    ['emoji, 4 bytes each', '📷'.repeat(20), 19],
    ['ASCII then Cyrillic across byte 79', `${'a'.repeat(78)}Жz`, 78],
  ];
  for (const [what, name, keptChars] of overflow) {
    test(`an 80-byte-overflowing name is cut on a character boundary: ${what}`, () => {
      assert.ok(Buffer.byteLength(name) >= 80);
      const buf = buildDhReply({ ...C7824WIP, name });
      const field = buf.subarray(0x07c, 0x07c + 80);
      const stored = fieldAt(buf, 0x07c, 80);
      assert.ok(stored.length <= 79);
      assert.equal(field[79], 0);
      // Valid UTF-8: decoding and re-encoding gives the same bytes (no U+FFFD from a cut sequence).
      assert.equal(Buffer.from(stored.toString('utf8'), 'utf8').equals(stored), true);
      const parsed = expectOk(parseDhReply(buf)).name;
      assert.equal(Array.from(parsed).length, keptChars);
      assert.ok(name.startsWith(parsed));
      assert.ok(!parsed.includes('\ufffd'));
      // The next field starts clean.
      assert.equal(expectOk(parseDhReply(buf)).firmware, C7824WIP.firmware);
    });
  }
});

describe('bad DH replies are typed errors', () => {
  const good = buildDhReply(C7824WIP);

  test('empty', () => expectError(parseDhReply(Buffer.alloc(0)), 'bad-magic'));
  test('the probe is not a reply', () => expectError(parseDhReply(DH_PROBE), 'bad-magic'));
  test('wrong magic', () => {
    const wrong = Buffer.from(good);
    wrong[3] = 0x09;
    expectError(parseDhReply(wrong), 'bad-magic');
    expectError(parseDhReply(hex('f1 30 00 00')), 'bad-magic');
  });
  test('shorter than the core (0x7C bytes)', () => {
    for (const length of [4, 5, 0x54, 0x5c, 0x7b]) {
      expectError(parseDhReply(good.subarray(0, length)), 'too-short');
    }
  });
  test('no UID', () => {
    const noUid = Buffer.from(good);
    noUid.fill(0, 0x05c, 0x07c);
    expectError(parseDhReply(noUid), 'bad-field');
  });

  test('cut right after the core: parses, optional fields empty', () => {
    const record = expectOk(parseDhReply(good.subarray(0, 0x7c)));
    assert.deepEqual(record, {
      ...C7824WIP,
      name: '',
      firmware: '',
      appVersion: '',
      dhcp: false,
      ddns: { server: '', name: '', user: '', password: '' },
    });
  });

  test('cut inside later fields: what is there is read, the rest is empty', () => {
    const record = expectOk(parseDhReply(good.subarray(0, 0x12e)));
    assert.equal(record.name, 'IPMAN');
    assert.equal(record.firmware, '48.53.72.104');
    assert.equal(record.dhcp, true);
    assert.equal(record.ddns.server, '');
    const cutServer = expectOk(parseDhReply(good.subarray(0, 0x144 + 5)));
    assert.equal(cutServer.ddns.server, 'user2');
    assert.equal(cutServer.ddns.password, '');
  });
});

describe('MAC text', () => {
  test('format and parse', () => {
    assert.equal(formatMac(hex('48 02 2a 0b db b4')), '48:02:2A:0B:DB:B4');
    assert.equal(toHex(parseMac('48:02:2A:0B:DB:B4') ?? Buffer.alloc(0)), '48 02 2a 0b db b4');
    assert.equal(toHex(parseMac('48-02-2a-0b-db-b4') ?? Buffer.alloc(0)), '48 02 2a 0b db b4');
    assert.equal(toHex(parseMac('48022a0bdbb4') ?? Buffer.alloc(0)), '48 02 2a 0b db b4');
    for (const bad of ['', '48:02:2A:0B:DB', '48:02:2A:0B:DB:B4:00', 'zz:02:2A:0B:DB:B4', '48:02:2A:0B:DB:B']) {
      assert.equal(parseMac(bad), undefined, bad);
    }
  });

  test('an unparseable MAC is written as zeros', () => {
    const buf = buildDhReply({ ...C7824WIP, mac: 'not a mac' });
    assert.equal(toHex(buf.subarray(0x054, 0x05a)), '00 00 00 00 00 00');
  });
});

// ---- properties ---------------------------------------------------------------------------

/** Printable ASCII without NUL, at most `max` characters (the field width less its NUL). */
const ascii = (max: number): fc.Arbitrary<string> => stringUpTo(max, 'grapheme-ascii');

/** Any Unicode text without NUL, cut to the longest code-point prefix that fits 79 UTF-8 bytes. */
const nameArb: fc.Arbitrary<string> = fc
  .string({ unit: 'binary', maxLength: 80, size: 'max' })
  .map((s) => fitUtf8(s.replace(/\0/g, ''), 79));

function fitUtf8(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(Buffer.from(b)));

const recordArb: fc.Arbitrary<DhRecord> = fc.record(
  {
    uid: stringUpTo(31, 'grapheme-ascii', 1),
    ip: ascii(15),
    netmask: ascii(15),
    gateway: ascii(15),
    dns: fc.tuple(ascii(15), ascii(15)),
    mac: macArb,
    httpPort: fc.integer({ min: 0, max: 0xffff }),
    name: nameArb,
    firmware: ascii(15),
    appVersion: ascii(15),
    dhcp: fc.boolean(),
    ddns: fc.record(
      { server: ascii(63), name: ascii(63), user: ascii(31), password: ascii(31) },
      { noNullPrototype: true },
    ),
  },
  { noNullPrototype: true },
);

describe('DH properties', () => {
  test('parseDhReply(buildDhReply(r)) = r for records whose strings fit', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const buf = buildDhReply(record);
        assert.equal(buf.length, DH_REPLY_LENGTH);
        assert.deepEqual(expectOk(parseDhReply(buf)), record);
      }),
      { numRuns: 1000 },
    );
  });

  test('every reply is laid out as the real one: texts terminated and zero-padded, reserved bytes zero, trailer = first 8 bytes', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const buf = buildDhReply(record);
        for (const slot of slotShapes(buf)) assert.ok(slot.terminated && slot.cleanPadding, slot.name);
        for (const [from, to] of ZERO_RANGES) assert.ok(buf.subarray(from, to).every((b) => b === 0));
        assert.ok(buf[0x12d] === 0 || buf[0x12d] === 1);
        assert.ok(buf.subarray(TRAILER_OFFSET).equals(buf.subarray(0, 8)));
      }),
      { numRuns: 1000 },
    );
  });

  test('any name is stored as its longest code-point prefix that fits 79 UTF-8 bytes', () => {
    fc.assert(
      fc.property(stringUpTo(120, 'binary'), (raw) => {
        const name = raw.replace(/\0/g, '');
        const parsed = expectOk(parseDhReply(buildDhReply({ ...C7824WIP, name }))).name;
        assert.equal(parsed, fitUtf8(name, 79));
        assert.equal(expectOk(parseDhReply(buildDhReply({ ...C7824WIP, name }))).firmware, C7824WIP.firmware);
      }),
      { numRuns: 1000 },
    );
  });

  test('over-long ASCII fields are cut to their width and never spill into the next field', () => {
    fc.assert(
      fc.property(ascii(100), ascii(100), (long1, long2) => {
        const record = expectOk(
          parseDhReply(
            buildDhReply({
              ...C7824WIP,
              ip: long1,
              netmask: long2,
              uid: `U${long1}`,
              ddns: { ...C7824WIP.ddns, password: long2 },
            }),
          ),
        );
        assert.equal(record.ip, long1.slice(0, 15));
        assert.equal(record.netmask, long2.slice(0, 15));
        assert.equal(record.uid, `U${long1}`.slice(0, 31));
        assert.equal(record.ddns.password, long2.slice(0, 31));
        assert.equal(record.gateway, C7824WIP.gateway);
        assert.equal(record.mac, C7824WIP.mac);
      }),
      { numRuns: 300 },
    );
  });
});
