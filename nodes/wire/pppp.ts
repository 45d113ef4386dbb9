import { type Did, DID_WIRE_LENGTH, decodeDid, encodeDid } from './did';
import { type Decoded, fail, ok } from './result';

/** PPPP message codec (PROTOCOL.md §3): `f1 TT LL LL` header, payload length u16 BE. */

export const PPPP_MAGIC = 0xf1;
export const HEADER_LENGTH = 4;
/** Largest DRW payload a camera sends or accepts. */
export const MAX_DRW_DATA = 1024;
const DRW_MARKER = 0xd1;
/**
 * The CS2 library writes this marker in DRW_ACKs in some states (PROTOCOL.md §7.1): accepted on
 * receive, never sent (one write-up reports that `d2` from a client stalls video).
 */
const DRW_ACK_ALT_MARKER = 0xd2;
const DRW_PREFIX_LENGTH = 4;
/** A DRW_ACK's count is u16, but a datagram holds at most this many indices. */
export const MAX_ACK_INDICES = 512;

export const MessageCode = {
  LanSearch: 0x30,
  LanSearchExt: 0x32,
  PunchPkt: 0x41,
  P2pRdy: 0x42,
  Drw: 0xd0,
  DrwAck: 0xd1,
  Alive: 0xe0,
  AliveAck: 0xe1,
  Close: 0xf0,
} as const;

export type PpppMessage =
  | { readonly kind: 'lan-search' }
  | { readonly kind: 'lan-search-ext' }
  | { readonly kind: 'punch'; readonly did: Did }
  | { readonly kind: 'ready'; readonly did: Did }
  | { readonly kind: 'drw'; readonly channel: number; readonly index: number; readonly data: Buffer }
  | { readonly kind: 'drw-ack'; readonly channel: number; readonly indices: readonly number[] }
  | { readonly kind: 'alive' }
  | { readonly kind: 'alive-ack' }
  | { readonly kind: 'close' }
  /** Any other type (cloud messages such as HELLO or DEV_LGN): a value to ignore, not an error. */
  | { readonly kind: 'unknown'; readonly code: number; readonly payload: Buffer };

export interface PpppHeader {
  readonly code: number;
  readonly length: number;
}

/** Reads the 4-byte header; the payload length is checked against the datagram by `decodePppp`. */
export function decodeHeader(buf: Buffer): Decoded<PpppHeader> {
  if (buf.length < HEADER_LENGTH) return fail('too-short', 'PPPP header needs 4 bytes');
  if (buf[0] !== PPPP_MAGIC) return fail('bad-magic', 'first byte is not 0xF1');
  return ok({ code: buf.readUInt8(1), length: buf.readUInt16BE(2) });
}

/**
 * The messages without a payload, decoded once: an ALIVE arrives from every camera every second
 * and its decoding allocates nothing (issue 12). The results are frozen, so sharing them is safe.
 */
const EMPTY_KINDS: Readonly<Record<number, Decoded<PpppMessage>>> = {
  [MessageCode.LanSearch]: frozenOk({ kind: 'lan-search' }),
  [MessageCode.LanSearchExt]: frozenOk({ kind: 'lan-search-ext' }),
  [MessageCode.Alive]: frozenOk({ kind: 'alive' }),
  [MessageCode.AliveAck]: frozenOk({ kind: 'alive-ack' }),
  [MessageCode.Close]: frozenOk({ kind: 'close' }),
};

function frozenOk(message: PpppMessage): Decoded<PpppMessage> {
  return Object.freeze(ok(Object.freeze(message)));
}

/**
 * Decodes one PPPP datagram. Bytes after the declared payload are ignored (some firmware pads);
 * a payload shorter than declared is an error.
 */
