import { CGI_RESPONSE_CODES } from '../../wire/cgi';
import { type CgiHandler, answer } from './context';
import { RESULT_FAILED, RESULT_OK, integerParam } from './format';

const CODE = CGI_RESPONSE_CODES.decoder_control;

/**
 * `decoder_control.cgi?command=C&onestep=0|1` (PROTOCOL.md §7.2). `result=-1` for a command
 * outside the table or a preset never set; `result=0` otherwise.
 */
export const decoderControl: CgiHandler = ({ params }, { state, nowMs }) => {
  const command = integerParam(params['command'], 0, 0xffff);
  if (command === undefined) return answer(CODE, RESULT_FAILED);
  const outcome = state.decoderControl(command, params['onestep'] === '1', nowMs);
  return answer(CODE, outcome === 'ok' ? RESULT_OK : RESULT_FAILED);
};
