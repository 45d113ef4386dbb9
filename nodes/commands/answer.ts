import { type Command } from './catalogue';

/** A CGI answer's values: unquoted numbers as numbers, quoted values as strings. */
export type CgiValues = Readonly<Record<string, string | number>>;

/**
 * What an answer says about the request (PROTOCOL.md §7.2): `result=-2` is a refused login;
 * `result=-1` is a refusal that may be the login or the arguments; a `not support` anywhere in
 * the answer is a command this firmware does not have.
 */
export type Verdict = 'ok' | 'refused-login' | 'refused' | 'unsupported';

export function judge(values: CgiValues): Verdict {
  for (const value of Object.values(values))
    if (typeof value === 'string' && /not\s*support/i.test(value)) return 'unsupported';
  if (values['result'] === -2) return 'refused-login';
  if (values['result'] === -1) return 'refused';
  return 'ok';
}

/**
 * `msg.payload` for an answer: the values as the camera sent them, plus what a flow most wants
 * without knowing the firmware's field names (`state` for a switch, what a PTZ move did).
 */
export function payloadFor(command: Command, values: CgiValues): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) if (!SECRET_FIELD.test(name)) payload[name] = value;
  switch (command.command) {
    case 'light':
      payload['state'] = onOff(values['lightStatus']);
      break;
    case 'siren':
      payload['state'] = onOff(values['sirenStatus']);
      break;
    case 'infrared':
      payload['state'] = onOff(values['InfraredLaser']);
      break;
    case 'ptz':
      payload['action'] = command.action;
      payload['step'] = command.step;
      if (command.action === 'preset-set' || command.action === 'preset-go') payload['preset'] = command.preset;
      break;
    default:
      break;
  }
  return payload;
}

/**
 * Answers such as get_params list the camera's own secrets in clear (user passwords `user1_pwd`,
 * `ddns_pwd`, `mail_pwd`, the Wi-Fi key `wifi_wpa_psk`, ...): they never reach a message.
 */
const SECRET_FIELD = /pwd|pass|pas$|psk|token|secret/i;

function onOff(value: string | number | undefined): 'on' | 'off' | undefined {
  if (value === undefined) return undefined;
  return Number(value) === 0 ? 'off' : 'on';
}
