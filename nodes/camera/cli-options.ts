import { parseArgs } from 'node:util';
import { CGI_LOGIN_MODES, type CgiLoginMode, MAX_VIDEO_BITRATE_KBPS } from './config';
import { MAX_CAMERAS } from './defaults';
import { addressRange, isLoopbackIpv4, parseIpv4 } from './ipv4';

export interface SimOptions {
  readonly count: number;
  readonly address: string;
  readonly dhPort: number;
  readonly searchPort: number;
  readonly passphrase: string | undefined;
  /** Seconds between reboots of the first camera; 0 = never. */
  readonly rebootEverySec: number;
  readonly broadcast: string;
  /** CGI credentials every camera accepts. */
  readonly user: string;
  readonly password: string;
  readonly login: CgiLoginMode;
  readonly silentOnBadLogin: boolean;
  /** Seconds between motion alarms; 0 = never. */
  readonly motionEverySec: number;
  /** Push 0x6040 on session start and 0x6001 on alarm changes, like real cameras. */
  readonly unsolicited: boolean;
  /** Percent of video DRWs lost, and sent out of order, on purpose. */
  readonly videoDropPercent: number;
  readonly videoReorderPercent: number;
  /** Pad the video to this many kbit/s with SEI padding; 0 = the clip as it is. */
  readonly videoKbps: number;
}

/** Firmware keeps user names and passwords in short fixed fields. */
const MAX_CREDENTIAL_LENGTH = 64;

