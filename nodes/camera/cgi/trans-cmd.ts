import { CGI_RESPONSE_CODES } from '../../wire/cgi';
import { type CameraState } from '../camera-state';
import { type CgiHandler, type CgiReply, answer } from './context';
import { NOT_SUPPORTED, RESULT_FAILED, type Var, formatBareVars, integerParam } from './format';

const CODE = CGI_RESPONSE_CODES.trans_cmd_string;
/** White light and siren (PROTOCOL.md §7.2, vstarcamctl's catalogue). */
const CMD_LIGHT_SIREN = 2109;
/** Infrared LEDs and IR-cut filter. */
const CMD_INFRARED = 2120;
const SET = 0;
/** `cmd=2109` reads with `command=2`. */
const READ_LIGHT_SIREN = 2;
/** `cmd=2120` reads with `command=1` (seen in the O-KAM app, answer fields not public: this emulator's choice). */
const READ_INFRARED = 1;

/**
 * `trans_cmd_string.cgi?cmd=N&command=M&...`. Answers are bare `name=value;` lines echoing `cmd`
 * and `command`, with `result=0` and the switch states after the command; a set answers with the
 * new state too. An unknown `cmd` gets `not support`; a bad value `result=-1`.
 */
export const transCmdString: CgiHandler = ({ params }, { state }) => {
  const cmd = integerParam(params['cmd'], 0, 0xffff);
  const command = integerParam(params['command'], 0, 0xffff);
  if (cmd === CMD_LIGHT_SIREN) return lightSiren(command, params, state);
  if (cmd === CMD_INFRARED) return infrared(command, params, state);
  return answer(CODE, NOT_SUPPORTED);
};

function lightSiren(
  command: number | undefined,
  params: Readonly<Record<string, string>>,
  state: CameraState,
): CgiReply {
  if (command === SET) {
    const light = switchParam(params['light']);
    const siren = switchParam(params['siren']);
    if (light === 'bad' || siren === 'bad' || (light === undefined && siren === undefined)) {
      return answer(CODE, RESULT_FAILED);
    }
    if (light !== undefined) state.light = light;
    if (siren !== undefined) state.siren = siren;
  } else if (command !== READ_LIGHT_SIREN) {
    return answer(CODE, RESULT_FAILED);
  }
  return answer(
    CODE,
    formatBareVars([
      ...echo(CMD_LIGHT_SIREN, command),
      ['lightStatus', state.light ? 1 : 0],
      ['sirenStatus', state.siren ? 1 : 0],
    ]),
  );
}

function infrared(command: number | undefined, params: Readonly<Record<string, string>>, state: CameraState): CgiReply {
  if (command === SET) {
    const on = switchParam(params['InfraredLaser']);
    if (on === 'bad' || on === undefined) return answer(CODE, RESULT_FAILED);
    state.infrared = on;
  } else if (command !== READ_INFRARED) {
    return answer(CODE, RESULT_FAILED);
  }
  return answer(CODE, formatBareVars([...echo(CMD_INFRARED, command), ['InfraredLaser', state.infrared ? 1 : 0]]));
}

function echo(cmd: number, command: number): Var[] {
  return [
    ['cmd', cmd],
    ['command', command],
    ['result', 0],
  ];
}

function switchParam(text: string | undefined): boolean | undefined | 'bad' {
  if (text === undefined) return undefined;
  if (text === '0' || text === '1') return text === '1';
  return 'bad';
}
