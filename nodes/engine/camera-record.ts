import { type DhRecord } from '../wire/dh';
import { formatDid, parseDid } from '../wire/did';

/** The camera record every message carries as `msg.camera` (DESIGN.md §2). */
export interface CameraRecord {
  readonly uid: string;
  readonly did: string;
  readonly ip: string;
  readonly mac: string;
  readonly httpPort: number;
  readonly name: string;
  readonly firmware: string;
  readonly netmask: string;
  readonly gateway: string;
  readonly dns: readonly string[];
  readonly dhcp: boolean;
  readonly ddns: { readonly server: string; readonly name: string; readonly user: string; readonly password?: string };
}

/**
 * The DDNS password is a secret the camera broadcasts in clear: it is left out unless the user
 * opted in with `includeSecrets`.
 */
export function toCameraRecord(record: DhRecord, address: string, includeSecrets: boolean): CameraRecord {
  const did = parseDid(record.uid);
  const { password, ...ddns } = record.ddns;
  return {
    uid: record.uid,
    did: did ? formatDid(did) : record.uid,
    ip: record.ip !== '' ? record.ip : address,
    mac: record.mac,
    httpPort: record.httpPort,
    name: record.name,
    firmware: record.firmware,
    netmask: record.netmask,
    gateway: record.gateway,
    dns: [...record.dns],
    dhcp: record.dhcp,
    ddns: includeSecrets ? { ...ddns, password } : ddns,
  };
}