export type ParsedCommand =
  | { readonly kind: 'run'; readonly options: SimOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

export const USAGE = `Usage: vstar-sim [options]

Runs emulated VStarCam cameras on this machine: each answers the DH search (UDP 8600), the
PPPP LAN search (UDP 32108) and holds P2P sessions with keepalive, like a real camera.
Prints one JSON line per camera, then "ready". Stop it with Ctrl-C.

Options:
  --count N              number of cameras (default 1, at most ${MAX_CAMERAS})
  --address A            address of the first camera; the next ones count up (default 127.0.0.2)
  --dh-port P            DH search port (default 8600; 0 = pick a free port)
  --search-port P        PPPP LAN search port (default 32108; 0 = pick a free port)
  --passphrase S         encrypt all PPPP traffic like newer models (e.g. vstarcam2019)
  --reboot-every SEC     reboot camera 1 every SEC seconds: new HTTP and session ports (default 0 = never)
  --broadcast A          broadcast address for the DH reply copies (default 127.255.255.255)
  --allow-non-loopback   allow --address / --broadcast outside 127.0.0.0/8 (real LANs: take care)
  --user U               CGI user name (default admin)
  --password P           CGI password (default 888888)
  --login MODE           plain (default): right credentials suffice; eye4: newer firmware, which
                         also wants get_status.cgi?name=U then eye4_authentication.cgi per session
  --silent-on-bad-login  ignore commands with wrong credentials instead of answering result=-2
  --motion-every SEC     a motion alarm starts whenever Unix time is a multiple of SEC and lasts
                         3 s (or SEC/2 if shorter); shown as alarm_status=1 (default 0 = never)
  --no-unsolicited       do not push the 0x6040 frame on session start and 0x6001 on alarm changes
  --video-drop P         lose P percent of the video DRWs (channel 1), never resent (default 0)
  --video-reorder P      send P percent of the video DRWs after the next one (default 0)
  --video-kbps K         pad the video to K kbit/s with H.264 SEI padding, e.g. 3000 for a
                         1080p-class load; the picture stays the same (default 0 = the clip, ~320)
  -h, --help             show this text

Example:
  vstar-sim --count 3 --reboot-every 60
  vstar-sim --password secret --login eye4 --motion-every 30
`;

/** Parses and checks the command line. Never throws: bad input comes back as an error message. */
export function parseSimArgs(args: readonly string[]): ParsedCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        count: { type: 'string', default: '1' },
        address: { type: 'string', default: '127.0.0.2' },
        'dh-port': { type: 'string', default: '8600' },
        'search-port': { type: 'string', default: '32108' },
        passphrase: { type: 'string' },
        'reboot-every': { type: 'string', default: '0' },
        broadcast: { type: 'string', default: '127.255.255.255' },
        'allow-non-loopback': { type: 'boolean', default: false },
        user: { type: 'string', default: 'admin' },
        password: { type: 'string', default: '888888' },
        login: { type: 'string', default: 'plain' },
        'silent-on-bad-login': { type: 'boolean', default: false },
        'motion-every': { type: 'string', default: '0' },
        'no-unsolicited': { type: 'boolean', default: false },
        'video-drop': { type: 'string', default: '0' },
        'video-reorder': { type: 'string', default: '0' },
        'video-kbps': { type: 'string', default: '0' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  if (values.help) return { kind: 'help' };
  const problems: string[] = [];
  const integer = (name: string, text: string, min: number, max: number): number => {
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(value >= min && value <= max)) problems.push(`--${name} must be an integer from ${min} to ${max}`);
    return value;
  };
  const count = integer('count', values.count, 1, MAX_CAMERAS);
  const dhPort = integer('dh-port', values['dh-port'], 0, 65535);
  const searchPort = integer('search-port', values['search-port'], 0, 65535);
  const rebootEverySec = integer('reboot-every', values['reboot-every'], 0, 24 * 3600);
  const motionEverySec = integer('motion-every', values['motion-every'], 0, 24 * 3600);
  const percent = (name: string, text: string): number => {
    const value = /^\d{1,3}(\.\d{1,6})?$/.test(text) ? Number(text) : NaN;
    if (!(value >= 0 && value <= 100)) problems.push(`--${name} must be a percentage from 0 to 100`);
    return value;
  };
  const videoDropPercent = percent('video-drop', values['video-drop']);
  const videoReorderPercent = percent('video-reorder', values['video-reorder']);
  const videoKbps = integer('video-kbps', values['video-kbps'], 0, MAX_VIDEO_BITRATE_KBPS);
  const { user, password } = values;
  if (user === '' || user.length > MAX_CREDENTIAL_LENGTH) {
    problems.push(`--user must be 1 to ${MAX_CREDENTIAL_LENGTH} characters`);
  }
  if (password.length > MAX_CREDENTIAL_LENGTH)
    problems.push(`--password must be at most ${MAX_CREDENTIAL_LENGTH} characters`);
  const login = CGI_LOGIN_MODES.find((mode) => mode === values.login);
  if (login === undefined) problems.push(`--login must be ${CGI_LOGIN_MODES.join(' or ')}`);
  const { address, broadcast } = values;
  if (parseIpv4(address) === undefined) problems.push(`--address ${address} is not an IPv4 address`);
  if (parseIpv4(broadcast) === undefined) problems.push(`--broadcast ${broadcast} is not an IPv4 address`);
  if (problems.length === 0) {
    const range = addressRange(address, count);
    const last = range?.[range.length - 1];
    if (!range || last === undefined) problems.push(`${count} cameras from ${address} run past 255.255.255.255`);
    else if (range.includes(broadcast))
      problems.push(`the camera addresses include the broadcast address ${broadcast}`);
    // Safety: by default nothing may leave the machine. Every camera address is checked, so a
    // range starting at 127.255.255.250 cannot spill into 128.0.0.0.
    else if (!values['allow-non-loopback']) {
      if (!isLoopbackIpv4(address) || !isLoopbackIpv4(last)) {
        problems.push(
          `camera addresses ${address}..${last} leave 127.0.0.0/8; add --allow-non-loopback to use a real network`,
        );
      }
      if (!isLoopbackIpv4(broadcast)) {
        problems.push(
          `--broadcast ${broadcast} is outside 127.0.0.0/8; add --allow-non-loopback to use a real network`,
        );
      }
    }
  }
  if (values.passphrase === '') problems.push('--passphrase must not be empty');
  if (problems.length > 0 || login === undefined) return { kind: 'error', message: problems.join('\n') };
  return {
    kind: 'run',
    options: {
      count,
      address,
      dhPort,
      searchPort,
      passphrase: values.passphrase,
      rebootEverySec,
      broadcast,
      user,
      password,
      login,
      silentOnBadLogin: values['silent-on-bad-login'],
      motionEverySec,
      unsolicited: !values['no-unsolicited'],
      videoDropPercent,
      videoReorderPercent,
      videoKbps,
    },
  };
}
