// Reading a DH reply the way other programs do (not a test file itself: no `.test.ts`).
// Independent of nodes/wire/dh.ts on purpose: the slot table is PROTOCOL.md §2 written out again,
// and the scanners are ports of public programs that read real cameras' replies.
import { DH_REPLY_LENGTH } from '../../nodes/wire/dh';

/** The text slots of a DH reply: [name, offset, width]. */
export const TEXT_SLOTS: ReadonlyArray<readonly [string, number, number]> = [
  ['ip', 0x004, 16],
  ['netmask', 0x014, 16],
  ['gateway', 0x024, 16],
  ['dns1', 0x034, 16],
  ['dns2', 0x044, 16],
  ['uid', 0x05c, 32],
  ['name', 0x07c, 80],
  ['firmware', 0x0cc, 16],
  ['appVersion', 0x0dc, 16],
  ['ddnsServer', 0x144, 64],
  ['ddnsName', 0x184, 64],
  ['ddnsUser', 0x1c4, 32],
  ['ddnsPassword', 0x1e4, 32],
];

/** Byte ranges no reply fills, zero in every capture: user/password/sysmode, and 0x12E..0x143. */
export const ZERO_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0ec, 0x12d],
  [0x12e, 0x144],
];

export const DHCP_OFFSET = 0x12d;
export const TRAILER_OFFSET = 0x204;

/** How one text slot is filled: its bytes up to the first NUL, and whether only zeros follow. */
export interface SlotShape {
  readonly name: string;
  readonly text: Buffer;
  readonly terminated: boolean;
  readonly cleanPadding: boolean;
}

export function slotShapes(reply: Buffer): SlotShape[] {
  return TEXT_SLOTS.map(([name, offset, width]) => {
    const slot = reply.subarray(offset, offset + width);
    const nul = slot.indexOf(0);
    const text = nul === -1 ? slot : slot.subarray(0, nul);
    return { name, text, terminated: nul !== -1, cleanPadding: slot.subarray(text.length).every((b) => b === 0) };
  });
}

/** The names of the text slots that hold something. */
export function filledSlots(reply: Buffer): string[] {
  return slotShapes(reply)
    .filter((s) => s.text.length > 0)
    .map((s) => s.name);
}

// ---- third-party scanners -----------------------------------------------------------------

/** Python's `bytes.decode('ascii')`: throws on any byte above 0x7F. */
function pyAscii(bytes: Buffer): string {
  const bad = bytes.findIndex((b) => b > 0x7f);
  if (bad !== -1) throw new Error(`UnicodeDecodeError: 'ascii' codec can't decode byte at ${bad}`);
  return bytes.toString('latin1');
}

/** Python's `bytes.decode('utf-8')`: throws on a cut or invalid sequence. */
function pyUtf8(bytes: Buffer): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** Python's `str.isspace()` on ASCII: \t \n \v \f \r, 0x1C..0x1F and space; never NUL. */
function pyIsSpace(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || (code >= 0x1c && code <= 0x20);
}

