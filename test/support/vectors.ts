// The real datagrams of PROTOCOL.md (captures and public test vectors), and a built DH reply:
// the seeds every mutation-based fuzz run starts from.
import { buildDhReply, type DhRecord } from '../../nodes/wire/dh';

export function hex(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
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

export const PLAIN_SEARCH: Buffer = hex('f1 30 00 00');

/** Every seed, plaintext and encrypted. */
export const ALL_VECTORS: readonly Buffer[] = [
  ...PUNCH_VECTORS,
  ...READY_VECTORS,
  ...DRW_VECTORS,
  ...ENCRYPTED_SEARCH_VECTORS,
  DH_REPLY_VECTOR,
  PLAIN_SEARCH,
];
