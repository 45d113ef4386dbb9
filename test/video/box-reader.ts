// A tiny ISO BMFF reader for the muxer tests: checks that every box's size adds up exactly.
import assert from 'node:assert/strict';

export interface ParsedBox {
  readonly type: string;
  /** The payload after the 8-byte header. */
  readonly payload: Buffer;
  /** Offset of the box in the buffer it was read from. */
  readonly offset: number;
  readonly children: readonly ParsedBox[];
}

/** Boxes that hold only boxes, and how many payload bytes come before the first child. */
const CONTAINERS: Readonly<Record<string, number>> = {
  moov: 0,
  trak: 0,
  mdia: 0,
  minf: 0,
  dinf: 0,
  stbl: 0,
  mvex: 0,
  moof: 0,
  traf: 0,
  dref: 8, // version/flags, entry count
  stsd: 8,
  avc1: 78, // VisualSampleEntry fields
};

/** Reads boxes that fill `bytes` exactly; fails the test on a size that does not add up. */
export function readBoxes(bytes: Buffer, base = 0): ParsedBox[] {
  const boxes: ParsedBox[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    assert.ok(bytes.length - offset >= 8, `box header cut at ${base + offset}`);
    const size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    assert.ok(size >= 8 && offset + size <= bytes.length, `box ${type} size ${size} overruns its parent`);
    const payload = bytes.subarray(offset + 8, offset + size);
    const skip = CONTAINERS[type];
    const children = skip === undefined ? [] : readBoxes(payload.subarray(skip), base + offset + 8 + skip);
    boxes.push({ type, payload, offset: base + offset, children });
    offset += size;
  }
  assert.equal(offset, bytes.length);
  return boxes;
}

/** The first box at this path of types, e.g. `find(boxes, 'moov', 'trak', 'tkhd')`. */
export function find(boxes: readonly ParsedBox[], ...path: string[]): ParsedBox {
  let level = boxes;
  let found: ParsedBox | undefined;
  for (const type of path) {
    found = level.find((b) => b.type === type);
    assert.ok(found, `no ${type} box in ${path.join('/')}`);
    level = found.children;
  }
  assert.ok(found);
  return found;
}

export interface TrunSample {
  readonly duration: number;
  readonly size: number;
  readonly flags: number;
}

/** A trun with data offset and per-sample duration, size and flags (the muxer's layout). */
export function readTrun(trun: ParsedBox): { dataOffset: number; samples: TrunSample[] } {
  const p = trun.payload;
  assert.equal(p.readUInt32BE(0) & 0xffffff, 0x000701);
  const count = p.readUInt32BE(4);
  assert.equal(p.length, 12 + 12 * count);
  const samples: TrunSample[] = [];
  for (let i = 0; i < count; i++) {
    const at = 12 + 12 * i;
    samples.push({ duration: p.readUInt32BE(at), size: p.readUInt32BE(at + 4), flags: p.readUInt32BE(at + 8) });
  }
  return { dataOffset: p.readInt32BE(8), samples };
}
