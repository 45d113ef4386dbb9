import { CGI_RESPONSE_CODES, cgiResponseCode, parseCgiRequest } from '../wire/cgi';
import { type CgiContext, type CgiHandler, type CgiReply, answer } from './cgi/context';
import { decoderControl } from './cgi/ptz';
import { setDatetime } from './cgi/datetime';
import { NOT_SUPPORTED, RESULT_FAILED, RESULT_OK } from './cgi/format';
import { checkLogin, checkUser, eye4Authentication } from './cgi/login';
import { livestream, snapshot } from './cgi/media';
import { getCameraParams, getParams, getStatus } from './cgi/status';
import { transCmdString } from './cgi/trans-cmd';

export { type CgiContext, type CgiReply, type SessionLogin } from './cgi/context';

/**
 * The code of answers to requests the camera cannot place: junk and unknown CGI names. It is
 * the code field of the request (clients send 0), as the emulator cannot name a command it does
 * not know; real firmware's choice here is not documented.
 */
export const UNKNOWN_COMMAND_CODE = 0;

/** `reboot.cgi` answers, then the machine reboots the camera (`rebootDelayMs` later). */
const reboot: CgiHandler = () => ({
  kind: 'answer',
  code: CGI_RESPONSE_CODES.reboot,
  body: RESULT_OK,
  thenReboot: true,
});

/** Every command the emulator knows; anything else answers `not support`. */
const HANDLERS: ReadonlyMap<string, CgiHandler> = new Map<string, CgiHandler>([
  ['get_status', getStatus],
  ['get_params', getParams],
  ['get_camera_params', getCameraParams],
  ['check_user', checkUser],
  ['decoder_control', decoderControl],
  ['trans_cmd_string', transCmdString],
  ['set_datetime', setDatetime],
  ['reboot', reboot],
  ['eye4_authentication', eye4Authentication],
  ['snapshot', snapshot],
  ['livestream', livestream],
]);

/**
 * Answers one CGI request body (PROTOCOL.md §5, §7.2): the command's handler runs once the login
 * rules let it (`cgi/login.ts`). Unknown names answer `not support` whatever the credentials, so a
 * client can tell "unsupported" from "refused"; `eye4_authentication` is unknown to `plain` cameras,
 * as it is to older firmware.
 */
export function answerCgi(body: Buffer, context: CgiContext): CgiReply {
  const request = parseCgiRequest(body);
  if (!request) return answer(UNKNOWN_COMMAND_CODE, RESULT_FAILED);
  const handler = HANDLERS.get(request.cgi);
  if (!handler || (request.cgi === 'eye4_authentication' && context.config.login === 'plain')) {
    return answer(UNKNOWN_COMMAND_CODE, NOT_SUPPORTED);
  }
  const code = cgiResponseCode(request.cgi) ?? UNKNOWN_COMMAND_CODE;
  return checkLogin(request, code, context) ?? handler(request, context);
}
