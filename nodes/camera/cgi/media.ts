import { CGI_RESPONSE_CODES, MAX_CGI_BODY } from '../../wire/cgi';
import { sharedSnapshot } from '../media/library';
import { type CgiHandler, answer } from './context';
import { RESULT_FAILED, RESULT_OK, integerParam } from './format';

/** `livestream.cgi?streamid=10&substream=N&` starts the session's video; `streamid=16` stops it (PROTOCOL.md §7.2). */
export const STREAM_ID_START = 10;
export const STREAM_ID_STOP = 16;
/** Substreams accepted; every one plays the same 640x360 clip (a real camera maps them to resolutions per model). */
const MAX_SUBSTREAM = 15;

/**
 * `snapshot.cgi?res=N&`: the JPEG of the clip's first frame as the body of a 0x6015 block. `res`
 * is ignored, as some firmware does. The CGI length field is u16, so a JPEG beyond 65,535 bytes
 * could not be framed: the machine answers `result=-1` instead of a truncated image.
 */
export const snapshot: CgiHandler = () => {
  const jpeg = sharedSnapshot();
  const code = CGI_RESPONSE_CODES.snapshot;
  return jpeg.length <= MAX_CGI_BODY ? answer(code, jpeg) : answer(code, RESULT_FAILED);
};

export const livestream: CgiHandler = ({ params }) => {
  const code = CGI_RESPONSE_CODES.livestream;
  const streamId = integerParam(params['streamid'], 0, 0xff);
  if (streamId === STREAM_ID_STOP) return { kind: 'answer', code, body: RESULT_OK, video: { action: 'stop' } };
  if (streamId !== STREAM_ID_START) return answer(code, RESULT_FAILED);
  const substream = integerParam(params['substream'] ?? '0', 0, MAX_SUBSTREAM);
  if (substream === undefined) return answer(code, RESULT_FAILED);
  return { kind: 'answer', code, body: RESULT_OK, video: { action: 'start', substream } };
};
