import assert from 'node:assert/strict';
import { type Address, sameAddress } from '../../nodes/wire/address';
import { type CipherKey, decrypt, deriveKey, encrypt } from '../../nodes/wire/cipher';
import { type Did, parseDid } from '../../nodes/wire/did';
import { type PpppMessage, decodePppp, encodePppp } from '../../nodes/wire/pppp';
import { type EncryptionMode } from '../../nodes/session/encryption';
import {
  DEFAULT_SESSION_TIMING,
  Session,
  type SessionAction,
  type SessionConfig,
  type SessionEvent,
} from '../../nodes/session/session';

/**
 * Test helpers for the session state machine: a fake camera that builds the datagrams a real
 * one sends (with the wire codecs, optionally encrypted), and small readers for the actions a
 * session returns. Time is just the numbers the tests pass in; nothing here sleeps or opens a
 * socket. Every address is on loopback.
 */

export const SEARCH_TARGET: Address = { address: '127.255.255.255', port: 32108 };
export const CAMERA_ADDRESS: Address = { address: '127.0.0.2', port: 40_001 };
/** Same IP as the camera, another port: must still count as a stranger. */
export const SAME_IP_OTHER_PORT: Address = { address: '127.0.0.2', port: 40_002 };
export const ATTACKER_ADDRESS: Address = { address: '127.0.0.66', port: 40_001 };

export const VSTB_DID = mustParse('VSTB-668515-UZCPK');
export const VSTB_UID = 'VSTB668515UZCPK';
export const OTHER_DID = mustParse('BATD-156362-WONJM');
export const KEY_2019 = deriveKey('vstarcam2019');
export const KEY_2018 = deriveKey('vstarcam2018');
export const KEY_2021 = deriveKey('vstarcam2021');

export function mustParse(text: string): Did {
  const did = parseDid(text);
  assert.ok(did, `test DID ${text} must parse`);
  return did;
}

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

export function makeConfig(overrides: Partial<SessionConfig> = {}): SessionConfig {
  const encryption: EncryptionMode = { mode: 'plain' };
  return {
    ...DEFAULT_SESSION_TIMING,
    searchTargets: [SEARCH_TARGET],
    encryption,
    ...overrides,
  };
}

/** One camera's side of the wire: builds datagrams and reads what the session sent it. */
export class FakeCamera {
  constructor(
    readonly did: Did = VSTB_DID,
    readonly address: Address = CAMERA_ADDRESS,
    readonly cipher: CipherKey | null = null,
  ) {}

  /** A camera with the same DID speaking from another address (a spoof or a second camera). */
  at(address: Address): FakeCamera {
    return new FakeCamera(this.did, address, this.cipher);
  }

  seal(plain: Buffer): Buffer {
    return this.cipher === null ? plain : encrypt(this.cipher, plain);
  }

  unseal(datagram: Buffer): Buffer {
    return this.cipher === null ? datagram : decrypt(this.cipher, datagram);
  }

  message(message: PpppMessage): Buffer {
    return this.seal(encodePppp(message));
  }

  punch(did: Did = this.did): Buffer {
    return this.message({ kind: 'punch', did });
  }

  ready(did: Did = this.did): Buffer {
    return this.message({ kind: 'ready', did });
  }

  alive(): Buffer {
    return this.message({ kind: 'alive' });
  }

  aliveAck(): Buffer {
    return this.message({ kind: 'alive-ack' });
  }

  close(): Buffer {
    return this.message({ kind: 'close' });
  }

  drw(channel: number, index: number, data: Buffer): Buffer {
    return this.message({ kind: 'drw', channel, index, data });
  }

  drwAck(channel: number, indices: readonly number[]): Buffer {
    return this.message({ kind: 'drw-ack', channel, indices });
  }

  /** Decrypts (under this camera's cipher) and decodes a datagram the session sent; fails the test if it does not decode. */
  read(datagram: Buffer): PpppMessage {
    const decoded = decodePppp(this.unseal(datagram));
    assert.ok(decoded.ok, `session sent an undecodable datagram ${datagram.toString('hex')}`);
    return decoded.value;
  }

  /** Every datagram in `actions` addressed to this camera, decoded. */
  inbox(actions: readonly SessionAction[]): PpppMessage[] {
    return sends(actions)
      .filter((s) => sameAddress(s.to, this.address))
      .map((s) => this.read(s.data));
  }
}

export interface Sent {
  readonly to: Address;
  readonly data: Buffer;
}

export function sends(actions: readonly SessionAction[]): Sent[] {
  const out: Sent[] = [];
  for (const action of actions) if (action.kind === 'send') out.push({ to: action.to, data: action.data });
  return out;
}

export function events(actions: readonly SessionAction[]): SessionEvent[] {
  const out: SessionEvent[] = [];
  for (const action of actions) if (action.kind === 'event') out.push(action.event);
  return out;
}

export function eventsOfType<T extends SessionEvent['type']>(
  actions: readonly SessionAction[],
  type: T,
): Extract<SessionEvent, { type: T }>[] {
  return events(actions).filter((e): e is Extract<SessionEvent, { type: T }> => e.type === type);
}

export function kinds(messages: readonly PpppMessage[]): string[] {
  return messages.map((m) => m.kind);
}

/**
 * Plays the engine: ticks the session at every `nextWakeMs()` from `fromMs` up to and including
 * `untilMs` and returns all actions with the time each came out.
 */
export function runUntil(session: Session, fromMs: number, untilMs: number): { atMs: number; action: SessionAction }[] {
  const out: { atMs: number; action: SessionAction }[] = [];
  let now = fromMs;
  for (let guard = 0; guard < 100_000; guard++) {
    const wake = session.nextWakeMs();
    if (wake === undefined || wake > untilMs) return out;
    now = Math.max(now, wake);
    for (const action of session.tick(now)) out.push({ atMs: now, action });
  }
  assert.fail('session never stopped asking for ticks');
}

export function actionsOf(timed: readonly { action: SessionAction }[]): SessionAction[] {
  return timed.map((t) => t.action);
}

/**
 * Starts a session at `startMs` and walks it through PUNCH → echo → RDY with `camera`.
 * Returns the session connected at `startMs + handshakeMs`.
 */
export function connectedSession(
  camera: FakeCamera = new FakeCamera(),
  config: SessionConfig = makeConfig(),
  startMs = 0,
  handshakeMs = 20,
): Session {
  const session = new Session(config);
  session.start(startMs);
  const punched = session.receive(camera.punch(), camera.address, startMs + handshakeMs / 2);
  assert.equal(punched.accepted, true, 'PUNCH accepted');
  const ready = session.receive(camera.ready(), camera.address, startMs + handshakeMs);
  assert.equal(ready.accepted, true, 'P2P_RDY accepted');
  assert.equal(session.state, 'connected');
  return session;
}
