import { CGI_RESPONSE_CODES } from '../../wire/cgi';
import { type CgiContext, type CgiHandler, answer } from './context';
import { type Var, formatVars } from './format';

/** `get_status.cgi`: identity, clock and alarm state. Also the body of the unsolicited 0x6001 frame. */
export function statusBody(context: CgiContext): string {
  return formatVars(statusVars(context));
}

export const getStatus: CgiHandler = (_request, context) => answer(CGI_RESPONSE_CODES.get_status, statusBody(context));

export const getParams: CgiHandler = (_request, context) =>
  answer(CGI_RESPONSE_CODES.get_params, formatVars([...statusVars(context), ...paramVars(context)]));

/**
 * `get_camera_params.cgi`: the image settings, plus `ircut` (infrared on) and three fields no real
 * camera has (`ptz_x`, `ptz_y`, `ptz_moving`) so tests can see where the emulated head points.
 */
export const getCameraParams: CgiHandler = (_request, { state, nowMs }) => {
  const position = state.position(nowMs);
  return answer(
    CGI_RESPONSE_CODES.get_camera_params,
    formatVars([
      ['resolution', 0],
      ['vbright', 128],
      ['vcontrast', 128],
      ['vhue', 0],
      ['vsaturation', 128],
      ['OSDEnable', 1],
      ['mode', 0],
      ['flip', 0],
      ['enc_framerate', 15],
      ['sub_enc_framerate', 15],
      ['ircut', state.infrared ? 1 : 0],
      ['ptz_x', position.x],
      ['ptz_y', position.y],
      ['ptz_moving', state.isMoving(nowMs) ? 1 : 0],
    ]),
  );
};

function statusVars({ config, state, httpPort, nowMs }: CgiContext): Var[] {
  return [
    ['alias', config.name],
    ['deviceid', config.uid],
    ['sys_ver', config.firmware],
    ['app_version', config.appVersion],
    ['now', state.nowSeconds(nowMs)],
    ['tz', state.clockSettings.tz],
    ['alarm_status', state.alarmStatus(nowMs)],
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
function paramVars({ config, state }: CgiContext): Var[] {
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
    list.push([name, name === 'alarm_motion_armed' && config.motionEveryMs > 0 ? 1 : 0]);
  }
  for (const name of ['alarm_mail', 'alarm_upload_interval', 'alarm_record', 'alarm_preset', 'alarm_ioout_level']) {
    list.push([name, 0]);
  }
  for (let day = 0; day < 7; day++) {
    for (let part = 0; part < 3; part++) list.push([`alarm_schedule_sun_${day}_${part}`, 0]);
  }
  const clock = state.clockSettings;
  list.push(
    ['mail_sender', ''],
    ['mail_svr', ''],
    ['mail_port', 25],
    ['ftp_svr', ''],
    ['ftp_port', 21],
    ['ntp_enable', clock.ntpEnable ? 1 : 0],
    ['ntp_svr', clock.ntpServer],
    ['camera_resolution', 0],
    ['camera_brightness', 128],
    ['camera_contrast', 128],
    ['camera_mode', 0],
    ['camera_flip', 0],
  );
  return list;
}
