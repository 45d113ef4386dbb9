import { type CameraState } from '../camera-state';
import { type ResolvedCameraConfig } from '../config';

/** What a CGI handler may read and change. */
export interface CgiContext {
  readonly config: ResolvedCameraConfig;
  readonly state: CameraState;
  readonly login: SessionLogin;
  readonly httpPort: number;
  readonly nowMs: number;
  readonly currentUsers: number;
}

/** The newer-firmware login of one session (PROTOCOL.md §7.2): `get_status.cgi?name=U`, then `eye4_authentication.cgi`. */
export interface SessionLogin {
  /** `get_status.cgi?name=U` with the right credentials was seen in this session. */
  statusSeen: boolean;
  /** `eye4_authentication.cgi` succeeded after that. */
  authenticated: boolean;
}

export interface CgiRequest {
  readonly cgi: string;
  readonly params: Readonly<Record<string, string>>;
}

/** What an answered `livestream.cgi` asks the machine to do with this session's video (channel 1). */
export type VideoCommand = { readonly action: 'start'; readonly substream: number } | { readonly action: 'stop' };

/**
 * An answer block (code and body: text, or bytes for a snapshot's JPEG), or nothing at all (a
 * refused login on `--silent-on-bad-login` cameras).
 */
export type CgiReply =
  | {
      readonly kind: 'answer';
      readonly code: number;
      readonly body: string | Buffer;
      readonly thenReboot?: boolean;
      readonly video?: VideoCommand;
    }
  | { readonly kind: 'silent' };

export type CgiHandler = (request: CgiRequest, context: CgiContext) => CgiReply;

export function answer(code: number, body: string | Buffer): CgiReply {
  return { kind: 'answer', code, body };
}
