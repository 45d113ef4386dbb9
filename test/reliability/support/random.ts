// A small seeded generator for high-volume fuzzing: fast-check's shrinking is worth its cost for
// thousands of cases, not for millions. Every run prints its seed; set RELIABILITY_SEED to replay.

/** xoshiro128** on four 32-bit words, seeded through splitmix32; deterministic for a given seed. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    // splitmix32 spreads the seed over the four words so nearby seeds give unrelated streams.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.u32() / 0x1_0000_0000) * n);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  bytes(length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let i = 0;
    for (; i + 4 <= length; i += 4) buf.writeUInt32LE(this.u32(), i);
    for (; i < length; i++) buf[i] = this.u32() & 0xff;
    return buf;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The seed of this run: RELIABILITY_SEED when set (to replay a failure), else a fresh one. */
export function runSeed(): number {
  const given = process.env.RELIABILITY_SEED;
  if (given !== undefined && /^\d+$/.test(given)) return Number(given) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** Bytes a fuzzer likes: boundaries, the PPPP magic and markers, DH magic bytes. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xf1, 0xd0, 0xd1, 0x41, 0x42, 0xe0, 0xe1, 0xf0, 0x44, 0x48, 0x0a];

/**
 * One to four random edits of `seed`: bit flips, interesting bytes, truncation, extension,
 * insertion, deletion, a rewritten length field, or a splice with another seed.
 */
export function mutate(rng: Rng, seed: Buffer, others: readonly Buffer[]): Buffer {
  let buf = Buffer.from(seed);
  const edits = 1 + rng.below(4);
  for (let e = 0; e < edits; e++) {
    switch (rng.below(9)) {
      case 0: {
        if (buf.length === 0) break;
        const at = rng.below(buf.length);
        buf[at] = (buf[at] ?? 0) ^ (1 << rng.below(8));
        break;
      }
      case 1: {
        if (buf.length === 0) break;
        buf[rng.below(buf.length)] = rng.pick(INTERESTING);
        break;
      }
      case 2:
        buf = buf.subarray(0, rng.below(buf.length + 1));
        break;
      case 3:
        buf = Buffer.concat([buf, rng.bytes(1 + rng.below(rng.chance(0.1) ? 1500 : 64))]);
        break;
      case 4: {
        const at = rng.below(buf.length + 1);
        buf = Buffer.concat([buf.subarray(0, at), rng.bytes(1 + rng.below(8)), buf.subarray(at)]);
        break;
      }
      case 5: {
        const at = rng.below(buf.length + 1);
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1 + rng.below(16))]);
        break;
      }
      case 6: {
        // The u16 BE length of a PPPP header, or the u16 LE body length of a CGI block.
        if (buf.length < 4) break;
        const value = rng.chance(0.5) ? rng.int(0, 0xffff) : rng.pick([0, 1, 0x14, 0xffff, buf.length - 4]);
        buf = Buffer.from(buf);
        if (rng.chance(0.5)) buf.writeUInt16BE(Math.max(0, value) & 0xffff, 2);
        else buf.writeUInt16LE(Math.max(0, value) & 0xffff, rng.below(buf.length - 1));
        break;
      }
      case 7: {
        const other = rng.pick(others);
        const cut = rng.below(buf.length + 1);
        buf = Buffer.concat([buf.subarray(0, cut), other.subarray(rng.below(other.length + 1))]);
        break;
      }
      default: {
        // Repeat a slice: long runs of one pattern are what backtracking parsers choke on.
        if (buf.length === 0) break;
        const from = rng.below(buf.length);
        const slice = buf.subarray(from, from + 1 + rng.below(8));
        buf = Buffer.concat([buf, Buffer.alloc(slice.length * (1 + rng.below(200)), slice)]);
        break;
      }
    }
  }
  return buf;
}

/** Random datagram: raw bytes, or bytes behind a PPPP or DH magic so they reach deeper code. */
export function randomDatagram(rng: Rng): Buffer {
  const length = rng.chance(0.05) ? rng.int(0, 1500) : rng.int(0, 128);
  const body = rng.bytes(length);
  switch (rng.below(4)) {
    case 0:
      return body;
    case 1: {
      if (body.length >= 4) {
        body[0] = 0xf1;
        body[1] = rng.pick([0x30, 0x32, 0x41, 0x42, 0xd0, 0xd1, 0xe0, 0xe1, 0xf0, rng.int(0, 255)]);
        body.writeUInt16BE(rng.chance(0.7) ? body.length - 4 : rng.int(0, 0xffff), 2);
        if (body.length > 4 && rng.chance(0.7)) body[4] = 0xd1;
      }
      return body;
    }
    case 2:
      return Buffer.concat([Buffer.from([0x44, 0x48, 0x01, rng.pick([0x01, 0x08])]), body]);
    default:
      return Buffer.concat([Buffer.from([0x01, 0x0a]), body]);
  }
}
