import { type Address } from '../wire/address';

/** Which of the camera's sockets a datagram arrived on or leaves from. */
export type Via = 'dh' | 'search' | 'session';

/** Why a camera dropped a client session; surfaced to tests through the host's events. */
export type SessionCloseReason =
  /** The client sent CLOSE. */
  | 'closed-by-client'
  /** Nothing heard from the client for `closeAfterSilenceMs`; the camera sent CLOSE. */
  | 'silence'
  /** `closeSessions()`: the camera sent CLOSE on purpose. */
  | 'closed'
  /** The client punched again on a session that already carried data: it is starting over. */
  | 'replaced'
  /** Power cut or reboot: the session vanished without a word on the wire. */
  | 'power-off'
  | 'reboot';

export interface SendAction {
  readonly kind: 'send';
  readonly via: Via;
  readonly to: Address;
  readonly data: Buffer;
}

/**
 * What the camera machine asks its host to do. Only `send` touches the wire; the session events
 * exist so a host can tell tests when a client got in or was dropped; `reboot-requested` asks the
 * host to move the camera's sockets, which only the host can do.
 */
export type CameraAction =
  | SendAction
  | { readonly kind: 'session-opened'; readonly peer: Address }
  | { readonly kind: 'session-closed'; readonly peer: Address; readonly reason: SessionCloseReason }
  /** `reboot.cgi` was answered and `rebootDelayMs` passed: the host should call `reboot()` (new ports). */
  | { readonly kind: 'reboot-requested' };
