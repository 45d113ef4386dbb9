import { type Ddns, type DhRecord } from '../wire/dh';
import { type Did, didToUid, formatDid, parseDid } from '../wire/did';

/** Everything one emulated camera is: its identity (what the DH reply says) and its behaviour. */
export interface CameraConfig {
  /** DID, dashed or not; normalised to `uid` / `did` by `resolveCameraConfig`. */
  readonly uid: string;
  readonly ip: string;
  readonly mac: string;
  readonly name: string;
  readonly httpPort: number;
  readonly firmware: string;
  readonly appVersion: string;
  readonly netmask: string;
  readonly gateway: string;
  readonly dns: readonly [string, string];
  readonly dhcp: boolean;
  readonly ddns: Ddns;
  /** Where the DH reply's second copy goes (PROTOCOL.md §2); tests use 127.255.255.255. */
  readonly broadcastAddress: string;
  /** When set, every PPPP datagram in and out is encrypted (PROTOCOL.md §6) and plaintext is ignored. */
  readonly passphrase: string | undefined;
  /** CGI login (factory default admin / 888888). */
  readonly user: string;
  readonly password: string;
  /**
   * `plain`: matching credentials are enough. `eye4`: newer firmware, which also wants
   * `get_status.cgi?name=U` then `eye4_authentication.cgi` in the same session (PROTOCOL.md §7.2).
   */
  readonly login: CgiLoginMode;
  /** Wrong credentials get no answer at all instead of `result=-2;`, as some firmware does. */
  readonly silentOnBadLogin: boolean;
  /** A motion alarm starts whenever Unix time (ms) is a multiple of this, for min(3 s, half of it); 0 = never. */
  readonly motionEveryMs: number;
  /** Send the frames real cameras push unasked: 0x6040 when a session opens, 0x6001 when the alarm changes. */
  readonly unsolicitedFrames: boolean;
  /** After answering `reboot.cgi` the camera reboots this much later (so the answer can be ACKed first). */
  readonly rebootDelayMs: number;
  /** Clients beyond this many are refused silently, as a full camera does. */
  readonly maxSessions: number;
  readonly aliveIntervalMs: number;
  /** A session that heard nothing from its client for this long gets CLOSE and is dropped. */
  readonly closeAfterSilenceMs: number;
  /** P2P_RDY copies per accepted PUNCH echo (real cameras send 2–10). */
  readonly readyCopies: number;
  /** An un-ACKed outgoing DRW is sent again after this long, with the same index. */
  readonly drwRetransmitMs: number;
  /** Sends of one DRW (the first included) before the camera gives it up. */
  readonly drwMaxTries: number;
  /** Percent (0..100) of video DRWs (channel 1) never sent, so clients meet gaps in the stream. */
  readonly videoDropPercent: number;
  /** Percent (0..100) of video DRWs sent after the one that follows them. */
  readonly videoReorderPercent: number;
  /**
   * Video bitrate to pad the clip up to with H.264 SEI padding (kbit/s; 0 = the clip as it is, about
   * 320): heavier streams for load tests, with the same picture.
   */
  readonly videoBitrateKbps: number;
}

/** 50 Mbit/s: well beyond any camera's main stream, and frames stay far below the assembler's cap. */
export const MAX_VIDEO_BITRATE_KBPS = 50_000;

export type CgiLoginMode = 'plain' | 'eye4';
export const CGI_LOGIN_MODES: readonly CgiLoginMode[] = ['plain', 'eye4'];

/** What callers must give; every other field has a default. */
export type CameraConfigInput = Partial<CameraConfig> & { readonly uid: string; readonly ip: string };

/** A config whose DID has been parsed once, so the machine never re-parses text. */
export interface ResolvedCameraConfig extends CameraConfig {
  readonly didValue: Did;
  /** Dash-less upper-case UID, as in the DH reply. */
  readonly uid: string;
  /** Dashed form `VSTB-668515-UZCPK`. */
  readonly did: string;
}

