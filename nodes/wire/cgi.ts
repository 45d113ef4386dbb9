import { type Decoded, fail, ok } from './result';

/**
 * VStarCam CGI commands on DRW channel 0 (PROTOCOL.md §5): an 8-byte header of u16 LE fields
 * `01 0a | code | body length | flag` then the body. Requests carry flag 0, responses flag 1.
 */

export const CGI_HEADER_LENGTH = 8;
const CGI_MAGIC = 0x0a01;
/** The flag field of a response: bytes `00 01`, i.e. 0x0100 read as u16 LE. */
const RESPONSE_FLAG = 0x0100;
/** A response body larger than this is refused; snapshots are the largest thing a camera sends. */
export const MAX_CGI_BODY = 0xffff;

export interface CgiBlock {
  readonly code: number;
  readonly response: boolean;
  readonly body: Buffer;
}

export interface CgiCredentials {
  readonly user: string;
  readonly password: string;
}

export function encodeCgiBlock(block: CgiBlock): Buffer {
  const buf = Buffer.alloc(CGI_HEADER_LENGTH + block.body.length);
  buf.writeUInt16LE(CGI_MAGIC, 0);
  buf.writeUInt16LE(block.code & 0xffff, 2);
  buf.writeUInt16LE(block.body.length & 0xffff, 4);
  // Real cameras write the response flag as the bytes `00 01` (PROTOCOL.md §5 capture).
  buf.writeUInt16LE(block.response ? RESPONSE_FLAG : 0, 6);
  block.body.copy(buf, CGI_HEADER_LENGTH);
  return buf;
}