export function decodePppp(buf: Buffer): Decoded<PpppMessage> {
  // The header read in place (what decodeHeader checks, without its result object).
  if (buf.length < HEADER_LENGTH) return fail('too-short', 'PPPP header needs 4 bytes');
  if (buf[0] !== PPPP_MAGIC) return fail('bad-magic', 'first byte is not 0xF1');
  const code = buf.readUInt8(1);
  const length = buf.readUInt16BE(2);
  if (buf.length < HEADER_LENGTH + length)
    return fail('bad-length', `payload declares ${length} bytes, has ${buf.length - HEADER_LENGTH}`);
  const empty = EMPTY_KINDS[code];
  if (empty) return empty;
  const payload = buf.subarray(HEADER_LENGTH, HEADER_LENGTH + length);
  switch (code) {
    case MessageCode.PunchPkt:
    case MessageCode.P2pRdy: {
      const did = decodeDid(payload);
      if (!did.ok) return did;
      return ok(code === MessageCode.PunchPkt ? { kind: 'punch', did: did.value } : { kind: 'ready', did: did.value });
    }
    case MessageCode.Drw:
      return decodeDrw(payload);
    case MessageCode.DrwAck:
      return decodeDrwAck(payload);
    default:
      return ok({ kind: 'unknown', code, payload });
  }
}

function decodeDrw(payload: Buffer): Decoded<PpppMessage> {
  if (payload.length < DRW_PREFIX_LENGTH) return fail('too-short', 'DRW needs 4 bytes after the header');
  if (payload[0] !== DRW_MARKER) return fail('bad-field', 'DRW marker is not 0xD1');
  return ok({
    kind: 'drw',
    channel: payload.readUInt8(1),
    index: payload.readUInt16BE(2),
    data: payload.subarray(DRW_PREFIX_LENGTH),
  });
}

function decodeDrwAck(payload: Buffer): Decoded<PpppMessage> {
  if (payload.length < DRW_PREFIX_LENGTH) return fail('too-short', 'DRW_ACK needs 4 bytes after the header');
  if (payload[0] !== DRW_MARKER && payload[0] !== DRW_ACK_ALT_MARKER)
    return fail('bad-field', 'DRW_ACK marker is neither 0xD1 nor 0xD2');
  const count = payload.readUInt16BE(2);
  if (payload.length < DRW_PREFIX_LENGTH + count * 2) return fail('bad-length', `DRW_ACK declares ${count} indices`);
  const indices: number[] = [];
  for (let i = 0; i < count; i++) indices.push(payload.readUInt16BE(DRW_PREFIX_LENGTH + i * 2));
  return ok({ kind: 'drw-ack', channel: payload.readUInt8(1), indices });
}

function frame(code: number, payloadLength: number): Buffer {
  const buf = Buffer.alloc(HEADER_LENGTH + payloadLength);
  buf[0] = PPPP_MAGIC;
  buf[1] = code;
  buf.writeUInt16BE(payloadLength, 2);
  return buf;
}

/** Encodes a message. Fields out of range (channel > 255, index > 0xFFFF) are masked to their width. */
export function encodePppp(message: PpppMessage): Buffer {
  switch (message.kind) {
    case 'lan-search':
      return frame(MessageCode.LanSearch, 0);
    case 'lan-search-ext':
      return frame(MessageCode.LanSearchExt, 0);
    case 'alive':
      return frame(MessageCode.Alive, 0);
    case 'alive-ack':
      return frame(MessageCode.AliveAck, 0);
    case 'close':
      return frame(MessageCode.Close, 0);
    case 'punch':
    case 'ready': {
      const buf = frame(message.kind === 'punch' ? MessageCode.PunchPkt : MessageCode.P2pRdy, DID_WIRE_LENGTH);
      encodeDid(message.did, buf, HEADER_LENGTH);
      return buf;
    }
    case 'drw': {
      const buf = frame(MessageCode.Drw, DRW_PREFIX_LENGTH + message.data.length);
      buf[4] = DRW_MARKER;
      buf[5] = message.channel & 0xff;
      buf.writeUInt16BE(message.index & 0xffff, 6);
      message.data.copy(buf, HEADER_LENGTH + DRW_PREFIX_LENGTH);
      return buf;
    }
    case 'drw-ack': {
      const buf = frame(MessageCode.DrwAck, DRW_PREFIX_LENGTH + message.indices.length * 2);
      buf[4] = DRW_MARKER;
      buf[5] = message.channel & 0xff;
      buf.writeUInt16BE(message.indices.length, 6);
      message.indices.forEach((index, i) => buf.writeUInt16BE(index & 0xffff, 8 + i * 2));
      return buf;
    }
    case 'unknown': {
      const buf = frame(message.code & 0xff, message.payload.length);
      message.payload.copy(buf, HEADER_LENGTH);
      return buf;
    }
  }
}
