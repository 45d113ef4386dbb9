import { type NodeMessage } from 'node-red';
import { type Endpoint } from '../engine/endpoint';
import { type CameraRecord } from '../engine/camera-record';
import { type CameraSighting } from '../engine/discovery-table';
import { normalizeUid } from '../wire/did';

/** What a camera is known as when discovery never saw it: the identity the session learned. */
export interface CameraIdentity {
  readonly uid: string;
  readonly did: string;
  readonly ip: string;
}

export type EventName =
  | 'discovered'
  | 'changed'
  | 'conflict'
  | 'scan-complete'
  | 'connected'
  | 'disconnected'
  | 'heartbeat'
  | 'lost'
  | 'restored';

/** Every message a vstar node sends (DESIGN.md §2). */
export interface VstarMessage extends NodeMessage {
  topic: string;
  event: EventName;
  payload: unknown;
  camera?: CameraRecord | CameraIdentity;
}

export function vstarMessage(
  event: EventName,
  topic: string,
  payload: unknown,
  camera: CameraRecord | CameraIdentity | undefined,
): VstarMessage {
  const msg: VstarMessage = { topic, event, payload };
  if (camera) msg.camera = camera;
  return msg;
}

/** msg.topic: the UID without dashes, upper case; text that is no UID is passed through. */
export function topicOf(uid: string | undefined): string {
  if (uid === undefined) return '';
  return normalizeUid(uid) ?? uid;
}

/**
 * The camera record for `uid` from the network's discovery table (never with the DDNS password),
 * or the identity a session learned when discovery has not seen the camera.
 */
export function cameraFor(
  endpoint: Endpoint,
  uid: string | undefined,
  fallback: CameraIdentity | undefined,
): CameraRecord | CameraIdentity | undefined {
  const sighting = uid === undefined ? undefined : endpoint.table.get(topicOf(uid));
  if (sighting) return endpoint.record(sighting, false);
  return fallback;
}

/** The `changed` payload: what changed and the values before. */
export function changedPayload(
  previous: CameraSighting,
  changes: readonly string[],
): { changes: string[]; previous: { ip: string; httpPort: number; name: string } } {
  const { record, address } = previous;
  return {
    changes: [...changes],
    previous: { ip: record.ip !== '' ? record.ip : address, httpPort: record.httpPort, name: record.name },
  };
}

/** Rounds a duration for messages and status texts (float noise helps nobody reading a debug pane). */
export function roundMs(ms: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(ms * factor) / factor;
}
