import { type FrameHeader } from '../wire/frame-header';
import { splitAnnexB } from './annexb';
import { buildMediaFragment, type Mp4Sample } from './fmp4-fragment';
import { buildInitSegment } from './fmp4-init';
import { type H264Sps, avcCodecString, parseH264Sps } from './h264-sps';
import { H264_NAL, detectCodec, h264NalType, h264ParameterSets, isKeyFrame } from './nal';

/**
 * Muxes H.264 frames (Annex-B access units with millisecond times) into a fragmented MP4,
 * sans-I/O: an init segment first, then media fragments that each start at a key frame or
 * continue the previous one, at most `maxSamplesPerFragment` frames long.
 *
 * A frame's duration is the time to the next frame, so each frame is held until the next one
 * arrives (one frame of latency). Decode times are the sum of durations, so they never go
 * backwards even when the camera's clock does; an equal, backward or implausibly long step
 * (more than `maxFrameStepMs`) counts as the previous good duration instead.
 *
 * SPS, PPS, access unit delimiters and filler are left out of the samples: the parameter sets
 * are in the init segment (avcC), which every MSE implementation reads; a change of parameter sets
 * at a key frame starts a new init segment, which MSE accepts between fragments.
 */

export interface MuxerFrame {
  /** One access unit, Annex-B. */
  readonly data: Buffer;
  /** Capture time in milliseconds (any origin). */
  readonly timeMs: number;
}

export type MuxerChunk =
  | {
      readonly kind: 'init';
      readonly bytes: Buffer;
      readonly codec: string;
      readonly width: number;
      readonly height: number;
    }
  | { readonly kind: 'fragment'; readonly bytes: Buffer; readonly frames: number };

/** Why a frame produced no sample. */
export type MuxerSkip = 'waiting-for-key-frame' | 'no-picture' | 'bad-sps' | 'h265';

export interface MuxerOutput {
  readonly chunks: readonly MuxerChunk[];
  readonly skipped?: MuxerSkip;
}

export interface MuxerOptions {
  /** 1 gives the lowest latency; a GOP's worth gives the fewest bytes of overhead. */
  readonly maxSamplesPerFragment?: number;
  /** Used until two frames have been seen, and for bad steps. */
  readonly defaultFrameDurationMs?: number;
  readonly maxFrameStepMs?: number;
}

interface ParameterSets {
  readonly sps: Buffer;
  readonly pps: Buffer;
}

interface HeldFrame {
  readonly sample: Buffer;
  readonly key: boolean;
  readonly timeMs: number;
}

const LEFT_OUT_OF_SAMPLES = new Set<number>([
  H264_NAL.sps,
  H264_NAL.pps,
  H264_NAL.accessUnitDelimiter,
  H264_NAL.filler,
]);

/** The frame's time in milliseconds from its header's seconds and milliseconds. */
export function frameTimeMs(header: FrameHeader): number {
  return header.seconds * 1000 + header.milliseconds;
}

export class Fmp4Muxer {
  private readonly maxSamplesPerFragment: number;
  private readonly maxFrameStepMs: number;
  private frameDurationTicks: number;
  /** The latest SPS / PPS seen in the stream, and those the current init segment carries. */
  private seenSets: ParameterSets | undefined;
  private initSets: ParameterSets | undefined;
  private held: HeldFrame | undefined;
  private pending: Mp4Sample[] = [];
  private nextDecodeTime = 0;
  private pendingDecodeTime = 0;
  private sequenceNumber = 1;
  private isH265 = false;

  constructor(options: MuxerOptions = {}) {
    this.maxSamplesPerFragment = Math.max(1, Math.floor(options.maxSamplesPerFragment ?? 1));
    this.maxFrameStepMs = options.maxFrameStepMs ?? 5000;
    this.frameDurationTicks = Math.max(1, Math.round((options.defaultFrameDurationMs ?? 1000 / 15) * 90));
  }

  /** Muxes one frame. Its `data` must not change afterwards: what it holds is remembered per Buffer. */
  push(frame: MuxerFrame): MuxerOutput {
    if (this.isH265) return { chunks: [], skipped: 'h265' };
    const { codec, sps, pps, sample, key } = analyse(frame.data);
    if (codec === 'h265') {
      this.isH265 = true;
      return { chunks: [], skipped: 'h265' };
    }
    // Copies: the frame's buffer belongs to the caller.
    if (sps && pps) this.seenSets = { sps: Buffer.from(sps), pps: Buffer.from(pps) };
    if (sample.length === 0) return { chunks: [], skipped: 'no-picture' };
    const sets = this.seenSets;
    const chunks: MuxerChunk[] = [];
    if (key && sets && !sameParameterSets(sets, this.initSets)) {
      const parsed = parseH264Sps(sets.sps);
      if (!parsed.ok) return { chunks: [], skipped: 'bad-sps' };
      chunks.push(...this.finishHeld(frame.timeMs), ...this.flushPending());
      this.initSets = sets;
      chunks.push(initChunk(sets, parsed.value));
    } else if (this.initSets === undefined) {
      return { chunks: [], skipped: 'waiting-for-key-frame' };
    } else {
      chunks.push(...this.finishHeld(frame.timeMs));
    }
    this.held = { sample, key, timeMs: frame.timeMs };
    return { chunks };
  }