/** Python's `str.strip()` on ASCII text: whitespace only, NUL is kept. */
function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && pyIsSpace(text.charCodeAt(start))) start++;
  while (end > start && pyIsSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** A C string in a fixed window, as most ports read it. */
function cut(reply: Buffer, offset: number, length: number): string {
  const window = reply.subarray(offset, offset + length);
  const nul = window.indexOf(0);
  return window.subarray(0, nul === -1 ? window.length : nul).toString('latin1');
}

function indexOrThrow(text: string, index: number, what: string): string {
  const ch = text[index];
  if (ch === undefined) throw new RangeError(`IndexError: ${what} has ${text.length} characters, index ${index}`);
  return ch;
}

/**
 * github.com/NosefU/vstarcam_cam_finder, scanner.py (class Camera, commit 02e439fd): fixed
 * windows of 15 and 31 bytes decoded with Python's strict codecs, a 5-byte MAC, the port LE, and
 * the "mode" as character 13 of the app-version slot (the letter after `var app_ver="`).
 */
export function nosefuScanner(reply: Buffer): Record<string, string | number> {
  const at = (offset: number, length: number): Buffer => reply.subarray(offset, offset + length);
  return {
    ip: pyStrip(pyAscii(at(0x04, 15))),
    mac: Array.from(at(0x54, 5), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':'),
    netmask: pyStrip(pyAscii(at(0x14, 15))),
    gateway: pyStrip(pyAscii(at(0x24, 15))),
    dns1: pyStrip(pyAscii(at(0x34, 15))),
    dns2: pyStrip(pyAscii(at(0x44, 15))),
    port: at(0x5a, 2).readUInt16LE(0),
    cloudId: pyStrip(pyAscii(at(0x5c, 15))),
    name: pyStrip(pyUtf8(at(0x7c, 31))),
    firmware: pyStrip(pyAscii(at(0xcc, 15))),
    mode: indexOrThrow(pyStrip(pyAscii(at(0xdc, 15))), 13, 'mode'),
  };
}

/**
 * The same scanner as ports of it are written: every slot cut at its NUL first. The app-version
 * slot is then indexed as the issue describes (`split('"')[1]`, and the mode at 13): an empty slot
 * throws.
 */
export function nosefuPortScanner(reply: Buffer): Record<string, string | number> {
  const appVersion = cut(reply, 0xdc, 15);
  const quoted = appVersion.split('"')[1];
  if (quoted === undefined) throw new TypeError(`app-version slot ${JSON.stringify(appVersion)} has no quoted value`);
  return {
    ip: cut(reply, 0x04, 15),
    port: reply.readUInt16LE(0x5a),
    mac: Array.from(reply.subarray(0x54, 0x5a), (b) => b.toString(16).padStart(2, '0')).join(':'),
    cloudId: cut(reply, 0x5c, 15),
    firmware: cut(reply, 0xcc, 15),
    mode: indexOrThrow(appVersion, 13, 'mode'),
    appVersion: indexOrThrow(quoted, 0, 'quoted app version'),
  };
}

/**
 * github.com/dx86683-lab/masscan, src/proto-udp-vstarcam.c, vstarcam_probe_classify (commit
 * 5897baad): the checks that decide a datagram is a VStarCam reply. Returns the failed check, or
 * undefined when the reply is accepted.
 */
export function masscanRejects(reply: Buffer): string | undefined {
  const cString = (offset: number, size: number): number => {
    for (let i = 0; i < size; i++) if (reply[offset + i] === 0) return i;
    return 0;
  };
  const decimalFields = (offset: number, length: number, maximum: number): boolean => {
    if (length === 0) return false;
    let fields = 0;
    let digits = 0;
    let value = 0;
    for (let i = 0; i <= length; i++) {
      const c = reply[offset + i] ?? 0;
      if (i === length || c === 0x2e) {
        if (digits === 0 || value > maximum) return false;
        fields++;
        digits = 0;
        value = 0;
      } else {
        if (c < 0x30 || c > 0x39 || ++digits > 3) return false;
        value = value * 10 + c - 0x30;
      }
    }
    return fields === 4;
  };
  if (reply.length !== DH_REPLY_LENGTH || !reply.subarray(0, 4).equals(Buffer.from([0x44, 0x48, 0x01, 0x08]))) {
    return 'length or magic';
  }
  for (let offset = 4; offset < 84; offset += 16) {
    if (!decimalFields(offset, cString(offset, 16), 255)) return `IPv4 text at 0x${offset.toString(16)}`;
  }
  const mac = reply.subarray(84, 90);
  if (mac.every((b) => b === 0) || ((mac[0] ?? 0) & 1) !== 0) return 'MAC';
  if (reply.readUInt16LE(90) === 0) return 'port';
  if (cString(92, 32) !== 15 || !/^[A-Z]{4}[0-9]{6}[A-Z]{5}$/.test(reply.toString('latin1', 92, 107))) return 'UID';
  const nameLength = cString(124, 32);
  if (nameLength === 0) return 'name';
  try {
    pyUtf8(reply.subarray(124, 124 + nameLength));
  } catch {
    return 'name';
  }
  if (reply.subarray(124, 124 + nameLength).some((c) => c < 0x20 || c === 0x7f)) return 'name';
  if (!decimalFields(204, cString(204, 16), 999)) return 'firmware';
  return undefined;
}

/**
 * github.com/julienblitte/UniversalScanner, UniversalScanner/Vstarcam.cs (reciever): a 0x100-byte
 * header struct, the magic big-endian, ip/name/serial decoded from fixed 16/32/32-byte windows.
 */
export function universalScanner(reply: Buffer): { ip: string; name: string; serial: string } | undefined {
  if (reply.length < 0x100 || reply.readUInt32BE(0) !== 0x44480108) return undefined;
  return {
    ip: reply.toString('utf8', 0x04, 0x14),
    name: reply.toString('utf8', 0x7c, 0x9c),
    serial: reply.toString('utf8', 0x5c, 0x7c),
  };
}

/** github.com/diegodorado/vstarcam-monitor, src/main.rs (get_flags): a 524-byte buffer, port from bytes 90 and 91. */
export function vstarcamMonitorPort(reply: Buffer): number {
  const buf = Buffer.alloc(524);
  reply.copy(buf, 0, 0, 524);
  return ((buf[91] ?? 0) << 8) + (buf[90] ?? 0);
}
