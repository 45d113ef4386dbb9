import { CGI_RESPONSE_CODES } from '../../wire/cgi';
import { type ClockSettings } from '../camera-state';
import { type CgiHandler, answer } from './context';
import { RESULT_FAILED, integerParam } from './format';

/** The largest |tz| real firmware offers: UTC-12 .. UTC+14, in seconds. */
const MAX_TZ_SECONDS = 14 * 3600;
/** What vstarcamctl expects a successful `set_datetime.cgi` to answer. */
const DATETIME_OK = 'result="ok";\r\n';

/**
 * `set_datetime.cgi?now=<unix s>&tz=<seconds west of UTC>&ntp_enable=0|1&ntp_svr=<host>` (parameter
 * names as vstarcamctl sends them). Each parameter is optional; a malformed one fails the whole
 * command with `result=-1` and changes nothing.
 */
export const setDatetime: CgiHandler = ({ params }, { state, nowMs }) => {
  const code = CGI_RESPONSE_CODES.set_datetime;
  const settings: { -readonly [K in keyof ClockSettings]?: ClockSettings[K] } = {};
  let now: number | undefined;
  if (params['now'] !== undefined) {
    now = integerParam(params['now'], 0, 0xffffffff);
    if (now === undefined) return answer(code, RESULT_FAILED);
  }
  if (params['tz'] !== undefined) {
    const tz = integerParam(params['tz'], -MAX_TZ_SECONDS, MAX_TZ_SECONDS);
    if (tz === undefined) return answer(code, RESULT_FAILED);
    settings.tz = tz;
  }
  if (params['ntp_enable'] !== undefined) {
    const enable = integerParam(params['ntp_enable'], 0, 1);
    if (enable === undefined) return answer(code, RESULT_FAILED);
    settings.ntpEnable = enable === 1;
  }
  if (params['ntp_svr'] !== undefined) settings.ntpServer = params['ntp_svr'].slice(0, MAX_NTP_SERVER_LENGTH);
  state.setClock(nowMs, now, settings);
  return answer(code, DATETIME_OK);
};

/** Firmware keeps the NTP host in a 64-byte field. */
const MAX_NTP_SERVER_LENGTH = 64;