  /** Emits the held frame (with the last known duration) and everything pending: end of stream. */
  flush(): MuxerChunk[] {
    return [...this.finishHeld(undefined), ...this.flushPending()];
  }

  /** Moves the held frame into the pending fragment now that its duration is known. */
  private finishHeld(nextTimeMs: number | undefined): MuxerChunk[] {
    const held = this.held;
    if (held === undefined) return [];
    this.held = undefined;
    if (nextTimeMs !== undefined) {
      const step = nextTimeMs - held.timeMs;
      if (step > 0 && step <= this.maxFrameStepMs) this.frameDurationTicks = Math.max(1, Math.round(step * 90));
    }
    const chunks: MuxerChunk[] = [];
    if (held.key) chunks.push(...this.flushPending());
    if (this.pending.length === 0) this.pendingDecodeTime = this.nextDecodeTime;
    this.pending.push({ data: held.sample, duration: this.frameDurationTicks, key: held.key });
    this.nextDecodeTime += this.frameDurationTicks;
    if (this.pending.length >= this.maxSamplesPerFragment) chunks.push(...this.flushPending());
    return chunks;
  }

  private flushPending(): MuxerChunk[] {
    if (this.pending.length === 0) return [];
    const samples = this.pending;
    this.pending = [];
    const bytes = buildMediaFragment({
      sequenceNumber: this.sequenceNumber++,
      baseDecodeTime: this.pendingDecodeTime,
      samples,
    });
    return [{ kind: 'fragment', bytes, frames: samples.length }];
  }
}

function initChunk(sets: ParameterSets, parsedSps: H264Sps): MuxerChunk {
  return {
    kind: 'init',
    bytes: buildInitSegment({ ...sets, parsedSps }),
    codec: avcCodecString(parsedSps),
    width: parsedSps.width,
    height: parsedSps.height,
  };
}

interface FrameAnalysis {
  readonly codec: ReturnType<typeof detectCodec>;
  readonly sps: Buffer | undefined;
  readonly pps: Buffer | undefined;
  readonly sample: Buffer;
  readonly key: boolean;
}

/**
 * What a frame is, worked out once per frame however many viewers mux it: every viewer of a
 * stream gets the same frame Buffer, and splitting it, finding its parameter sets and building
 * its AVCC sample would otherwise be done again for each (bench/video.ts, 50 viewers). Keyed by
 * the Buffer, so it goes with the frame. The sample is never written to, so sharing it is safe.
 */
const analysed = new WeakMap<Buffer, FrameAnalysis>();

function analyse(data: Buffer): FrameAnalysis {
  const known = analysed.get(data);
  if (known) return known;
  const units = splitAnnexB(data);
  const codec = detectCodec(units);
  const { sps, pps } = codec === 'h265' ? { sps: undefined, pps: undefined } : h264ParameterSets(units);
  const sample = codec === 'h265' ? Buffer.alloc(0) : toAvccSample(units);
  const analysis = { codec, sps, pps, sample, key: codec !== 'h265' && isKeyFrame(units, 'h264') };
  analysed.set(data, analysis);
  return analysis;
}

function sameParameterSets(a: ParameterSets, b: ParameterSets | undefined): boolean {
  return b !== undefined && a.sps.equals(b.sps) && a.pps.equals(b.pps);
}

/** AVCC: each kept NAL unit behind its u32 BE length. Empty when the frame holds no picture. */
export function toAvccSample(units: readonly Buffer[]): Buffer {
  const kept = units.filter((unit) => !LEFT_OUT_OF_SAMPLES.has(h264NalType(unit)));
  if (!kept.some((unit) => isVideoSlice(h264NalType(unit)))) return Buffer.alloc(0);
  return Buffer.concat(
    kept.flatMap((unit) => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(unit.length, 0);
      return [length, unit];
    }),
  );
}

function isVideoSlice(type: number): boolean {
  return type >= 1 && type <= 5;
}
