import { type Decoded, fail, ok } from '../wire/result';

/**
 * Whether a snapshot's bytes are a whole JPEG: SOI (`ff d8`) at the start and EOI (`ff d9`) at
 * the very end. A body cut short (a lost DRW, a wrong length field) ends without EOI; a refusal
 * or an error page does not start with SOI. Cheap and never throws: the image is not decoded.
 */
const SOI = 0xffd8;
const EOI = 0xffd9;
/** SOI, a minimal segment and EOI: nothing shorter can be a picture. */
const MIN_JPEG_BYTES = 4 + 2 + 2;

export function checkJpeg(bytes: Buffer): Decoded<Buffer> {
  if (bytes.length < MIN_JPEG_BYTES) return fail('too-short', `${bytes.length} bytes cannot be a JPEG`);
  if (bytes.readUInt16BE(0) !== SOI) return fail('bad-magic', 'does not start with the JPEG start marker ff d8');
  if (bytes.readUInt16BE(bytes.length - 2) !== EOI)
    return fail('bad-length', 'does not end with the JPEG end marker ff d9: the image is cut short');
  return ok(bytes);
}