const DEFAULTS: Omit<CameraConfig, 'uid' | 'ip'> = {
  mac: '48:02:2A:00:00:01',
  name: 'Emulated camera',
  httpPort: 80,
  // The identity fills the DH reply slot by slot as a real camera does (the captures in
  // test/support/vectors.ts), with every address on loopback. The firmware version looks like
  // an IP, as real ones do (PROTOCOL.md §2).
  firmware: '48.53.72.104',
  // What get_status.cgi reports as app_version. Invented, but starting with "C" as the one
  // capture that shows any of it does (see dhAppVersionSlot).
  appVersion: 'C3.5.2.22',
  netmask: '255.0.0.0',
  gateway: '127.0.0.1',
  dns: ['127.0.0.1', '127.0.0.1'],
  dhcp: true,
  // Real cameras carry a vendor DDNS server, no DDNS name, and a factory account of five
  // lower-case letters with a six-digit password. The server here resolves to loopback (RFC 6761)
  // and the password is a placeholder, not a secret.
  ddns: { server: 'user2.ipcam.localhost', name: '', user: 'vstar', password: '000000' },
  broadcastAddress: '127.255.255.255',
  passphrase: undefined,
  user: 'admin',
  password: '888888',
  login: 'plain',
  silentOnBadLogin: false,
  motionEveryMs: 0,
  unsolicitedFrames: true,
  rebootDelayMs: 500,
  maxSessions: 4,
  aliveIntervalMs: 1000,
  closeAfterSilenceMs: 8000,
  readyCopies: 3,
  drwRetransmitMs: 300,
  drwMaxTries: 5,
  videoDropPercent: 0,
  videoReorderPercent: 0,
  videoBitrateKbps: 0,
};

/** Fills defaults and checks the fields a wrong value would make the machine misbehave on. Throws on bad config. */
export function resolveCameraConfig(input: CameraConfigInput): ResolvedCameraConfig {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const config: CameraConfig = { ...DEFAULTS, ...defined, uid: input.uid, ip: input.ip };
  const didValue = parseDid(config.uid);
  if (!didValue) throw new RangeError(`not a camera UID: ${JSON.stringify(config.uid)}`);
  requireInteger('httpPort', config.httpPort, 0, 0xffff);
  requireInteger('maxSessions', config.maxSessions, 0, 0xffff);
  requireInteger('readyCopies', config.readyCopies, 1, 100);
  requireInteger('drwMaxTries', config.drwMaxTries, 1, 100);
  for (const key of ['aliveIntervalMs', 'closeAfterSilenceMs', 'drwRetransmitMs'] as const) {
    requireInteger(key, config[key], 1, 24 * 3600 * 1000);
  }
  for (const key of ['motionEveryMs', 'rebootDelayMs'] as const) requireInteger(key, config[key], 0, 24 * 3600 * 1000);
  requireInteger('videoBitrateKbps', config.videoBitrateKbps, 0, MAX_VIDEO_BITRATE_KBPS);
  for (const key of ['videoDropPercent', 'videoReorderPercent'] as const) {
    const value = config[key];
    if (!Number.isFinite(value) || value < 0 || value > 100)
      throw new RangeError(`${key} must be a number from 0 to 100, got ${value}`);
  }
  if (!CGI_LOGIN_MODES.includes(config.login))
    throw new RangeError(`login must be plain or eye4, got ${String(config.login)}`);
  return { ...config, didValue, uid: didToUid(didValue), did: formatDid(didValue) };
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** The record a DH reply carries for this camera. */
export function dhRecordOf(config: ResolvedCameraConfig, httpPort: number): DhRecord {
  return {
    uid: config.uid,
    ip: config.ip,
    netmask: config.netmask,
    gateway: config.gateway,
    dns: config.dns,
    mac: config.mac,
    httpPort,
    name: config.name,
    firmware: config.firmware,
    appVersion: dhAppVersionSlot(config.appVersion),
    dhcp: config.dhcp,
    ddns: config.ddns,
  };
}

/**
 * Real firmware fills the DH reply's app-version slot with the start of its own
 * `var app_ver="…";` source line, cut after 14 bytes (`var app_ver="C` in the capture kept in
 * test/support/vectors.ts), not with the version itself.
 */
export function dhAppVersionSlot(appVersion: string): string {
  return `var app_ver="${appVersion}`.slice(0, 14);
}
