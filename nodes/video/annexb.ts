/**
 * H.264 / H.265 Annex-B byte streams: NAL units separated by `00 00 01` or `00 00 00 01` start
 * codes. Splitting never throws; bytes before the first start code are not a NAL unit and are
 * ignored.
 */

/** The NAL units of `data`, without start codes, as views into `data` (not copies). */
export function splitAnnexB(data: Buffer): Buffer[] {
  const units: Buffer[] = [];
  let start = -1;
  let zeros = 0;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i];
    if (byte === 0) {
      zeros++;
      continue;
    }
    if (byte === 1 && zeros >= 2) {
      // The zeros before `01` belong to the start code (and trailing_zero_8bits of the unit before).
      if (start >= 0) pushUnit(units, data.subarray(start, i - zeros));
      start = i + 1;
    }
    zeros = 0;
  }
  if (start >= 0) pushUnit(units, trimTrailingZeros(data.subarray(start)));
  return units;
}

function pushUnit(units: Buffer[], unit: Buffer): void {
  if (unit.length > 0) units.push(unit);
}

function trimTrailingZeros(unit: Buffer): Buffer {
  let end = unit.length;
  while (end > 0 && unit[end - 1] === 0) end--;
  return unit.subarray(0, end);
}

/** `00 00 00 01` + unit for each unit: the inverse of `splitAnnexB` for well-formed units. */
export function joinAnnexB(units: readonly Buffer[]): Buffer {
  const startCode = Buffer.from([0, 0, 0, 1]);
  return Buffer.concat(units.flatMap((unit) => [startCode, unit]));
}

/**
 * Removes emulation-prevention bytes (`00 00 03` becomes `00 00`), giving the RBSP that bit
 * parsers read.
 */
export function unescapeRbsp(unit: Buffer): Buffer {
  const out = Buffer.alloc(unit.length);
  let length = 0;
  let zeros = 0;
  for (const byte of unit) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}
