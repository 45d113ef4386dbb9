/** Fixed-size, NUL-padded text fields as the camera firmware writes them. */

/** Reads the string in `buf[offset, offset+length)` up to its first NUL; indexes bytes, never characters. */
export function readField(buf: Buffer, offset: number, length: number, encoding: 'ascii' | 'utf8' = 'ascii'): string {
  const end = Math.min(offset + length, buf.length);
  // Fields are at most 80 bytes: a plain loop finds the NUL faster than a native indexOf call,
  // and many fields are empty, which needs no decoding at all (bench/codecs.ts).
  let stop = offset;
  while (stop < end && buf[stop] !== 0) stop++;
  if (stop === offset) return '';
  return encoding === 'utf8' ? buf.toString('utf8', offset, stop) : buf.toString('latin1', offset, stop);
}

/**
 * Writes `text` into a zeroed field, truncated to `length - 1` bytes so a NUL always ends it,
 * and never in the middle of a UTF-8 sequence.
 */
export function writeField(
  buf: Buffer,
  offset: number,
  length: number,
  text: string,
  encoding: 'ascii' | 'utf8' = 'ascii',
): void {
  buf.fill(0, offset, offset + length);
  const bytes =
    encoding === 'utf8' ? truncateUtf8(text, length - 1) : Buffer.from(text, 'latin1').subarray(0, length - 1);
  bytes.copy(buf, offset);
}

function truncateUtf8(text: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
