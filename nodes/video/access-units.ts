import { joinAnnexB, splitAnnexB } from './annexb';
import { H264_NAL, h264NalType } from './nal';

/**
 * Cuts an H.264 Annex-B elementary stream (a `.h264` file) into access units, one per picture,
 * the way a camera sends them one per video frame. A picture starts at a slice whose
 * first_mb_in_slice is 0 (its ue(v) code is a single 1 bit), and the SPS / PPS / SEI / AUD in front
 * of a slice belong to the picture that follows them. Each access unit is re-emitted with 4-byte
 * start codes.
 */
export function splitH264AccessUnits(stream: Buffer): Buffer[] {
  const pictures: Buffer[][] = [];
  let prefix: Buffer[] = [];
  for (const unit of splitAnnexB(stream)) {
    const type = h264NalType(unit);
    const isSlice = type === H264_NAL.slice || type === H264_NAL.idrSlice;
    const current = pictures[pictures.length - 1];
    if (isSlice && (unit[1] ?? 0) & 0x80) {
      pictures.push([...prefix, unit]);
      prefix = [];
    } else if (isSlice && current !== undefined && prefix.length === 0) {
      current.push(unit); // a further slice of the same picture
    } else {
      prefix.push(unit);
    }
  }
  return pictures.map((units) => joinAnnexB(units));
}
