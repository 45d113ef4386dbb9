import { type NodeMessage } from 'node-red';
import { type Endpoint } from '../engine/endpoint';
import { type CameraRecord } from '../engine/camera-record';
import { type CameraSpec } from '../engine/camera-spec';
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
  | 'restored'
  | 'response'
  | 'motion'
  | 'motion-end'
  | 'snapshot'
  | 'stream-started'
  | 'stream-stopped'
  | 'stream-stats';

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

/**
 * What a camera is called before it has told its UID: the UID the node was given, or its IP
 * (never an empty topic for a camera named by IP); undefined for "any camera".
 */
export function specTopic(spec: CameraSpec): string | undefined {
  return spec.kind === 'uid' ? spec.uid : spec.kind === 'ip' ? spec.ip : undefined;
}

/** msg.topic: the UID without dashes, upper case; text that is no UID is passed through. */
export function topicOf(uid: string | undefined): string {
  if (uid === undefined) return '';
  return normalizeUid(uid) ?? uid;
}

/**
 * The camera record for a session's messages: what discovery heard from the very address the
 * session is connected (or was last connected) to, never the DDNS password. Another address
 * claiming the same UID (an impostor, or a second camera with one UID) never lends its record:
 * a flow opening `msg.camera.ip:httpPort` must reach the camera the session talks to. Without a
 * reply from that address, only what the session learned itself. `topic` is `topicOf(identity.uid)`,
 * for a caller that already has it.
 */
export function cameraFor(
  endpoint: Endpoint,
  identity: CameraIdentity | undefined,
  topic = identity === undefined ? '' : topicOf(identity.uid),
): CameraRecord | CameraIdentity | undefined {
  if (!identity) return undefined;
  const sighting = endpoint.table.heardFrom(identity.ip, topic);
  return sighting ? endpoint.record(sighting, false) : identity;
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
