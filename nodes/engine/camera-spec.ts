import { isIPv4 } from 'node:net';
import { normalizeUid } from '../wire/did';

/** Which camera a session is for, as the user wrote it in the node's `camera` property. */
export type CameraSpec =
  | { readonly kind: 'any' }
  | { readonly kind: 'uid'; readonly uid: string }
  | { readonly kind: 'ip'; readonly ip: string };

export type SpecResult =
  { readonly ok: true; readonly spec: CameraSpec } | { readonly ok: false; readonly error: string };

/** Accepts a UID with or without dashes, an IPv4 address, or empty for "the first camera that answers". */
export function parseCameraSpec(text: unknown): SpecResult {
  if (text === undefined || text === null) return { ok: true, spec: { kind: 'any' } };
  if (typeof text !== 'string') return { ok: false, error: 'camera must be a UID, an IP address or empty' };
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, spec: { kind: 'any' } };
  if (trimmed.length > 64) return { ok: false, error: 'camera is too long to be a UID or an IP address' };
  if (isIPv4(trimmed)) return { ok: true, spec: { kind: 'ip', ip: trimmed } };
  const uid = normalizeUid(trimmed);
  if (uid) return { ok: true, spec: { kind: 'uid', uid } };
  return { ok: false, error: `"${trimmed}" is neither a camera UID (like VSTB-668515-UZCPK) nor an IPv4 address` };
}

export function specKey(spec: CameraSpec): string {
  switch (spec.kind) {
    case 'any':
      return 'any';
    case 'uid':
      return `uid:${spec.uid}`;
    case 'ip':
      return `ip:${spec.ip}`;
  }
}

export function describeSpec(spec: CameraSpec): string {
  switch (spec.kind) {
    case 'any':
      return 'first camera that answers';
    case 'uid':
      return spec.uid;
    case 'ip':
      return spec.ip;
  }
}
