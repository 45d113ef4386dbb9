/**
 * Reads bits MSB first, with the exp-Golomb codes of H.264 / H.265 headers. Reading past the
 * end never throws: it yields zeros and sets `overrun`, which the parser checks once at the end,
 * so truncated or hostile headers come back as a decode error.
 */
export class BitReader {
  private bitPosition = 0;
  private overrunFlag = false;

  constructor(private readonly bytes: Buffer) {}

  get overrun(): boolean {
    return this.overrunFlag;
  }

  bit(): number {
    const byte = this.bytes[this.bitPosition >> 3];
    if (byte === undefined) {
      this.overrunFlag = true;
      return 0;
    }
    const value = (byte >> (7 - (this.bitPosition & 7))) & 1;
    this.bitPosition++;
    return value;
  }

  /** Up to 32 bits as an unsigned number. */
  bits(count: number): number {
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.bit();
    return value;
  }

  /** ue(v). More than 31 leading zeros cannot occur in a valid header: treated as an overrun. */
  unsignedExpGolomb(): number {
    let leadingZeros = 0;
    while (this.bit() === 0) {
      if (this.overrunFlag || leadingZeros >= 31) {
        this.overrunFlag = true;
        return 0;
      }
      leadingZeros++;
    }
    return 2 ** leadingZeros - 1 + this.bits(leadingZeros);
  }

  /** se(v). */
  signedExpGolomb(): number {
    const code = this.unsignedExpGolomb();
    if (code === 0) return 0;
    return code % 2 === 1 ? (code + 1) / 2 : -code / 2;
  }
}
