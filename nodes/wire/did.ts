import { type Decoded, fail, ok } from './result';
import { readField, writeField } from './text';

/**
 * A PPPP device id: `PREFIX-SSSSSS-CHECK`, carried on the wire as 20 bytes
 * (8-byte prefix, u32 BE serial, 8-byte check code). PROTOCOL.md §3.
 */
export interface Did {
  readonly prefix: string;
  readonly serial: number;
  readonly check: string;
}

export const DID_WIRE_LENGTH = 20;
const TEXT_FIELD_LENGTH = 8;
const SERIAL_OFFSET = 8;
const CHECK_OFFSET = 12;

// Prefix and check are letters on every camera seen; the serial has at least six digits once
// zero-padded. Dashes are optional so the DH reply's dash-less UID parses too.
const DID_TEXT = /^([A-Za-z]{1,7})-?(\d{1,10})-?([A-Za-z]{1,7})$/;

/** Parses `VSTB-668515-UZCPK` or `VSTB668515UZCPK` (any case); undefined if it is not a DID. */
export function parseDid(text: string): Did | undefined {
  const match = DID_TEXT.exec(text.trim());
  if (!match) return undefined;
  const [, prefix = '', digits = '', check = ''] = match;
  const serial = Number(digits);
  if (!Number.isSafeInteger(serial) || serial > 0xffffffff) return undefined;
  return { prefix: prefix.toUpperCase(), serial, check: check.toUpperCase() };
}

/** The dashed text form, serial zero-padded to six digits. */
export function formatDid(did: Did): string {
  // join, not a template: it makes one flat string, where concatenation leaves a tree of string
  // pieces that every connected session keeps (issue 12, memory per session).
  return [did.prefix, String(did.serial).padStart(6, '0'), did.check].join('-');
}

/** The dash-less form the DH reply carries and messages use as `msg.topic`. */
export function didToUid(did: Did): string {
  return [did.prefix, String(did.serial).padStart(6, '0'), did.check].join('');
}

/** Normalises any accepted spelling of a camera id to its dash-less upper-case UID. */
export function normalizeUid(text: string): string | undefined {
  const did = parseDid(text);
  return did ? didToUid(did) : undefined;
}

export function encodeDid(did: Did, target: Buffer = Buffer.alloc(DID_WIRE_LENGTH), offset = 0): Buffer {
  writeField(target, offset, TEXT_FIELD_LENGTH, did.prefix);
  target.writeUInt32BE(did.serial >>> 0, offset + SERIAL_OFFSET);
  writeField(target, offset + CHECK_OFFSET, TEXT_FIELD_LENGTH, did.check);
  return target;
}

export function decodeDid(buf: Buffer, offset = 0): Decoded<Did> {
  if (!Number.isSafeInteger(offset) || offset < 0) return fail('bad-field', `bad DID offset ${offset}`);
  if (buf.length < offset + DID_WIRE_LENGTH) return fail('too-short', `DID needs ${DID_WIRE_LENGTH} bytes`);
  return ok({
    prefix: readField(buf, offset, TEXT_FIELD_LENGTH),
    serial: buf.readUInt32BE(offset + SERIAL_OFFSET),
    check: readField(buf, offset + CHECK_OFFSET, TEXT_FIELD_LENGTH),
  });
}

export function sameDid(a: Did, b: Did): boolean {
  return a.prefix === b.prefix && a.serial === b.serial && a.check === b.check;
}
