import { decrypt, deriveKey, encrypt } from '../../nodes/wire/cipher';
import { parseDhReply } from '../../nodes/wire/dh';
import { DH_REPLY_VECTOR } from '../../test/support/vectors';
import { decodeHeader, decodePppp, encodePppp } from '../../nodes/wire/pppp';

/** One codec measurement: the operation and its baseline, a Buffer copy of the same bytes. */
export interface CodecCase {
  readonly name: string;
  readonly op: () => number;
  readonly baseline: () => number;
  /** Bytes one operation handles, for MB/s; undefined reports operations per second. */
  readonly bytesPerOp?: number;
}

const dhReply = DH_REPLY_VECTOR;
const alive = encodePppp({ kind: 'alive' });
const drw = encodePppp({ kind: 'drw', channel: 0, index: 7, data: Buffer.alloc(96, 0x41) });
const header = drw.subarray(0, 4);
const kib = Buffer.alloc(1024, 0x5a);
const key = deriveKey('vstarcam2019');

export const SIZES = { dhReply: dhReply.length, drw: drw.length, cipher: kib.length };

export const CODEC_CASES: readonly CodecCase[] = [
  {
    name: 'dh',
    op: () => (parseDhReply(dhReply).ok ? 1 : 0),
    baseline: () => Buffer.from(dhReply).length,
  },
  {
    name: 'alive',
    op: () => (decodePppp(alive).ok ? 1 : 0),
    baseline: () => Buffer.from(alive).length,
  },
  {
    name: 'drw',
    op: () => (decodePppp(drw).ok ? 1 : 0),
    baseline: () => Buffer.from(drw).length,
  },
  {
    name: 'header',
    op: () => (decodeHeader(drw).ok ? 1 : 0),
    baseline: () => Buffer.from(header).length,
  },
  {
    name: 'cipher',
    op: () => decrypt(key, encrypt(key, kib)).length,
    baseline: () => Buffer.from(Buffer.from(kib)).length,
    bytesPerOp: kib.length,
  },
];
