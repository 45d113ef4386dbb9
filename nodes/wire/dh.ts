import { type Decoded, fail, ok } from './result';
import { writeField } from './text';

/** VStarCam "DH" discovery (PROTOCOL.md §2): a 4-byte probe to UDP 8600, a 524-byte reply. */

export const DH_PROBE: Buffer = Buffer.from([0x44, 0x48, 0x01, 0x01]);
const REPLY_MAGIC = Buffer.from([0x44, 0x48, 0x01, 0x08]);
export const DH_REPLY_LENGTH = 524;

/**
 * Byte offsets of the reply's fields; every length is the field's full width. The firmware's
 * struct also has slots nothing here reads, zero in every capture: user and password
 * (0x0EC, 32 + 32), sysmode (0x12C) and 0x12E..0x143.
 */
const F = {
  ip: [0x004, 16],
  netmask: [0x014, 16],
  gateway: [0x024, 16],
  dns1: [0x034, 16],
  dns2: [0x044, 16],
  mac: [0x054, 6],
  httpPort: [0x05a, 2],
  uid: [0x05c, 32],
  name: [0x07c, 80],
  firmware: [0x0cc, 16],
  appVersion: [0x0dc, 16],
  dhcp: [0x12d, 1],
  ddnsServer: [0x144, 64],
  ddnsName: [0x184, 64],
  ddnsUser: [0x1c4, 32],
  ddnsPassword: [0x1e4, 32],
} as const satisfies Record<string, readonly [number, number]>;

/** The reply's core fields end with the UID; everything after is optional on short replies. */
const CORE_LENGTH = F.uid[0] + F.uid[1];

/**
 * The 8 bytes after the DDNS password lie past the firmware's structures, so they hold whatever
 * followed them in its memory. In the real capture kept in the tests (test/support/vectors.ts)
 * they repeat the reply's first 8 bytes (`DH 01 08` and the start of the IP); the emulator does
 * the same. Parsers ignore them.
 */
const TRAILER_OFFSET = F.ddnsPassword[0] + F.ddnsPassword[1];

export interface Ddns {
  readonly server: string;
  readonly name: string;
  readonly user: string;
  /** A secret the camera broadcasts in clear; consumers drop it unless the user opts in. */
  readonly password: string;
}

/** Everything a DH reply says about a camera. */
export interface DhRecord {
  readonly uid: string;
  readonly ip: string;
  readonly netmask: string;
  readonly gateway: string;
  readonly dns: readonly [string, string];
  readonly mac: string;
  readonly httpPort: number;
  readonly name: string;
  readonly firmware: string;
  readonly appVersion: string;
  readonly dhcp: boolean;
  readonly ddns: Ddns;
}

export function isDhProbe(buf: Buffer): boolean {
  return startsWith(buf, DH_PROBE);
}

/** Byte by byte: cheaper than a subarray and `equals` on every datagram. */
function startsWith(buf: Buffer, magic: Buffer): boolean {
  if (buf.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (buf[i] !== magic[i]) return false;
  return true;
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  b.toString(16).padStart(2, '0').toUpperCase(),
);

export function formatMac(bytes: Buffer): string {
  return macAt(bytes, 0, bytes.length);
}

function macAt(buf: Buffer, offset: number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += (i === 0 ? '' : ':') + HEX_BYTE[buf[offset + i] ?? 0];
  return text;
}

const NON_ASCII = /[\u0080-\u00ff]/;

/**
 * One field of the reply, cut from `all`, the whole reply decoded as latin1 once: a string slice
 * per field instead of a native Buffer decode per field is what takes parsing past a million
 * replies a second (bench/codecs.ts). Same bytes, same result as `readField`.
 */
function text(all: string, field: readonly [number, number]): string {
  const offset = field[0];
  const end = Math.min(offset + field[1], all.length);
  if (offset >= end) return '';
  const nul = all.indexOf('\0', offset);
  return all.slice(offset, nul === -1 || nul > end ? end : nul);
}

/** A UTF-8 field: the latin1 cut is already right when every byte is ASCII. */
function utf8Text(buf: Buffer, all: string, field: readonly [number, number]): string {
  const latin1 = text(all, field);
  return NON_ASCII.test(latin1) ? buf.toString('utf8', field[0], field[0] + latin1.length) : latin1;
}

/** Parses `AA:BB:CC:DD:EE:FF` (also `-` separated or bare hex); undefined if malformed. */
export function parseMac(text: string): Buffer | undefined {
  const hex = text.replace(/[:-]/g, '');
  return /^[0-9a-fA-F]{12}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/** Parses a DH reply. Never throws: short, foreign or garbage datagrams come back as errors. */
export function parseDhReply(buf: Buffer): Decoded<DhRecord> {
  if (!startsWith(buf, REPLY_MAGIC)) {
    return fail('bad-magic', 'not a DH reply (magic 44 48 01 08)');
  }
  if (buf.length < CORE_LENGTH) return fail('too-short', `DH reply of ${buf.length} bytes, core needs ${CORE_LENGTH}`);
  const all = buf.toString('latin1');
  const uid = text(all, F.uid);
  if (uid.length === 0) return fail('bad-field', 'DH reply carries no UID');
  return ok({
    uid,
    ip: text(all, F.ip),
    netmask: text(all, F.netmask),
    gateway: text(all, F.gateway),
    dns: [text(all, F.dns1), text(all, F.dns2)],
    mac: macAt(buf, F.mac[0], F.mac[1]),
    httpPort: buf.readUInt16LE(F.httpPort[0]),
    name: utf8Text(buf, all, F.name),
    firmware: text(all, F.firmware),
    appVersion: text(all, F.appVersion),
    dhcp: buf.length > F.dhcp[0] && buf[F.dhcp[0]] === 1,
    ddns: {
      server: text(all, F.ddnsServer),
      name: text(all, F.ddnsName),
      user: text(all, F.ddnsUser),
      password: text(all, F.ddnsPassword),
    },
  });
}

/**
 * Builds a full 524-byte reply, as the emulator sends it, laid out as a real camera's: every text
 * NUL-terminated and zero-padded inside its field, the slots nothing fills zero, the trailer a copy
 * of the first 8 bytes. Over-long strings are truncated to their field.
 */
export function buildDhReply(record: DhRecord): Buffer {
  const buf = Buffer.alloc(DH_REPLY_LENGTH);
  REPLY_MAGIC.copy(buf, 0);
  const put = (field: readonly [number, number], value: string, encoding: 'ascii' | 'utf8' = 'ascii'): void =>
    writeField(buf, field[0], field[1], value, encoding);
  put(F.ip, record.ip);
  put(F.netmask, record.netmask);
  put(F.gateway, record.gateway);
  put(F.dns1, record.dns[0]);
  put(F.dns2, record.dns[1]);
  (parseMac(record.mac) ?? Buffer.alloc(6)).copy(buf, F.mac[0]);
  buf.writeUInt16LE(record.httpPort & 0xffff, F.httpPort[0]);
  put(F.uid, record.uid);
  put(F.name, record.name, 'utf8');
  put(F.firmware, record.firmware);
  put(F.appVersion, record.appVersion);
  buf[F.dhcp[0]] = record.dhcp ? 1 : 0;
  put(F.ddnsServer, record.ddns.server);
  put(F.ddnsName, record.ddns.name);
  put(F.ddnsUser, record.ddns.user);
  put(F.ddnsPassword, record.ddns.password);
  buf.copy(buf, TRAILER_OFFSET, 0, DH_REPLY_LENGTH - TRAILER_OFFSET);
  return buf;
}
