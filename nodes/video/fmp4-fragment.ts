import { VIDEO_TRACK_ID } from './fmp4-init';
import { box, fullBox, i32, u32, u64 } from './mp4-box';

/**
 * One media fragment of the fragmented MP4: moof (which samples, how long, which are key frames)
 * followed by mdat (the samples themselves, AVCC: 4-byte length before each NAL unit).
 */

export interface Mp4Sample {
  /** AVCC bytes of one access unit. */
  readonly data: Buffer;
  /** In VIDEO_TIMESCALE ticks. */
  readonly duration: number;
  readonly key: boolean;
}

export interface FragmentInput {
  /** Starts at 1 and grows by one per fragment (mfhd). */
  readonly sequenceNumber: number;
  /** Decode time of the first sample, in VIDEO_TIMESCALE ticks (tfdt). */
  readonly baseDecodeTime: number;
  readonly samples: readonly Mp4Sample[];
}

/** sample_depends_on = 2: decodable alone. */
const SYNC_SAMPLE_FLAGS = 0x02000000;
/** sample_depends_on = 1 and sample_is_non_sync_sample. */
const NON_SYNC_SAMPLE_FLAGS = 0x01010000;
/** tfhd: offsets count from the start of moof, as MSE requires. */
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
/** trun: data offset, then per-sample duration, size and flags. */
const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400;
const MDAT_HEADER_LENGTH = 8;

export function buildMediaFragment(input: FragmentInput): Buffer {
  // The trun's data offset depends on moof's own size; that size does not depend on the
  // offset's value, so build once with 0, measure, and build again.
  const moofWith = (dataOffset: number): Buffer =>
    box(
      'moof',
      fullBox('mfhd', 0, 0, u32(input.sequenceNumber)),
      box(
        'traf',
        fullBox('tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF, u32(VIDEO_TRACK_ID)),
        fullBox('tfdt', 1, 0, u64(input.baseDecodeTime)),
        fullBox(
          'trun',
          0,
          TRUN_FLAGS,
          u32(input.samples.length),
          i32(dataOffset),
          ...input.samples.flatMap((sample) => [
            u32(sample.duration),
            u32(sample.data.length),
            u32(sample.key ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS),
          ]),
        ),
      ),
    );
  const moof = moofWith(moofWith(0).length + MDAT_HEADER_LENGTH);
  return Buffer.concat([moof, box('mdat', ...input.samples.map((sample) => sample.data))]);
}
