// The real datagrams of PROTOCOL.md (captures and public test vectors), and a built DH reply:
// the seeds every mutation-based fuzz run starts from.
import { buildDhReply, type DhRecord } from '../../nodes/wire/dh';

/** Hex bytes; whitespace and `// comments` are ignored. */
export function hex(text: string): Buffer {
  const clean = text.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex literal ${text}`);
  return Buffer.from(clean, 'hex');
}

/** PUNCH_PKT and P2P_RDY vectors of PROTOCOL.md §3. */
export const PUNCH_VECTORS: readonly Buffer[] = [
  hex('f1 41 00 14 42 41 54 44 00 00 00 00 00 02 62 ca 57 4f 4e 4a 4d 00 00 00'),
  hex('f1 41 00 14 58 48 41 00 00 00 00 00 00 00 03 e2 4b 4d 4d 45 42 00 00 00'),
  hex('f1 41 00 14 42 41 54 43 00 00 00 00 00 09 4c fb 45 58 4c 56 53 00 00 00'),
];
export const READY_VECTORS: readonly Buffer[] = [
  hex('f1 42 00 14 46 54 59 42 00 00 00 00 00 07 83 21 49 4e 51 41 58 00 00 00'),
];

const CHECK_USER_BODY = 'GET /check_user.cgi?name=123456789&loginuse=admin&loginpas=password&user=admin&pwd=password&';
const RESPONSE_BODY = 'result= 0;\r\nvar current_users=1;\r\nvar max_support_users=4;\r\n';

/** The DRW / DRW_ACK CGI captures of PROTOCOL.md §5. */
export const DRW_VECTORS: readonly Buffer[] = [
  Buffer.concat([hex('f1 d0 00 68 d1 00 00 00 01 0a 00 00 5c 00 00 00'), Buffer.from(CHECK_USER_BODY, 'latin1')]),
  hex('f1 d1 00 06 d1 00 00 01 00 00'),
  Buffer.concat([hex('f1 d0 00 48 d1 00 00 00 01 0a a0 60 3c 00 00 01'), Buffer.from(RESPONSE_BODY, 'latin1')]),
];

/** The CGI blocks inside the DRW captures (channel-0 stream bytes). */
export const CGI_VECTORS: readonly Buffer[] = DRW_VECTORS.filter((d) => d[1] === 0xd0).map((d) => d.subarray(8));

/** LAN_SEARCH encrypted under each passphrase of PROTOCOL.md §6. */
export const ENCRYPTED_SEARCH_VECTORS: readonly Buffer[] = [
  hex('49 b5 73 d5'),
  hex('e4 3b 43 22'),
  hex('28 37 c0 99'),
  hex('2c ba 5f 5d'),
  hex('9f a1 ee b9'),
];
export const VECTOR_PASSPHRASES: readonly string[] = ['vstarcam2018', 'vstarcam2019', 'vstarcam2021', 'camera', 'SHIX'];

/** The camera of the original write-up (PROTOCOL.md §2), with a DDNS password to keep secret. */
export const WRITEUP_RECORD: DhRecord = {
  uid: 'VSTB668515UZCPK',
  ip: '192.168.11.140',
  netmask: '255.255.255.0',
  gateway: '192.168.11.1',
  dns: ['8.8.8.8', '192.168.11.1'],
  mac: '48:02:2A:0B:DB:B4',
  httpPort: 11481,
  name: 'IPMAN',
  firmware: '48.53.72.104',
  appVersion: '',
  dhcp: true,
  ddns: { server: 'user2.ipcam.so', name: 'dqqlz', user: 'dqqlz', password: 'hunter2-ddns' },
};

/** A full 524-byte DH reply built from the write-up's values. */
export const DH_REPLY_VECTOR: Buffer = buildDhReply(WRITEUP_RECORD);

/**
 * A real DH reply of a VStarCam camera, all 524 bytes: the reference layout the emulator's reply
 * is held to. Source: the hex dump under "Vstarcam - UDP port 8600" in
 * github.com/wue-iot-note/wue-iot-note.github.io, docs/device-broadcast-discovery/index.md
 * (commit 017a9112965ac062b42e734799394c80b7e6e42b). Every byte is as published except: the bytes
 * the publisher masked as `XX` (UID 0x060..0x068, here `000000XXX`; the firmware's digits at
 * 0x0CC..0x0D6, here `00.00.00.00`), and the DDNS password the camera broadcast (0x1E4, six
 * digits), here `000000`. What it shows: every text NUL-terminated and zero-padded in its slot;
 * app version (0x0DC), DDNS name (0x184) and 0x0EC..0x143 empty (DHCP 0 here); DDNS server, user
 * and password filled; and the 8 bytes after 0x204 a copy of the first 8.
 */
export const REAL_DH_REPLY: Buffer = hex(`
  44 48 01 08 31 39 32 2e 31 36 38 2e 31 2e 35 31    // 000
  00 00 00 00 32 35 35 2e 32 35 35 2e 32 35 35 2e    // 010
  30 00 00 00 31 39 32 2e 31 36 38 2e 31 2e 31 00    // 020
  00 00 00 00 38 2e 38 2e 38 2e 38 00 00 00 00 00    // 030
  00 00 00 00 31 39 32 2e 31 36 38 2e 31 2e 31 00    // 040
  00 00 00 00 48 02 2d 01 5c e9 55 00 56 53 54 41    // 050
  30 30 30 30 30 30 58 58 58 58 58 00 00 00 00 00    // 060
  00 00 00 00 00 00 00 00 00 00 00 00 49 50 43 41    // 070
  4d 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 080
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 090
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 0a0
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 0b0
  00 00 00 00 00 00 00 00 00 00 00 00 30 30 2e 30    // 0c0
  30 2e 30 30 2e 30 30 00 00 00 00 00 00 00 00 00    // 0d0
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 0e0
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 0f0
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 100
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 110
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 120
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 130
  00 00 00 00 75 73 65 72 32 2e 67 6f 63 61 6d 2e    // 140
  73 6f 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 150
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 160
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 170
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 180
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 190
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 1a0
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 1b0
  00 00 00 00 66 6a 65 64 72 00 00 00 00 00 00 00    // 1c0
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 1d0
  00 00 00 00 30 30 30 30 30 30 00 00 00 00 00 00    // 1e0
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 1f0
  00 00 00 00 44 48 01 08 31 39 32 2e                // 200
`);

/**
 * A second real reply, firmware 66.81.204.19, captured by github.com/NosefU/vstarcam_cam_finder
 * (commit 674522ef52e73fd91a5ff2fbdbdfde1dae479d0a, frames 9 and 10) and published sanitized in
 * github.com/dx86683-lab/masscan, src/proto-udp-vstarcam.c (commit
 * 5897baad39eca265da17e09763517b5451088df5): addresses, identity and name anonymized, and every
 * byte after the app-version text zeroed, so only 0x000..0x0EB is evidence (the DDNS slots and the
 * trailer are not). It is the capture whose app-version slot is filled: `var app_ver="C`, then
 * NULs, which is what the emulator sends there.
 */
export const SANITIZED_DH_REPLY: Buffer = Buffer.concat([
  hex(`
  44 48 01 08 31 39 32 2e 30 2e 32 2e 32 30 00 00    // 000
  00 00 00 00 32 35 35 2e 32 35 35 2e 32 35 35 2e    // 010
  30 00 00 00 31 39 32 2e 30 2e 32 2e 31 00 00 00    // 020
  00 00 00 00 32 30 33 2e 30 2e 31 31 33 2e 35 33    // 030
  00 00 00 00 32 30 33 2e 30 2e 31 31 33 2e 35 33    // 040
  00 00 00 00 02 00 00 00 00 01 a0 46 54 45 53 54    // 050
  30 30 30 30 30 31 41 42 43 44 45 00 00 00 00 00    // 060
  00 00 00 00 00 00 00 00 00 00 00 00 4c 61 62 20    // 070
  63 61 6d 65 72 61 20 e7 9b b8 e6 9c ba 00 00 00    // 080
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 090
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 0a0
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00    // 0b0
  00 00 00 00 00 00 00 00 00 00 00 00 36 36 2e 38    // 0c0
  31 2e 32 30 34 2e 31 39 00 00 00 00 76 61 72 20    // 0d0
  61 70 70 5f 76 65 72 3d 22 43 00 00 00 00 00 00    // 0e0
  `),
  Buffer.alloc(524 - 0xf0),
]);

export const PLAIN_SEARCH: Buffer = hex('f1 30 00 00');

/** Every seed, plaintext and encrypted. */
export const ALL_VECTORS: readonly Buffer[] = [
  ...PUNCH_VECTORS,
  ...READY_VECTORS,
  ...DRW_VECTORS,
  ...ENCRYPTED_SEARCH_VECTORS,
  DH_REPLY_VECTOR,
  REAL_DH_REPLY,
  SANITIZED_DH_REPLY,
  PLAIN_SEARCH,
];
