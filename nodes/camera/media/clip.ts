import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitH264AccessUnits } from '../../video/access-units';
import { inspectFrame } from '../../video/nal';

/**
 * The emulator's video: a 4-second H.264 clip (testsrc2 pattern, which moves, with the clip time
 * drawn on it), 640x360 at 15 frames/s, a key frame (with SPS and PPS in front of it) every
 * 30 frames, no B frames, 157 KiB. Made once with Debian 12's ffmpeg 5.1 / libx264:
 *
 *   ffmpeg -f lavfi -i "testsrc2=size=640x360:rate=15" -t 4 \
 *     -vf "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf:text='vstar-sim %{pts\:hms}':x=16:y=16:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.6" \
 *     -c:v libx264 -profile:v main -preset veryfast -crf 30 -bf 0 -pix_fmt yuv420p \
 *     -x264-params keyint=30:min-keyint=30:scenecut=0:repeat-headers=1 \
 *     -bsf:v filter_units=remove_types=6 -f h264 clip-640x360.h264
 *
 * (`filter_units` drops x264's SEI banner; `repeat-headers` puts SPS/PPS before every key frame,
 * as cameras do.) The snapshot beside it is the pattern's first frame:
 *
 *   ffmpeg -f lavfi -i "testsrc2=size=640x360:rate=15" \
 *     -vf "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf:text='vstar-sim snapshot':x=16:y=16:fontsize=28:fontcolor=white:box=1:boxcolor=black@0.6" \
 *     -frames:v 1 -q:v 7 snapshot-640x360.jpg
 */

export const CLIP_FILE = 'clip-640x360.h264';
export const SNAPSHOT_FILE = 'snapshot-640x360.jpg';
export const CLIP_WIDTH = 640;
export const CLIP_HEIGHT = 360;
export const CLIP_FRAME_RATE = 15;

export interface ClipFrame {
  /** One access unit, Annex-B with 4-byte start codes: what goes after a frame header. */
  readonly data: Buffer;
  readonly key: boolean;
}

/** The media folder: beside this module, in nodes/ under tsx and in dist/ once built (the build copies it). */
export function mediaPath(file: string, folder = __dirname): string {
  return join(folder, file);
}

/** The clip's frames in order; looping them at CLIP_FRAME_RATE gives a seamless stream (it starts with a key frame). */
export function loadClipFrames(folder = __dirname): ClipFrame[] {
  return splitH264AccessUnits(readFileSync(mediaPath(CLIP_FILE, folder))).map((data) => ({
    data,
    key: inspectFrame(data, 'h264').key,
  }));
}

export function loadSnapshot(folder = __dirname): Buffer {
  return readFileSync(mediaPath(SNAPSHOT_FILE, folder));
}