/** `GET /name.cgi?k=v&...&loginuse=U&loginpas=P&user=U&pwd=P&`, the form the camera app sends. */
export function buildCgiRequest(
  cgi: string,
  params: Readonly<Record<string, string>>,
  credentials?: CgiCredentials,
): Buffer {
  const path = cgi.endsWith('.cgi') ? cgi : `${cgi}.cgi`;
  const pairs = Object.entries(params).map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}&`);
  if (credentials) {
    const user = uriEncode(credentials.user);
    const password = uriEncode(credentials.password);
    pairs.push(`loginuse=${user}&loginpas=${password}&user=${user}&pwd=${password}&`);
  }
  return encodeCgiBlock({ code: 0, response: false, body: Buffer.from(`GET /${path}?${pairs.join('')}`, 'latin1') });
}

/** `encodeURIComponent`, except that a lone surrogate becomes U+FFFD instead of throwing URIError. */
function uriEncode(text: string): string {
  return encodeURIComponent(text.replace(LONE_SURROGATE, '\ufffd'));
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Parses a request line back into the CGI name and its parameters (the emulator's side). */
export function parseCgiRequest(body: Buffer): { cgi: string; params: Record<string, string> } | undefined {
  const match = /^GET \/([A-Za-z0-9_]+)\.cgi\??(.*)$/s.exec(body.toString('latin1'));
  if (!match) return undefined;
  // A null-prototype accumulator, so a `__proto__` key is kept as data instead of being swallowed
  // by Object.prototype's setter; the spread copies it back as an ordinary own property.
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of (match[2] ?? '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = safeDecode(eq === -1 ? pair : pair.slice(0, eq));
    params[key] = safeDecode(eq === -1 ? '' : pair.slice(eq + 1));
  }
  return { cgi: match[1] ?? '', params: { ...params } };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Parses `var name=value;` lines (and the bare `result= 0;` some firmware writes) into an object.
 * Quotes around values are removed. Keys that would touch Object's prototype are dropped.
 *
 * Equivalent to matching each line against `^\s*(?:var\s+)?(NAME)\s*=\s*(.*?)\s*;?\s*$`, but
 * written without that regex: its `\s*;?\s*` tail backtracks in cubic time, so a response line of a
 * few thousand spaces around a `;` (which any host on the LAN can forge) froze the process.
 */
export function parseCgiVars(text: string): Record<string, string> {
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of cgiAssignments(text)) vars[key] = unquote(value);
  return { ...vars };
}

/**
 * Like `parseCgiVars`, but keeps what the firmware meant: an unquoted number (`var x=12;`,
 * `result= -2;`) becomes a number, a quoted value (`var s="12";`) stays a string.
 */
export function parseCgiValues(text: string): Record<string, string | number> {
  const values: Record<string, string | number> = Object.create(null) as Record<string, string | number>;
  for (const [key, value] of cgiAssignments(text)) values[key] = NUMBER.test(value) ? Number(value) : unquote(value);
  return { ...values };
}
const NUMBER = /^-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?$/;

function unquote(value: string): string {
  return value.replace(/^"(.*)"$/s, '$1').replace(/^'(.*)'$/s, '$1');
}

/** Each `name=value` line of a response body, value trimmed of its `;`, quotes kept. */
function* cgiAssignments(text: string): Generator<[string, string]> {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const head = CGI_VAR_HEAD.exec(line);
    if (!head) continue;
    const [whole, key = ''] = head;
    let value = line.slice(whole.length).trim();
    if (value.endsWith(';')) value = value.slice(0, -1).trimEnd();
    // The regex form's `.` matched no line terminator inside the value.
    if (LINE_TERMINATOR.test(value)) continue;
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    yield [key, value];
  }
}
/** Anchored, and every repetition is followed by a character it cannot match: linear time. */
const CGI_VAR_HEAD = /^(?:var\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;
const LINE_TERMINATOR = /[\r\n\u2028\u2029]/;

const NOTHING_PENDING = Buffer.alloc(0);

/**
 * Reassembles CGI blocks from a channel-0 byte stream: several blocks may share one DRW and a
 * long body continues in the following DRWs without a new header. Holds at most one block's
 * bytes; a header with a bad magic means the stream is out of step, so the buffer is dropped.
 */
export class CgiReassembler {
  // Nothing buffered is the one shared empty Buffer: a consumed DRW's subarray would keep the
  // whole received datagram alive, ~200 B per idle session at 10k (issue 12).
  private pending: Buffer = NOTHING_PENDING;

  /** Feeds one DRW's data in order; returns the blocks it completed, or an error for junk. */
  push(data: Buffer): Decoded<CgiBlock[]> {
    this.pending = this.pending.length === 0 ? data : Buffer.concat([this.pending, data]);
    const blocks: CgiBlock[] = [];
    while (this.pending.length >= CGI_HEADER_LENGTH) {
      if (this.pending.readUInt16LE(0) !== CGI_MAGIC) {
        this.pending = NOTHING_PENDING;
        return fail('bad-magic', 'CGI block does not start with 01 0a');
      }
      const length = this.pending.readUInt16LE(4);
      if (this.pending.length < CGI_HEADER_LENGTH + length) break;
      blocks.push({
        code: this.pending.readUInt16LE(2),
        response: this.pending.readUInt16LE(6) !== 0,
        body: Buffer.from(this.pending.subarray(CGI_HEADER_LENGTH, CGI_HEADER_LENGTH + length)),
      });
      this.pending = this.pending.subarray(CGI_HEADER_LENGTH + length);
    }
    if (this.pending.length === 0) this.pending = NOTHING_PENDING;
    return ok(blocks);
  }

  get bufferedBytes(): number {
    return this.pending.length;
  }
}

/**
 * The code field of a response block, per command (PROTOCOL.md §7.2). The 0x60xx values come from
 * the vendor SDK header `P2P_API_Define.h`; `check_user` is 0x60A0 in the C7824WIP capture (§5).
 */
export const CGI_RESPONSE_CODES = {
  get_status: 0x6001,
  get_params: 0x6002,
  get_camera_params: 0x6003,
  set_datetime: 0x6013,
  snapshot: 0x6015,
  decoder_control: 0x6019,
  /** CGI_IELOGIN in the SDK header; no public capture shows what `eye4_authentication` answers with. */
  eye4_authentication: 0x601f,
  reboot: 0x6027,
  livestream: 0x6037,
  check_user: 0x60a0,
  trans_cmd_string: 0x60d1,
} as const satisfies Readonly<Record<string, number>>;

/** The code a camera pushes without being asked; its body is not documented anywhere public. */
export const CGI_CODE_PUSH = 0x6040;

/**
 * Codes a camera may send on its own, outside any request/answer pairing: 0x6001 (a status
 * update, body like `get_status.cgi`'s) and 0x6040. A response block with one of these codes
 * answers a pending request only when that request expects exactly this code.
 */
export const UNSOLICITED_CGI_CODES: ReadonlySet<number> = new Set([CGI_RESPONSE_CODES.get_status, CGI_CODE_PUSH]);

/** The response code `cgi` (with or without `.cgi`) is answered with, when known. */
export function cgiResponseCode(cgi: string): number | undefined {
  const name = cgi.endsWith('.cgi') ? cgi.slice(0, -'.cgi'.length) : cgi;
  return Object.prototype.hasOwnProperty.call(CGI_RESPONSE_CODES, name)
    ? CGI_RESPONSE_CODES[name as keyof typeof CGI_RESPONSE_CODES]
    : undefined;
}

/**
 * True when a response block with `code` is an unsolicited frame rather than the answer to the
 * oldest pending request, which expects `expectedCode` (undefined: no request pending, or its code
 * is unknown). Answers to unknown commands (`not support`) and refusals (`result=-2`) carry codes
 * outside the unsolicited set, so they still answer the pending request.
 */
export function isUnsolicitedCgi(code: number, expectedCode: number | undefined): boolean {
  return UNSOLICITED_CGI_CODES.has(code) && code !== expectedCode;
}
