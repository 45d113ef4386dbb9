import { type CameraAction, type SendAction, type Via } from '../../nodes/camera/actions';
import { CameraMachine } from '../../nodes/camera/camera-machine';
import { type CameraConfigInput } from '../../nodes/camera/config';
import { type Address } from '../../nodes/wire/address';
import { type PpppMessage, decodePppp, encodePppp } from '../../nodes/wire/pppp';
import { parseDid } from '../../nodes/wire/did';

export const UID = 'VSTB668515UZCPK';
export const CAMERA_IP = '127.0.0.2';
export const CLIENT: Address = { address: '127.0.0.1', port: 40000 };

export function did(text = UID): NonNullable<ReturnType<typeof parseDid>> {
  const parsed = parseDid(text);
  if (!parsed) throw new Error(`bad DID ${text}`);
  return parsed;
}

/** A random source that replays `values` in a loop, so drop decisions are scripted. */
export function scripted(values: readonly number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

/**
 * A camera for machine tests. Unsolicited frames are off unless a test turns them on: they take
 * DRW index 0 and wait for an ACK, which every test about indices and timers would have to allow for.
 */
export function makeCamera(overrides: Partial<CameraConfigInput> = {}, random = scripted([0.5])): CameraMachine {
  return new CameraMachine(
    {
      uid: UID,
      ip: CAMERA_IP,
      name: 'Porch',
      httpPort: 11481,
      mac: '48:02:2A:0B:DB:B4',
      unsolicitedFrames: false,
      ...overrides,
    },
    random,
  );
}

export function sends(actions: readonly CameraAction[]): SendAction[] {
  return actions.filter((a): a is SendAction => a.kind === 'send');
}

export function events(actions: readonly CameraAction[]): CameraAction[] {
  return actions.filter((a) => a.kind !== 'send');
}

/** Decodes every datagram sent (plaintext camera); throws on a datagram the codec rejects. */
export function messages(actions: readonly CameraAction[]): PpppMessage[] {
  return sends(actions).map((a) => decode(a.data));
}

export function decode(data: Buffer): PpppMessage {
  const decoded = decodePppp(data);
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value;
}

export function pppp(message: PpppMessage): Buffer {
  return encodePppp(message);
}

export function send(
  camera: CameraMachine,
  via: Via,
  message: PpppMessage,
  nowMs: number,
  from: Address = CLIENT,
): CameraAction[] {
  return camera.receive(via, encodePppp(message), from, nowMs);
}

/** Runs LAN_SEARCH, PUNCH and the echo; returns the actions of the echo (RDYs and the session event). */
export function connect(camera: CameraMachine, nowMs: number, from: Address = CLIENT): CameraAction[] {
  send(camera, 'search', { kind: 'lan-search' }, nowMs, from);
  return send(camera, 'session', { kind: 'punch', did: camera.config.didValue }, nowMs, from);
}
