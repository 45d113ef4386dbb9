/**
 * The commands vstar-command offers, as pure data: what a flow may ask for, checked field by
 * field, and the CGI request each one becomes (PROTOCOL.md §7.2). No I/O: the caller passes the
 * clock and the time zone.
 */
export const COMMAND_NAMES = [
  'status',
  'params',
  'camera-params',
  'reboot',
  'ptz',
  'light',
  'siren',
  'infrared',
  'time-sync',
  'raw',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const PTZ_ACTIONS = [
  'up',
  'down',
  'left',
  'right',
  'stop',
  'centre',
  'patrol',
  'patrol-up-down',
  'preset-set',
  'preset-go',
] as const;
export type PtzAction = (typeof PTZ_ACTIONS)[number];

export const SWITCH_ACTIONS = ['on', 'off', 'status'] as const;
export type SwitchAction = (typeof SWITCH_ACTIONS)[number];

/** Presets a camera keeps (PROTOCOL.md §7.2: 30+2n / 31+2n for n = 0..15). */
export const MAX_PRESET = 15;
/** A raw command's parameters: more than this many is no CGI request a camera answers. */
const MAX_RAW_PARAMS = 32;
/** Longest parameter value or CGI name taken from a message; a whole request must fit one body. */
const MAX_RAW_TEXT = 512;

export type Command =
  | { readonly command: 'status' | 'params' | 'camera-params' | 'reboot' | 'time-sync' }
  | { readonly command: 'ptz'; readonly action: PtzAction; readonly preset: number; readonly step: boolean }
  | { readonly command: 'light' | 'siren' | 'infrared'; readonly action: SwitchAction }
  | { readonly command: 'raw'; readonly cgi: string; readonly params: Readonly<Record<string, string>> };

export interface CgiCall {
  /** Without `.cgi`. */
  readonly cgi: string;
  readonly params: Readonly<Record<string, string>>;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/**
 * A command from the node's properties (`defaults`) overridden by a message's payload: a command
 * name (`"reboot"`) or an object (`{ command: "ptz", action: "left" }`); any other payload runs
 * the configured command. Fields the override does not give come from the configured command
 * when it is the same one. Errors name the field.
 */
export function commandFrom(payload: unknown, defaults: Readonly<Record<string, unknown>>): Parsed<Command> {
  if (typeof payload === 'string' && (COMMAND_NAMES as readonly string[]).includes(payload.trim().toLowerCase()))
    return parseCommand(
      sameCommand(defaults, payload.trim().toLowerCase()) ?? { command: payload.trim().toLowerCase() },
    );
  if (isPlainObject(payload) && 'command' in payload) {
    const name = typeof payload['command'] === 'string' ? payload['command'].trim().toLowerCase() : payload['command'];
    const base = typeof name === 'string' ? sameCommand(defaults, name) : undefined;
    return parseCommand({ ...base, ...payload, command: name });
  }
  // `{ action: "left" }` and the like: the configured command with these arguments.
  if (isPlainObject(payload) && ARGUMENT_FIELDS.some((field) => field in payload))
    return parseCommand({ ...defaults, ...payload, command: defaults['command'] });
  return parseCommand(defaults);
}

/** The fields of a command besides its name. */
const ARGUMENT_FIELDS = ['action', 'preset', 'step', 'cgi', 'params'] as const;

function sameCommand(
  defaults: Readonly<Record<string, unknown>>,
  name: string,
): Readonly<Record<string, unknown>> | undefined {
  return defaults['command'] === name ? defaults : undefined;
}

/** Checks one command object; unknown extra fields are ignored. */
export function parseCommand(input: Readonly<Record<string, unknown>>): Parsed<Command> {
  const name = input['command'];
  if (typeof name !== 'string' || !(COMMAND_NAMES as readonly string[]).includes(name))
    return fail(`command must be one of ${COMMAND_NAMES.join(', ')}; got ${describe(name)}`);
  const command = name as CommandName;
  switch (command) {
    case 'status':
    case 'params':
    case 'camera-params':
    case 'reboot':
    case 'time-sync':
      return { ok: true, value: { command } };
    case 'ptz':
      return parsePtz(input);
    case 'light':
    case 'siren':
    case 'infrared': {
      const action = input['action'] === undefined || input['action'] === '' ? 'status' : input['action'];
      if (typeof action !== 'string' || !(SWITCH_ACTIONS as readonly string[]).includes(action))
        return fail(`action must be one of ${SWITCH_ACTIONS.join(', ')} for ${command}; got ${describe(action)}`);
      return { ok: true, value: { command, action: action as SwitchAction } };
    }
    case 'raw':
      return parseRaw(input);
  }
}

function parsePtz(input: Readonly<Record<string, unknown>>): Parsed<Command> {
  const action = input['action'];
  if (typeof action !== 'string' || !(PTZ_ACTIONS as readonly string[]).includes(action))
    return fail(`action must be one of ${PTZ_ACTIONS.join(', ')} for ptz; got ${describe(action)}`);
  const presetValue = input['preset'] === undefined || input['preset'] === '' ? 0 : Number(input['preset']);
  if (!Number.isInteger(presetValue) || presetValue < 0 || presetValue > MAX_PRESET)
    return fail(`preset must be an integer from 0 to ${MAX_PRESET}; got ${describe(input['preset'])}`);
  const step = input['step'] ?? false;
  if (typeof step !== 'boolean' && step !== 'true' && step !== 'false')
    return fail(`step must be true (one step) or false (move until stop); got ${describe(step)}`);
  return {
    ok: true,
    value: { command: 'ptz', action: action as PtzAction, preset: presetValue, step: step === true || step === 'true' },
  };
}

function parseRaw(input: Readonly<Record<string, unknown>>): Parsed<Command> {
  const cgiText = input['cgi'];
  if (typeof cgiText !== 'string')
    return fail(`cgi must be a CGI name like "get_record_file.cgi"; got ${describe(cgiText)}`);
  const cgi = cgiText
    .trim()
    .replace(/^\//, '')
    .replace(/\.cgi$/, '');
  if (!/^[A-Za-z0-9_]{1,64}$/.test(cgi))
    return fail(`cgi must be a CGI name like "get_record_file.cgi"; got ${describe(cgiText)}`);
  let params: unknown = input['params'] ?? {};
  if (typeof params === 'string') {
    if (params.trim() === '') params = {};
    else {
      try {
        params = JSON.parse(params);
      } catch {
        return fail('params must be an object of names and values, or JSON text of one');
      }
    }
  }
  if (!isPlainObject(params)) return fail(`params must be an object of names and values; got ${describe(params)}`);
  const entries = Object.entries(params);
  if (entries.length > MAX_RAW_PARAMS) return fail(`params has ${entries.length} entries; at most ${MAX_RAW_PARAMS}`);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (CREDENTIAL_PARAMS.has(key.toLowerCase()))
      return fail(`params.${key}: credentials come from the camera's config node, never from a message`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      return fail(`params.${key} must be a string, number or boolean; got ${describe(value)}`);
    const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
    if (key.length > MAX_RAW_TEXT || text.length > MAX_RAW_TEXT)
      return fail(`params.${key.slice(0, 40)} is longer than ${MAX_RAW_TEXT} characters`);
    out[key] = text;
  }
  return { ok: true, value: { command: 'raw', cgi, params: out } };
}

/** The request's own login fields: a message must not smuggle in other credentials. */
const CREDENTIAL_PARAMS = new Set(['loginuse', 'loginpas', 'user', 'pwd']);

/**
 * The CGI requests for a command, sent in order (one for every command but a PTZ stop).
 * `nowMs` and `tzOffsetMinutes` (as `Date#getTimezoneOffset`: minutes west of UTC) are
 * Node-RED's clock and zone, for `time-sync`.
 */
export function cgiCallsFor(command: Command, nowMs: number, tzOffsetMinutes: number): readonly CgiCall[] {
  // Each direction has its own stop code (1 tilt, 5 pan) and which one a firmware honours for a
  // move in the other axis is not documented: stop both.
  if (command.command === 'ptz' && command.action === 'stop')
    return [1, 5].map((code) => ({ cgi: 'decoder_control', params: { command: String(code), onestep: '0' } }));
  return [cgiCallFor(command, nowMs, tzOffsetMinutes)];
}

function cgiCallFor(command: Command, nowMs: number, tzOffsetMinutes: number): CgiCall {
  switch (command.command) {
    case 'status':
      return { cgi: 'get_status', params: {} };
    case 'params':
      return { cgi: 'get_params', params: {} };
    case 'camera-params':
      return { cgi: 'get_camera_params', params: {} };
    case 'reboot':
      return { cgi: 'reboot', params: {} };
    case 'time-sync':
      // VStarCam's tz is seconds west of UTC, the sign of getTimezoneOffset (PROTOCOL.md §7.2).
      return {
        cgi: 'set_datetime',
        params: { now: String(Math.floor(nowMs / 1000)), tz: String(tzOffsetMinutes * 60), ntp_enable: '0' },
      };
    case 'ptz':
      return {
        cgi: 'decoder_control',
        params: { command: String(ptzCode(command.action, command.preset)), onestep: command.step ? '1' : '0' },
      };
    case 'light':
    case 'siren':
      return {
        cgi: 'trans_cmd_string',
        params:
          command.action === 'status'
            ? { cmd: '2109', command: '2' }
            : { cmd: '2109', command: '0', [command.command]: command.action === 'on' ? '1' : '0' },
      };
    case 'infrared':
      return {
        cgi: 'trans_cmd_string',
        params:
          command.action === 'status'
            ? { cmd: '2120', command: '1' }
            : { cmd: '2120', command: '0', InfraredLaser: command.action === 'on' ? '1' : '0' },
      };
    case 'raw':
      return { cgi: command.cgi, params: command.params };
  }
}

/** `decoder_control` codes (PROTOCOL.md §7.2); `stop` is two requests (above). */
function ptzCode(action: PtzAction, preset: number): number {
  switch (action) {
    case 'up':
      return 0;
    case 'stop':
      return 1;
    case 'down':
      return 2;
    case 'left':
      return 4;
    case 'right':
      return 6;
    case 'centre':
      return 25;
    case 'patrol-up-down':
      return 26;
    case 'patrol':
      return 28;
    case 'preset-set':
      return 30 + 2 * preset;
    case 'preset-go':
      return 31 + 2 * preset;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function fail(error: string): { readonly ok: false; readonly error: string } {
  return { ok: false, error };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
