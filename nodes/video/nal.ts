import { splitAnnexB } from './annexb';

/**
 * NAL unit types and key-frame detection for the two codecs cameras send. The frame header's type
 * byte is not trusted for key frames (PROTOCOL.md §7.3): the NAL units say what the frame is.
 */

export const H264_NAL = {
  slice: 1,
  idrSlice: 5,
  sei: 6,
  sps: 7,
  pps: 8,
  accessUnitDelimiter: 9,
  filler: 12,
} as const;

export const H265_NAL = {
  idrWithLeading: 19,
  idrNoLeading: 20,
  cleanRandomAccess: 21,
  vps: 32,
  sps: 33,
  pps: 34,
  accessUnitDelimiter: 35,
} as const;

export type VideoCodec = 'h264' | 'h265';

export function h264NalType(unit: Buffer): number {
  return (unit[0] ?? 0) & 0x1f;
}

export function h265NalType(unit: Buffer): number {
  return ((unit[0] ?? 0) >> 1) & 0x3f;
}

/**
 * H.265's two-byte NAL header with layer 0: forbidden bit clear, nuh_layer_id 0 (so the first
 * byte is even), temporal id + 1 at least 1. H.264's SPS and IDR bytes (0x67, 0x65, 0x27, ...) are
 * odd, so they never pass this test.
 */
function isH265BaseLayerHeader(unit: Buffer): boolean {
  const first = unit[0] ?? 0xff;
  const second = unit[1] ?? 0;
  return unit.length >= 2 && (first & 0x81) === 0 && second >> 3 === 0 && (second & 0x07) !== 0;
}

/**
 * Which codec the units are, from the parameter sets only (slices alone are ambiguous between
 * the two headers): an H.264 SPS (type 7 with nal_ref_idc set), or an H.265 VPS or SPS. Undefined
 * when the units carry no parameter set.
 */
export function detectCodec(units: readonly Buffer[]): VideoCodec | undefined {
  for (const unit of units) {
    const first = unit[0] ?? 0x80;
    if ((first & 0x80) !== 0) continue;
    if (isH265BaseLayerHeader(unit)) {
      const type = h265NalType(unit);
      if (type === H265_NAL.vps || type === H265_NAL.sps) return 'h265';
    }
    if (h264NalType(unit) === H264_NAL.sps && first >> 5 !== 0) return 'h264';
  }
  return undefined;
}

/**
 * A frame a decoder can start from: an IDR slice, or (for cameras that send their I frames as
 * non-IDR slices) parameter sets in front of the picture.
 */
export function isKeyFrame(units: readonly Buffer[], codec: VideoCodec): boolean {
  return units.some((unit) => {
    if (codec === 'h264') {
      const type = h264NalType(unit);
      return type === H264_NAL.idrSlice || type === H264_NAL.sps;
    }
    const type = h265NalType(unit);
    return (
      type === H265_NAL.idrWithLeading ||
      type === H265_NAL.idrNoLeading ||
      type === H265_NAL.cleanRandomAccess ||
      type === H265_NAL.vps ||
      type === H265_NAL.sps
    );
  });
}

/** Codec and key-ness of one Annex-B frame; `codec` is the one already known for the stream, if any. */
export function inspectFrame(
  data: Buffer,
  knownCodec?: VideoCodec,
): { units: Buffer[]; codec: VideoCodec | undefined; key: boolean } {
  const units = splitAnnexB(data);
  const codec = detectCodec(units) ?? knownCodec;
  return { units, codec, key: codec !== undefined && isKeyFrame(units, codec) };
}

/** The units an H.264 key frame carries for the decoder configuration: the last SPS and PPS. */
export function h264ParameterSets(units: readonly Buffer[]): { sps?: Buffer; pps?: Buffer } {
  let sps: Buffer | undefined;
  let pps: Buffer | undefined;
  for (const unit of units) {
    const type = h264NalType(unit);
    if (type === H264_NAL.sps) sps = unit;
    else if (type === H264_NAL.pps) pps = unit;
  }
  return { ...(sps ? { sps } : {}), ...(pps ? { pps } : {}) };
}
