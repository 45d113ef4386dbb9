import { type H264Sps } from './h264-sps';
import { UNITY_MATRIX, box, fullBox, u16, u32, u8, zeros } from './mp4-box';

/**
 * The initialization segment of a fragmented MP4 with one H.264 track: ftyp and a moov whose
 * sample tables are empty (the samples live in the fragments) plus mvex, which announces them.
 * This is the part Media Source Extensions and ffprobe read first.
 */

export const VIDEO_TRACK_ID = 1;
/** 90 kHz, the RTP / MPEG clock: millisecond frame times are exact in it. */
export const VIDEO_TIMESCALE = 90_000;
const MOVIE_TIMESCALE = 1000;

export interface InitSegmentInput {
  readonly sps: Buffer;
  readonly pps: Buffer;
  readonly parsedSps: H264Sps;
}

export function buildInitSegment(input: InitSegmentInput): Buffer {
  const { width, height } = input.parsedSps;
  const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), u32(0x200), Buffer.from('isomiso6avc1mp41', 'latin1'));
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    u32(0), // creation time
    u32(0), // modification time
    u32(MOVIE_TIMESCALE),
    u32(0), // duration: unknown, live
    u32(0x00010000), // rate 1.0
    u16(0x0100), // volume 1.0
    zeros(10),
    UNITY_MATRIX,
    zeros(24),
    u32(VIDEO_TRACK_ID + 1), // next_track_ID
  );
  const tkhd = fullBox(
    'tkhd',
    0,
    0x000003, // enabled, in movie
    u32(0),
    u32(0),
    u32(VIDEO_TRACK_ID),
    u32(0),
    u32(0), // duration
    zeros(8),
    u16(0), // layer
    u16(0), // alternate group
    u16(0), // volume: video
    u16(0),
    UNITY_MATRIX,
    u32(width * 0x10000),
    u32(height * 0x10000),
  );
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(VIDEO_TIMESCALE), u32(0), u16(0x55c4 /* "und" */), u16(0));
  const hdlr = fullBox('hdlr', 0, 0, u32(0), Buffer.from('vide', 'latin1'), zeros(12), Buffer.from('VideoHandler\0'));
  const vmhd = fullBox('vmhd', 0, 1, u16(0), zeros(6));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), avc1SampleEntry(input)),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  const trak = box('trak', tkhd, box('mdia', mdhd, hdlr, box('minf', vmhd, dinf, stbl)));
  const trex = fullBox('trex', 0, 0, u32(VIDEO_TRACK_ID), u32(1), u32(0), u32(0), u32(0));
  return Buffer.concat([ftyp, box('moov', mvhd, trak, box('mvex', trex))]);
}

function avc1SampleEntry(input: InitSegmentInput): Buffer {
  const { width, height } = input.parsedSps;
  const compressorName = zeros(32);
  return box(
    'avc1',
    zeros(6),
    u16(1), // data_reference_index
    zeros(16), // pre_defined, reserved
    u16(width),
    u16(height),
    u32(0x00480000), // 72 dpi
    u32(0x00480000),
    u32(0),
    u16(1), // frame_count
    compressorName,
    u16(0x0018), // depth
    u16(0xffff), // pre_defined = -1
    avcConfigurationBox(input),
  );
}

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1), with 4-byte NAL lengths. */
function avcConfigurationBox({ sps, pps, parsedSps }: InitSegmentInput): Buffer {
  const parts = [
    u8(1), // configurationVersion
    u8(parsedSps.profileIdc),
    u8(parsedSps.profileCompatibility),
    u8(parsedSps.levelIdc),
    u8(0xfc | 3), // lengthSizeMinusOne = 3
    u8(0xe0 | 1), // one SPS
    u16(sps.length),
    sps,
    u8(1), // one PPS
    u16(pps.length),
    pps,
  ];
  if (
    parsedSps.profileIdc === 100 ||
    parsedSps.profileIdc === 110 ||
    parsedSps.profileIdc === 122 ||
    parsedSps.profileIdc === 144
  ) {
    parts.push(
      u8(0xfc | parsedSps.chromaFormatIdc),
      u8(0xf8 | (parsedSps.bitDepthLuma - 8)),
      u8(0xf8 | (parsedSps.bitDepthChroma - 8)),
      u8(0), // no SPS extensions
    );
  }
  return box('avcC', ...parts);
}
