import { parseCgiRequest } from '../wire/cgi';
import { type ResolvedCameraConfig } from './config';

/** What a CGI answer may mention besides the camera's fixed identity. */
export interface CgiContext {
  readonly config: ResolvedCameraConfig;
  readonly httpPort: number;
  readonly nowMs: number;
  readonly currentUsers: number;
}

const FAILURE = 'result=-1;\r\n';

/**
 * Answers one CGI request body with a response body (PROTOCOL.md §5). Only the commands a client
 * needs to prove a session works are modelled; anything else, a bad request or wrong
 * credentials get `result=-1;`, which is what the firmware says.
 */
export function answerCgi(body: Buffer, context: CgiContext): Buffer {
  return Buffer.from(answerText(body, context), 'utf8');
}

function answerText(body: Buffer, context: CgiContext): string {
  const request = parseCgiRequest(body);
  if (!request) return FAILURE;
  const { params } = request;
  // Apps send both spellings; either pair is accepted, the first one present wins.
  const user = params['loginuse'] ?? params['user'];
  const password = params['loginpas'] ?? params['pwd'];
  if (user !== context.config.user || password !== context.config.password) return FAILURE;
  switch (request.cgi) {
    case 'get_status':
      return vars(statusVars(context));
    case 'get_params':
      return vars([...statusVars(context), ...paramVars(context)]);
    case 'check_user':
      return `result= 0;\r\nvar current_users=${context.currentUsers};\r\nvar max_support_users=${context.config.maxSessions};\r\n`;
    default:
      return FAILURE;
  }
}

type Var = readonly [string, string | number];

function vars(list: readonly Var[]): string {
  return list.map(([name, value]) => `var ${name}=${typeof value === 'number' ? value : quote(value)};\r\n`).join('');
}

/** Values are JavaScript string literals in the firmware's output. */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&').replace(/[\r\n]/g, ' ')}"`;
}

function statusVars({ config, httpPort, nowMs }: CgiContext): Var[] {
  return [
    ['alias', config.name],
    ['deviceid', config.uid],
    ['sys_ver', config.firmware],
    ['app_version', config.appVersion],
    ['now', Math.floor(nowMs / 1000)],
    ['tz', 0],
    ['alarm_status', 0],
    ['ddns_status', 0],
    ['upnp_status', 0],
    ['p2pstatus', 1],
    ['mac', config.mac],
    ['wifimac', ''],
    ['ip', config.ip],
    ['httpport', httpPort],
  ];
}

/**
 * The long parameter dump of `get_params.cgi`. Real cameras answer several kilobytes; this one is
 * long enough (well over one DRW) to exercise multi-DRW responses.
 */
function paramVars({ config }: CgiContext): Var[] {
  const list: Var[] = [
    ['mask', config.netmask],
    ['gateway', config.gateway],
    ['dns1', config.dns[0]],
    ['dns2', config.dns[1]],
    ['dhcpen', config.dhcp ? 1 : 0],
    ['ddns_host', config.ddns.server],
    ['ddns_name', config.ddns.name],
    // The DDNS password is a secret (PROTOCOL.md §2): the emulator never repeats it.
    ['ddns_user', config.ddns.user],
  ];
  // Eight user slots, as the firmware lists them; only the first is ever filled. Passwords are left out.
  for (let slot = 1; slot <= 8; slot++) {
    list.push([`user${slot}_name`, slot === 1 ? config.user : ''], [`user${slot}_pri`, slot === 1 ? 255 : 0]);
  }
  for (const name of ['alarm_motion_armed', 'alarm_motion_sensitivity', 'alarm_input_armed', 'alarm_ioin_level']) {
    list.push([name, 0]);
  }
  for (const name of ['alarm_mail', 'alarm_upload_interval', 'alarm_record', 'alarm_preset', 'alarm_ioout_level']) {
    list.push([name, 0]);
  }
  for (let day = 0; day < 7; day++) {
    for (let part = 0; part < 3; part++) list.push([`alarm_schedule_sun_${day}_${part}`, 0]);
  }
  list.push(
    ['mail_sender', ''],
    ['mail_svr', ''],
    ['mail_port', 25],
    ['ftp_svr', ''],
    ['ftp_port', 21],
    ['ntp_enable', 1],
    ['ntp_svr', 'time.nist.gov'],
    ['camera_resolution', 0],
    ['camera_brightness', 128],
    ['camera_contrast', 128],
    ['camera_mode', 0],
    ['camera_flip', 0],
  );
  return list;
}
