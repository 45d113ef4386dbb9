import { joinAnnexB, splitAnnexB } from './annexb';
import { H264_NAL, h264NalType, h264ParameterSets } from './nal';

/**
 * A raw `.h264` stream must open with SPS and PPS before its first key frame, or no decoder can
 * start. Cameras usually repeat them in front of every key frame; for those that send them only
 * once, this remembers the latest pair and puts it in front of a key frame that lacks it.
 */
export class H264ParameterSetMemory {
  private sps: Buffer | undefined;
  private pps: Buffer | undefined;

  /** Call for every frame of the camera's stream, watched or not. */
  observe(data: Buffer): void {
    const sets = h264ParameterSets(splitAnnexB(data));
    if (sets.sps) this.sps = Buffer.from(sets.sps);
    if (sets.pps) this.pps = Buffer.from(sets.pps);
  }

  /** The key frame, with SPS and PPS in front if it lacks them; undefined while none are known. */
  startingWith(keyFrame: Buffer): Buffer | undefined {
    const units = splitAnnexB(keyFrame);
    const hasSps = units.some((unit) => h264NalType(unit) === H264_NAL.sps);
    const hasPps = units.some((unit) => h264NalType(unit) === H264_NAL.pps);
    if (hasSps && hasPps) return keyFrame;
    const sps = hasSps ? undefined : this.sps;
    const pps = hasPps ? undefined : this.pps;
    if ((!hasSps && sps === undefined) || (!hasPps && pps === undefined)) return undefined;
    return joinAnnexB([...(sps ? [sps] : []), ...(pps ? [pps] : []), ...units]);
  }
}
