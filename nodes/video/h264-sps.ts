import { type Decoded, fail, ok } from '../wire/result';
import { unescapeRbsp } from './annexb';
import { BitReader } from './bit-reader';

/**
 * The fields of an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1) that a muxer needs:
 * the picture size after cropping, and profile / level for the `avc1.PPCCLL` codec string.
 */
export interface H264Sps {
  readonly profileIdc: number;
  /** constraint_set0..5 flags and the reserved bits: the byte between profile and level. */
  readonly profileCompatibility: number;
  readonly levelIdc: number;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly width: number;
  readonly height: number;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling lists. */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);
/** Larger pictures than this are not a camera's: a corrupt SPS. */
const MAX_DIMENSION = 16384;

/** Parses an SPS NAL unit (with its one-byte NAL header, without a start code). */
export function parseH264Sps(unit: Buffer): Decoded<H264Sps> {
  if (unit.length < 4) return fail('too-short', `SPS needs at least 4 bytes, got ${unit.length}`);
  if (((unit[0] ?? 0) & 0x1f) !== 7) return fail('bad-field', 'not an SPS NAL unit (type 7)');
  const reader = new BitReader(unescapeRbsp(unit.subarray(1)));
  const profileIdc = reader.bits(8);
  const profileCompatibility = reader.bits(8);
  const levelIdc = reader.bits(8);
  reader.unsignedExpGolomb(); // seq_parameter_set_id

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = reader.unsignedExpGolomb();
    if (chromaFormatIdc > 3) return fail('bad-field', `chroma_format_idc ${chromaFormatIdc}`);
    if (chromaFormatIdc === 3) separateColourPlane = reader.bit() === 1;
    bitDepthLuma = 8 + reader.unsignedExpGolomb();
    bitDepthChroma = 8 + reader.unsignedExpGolomb();
    reader.bit(); // qpprime_y_zero_transform_bypass_flag
    if (reader.bit() === 1) skipScalingMatrix(reader, chromaFormatIdc === 3 ? 12 : 8);
  }

  reader.unsignedExpGolomb(); // log2_max_frame_num_minus4
  const picOrderCntType = reader.unsignedExpGolomb();
  if (picOrderCntType === 0) {
    reader.unsignedExpGolomb(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (picOrderCntType === 1) {
    reader.bit(); // delta_pic_order_always_zero_flag
    reader.signedExpGolomb(); // offset_for_non_ref_pic
    reader.signedExpGolomb(); // offset_for_top_to_bottom_field
    const cycleLength = reader.unsignedExpGolomb();
    if (cycleLength > 255) return fail('bad-field', `num_ref_frames_in_pic_order_cnt_cycle ${cycleLength}`);
    for (let i = 0; i < cycleLength; i++) reader.signedExpGolomb();
  } else if (picOrderCntType !== 2) {
    return fail('bad-field', `pic_order_cnt_type ${picOrderCntType}`);
  }
  reader.unsignedExpGolomb(); // max_num_ref_frames
  reader.bit(); // gaps_in_frame_num_value_allowed_flag
  const widthInMbs = reader.unsignedExpGolomb() + 1;
  const heightInMapUnits = reader.unsignedExpGolomb() + 1;
  const frameMbsOnly = reader.bit() === 1;
  if (!frameMbsOnly) reader.bit(); // mb_adaptive_frame_field_flag
  reader.bit(); // direct_8x8_inference_flag
  let crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (reader.bit() === 1) {
    crop = {
      left: reader.unsignedExpGolomb(),
      right: reader.unsignedExpGolomb(),
      top: reader.unsignedExpGolomb(),
      bottom: reader.unsignedExpGolomb(),
    };
  }
  if (reader.overrun) return fail('too-short', 'SPS ends before its picture size');

  // Cropping is counted in chroma samples (§7.4.2.1.1, ChromaArrayType), and in field pairs for
  // interlaced streams.
  const fieldFactor = frameMbsOnly ? 1 : 2;
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const cropUnitX = chromaArrayType === 0 ? 1 : chromaFormatIdc === 3 ? 1 : 2;
  const cropUnitY = (chromaArrayType === 0 ? 1 : chromaFormatIdc === 1 ? 2 : 1) * fieldFactor;
  const width = widthInMbs * 16 - cropUnitX * (crop.left + crop.right);
  const height = heightInMapUnits * 16 * fieldFactor - cropUnitY * (crop.top + crop.bottom);
  if (width <= 0 || height <= 0 || width > MAX_DIMENSION || height > MAX_DIMENSION) {
    return fail('bad-field', `picture size ${width}x${height} is out of range`);
  }
  return ok({
    profileIdc,
    profileCompatibility,
    levelIdc,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
  });
}

function skipScalingMatrix(reader: BitReader, listCount: number): void {
  for (let i = 0; i < listCount; i++) {
    if (reader.bit() === 0) continue; // seq_scaling_list_present_flag
    const size = i < 6 ? 16 : 64;
    let lastScale = 8;
    let nextScale = 8;
    for (let j = 0; j < size && !reader.overrun; j++) {
      if (nextScale !== 0) nextScale = (lastScale + reader.signedExpGolomb() + 256) % 256;
      lastScale = nextScale === 0 ? lastScale : nextScale;
    }
  }
}

/** `avc1.PPCCLL`, the RFC 6381 codec string that MSE's `isTypeSupported` and `<source type>` want. */
export function avcCodecString(sps: H264Sps): string {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `avc1.${hex(sps.profileIdc)}${hex(sps.profileCompatibility)}${hex(sps.levelIdc)}`;
}
