import { type NodeAPI } from 'node-red';
import { type CameraSpec, describeSpec, parseCameraSpec } from '../engine/camera-spec';
import { type CgiCredentials } from '../wire/cgi';
import { isBlank, typeOf } from './validate';

/**
 * Which camera a node works with, and how to log in to it: from its `device` (a vstar-camera
 * config node) when it has one, else from the inline `network` + `camera` of 0.1 flows.
 */
export interface CameraSource {
  readonly networkId: unknown;
  readonly spec: CameraSpec;
  readonly credentials: CgiCredentials;
  /** How the camera is named in errors and logs. */
  readonly label: string;
}

/** What a vstar-camera config node shares with the nodes that name it. */
export interface DeviceInfo {
  readonly networkId: unknown;
  /** Undefined when its `camera` is invalid; `error` says why. */
  readonly spec: CameraSpec | undefined;
  readonly error: string | undefined;
  readonly credentials: CgiCredentials;
  readonly name: string;
}

/** The factory login of VStarCam firmware (PROTOCOL.md §7.2), used where the user gave none. */
export const DEFAULT_CREDENTIALS: CgiCredentials = { user: 'admin', password: '888888' };

const devices = new WeakMap<object, DeviceInfo>();

export function attachDevice(node: object, info: DeviceInfo): void {
  devices.set(node, info);
}

export function detachDevice(node: object): void {
  devices.delete(node);
}

export type SourceResult =
  { readonly ok: true; readonly source: CameraSource } | { readonly ok: false; readonly error: string };

export function cameraSource(
  RED: NodeAPI,
  props: { readonly device?: unknown; readonly network?: unknown; readonly camera?: unknown },
): SourceResult {
  if (!isBlank(props.device)) {
    if (typeof props.device !== 'string')
      return { ok: false, error: `device must be the id of a vstar-camera node, got ${typeOf(props.device)}` };
    const node: unknown = RED.nodes.getNode(props.device);
    const info = typeof node === 'object' && node !== null ? devices.get(node) : undefined;
    if (!info) return { ok: false, error: 'camera config node missing or disabled' };
    if (!info.spec) return { ok: false, error: `camera config "${info.name}": ${info.error ?? 'invalid'}` };
    const label = info.name !== '' ? `${info.name} (${describeSpec(info.spec)})` : describeSpec(info.spec);
    return { ok: true, source: { networkId: info.networkId, spec: info.spec, credentials: info.credentials, label } };
  }
  const parsed = parseCameraSpec(props.camera);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  return {
    ok: true,
    source: {
      networkId: props.network,
      spec: parsed.spec,
      credentials: DEFAULT_CREDENTIALS,
      label: describeSpec(parsed.spec),
    },
  };
}

/** Credentials from a config node's Node-RED credentials: an empty field means the factory default. */
export function credentialsFrom(stored: unknown): CgiCredentials {
  const record = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  const user = text(record['username']).trim();
  const password = text(record['password']);
  return {
    user: user === '' ? DEFAULT_CREDENTIALS.user : user,
    password: password === '' ? DEFAULT_CREDENTIALS.password : password,
  };
}
